# tests/adversarial/local.mk - the adversarial suite (include from Makefile.am)
#
# run.sh tries every bypass technique of SECURITY-CHECKLIST.md against the
# real binary in the integration world and is one TAP test of `make check`.
# Its attack programs are tools of the test, not code under test: like the
# helpers (tests/local.mk), they stay uninstrumented in sanitizer builds.

ES_ADV_TESTS = tests/adversarial/run.sh
TESTS += $(ES_ADV_TESTS)
EXTRA_DIST += $(ES_ADV_TESTS) \
	tests/adversarial/local.mk \
	tests/adversarial/adv-attack.c \
	tests/adversarial/adv-m32-direct.c

check_PROGRAMS += tests/adversarial/adv-attack
tests_adversarial_adv_attack_SOURCES = tests/adversarial/adv-attack.c
tests_adversarial_adv_attack_CFLAGS = $(ES_HFLAGS_CC)
tests_adversarial_adv_attack_LDFLAGS = $(ES_HFLAGS_LD)
tests_adversarial_adv_attack_LDADD = -lpthread

# i386 without libc (every call an int $0x80): none of the project's
# hardening or sanitizer flags, as for tests/helpers/es-m32-socketcall.
if HAVE_M32
check_PROGRAMS += tests/adversarial/adv-m32-direct
tests_adversarial_adv_m32_direct_SOURCES = tests/adversarial/adv-m32-direct.c
tests_adversarial_adv_m32_direct_CFLAGS = -m32 -ffreestanding \
	-fno-stack-protector -fno-pie -fno-asynchronous-unwind-tables
tests_adversarial_adv_m32_direct_CPPFLAGS = -U_FORTIFY_SOURCE
tests_adversarial_adv_m32_direct_LDFLAGS = -m32 -nostdlib -static -no-pie
endif
