// SPDX-License-Identifier: GPL-2.0-or-later
/* real.c - libc's own versions of the functions the shim interposes
 *
 * Found once with dlsym(RTLD_NEXT) in the constructor, before the program
 * runs (dlsym is not async-signal-safe: a send from a signal handler must
 * not be the first to look).  A wrapper called even earlier, from another
 * library's constructor, looks them up then.
 */

#include <dlfcn.h>
#include <stdlib.h>

#include "shim.h"

struct shim_real shim_real;

#define REAL(name)                                                           \
	do {                                                                 \
		if (!shim_real.name)                                         \
			*(void **)&shim_real.name = dlsym(RTLD_NEXT, #name); \
	} while (0)

void shim_real_init(void)
{
	REAL(getaddrinfo);
	REAL(gethostbyname);
	REAL(gethostbyname2);
	REAL(gethostbyname_r);
	REAL(gethostbyname2_r);
	REAL(sendto);
	REAL(sendmsg);
	REAL(sendmmsg);
	REAL(connect);
	REAL(getnameinfo);
	/* Without libc's own functions nothing can work: say so plainly */
	if (!shim_real.getaddrinfo || !shim_real.sendto ||
	    !shim_real.sendmsg || !shim_real.sendmmsg || !shim_real.connect ||
	    !shim_real.gethostbyname || !shim_real.gethostbyname2 ||
	    !shim_real.gethostbyname_r || !shim_real.gethostbyname2_r ||
	    !shim_real.getnameinfo)
		abort();
}

__attribute__((constructor)) static void shim_real_ctor(void)
{
	shim_real_init();
}
