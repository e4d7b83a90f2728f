# shim/local.mk - libegress-shim.so, preloaded into CMD (see shim/shim.h)
#
# Built as a "program" linked with -shared (the project has no libtool):
# position-independent, hidden visibility, a version script exporting only
# the interposed functions.  Never built with the sanitizers: an ASan
# library preloaded into programs without ASan cannot start.

shimdir = $(pkglibdir)
shim_PROGRAMS = shim/libegress-shim.so

SHIM_SOURCES = \
	shim/shim.h shim/shim_proto.h \
	shim/real.c shim/conn.c shim/conf.c shim/hosts.c shim/resolve.c \
	shim/sort.c
SHIM_CFLAGS = -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wswitch-enum -Wimplicit-fallthrough \
	-Wno-missing-field-initializers -fstack-protector-strong \
	-fno-strict-aliasing -fPIC -fvisibility=hidden $(SHIM_WERROR)
SHIM_CPPFLAGS = -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -I$(top_srcdir)/shim

shim_libegress_shim_so_SOURCES = $(SHIM_SOURCES) \
	shim/gai.c shim/gni.c shim/hostent.c shim/send.c
shim_libegress_shim_so_CPPFLAGS = $(SHIM_CPPFLAGS)
shim_libegress_shim_so_CFLAGS = $(SHIM_CFLAGS)
shim_libegress_shim_so_LDFLAGS = -shared -Wl,-z,relro -Wl,-z,now \
	-Wl,--no-undefined \
	-Wl,--version-script=$(top_srcdir)/shim/libegress-shim.map
shim_libegress_shim_so_LDADD = -ldl -lpthread
EXTRA_shim_libegress_shim_so_DEPENDENCIES = $(top_srcdir)/shim/libegress-shim.map
EXTRA_DIST += shim/libegress-shim.map

# Unit tests of the pure parts: configuration parsers, /etc/hosts, names,
# the RFC 6724 order
check_PROGRAMS += tests/unit/check_shim
TESTS += tests/unit/check_shim
tests_unit_check_shim_SOURCES = tests/unit/check_shim.c $(SHIM_SOURCES)
tests_unit_check_shim_CPPFLAGS = $(SHIM_CPPFLAGS)
tests_unit_check_shim_CFLAGS = $(SHIM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_shim_LDADD = $(CHECK_LIBS) -ldl -lpthread
