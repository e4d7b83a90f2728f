# SPDX-License-Identifier: GPL-2.0-or-later
# supervisor/dns.mk - DNS building blocks (message parser/builder, IP->names
# table), their unit tests and fuzz target; included from supervisor/local.mk

noinst_LIBRARIES += supervisor/libdns.a
supervisor_libdns_a_SOURCES = \
	supervisor/dns_msg.c supervisor/dns_msg.h \
	supervisor/dns_table.c supervisor/dns_table.h

check_PROGRAMS += tests/unit/check_dns_msg tests/unit/check_dns_table
TESTS += tests/unit/check_dns_msg tests/unit/check_dns_table

tests_unit_check_dns_msg_SOURCES = tests/unit/check_dns_msg.c
tests_unit_check_dns_msg_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dns_msg_LDADD = supervisor/libdns.a $(CHECK_LIBS)

tests_unit_check_dns_table_SOURCES = tests/unit/check_dns_table.c
tests_unit_check_dns_table_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dns_table_LDADD = supervisor/libdns.a $(CHECK_LIBS)

# The fuzz target replays its seed corpus under `make check` through
# tests/fuzz/fuzz_main.c, with any compiler; with CC=clang --enable-fuzz
# the libFuzzer binary is built too (the library sources are compiled into
# it so they get the coverage instrumentation):
#   tests/fuzz/fuzz_dns_msg -max_total_time=300 $(srcdir)/tests/fuzz/corpus/dns
EXTRA_DIST += tests/fuzz/corpus/dns

check_PROGRAMS += tests/fuzz/fuzz_dns_msg_replay
TESTS += tests/fuzz/fuzz_dns_msg_replay
tests_fuzz_fuzz_dns_msg_replay_SOURCES = tests/fuzz/fuzz_dns_msg.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_dns_msg_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/dns"'
tests_fuzz_fuzz_dns_msg_replay_LDADD = supervisor/libdns.a

if FUZZ
FUZZ_DNS_FLAGS = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
noinst_PROGRAMS += tests/fuzz/fuzz_dns_msg
tests_fuzz_fuzz_dns_msg_SOURCES = tests/fuzz/fuzz_dns_msg.c \
	$(supervisor_libdns_a_SOURCES)
tests_fuzz_fuzz_dns_msg_CFLAGS = $(AM_CFLAGS) $(FUZZ_DNS_FLAGS)
tests_fuzz_fuzz_dns_msg_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_DNS_FLAGS)
endif
