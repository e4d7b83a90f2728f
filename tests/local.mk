# tests/local.mk - test helpers and integration tests

# ---------------------------------------------------------------- helpers
# Small programs the integration tests run as CMD (see each file's header).
ES_HELPERS_PROGS = \
	tests/helpers/es-net \
	tests/helpers/es-toctou \
	tests/helpers/es-fds \
	tests/helpers/es-caps \
	tests/helpers/es-sig \
	tests/helpers/es-zombies \
	tests/helpers/es-naive-sup \
	tests/helpers/es-quic \
	tests/helpers/es-gai \
	tests/helpers/es-shimsend \
	tests/helpers/es-yaml \
	tests/helpers/es-slowfs
check_PROGRAMS += $(ES_HELPERS_PROGS)

# The helpers are tools of the tests, not code under test: in sanitizer
# builds they stay uninstrumented, so that LeakSanitizer (which needs
# ptrace) never changes the exit status of a CMD under the filter.
if SANITIZE
ES_HFLAGS_CC = -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wswitch-enum -Wimplicit-fallthrough \
	-Wno-missing-field-initializers
ES_HFLAGS_LD =
else
ES_HFLAGS_CC = $(ES_CFLAGS)
ES_HFLAGS_LD = $(ES_LDFLAGS)
endif

tests_helpers_es_net_SOURCES = tests/helpers/es-net.c
tests_helpers_es_net_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_net_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_net_LDADD = -lpthread
tests_helpers_es_toctou_SOURCES = tests/helpers/es-toctou.c
tests_helpers_es_toctou_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_toctou_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_toctou_LDADD = -lpthread
tests_helpers_es_fds_SOURCES = tests/helpers/es-fds.c
tests_helpers_es_fds_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_fds_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_caps_SOURCES = tests/helpers/es-caps.c
tests_helpers_es_caps_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_caps_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_sig_SOURCES = tests/helpers/es-sig.c
tests_helpers_es_sig_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_sig_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_zombies_SOURCES = tests/helpers/es-zombies.c
tests_helpers_es_zombies_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_zombies_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_naive_sup_SOURCES = tests/helpers/es-naive-sup.c
tests_helpers_es_naive_sup_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_naive_sup_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_quic_SOURCES = tests/helpers/es-quic.c
tests_helpers_es_quic_CFLAGS = $(ES_HFLAGS_CC) $(OPENSSL_CFLAGS)
tests_helpers_es_quic_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_quic_LDADD = $(OPENSSL_LIBS)
tests_helpers_es_gai_SOURCES = tests/helpers/es-gai.c
tests_helpers_es_gai_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_gai_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_gai_LDADD = -lpthread
tests_helpers_es_shimsend_SOURCES = tests/helpers/es-shimsend.c
tests_helpers_es_shimsend_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_shimsend_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_yaml_SOURCES = tests/helpers/es-yaml.c
tests_helpers_es_yaml_CFLAGS = $(ES_HFLAGS_CC) $(YAML_CFLAGS)
tests_helpers_es_yaml_LDFLAGS = $(ES_HFLAGS_LD)
tests_helpers_es_yaml_LDADD = $(YAML_LIBS)
tests_helpers_es_slowfs_SOURCES = tests/helpers/es-slowfs.c
tests_helpers_es_slowfs_CFLAGS = $(ES_HFLAGS_CC)
tests_helpers_es_slowfs_LDFLAGS = $(ES_HFLAGS_LD)

# The i386 helper has no libc (every call is an int $0x80), so it takes
# none of the project's hardening or sanitizer flags.
if HAVE_M32
check_PROGRAMS += tests/helpers/es-m32-socketcall
tests_helpers_es_m32_socketcall_SOURCES = tests/helpers/es-m32-socketcall.c
tests_helpers_es_m32_socketcall_CFLAGS = -m32 -ffreestanding \
	-fno-stack-protector -fno-pie -fno-asynchronous-unwind-tables
tests_helpers_es_m32_socketcall_CPPFLAGS = -U_FORTIFY_SOURCE
tests_helpers_es_m32_socketcall_LDFLAGS = -m32 -nostdlib -static -no-pie
endif

# The static Go client of the relay tests: built when Go is installed (the
# tests that use it skip otherwise), offline, stdlib only, with its caches
# in the build directory.
ES_GO_CLIENT_SRC = $(srcdir)/tests/helpers/go-client/main.go
check_SCRIPTS += tests/helpers/es-go-client
CLEANFILES += tests/helpers/es-go-client
EXTRA_DIST += tests/helpers/go-client/main.go
tests/helpers/es-go-client: $(ES_GO_CLIENT_SRC)
	$(AM_V_GEN)if command -v go >/dev/null 2>&1; then \
		$(MKDIR_P) tests/helpers && \
		env GOCACHE='$(abs_builddir)/tests/helpers/.gocache' \
			GOPATH='$(abs_builddir)/tests/helpers/.gopath' GOFLAGS= \
			GO111MODULE=on GOPROXY=off GOTOOLCHAIN=local \
			CGO_ENABLED=0 go build -trimpath -o $@ $(ES_GO_CLIENT_SRC); \
	else \
		echo "go not found: tests using $@ will skip"; \
	fi

clean-local: clean-local-go
clean-local-go:
	-chmod -R u+w tests/helpers/.gopath 2>/dev/null
	-rm -rf tests/helpers/.gocache tests/helpers/.gopath \
		tests/helpers/.es-go-client.lock
.PHONY: clean-local-go

# ---------------------------------------------------------------- integration
# Each script is TAP, builds its own network namespaces (needs root; skips
# otherwise) and may run in parallel with the others.
ES_INTEGRATION_TESTS = \
	tests/integration/01-cli-exit-status.sh \
	tests/integration/02-tcp-connect.sh \
	tests/integration/03-udp.sh \
	tests/integration/04-ipv6.sh \
	tests/integration/05-family-quirks.sh \
	tests/integration/06-signals.sh \
	tests/integration/07-reaping.sh \
	tests/integration/08-fd-hygiene.sh \
	tests/integration/09-abi.sh \
	tests/integration/10-toctou.sh \
	tests/integration/11-blackhole.sh \
	tests/integration/12-fail-closed.sh \
	tests/integration/13-tfo.sh \
	tests/integration/14-resolvconf.sh \
	tests/integration/20-dns-names.sh \
	tests/integration/21-policy-cli.sh \
	tests/integration/22-unix-creds.sh \
	tests/integration/23-faults.sh \
	tests/integration/24-special.sh \
	tests/integration/25-userns.sh \
	tests/integration/26-audit.sh \
	tests/integration/27-metrics.sh \
	tests/integration/28-suggest.sh \
	tests/integration/29-exec.sh \
	tests/integration/30-relay-tls.sh \
	tests/integration/31-relay-http.sh \
	tests/integration/32-relay-ftp.sh \
	tests/integration/33-relay-fidelity.sh \
	tests/integration/34-quic.sh \
	tests/integration/35-intercept.sh \
	tests/integration/40-ingress.sh \
	tests/integration/50-shim.sh \
	tests/integration/45-contrib.sh
TESTS += $(ES_INTEGRATION_TESTS)
EXTRA_DIST += $(ES_INTEGRATION_TESTS) \
	tests/integration/lib.sh \
	tests/integration/lib-servers.sh \
	tests/integration/es-server.py \
	tests/integration/es-ingress.py \
	tests/integration/es-tls-split.py

TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) \
	$(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = \
	ES_BIN='$(abs_top_builddir)/egress-supervise'; \
	ES_HELPERS='$(abs_top_builddir)/tests/helpers'; \
	ES_TAP_DRIVER=1; \
	EGRESS_SUPERVISE_SHIM='$(abs_top_builddir)/shim/libegress-shim.so'; \
	export ES_BIN ES_HELPERS ES_TAP_DRIVER EGRESS_SUPERVISE_SHIM;
