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
