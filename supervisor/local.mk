# supervisor/local.mk - the egress-supervise program

# Supervisor files get _GNU_SOURCE and friends from config.h
SUPERVISOR_CPPFLAGS = -include $(top_builddir)/config.h $(AM_CPPFLAGS)

noinst_LIBRARIES += supervisor/libsupervisor.a
supervisor_libsupervisor_a_SOURCES = \
	supervisor/filter.c supervisor/filter.h \
	supervisor/ingress.c supervisor/ingress.h \
	supervisor/ingress_sock.c supervisor/ingress_sock.h \
	supervisor/log.c supervisor/log.h \
	supervisor/loop.c supervisor/loop.h \
	supervisor/netcall.c supervisor/netcall.h \
	supervisor/notify.c supervisor/notify.h \
	supervisor/reaper.c supervisor/reaper.h \
	supervisor/sockaddr.c supervisor/sockaddr.h \
	supervisor/spawn.c supervisor/spawn.h \
	supervisor/stall.c supervisor/stall.h \
	supervisor/target.c supervisor/target.h \
	supervisor/util.c supervisor/util.h \
	supervisor/verdict.c supervisor/verdict.h \
	supervisor/dns_stub.c supervisor/dns_stub.h \
	supervisor/dns_cache.c supervisor/dns_cache.h \
	supervisor/resolvconf.c supervisor/resolvconf.h \
	supervisor/privs.c supervisor/privs.h \
	supervisor/relay.c supervisor/relay.h \
	supervisor/quic_gate.c supervisor/quic_gate.h \
	supervisor/ca.c supervisor/ca.h \
	supervisor/mitm.c supervisor/mitm.h \
	supervisor/lookup.c supervisor/lookup.h \
	supervisor/metrics.c supervisor/metrics.h \
	supervisor/suggest.c supervisor/suggest.h \
	supervisor/control.c supervisor/control.h supervisor/control_proto.h \
	supervisor/exec_client.c
supervisor_libsupervisor_a_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
supervisor_libsupervisor_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) \
	$(CARES_CFLAGS) $(OPENSSL_CFLAGS)

bin_PROGRAMS += egress-supervise
egress_supervise_SOURCES = supervisor/main.c
egress_supervise_CPPFLAGS = $(SUPERVISOR_CPPFLAGS) \
	-DES_SHIM_PATH='"$(shimdir)/libegress-shim.so"'
egress_supervise_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) \
	$(OPENSSL_CFLAGS)
egress_supervise_LDADD = supervisor/libsupervisor.a supervisor/libdns.a \
	supervisor/libproto.a policy/libpolicy.a $(SECCOMP_LIBS) $(CAP_LIBS) \
	$(CARES_LIBS) $(YAML_LIBS) $(OPENSSL_LIBS) -lpthread
if STATIC_BINARY
# -no-pie after the -pie of ES_LDFLAGS: Debian's static libraries are not PIC.
# --user NAME then needs the glibc NSS modules at run time; numbers do not.
egress_supervise_LDFLAGS = $(AM_LDFLAGS) -static -no-pie
endif
include $(srcdir)/supervisor/dns.mk

# Unit tests of the supervisor's pure parts
check_PROGRAMS += tests/unit/check_sockaddr tests/unit/check_log
TESTS += tests/unit/check_sockaddr tests/unit/check_log
tests_unit_check_sockaddr_SOURCES = tests/unit/check_sockaddr.c
tests_unit_check_sockaddr_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_sockaddr_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_sockaddr_LDADD = supervisor/libsupervisor.a $(CHECK_LIBS)
tests_unit_check_log_SOURCES = tests/unit/check_log.c
tests_unit_check_log_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_log_LDADD = supervisor/libsupervisor.a $(CHECK_LIBS)
check_PROGRAMS += tests/unit/check_dns_cache
TESTS += tests/unit/check_dns_cache
tests_unit_check_dns_cache_SOURCES = tests/unit/check_dns_cache.c
tests_unit_check_dns_cache_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_dns_cache_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_dns_cache_LDADD = supervisor/libsupervisor.a supervisor/libdns.a \
	$(CHECK_LIBS)
check_PROGRAMS += tests/unit/check_ingress
TESTS += tests/unit/check_ingress
tests_unit_check_ingress_SOURCES = tests/unit/check_ingress.c
tests_unit_check_ingress_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_ingress_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(YAML_CFLAGS)
tests_unit_check_ingress_LDADD = supervisor/libsupervisor.a policy/libpolicy.a \
	$(YAML_LIBS) $(CHECK_LIBS)
check_PROGRAMS += tests/unit/check_ca
TESTS += tests/unit/check_ca
tests_unit_check_ca_SOURCES = tests/unit/check_ca.c
tests_unit_check_ca_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_ca_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_ca_LDADD = supervisor/libsupervisor.a $(OPENSSL_LIBS) \
	$(CHECK_LIBS)
include $(srcdir)/supervisor/proto.mk
dist_man_MANS += supervisor/egress-supervise.1
check_PROGRAMS += tests/unit/check_metrics
TESTS += tests/unit/check_metrics
tests_unit_check_metrics_SOURCES = tests/unit/check_metrics.c
tests_unit_check_metrics_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_metrics_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_metrics_LDADD = supervisor/libsupervisor.a $(CHECK_LIBS)
check_PROGRAMS += tests/unit/check_suggest
TESTS += tests/unit/check_suggest
tests_unit_check_suggest_SOURCES = tests/unit/check_suggest.c
tests_unit_check_suggest_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_unit_check_suggest_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_suggest_LDADD = supervisor/libsupervisor.a policy/libpolicy.a \
	$(YAML_LIBS) $(CHECK_LIBS)

# Fuzz target of suggest (any log must give a policy that loads); replayed
# over its seed corpus under `make check`, a libFuzzer binary with
# CC=clang --enable-fuzz
EXTRA_DIST += tests/fuzz/corpus/suggest
check_PROGRAMS += tests/fuzz/fuzz_suggest_replay
TESTS += tests/fuzz/fuzz_suggest_replay
tests_fuzz_fuzz_suggest_replay_SOURCES = tests/fuzz/fuzz_suggest.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_suggest_replay_CPPFLAGS = $(SUPERVISOR_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(srcdir)/tests/fuzz/corpus/suggest"'
tests_fuzz_fuzz_suggest_replay_LDADD = supervisor/libsupervisor.a \
	policy/libpolicy.a $(YAML_LIBS)
if FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_suggest
tests_fuzz_fuzz_suggest_SOURCES = tests/fuzz/fuzz_suggest.c \
	supervisor/suggest.c supervisor/util.c $(policy_libpolicy_a_SOURCES)
tests_fuzz_fuzz_suggest_CPPFLAGS = $(SUPERVISOR_CPPFLAGS)
tests_fuzz_fuzz_suggest_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
tests_fuzz_fuzz_suggest_LDFLAGS = $(AM_LDFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
tests_fuzz_fuzz_suggest_LDADD = $(YAML_LIBS)
endif
