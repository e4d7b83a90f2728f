# policy/local.mk - the policy library (owned by the policy work)

noinst_LIBRARIES += policy/libpolicy.a
policy_libpolicy_a_SOURCES = \
	policy/policy.h \
	policy/policy_internal.h \
	policy/policy_addr.c \
	policy/policy_decide.c \
	policy/policy_ingress.c \
	policy/policy_load.c \
	policy/policy_name.c \
	policy/policy_print.c \
	policy/policy_rule.c \
	policy/policy_unix.c
policy_libpolicy_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)

dist_man_MANS += policy/egress-supervise-policy.5
EXTRA_DIST += policy/examples

# Unit tests
check_PROGRAMS += tests/unit/check_policy
TESTS += tests/unit/check_policy
tests_unit_check_policy_SOURCES = tests/unit/check_policy.c
tests_unit_check_policy_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPOLICY_EXAMPLES_DIR='"$(srcdir)/policy/examples"'
tests_unit_check_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(YAML_CFLAGS)
tests_unit_check_policy_LDADD = policy/libpolicy.a $(YAML_LIBS) $(CHECK_LIBS)

# Fuzz targets.  With any compiler, each target is linked with
# tests/fuzz/fuzz_main.c and replays its seed corpus under `make check`;
# with CC=clang --enable-fuzz, the libFuzzer binaries are built too
# (objects compiled with the fuzzer's coverage and ASan+UBSan):
#   tests/fuzz/fuzz_policy -max_total_time=120 $(srcdir)/tests/fuzz/corpus/policy/yaml
FUZZ_POLICY_CORPUS = $(srcdir)/tests/fuzz/corpus/policy
EXTRA_DIST += tests/fuzz/corpus/policy tests/fuzz/fuzz_policy_common.h

check_PROGRAMS += tests/fuzz/fuzz_policy_replay tests/fuzz/fuzz_policy_spec_replay
TESTS += tests/fuzz/fuzz_policy_replay tests/fuzz/fuzz_policy_spec_replay
tests_fuzz_fuzz_policy_replay_SOURCES = tests/fuzz/fuzz_policy.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_policy_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(FUZZ_POLICY_CORPUS)/yaml"'
tests_fuzz_fuzz_policy_replay_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
tests_fuzz_fuzz_policy_replay_LDADD = policy/libpolicy.a $(YAML_LIBS)
tests_fuzz_fuzz_policy_spec_replay_SOURCES = tests/fuzz/fuzz_policy_spec.c \
	tests/fuzz/fuzz_main.c
tests_fuzz_fuzz_policy_spec_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(FUZZ_POLICY_CORPUS)/spec"'
tests_fuzz_fuzz_policy_spec_replay_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
tests_fuzz_fuzz_policy_spec_replay_LDADD = policy/libpolicy.a $(YAML_LIBS)

if FUZZ
FUZZ_POLICY_FLAGS = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
noinst_PROGRAMS += tests/fuzz/fuzz_policy tests/fuzz/fuzz_policy_spec
tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz_policy.c \
	$(policy_libpolicy_a_SOURCES)
tests_fuzz_fuzz_policy_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(FUZZ_POLICY_FLAGS)
tests_fuzz_fuzz_policy_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_POLICY_FLAGS)
tests_fuzz_fuzz_policy_LDADD = $(YAML_LIBS)
tests_fuzz_fuzz_policy_spec_SOURCES = tests/fuzz/fuzz_policy_spec.c \
	$(policy_libpolicy_a_SOURCES)
tests_fuzz_fuzz_policy_spec_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) \
	$(FUZZ_POLICY_FLAGS)
tests_fuzz_fuzz_policy_spec_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_POLICY_FLAGS)
tests_fuzz_fuzz_policy_spec_LDADD = $(YAML_LIBS)
endif

check_PROGRAMS += tests/unit/check_policy_unix
TESTS += tests/unit/check_policy_unix
tests_unit_check_policy_unix_SOURCES = tests/unit/check_policy_unix.c
tests_unit_check_policy_unix_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(YAML_CFLAGS)
tests_unit_check_policy_unix_LDADD = policy/libpolicy.a $(YAML_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_policy_ingress
TESTS += tests/unit/check_policy_ingress
tests_unit_check_policy_ingress_SOURCES = tests/unit/check_policy_ingress.c
tests_unit_check_policy_ingress_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(YAML_CFLAGS)
tests_unit_check_policy_ingress_LDADD = policy/libpolicy.a $(YAML_LIBS) $(CHECK_LIBS)
