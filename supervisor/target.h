/* SPDX-License-Identifier: GPL-2.0-or-later */
/* target.h - handles on the processes whose calls we decide */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * struct target - one thread that made a notified call (cached)
 * @pid:	its thread id, as the notification reports it
 * @tgid:	its process (thread group) id
 * @pidfd:	pidfd for that thread (PIDFD_THREAD where the kernel has it)
 * @memfd:	/proc/PID/mem, opened when process_vm_readv is refused
 * @comm:	its command name when first seen
 * @pending:	emulated calls of this thread still waiting for the kernel
 * @busy:	calls on its memory in flight without the loop's lock
 *		(stall.c): the slot must not be reused meanwhile
 */
struct target {
	pid_t pid;
	pid_t tgid;
	int pidfd;
	int memfd;
	char comm[16];
	unsigned int pending;
	unsigned int busy;
};

void target_init(void);
struct target *target_get(pid_t pid);
bool target_pending_get(struct target *t, unsigned int max);
void target_pending_put(struct target *t);
int target_read(struct target *t, void *dst, uint64_t addr, size_t len);
int target_read2(struct target *t, void *dst1, uint64_t addr1, size_t len1,
		 void *dst2, uint64_t addr2, size_t len2);
int target_write(struct target *t, uint64_t addr, const void *src,
		 size_t len);
int target_getfd(struct target *t, int fd);
int target_signal(struct target *t, int sig);

#endif /* TARGET_H */
