// SPDX-License-Identifier: GPL-2.0-or-later
/* privs.c - perform CMD's calls without the supervisor's capabilities
 *
 * The supervisor makes CMD's connects and sends itself, and the kernel
 * judges some of them by the capabilities of whoever makes the call: a
 * netlink message with a destination address is checked against the
 * sender's CAP_NET_ADMIN only (__netlink_ns_capable(), NETLINK_SKB_DST),
 * an SO_MARK or IP_TRANSPARENT control message likewise.  Made with our
 * capabilities, they would let CMD add a tunnel device and route an
 * allowed address into it: a way out.  So every performed call runs with
 * an empty effective set, which is never more than CMD has (its bounding
 * set lacks CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE).
 *
 * Raw capset(2): it changes this thread only, costs one syscall each way,
 * and allocates nothing.  The permitted set is kept, so raising is always
 * allowed.
 */

#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>

#include "log.h"
#include "privs.h"
#include "util.h"

static struct __user_cap_header_struct hdr = {
	.version = _LINUX_CAPABILITY_VERSION_3,
};
static struct __user_cap_data_struct full[2], none[2];
static int dropped;

/**
 * privs_init() - remember our effective set
 *
 * Return: 0 or -errno
 */
int privs_init(void)
{
	if (syscall(SYS_capget, &hdr, full))
		return -errno;
	memcpy(none, full, sizeof(none));
	none[0].effective = 0;
	none[1].effective = 0;
	return 0;
}

/* Before a call performed for CMD */
void privs_drop(void)
{
	if (!full[0].effective && !full[1].effective)
		return;
	if (syscall(SYS_capset, &hdr, none))
		die("cannot drop our capabilities: %s", strerror(errno));
	dropped = 1;
}

/**
 * privs_drop_keep() - like privs_drop(), but keep the capabilities in
 * @keep (a CAP_* bit mask) that we have
 * @keep:	typically the target's own effective set: a bind() we make
 *		for CMD may then use a privileged port exactly when CMD
 *		could (CAP_NET_BIND_SERVICE)
 */
void privs_drop_keep(uint64_t keep)
{
	struct __user_cap_data_struct some[2];

	memcpy(some, full, sizeof(some));
	some[0].effective = full[0].effective & (uint32_t)keep;
	some[1].effective = full[1].effective & (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, some))
		die("cannot drop our capabilities: %s", strerror(errno));
	dropped = 1;
}

/* After it */
void privs_raise(void)
{
	if (!dropped)
		return;
	if (syscall(SYS_capset, &hdr, full))
		die("cannot restore our capabilities: %s", strerror(errno));
	dropped = 0;
}
