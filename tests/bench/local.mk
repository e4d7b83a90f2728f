# tests/bench/local.mk - benchmarks: ratios to direct, not run by make check
#
# `make bench` (as root) builds the bench programs and the supervisor, then
# runs tests/bench/bench.sh (notified calls), bench-dns.sh, bench-udp.sh,
# bench-ingress.sh, bench-intercept.sh, bench-shim.sh and
# bench-relay.sh (the relay: bulk, connects/s, memory per connection, 10,000
# held), each printing a table of direct and supervised figures measured in
# the same invocation.  `make soak` runs soak.sh: SOAK_N (default 1,000,000)
# relayed and denied connects under one supervisor, its fds and memory
# sampled every tenth.  The programs are EXTRA_PROGRAMS: plain `make` and
# `make check` never build them.

BENCH_PROGS = \
	tests/bench/bench-connect$(EXEEXT) \
	tests/bench/bench-server$(EXEEXT) \
	tests/bench/bench-dns$(EXEEXT) \
	tests/bench/bench-udp$(EXEEXT) \
	tests/bench/bench-echo$(EXEEXT) \
	tests/bench/bench-https$(EXEEXT) \
	tests/bench/bench-shim$(EXEEXT)
EXTRA_PROGRAMS = $(BENCH_PROGS)
CLEANFILES += $(BENCH_PROGS)
EXTRA_DIST += tests/bench/bench.sh tests/bench/bench-dns.sh \
	tests/bench/bench-udp.sh tests/bench/bench-ingress.sh \
	tests/bench/bench-intercept.sh tests/bench/bench-shim.sh \
	tests/bench/bench-relay.sh \
	tests/bench/soak.sh tests/bench/relay-world.sh \
	tests/bench/relay-hold.py tests/bench/soak-client.py

tests_bench_bench_connect_SOURCES = tests/bench/bench-connect.c
tests_bench_bench_server_SOURCES = tests/bench/bench-server.c
tests_bench_bench_dns_SOURCES = tests/bench/bench-dns.c
tests_bench_bench_udp_SOURCES = tests/bench/bench-udp.c
tests_bench_bench_shim_SOURCES = tests/bench/bench-shim.c
tests_bench_bench_server_LDADD = -lpthread
tests_bench_bench_echo_SOURCES = tests/bench/bench-echo.c
tests_bench_bench_echo_LDADD = -lpthread
tests_bench_bench_https_SOURCES = tests/bench/bench-https.c
tests_bench_bench_https_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_https_LDADD = $(OPENSSL_LIBS) -lpthread

bench: egress-supervise$(EXEEXT) shim/libegress-shim.so $(BENCH_PROGS)
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/bench.sh
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/bench-dns.sh
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/bench-udp.sh
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/bench-ingress.sh
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/bench-intercept.sh
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
	EGRESS_SUPERVISE_SHIM='$(abs_top_builddir)/shim/libegress-shim.so' \
		bash $(top_srcdir)/tests/bench/bench-shim.sh
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/bench-relay.sh

soak: egress-supervise$(EXEEXT) tests/bench/bench-server$(EXEEXT)
	ES_BIN='$(abs_top_builddir)/egress-supervise$(EXEEXT)' \
	BENCH_BIN='$(abs_top_builddir)/tests/bench' \
		bash $(top_srcdir)/tests/bench/soak.sh $(SOAK_N)

.PHONY: bench soak
