# SPDX-License-Identifier: GPL-2.0-or-later
# supervisor/proto.mk - protocol peekers (TLS ClientHello, QUIC Initial,
# HTTP/1.x requests, FTP control replies, SSH banners), their unit tests
# and fuzz targets; included from supervisor/local.mk

noinst_LIBRARIES += supervisor/libproto.a
supervisor_libproto_a_SOURCES = \
	supervisor/tls_hello.c supervisor/tls_hello.h \
	supervisor/quic_initial.c supervisor/quic_initial.h \
	supervisor/http_req.c supervisor/http_req.h \
	supervisor/ftp_ctl.c supervisor/ftp_ctl.h \
	supervisor/ssh_banner.c supervisor/ssh_banner.h
supervisor_libproto_a_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)

check_PROGRAMS += tests/unit/check_tls_hello tests/unit/check_quic_initial
TESTS += tests/unit/check_tls_hello tests/unit/check_quic_initial

tests_unit_check_tls_hello_SOURCES = tests/unit/check_tls_hello.c
tests_unit_check_tls_hello_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_tls_hello_LDADD = supervisor/libproto.a $(OPENSSL_LIBS) \
	$(CHECK_LIBS)

tests_unit_check_quic_initial_SOURCES = tests/unit/check_quic_initial.c
tests_unit_check_quic_initial_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	$(CHECK_CFLAGS)
tests_unit_check_quic_initial_LDADD = supervisor/libproto.a $(OPENSSL_LIBS) \
	$(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_http_req tests/unit/check_ftp_ctl \
	tests/unit/check_ssh_banner
TESTS += tests/unit/check_http_req tests/unit/check_ftp_ctl \
	tests/unit/check_ssh_banner

tests_unit_check_http_req_SOURCES = tests/unit/check_http_req.c
tests_unit_check_http_req_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_http_req_LDADD = supervisor/libproto.a $(CHECK_LIBS)

tests_unit_check_ftp_ctl_SOURCES = tests/unit/check_ftp_ctl.c
tests_unit_check_ftp_ctl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_ftp_ctl_LDADD = supervisor/libproto.a $(CHECK_LIBS)

tests_unit_check_ssh_banner_SOURCES = tests/unit/check_ssh_banner.c
tests_unit_check_ssh_banner_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_ssh_banner_LDADD = supervisor/libproto.a $(CHECK_LIBS)

# Fuzz targets: replayed over their seed corpora under `make check`
# through tests/fuzz/fuzz_main.c with any compiler; with CC=clang
# --enable-fuzz the libFuzzer binaries are built too:
#   tests/fuzz/fuzz_tls_hello -max_total_time=300 $(srcdir)/tests/fuzz/corpus/tls
#   tests/fuzz/fuzz_quic_initial -max_total_time=300 $(srcdir)/tests/fuzz/corpus/quic
#   tests/fuzz/fuzz_http_req -dict=$(srcdir)/tests/fuzz/fuzz_http_req.dict \
#	$(srcdir)/tests/fuzz/corpus/http
#   tests/fuzz/fuzz_ftp_ctl $(srcdir)/tests/fuzz/corpus/ftp
#   tests/fuzz/fuzz_ssh_banner $(srcdir)/tests/fuzz/corpus/ssh
EXTRA_DIST += tests/fuzz/corpus/tls tests/fuzz/corpus/quic \
	tests/fuzz/corpus/http tests/fuzz/corpus/ftp tests/fuzz/corpus/ssh \
	tests/fuzz/fuzz_http_req.dict

check_PROGRAMS += tests/fuzz/fuzz_tls_hello_replay \
	tests/fuzz/fuzz_quic_initial_replay
TESTS += tests/fuzz/fuzz_tls_hello_replay tests/fuzz/fuzz_quic_initial_replay
check_PROGRAMS += tests/fuzz/fuzz_http_req_replay \
	tests/fuzz/fuzz_ftp_ctl_replay tests/fuzz/fuzz_ssh_banner_replay
TESTS += tests/fuzz/fuzz_http_req_replay tests/fuzz/fuzz_ftp_ctl_replay \
	tests/fuzz/fuzz_ssh_banner_replay

tests_fuzz_fuzz_tls_hello_replay_SOURCES = tests/fuzz/fuzz_tls_hello.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_tls_hello_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/tls"'
tests_fuzz_fuzz_tls_hello_replay_LDADD = supervisor/libproto.a $(OPENSSL_LIBS)

tests_fuzz_fuzz_quic_initial_replay_SOURCES = tests/fuzz/fuzz_quic_initial.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_quic_initial_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/quic"'
tests_fuzz_fuzz_quic_initial_replay_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_fuzz_fuzz_quic_initial_replay_LDADD = supervisor/libproto.a \
	$(OPENSSL_LIBS)

tests_fuzz_fuzz_http_req_replay_SOURCES = tests/fuzz/fuzz_http_req.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_http_req_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/http"'
tests_fuzz_fuzz_http_req_replay_LDADD = supervisor/libproto.a

tests_fuzz_fuzz_ftp_ctl_replay_SOURCES = tests/fuzz/fuzz_ftp_ctl.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_ftp_ctl_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/ftp"'
tests_fuzz_fuzz_ftp_ctl_replay_LDADD = supervisor/libproto.a

tests_fuzz_fuzz_ssh_banner_replay_SOURCES = tests/fuzz/fuzz_ssh_banner.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_ssh_banner_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/ssh"'
tests_fuzz_fuzz_ssh_banner_replay_LDADD = supervisor/libproto.a

if FUZZ
FUZZ_PROTO_FLAGS = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
noinst_PROGRAMS += tests/fuzz/fuzz_tls_hello tests/fuzz/fuzz_quic_initial
tests_fuzz_fuzz_tls_hello_SOURCES = tests/fuzz/fuzz_tls_hello.c \
	supervisor/tls_hello.c supervisor/tls_hello.h
tests_fuzz_fuzz_tls_hello_CFLAGS = $(AM_CFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_tls_hello_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_quic_initial_SOURCES = tests/fuzz/fuzz_quic_initial.c \
	$(supervisor_libproto_a_SOURCES)
tests_fuzz_fuzz_quic_initial_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	$(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_quic_initial_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_quic_initial_LDADD = $(OPENSSL_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz_http_req tests/fuzz/fuzz_ftp_ctl \
	tests/fuzz/fuzz_ssh_banner
tests_fuzz_fuzz_http_req_SOURCES = tests/fuzz/fuzz_http_req.c \
	supervisor/http_req.c supervisor/http_req.h
tests_fuzz_fuzz_http_req_CFLAGS = $(AM_CFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_http_req_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_ftp_ctl_SOURCES = tests/fuzz/fuzz_ftp_ctl.c \
	supervisor/ftp_ctl.c supervisor/ftp_ctl.h
tests_fuzz_fuzz_ftp_ctl_CFLAGS = $(AM_CFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_ftp_ctl_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_ssh_banner_SOURCES = tests/fuzz/fuzz_ssh_banner.c \
	supervisor/ssh_banner.c supervisor/ssh_banner.h
tests_fuzz_fuzz_ssh_banner_CFLAGS = $(AM_CFLAGS) $(FUZZ_PROTO_FLAGS)
tests_fuzz_fuzz_ssh_banner_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_PROTO_FLAGS)
endif
