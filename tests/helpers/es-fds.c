// SPDX-License-Identifier: GPL-2.0-or-later
/* es-fds.c - list the file descriptors this process was started with
 *
 * Prints one line "fd N TARGET" per open descriptor (the directory stream
 * used for listing is left out), then "fds N,M,..." on one line, so a test
 * can compare the set with "0,1,2".
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char list[4096] = "";
	struct dirent *de;
	size_t used = 0;
	DIR *d;
	int self;

	d = opendir("/proc/self/fd");
	if (!d) {
		perror("opendir /proc/self/fd");
		return 2;
	}
	self = dirfd(d);
	while ((de = readdir(d))) {
		char path[64], target[PATH_MAX];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("fd %d %s\n", fd, target);
		used += snprintf(list + used, sizeof(list) - used, "%s%d",
				 used ? "," : "", fd);
		if (used >= sizeof(list))
			break;
	}
	closedir(d);
	printf("fds %s\n", list);
	return 0;
}
