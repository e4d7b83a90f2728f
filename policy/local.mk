# policy/local.mk - the policy library (owned by the policy work)

noinst_LIBRARIES += policy/libpolicy.a
policy_libpolicy_a_SOURCES = \
	policy/policy.h \
	policy/policy_internal.h \
	policy/policy_addr.c \
	policy/policy_decide.c \
	policy/policy_load.c \
	policy/policy_name.c \
	policy/policy_print.c \
	policy/policy_rule.c
policy_libpolicy_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
