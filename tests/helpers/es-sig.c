// SPDX-License-Identifier: GPL-2.0-or-later
/* es-sig.c - a CMD for exit status and signal forwarding tests
 *
 * es-sig exit CODE	exit with CODE at once
 * es-sig kill SIGNO	kill itself with SIGNO (default disposition)
 * es-sig mask 0		print the SigBlk, SigIgn lines of /proc/self/status
 * es-sig wait CODE	catch SIGTERM SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2,
 *			print "ready pid=N", and on the first signal print
 *			"got SIGNAME" and exit with CODE (after 10 s without
 *			a signal: print "timeout", exit 99)
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void nop(int sig)
{
	(void)sig;
}

static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
			    SIGUSR2 };

int main(int argc, char **argv)
{
	struct timespec ts = { .tv_sec = 10 };
	sigset_t set;
	int sig, code;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: es-sig exit|kill|wait N\n");
		return 2;
	}
	code = atoi(argv[2]);
	if (!strcmp(argv[1], "exit"))
		return code;
	if (!strcmp(argv[1], "kill")) {
		signal(code, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, code);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), code);
		pause();
		return 98;
	}
	if (!strcmp(argv[1], "mask")) {
		char line[256];
		FILE *f = fopen("/proc/self/status", "r");

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigBlk:", 7) ||
			    !strncmp(line, "SigIgn:", 7))
				fputs(line, stdout);
		return 0;
	}
	if (strcmp(argv[1], "wait"))
		return 2;

	/* An ignored signal is discarded even while blocked: catch them. */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		signal(sigs[i], nop);
		sigaddset(&set, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready pid=%d\n", getpid());
	sig = sigtimedwait(&set, NULL, &ts);
	if (sig < 0) {
		printf("timeout\n");
		return 99;
	}
	printf("got SIG%s\n", sigabbrev_np(sig));
	return code;
}
