// SPDX-License-Identifier: GPL-2.0-or-later
/* es-zombies.c - leave orphans for PID 1 to reap
 *
 * usage: es-zombies N
 *
 * Forks N children; each forks a grandchild and exits at once, so the
 * grandchild is re-parented to PID 1 of the pid namespace. Each grandchild
 * exits after 100 ms. After 1 s this process counts the zombies in /proc
 * (run it with a private /proc: unshare -pf --mount-proc) and prints
 * "zombies Z orphans-made N". Its own children are reaped by itself, so
 * every zombie left is an orphan PID 1 failed to reap.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_zombies(void)
{
	struct dirent *de;
	int z = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], line[256];
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "State:", 6)) {
				if (strchr(line, 'Z'))
					z++;
				break;
			}
		fclose(f);
	}
	closedir(d);
	return z;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0) {
			perror("fork");
			return 2;
		}
		if (p == 0) {
			if (fork() == 0) {
				usleep(100 * 1000);
				_exit(0);
			}
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	sleep(1);
	printf("zombies %d orphans-made %d pid=%d\n", count_zombies(), n,
	       getpid());
	return 0;
}
