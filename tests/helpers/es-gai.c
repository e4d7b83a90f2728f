// SPDX-License-Identifier: GPL-2.0-or-later
/* es-gai.c - test helper: name lookups, printed so that runs compare
 *
 *   es-gai [-f 0|4|6] [-t 0|stream|dgram|raw] [-p PROTO] [-F FLAG,...]
 *          NAME [SERVICE]
 *	getaddrinfo(): one line per entry
 *	  "ai FAMILY TYPE PROTO ADDR PORT [canon=NAME]", or "gai ERROR"
 *	FLAG: CANONNAME ADDRCONFIG V4MAPPED ALL NUMERICSERV PASSIVE
 *	NUMERICHOST DEFAULT (hints NULL)
 *   es-gai -H NAME		gethostbyname()
 *   es-gai -2 4|6 NAME		gethostbyname2()
 *   es-gai -R 4|6 NAME		gethostbyname2_r(), growing the buffer
 *	"he NAME aliases=A,B type=FAMILY addrs=X,Y" or "he h_errno=ERR"
 *   es-gai -N [-F FLAG,...] ADDR [PORT]	getnameinfo(): "ni HOST SERV" or
 *				"ni ERROR"; FLAG: NAMEREQD NUMERICSERV DGRAM
 *				NUMERICHOST NOFQDN
 *   es-gai -n COUNT ...		repeat; print once, then "rate=N/s"
 *   es-gai -T THREADS -n COUNT ...	threads look up in parallel; every
 *				result must equal the first ("stress ok N")
 *   es-gai -P PROCS -n COUNT ...	the same in forked children (each
 *				child also forks once mid-way)
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct {
	int family, socktype, protocol, flags;
	bool null_hints;
	char mode;		/* 'a' getaddrinfo, 'N', 'H', '2', 'R' */
	int he_af;
	const char *name, *service;
	long count;
	int threads, procs;
} o = { .mode = 'a', .count = 1 };

static const char *fam_str(int f)
{
	return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : "?";
}

static const char *type_str(int t)
{
	switch (t) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	default:
		return "?";
	}
}

static const char *eai_str(int e)
{
	static const struct {
		int e;
		const char *s;
	} t[] = {
		{ EAI_BADFLAGS, "EAI_BADFLAGS" }, { EAI_NONAME, "EAI_NONAME" },
		{ EAI_AGAIN, "EAI_AGAIN" },	  { EAI_FAIL, "EAI_FAIL" },
		{ EAI_FAMILY, "EAI_FAMILY" },	  { EAI_SOCKTYPE, "EAI_SOCKTYPE" },
		{ EAI_SERVICE, "EAI_SERVICE" },	  { EAI_MEMORY, "EAI_MEMORY" },
		{ EAI_SYSTEM, "EAI_SYSTEM" },	  { EAI_NODATA, "EAI_NODATA" },
		{ EAI_ADDRFAMILY, "EAI_ADDRFAMILY" }, { EAI_OVERFLOW, "EAI_OVERFLOW" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].s;
	return "EAI_?";
}

static const char *herr_str(int e)
{
	switch (e) {
	case HOST_NOT_FOUND:
		return "HOST_NOT_FOUND";
	case TRY_AGAIN:
		return "TRY_AGAIN";
	case NO_RECOVERY:
		return "NO_RECOVERY";
	case NO_DATA:
		return "NO_DATA";
	case NETDB_INTERNAL:
		return "NETDB_INTERNAL";
	default:
		return "?";
	}
}

/* One lookup, its printed result in @out */
static void lookup(char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
#define OUT(...)                                                            \
	do {                                                                \
		int w_ = snprintf(out + len, size - len, __VA_ARGS__);      \
		if (w_ > 0)                                                 \
			len = len + (size_t)w_ < size ? len + (size_t)w_    \
						      : size - 1;           \
	} while (0)
	if (o.mode == 'a') {
		struct addrinfo h = { .ai_family = o.family,
				      .ai_socktype = o.socktype,
				      .ai_protocol = o.protocol,
				      .ai_flags = o.flags };
		struct addrinfo *res = NULL, *ai;
		int r = getaddrinfo(o.name, o.service, o.null_hints ? NULL : &h,
				    &res);

		if (r) {
			OUT("gai %s\n", eai_str(r));
			return;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			char a[INET6_ADDRSTRLEN] = "?";
			int port = 0;

			if (ai->ai_family == AF_INET) {
				struct sockaddr_in *s = (void *)ai->ai_addr;

				inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
				port = ntohs(s->sin_port);
			} else if (ai->ai_family == AF_INET6) {
				struct sockaddr_in6 *s = (void *)ai->ai_addr;

				inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
				port = ntohs(s->sin6_port);
			}
			OUT("ai %s %s %d %s %d%s%s\n", fam_str(ai->ai_family),
			    type_str(ai->ai_socktype), ai->ai_protocol, a, port,
			    ai->ai_canonname ? " canon=" : "",
			    ai->ai_canonname ? ai->ai_canonname : "");
		}
		freeaddrinfo(res);
		return;
	}
	if (o.mode == 'N') {
		struct sockaddr_storage ss = { 0 };
		char host[NI_MAXHOST], serv[NI_MAXSERV];
		socklen_t sl;
		int r;

		if (strchr(o.name, ':')) {
			struct sockaddr_in6 *s6 = (void *)&ss;

			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, o.name, &s6->sin6_addr);
			s6->sin6_port = htons((uint16_t)atoi(o.service ? o.service : "0"));
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (void *)&ss;

			s4->sin_family = AF_INET;
			inet_pton(AF_INET, o.name, &s4->sin_addr);
			s4->sin_port = htons((uint16_t)atoi(o.service ? o.service : "0"));
			sl = sizeof(*s4);
		}
		r = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
				serv, sizeof(serv), o.flags);
		if (r)
			OUT("ni %s\n", eai_str(r));
		else
			OUT("ni %s %s\n", host, serv);
		return;
	}

	struct hostent *he = NULL, heb;
	char *buf = NULL;
	int herr = 0;

	if (o.mode == 'H') {
		he = gethostbyname(o.name);
		herr = h_errno;
	} else if (o.mode == '2') {
		he = gethostbyname2(o.name, o.he_af);
		herr = h_errno;
	} else {
		size_t bl = 16;
		int r;

		for (;;) {
			buf = realloc(buf, bl);
			r = gethostbyname2_r(o.name, o.he_af, &heb, buf, bl,
					     &he, &herr);
			if (r != ERANGE)
				break;
			bl *= 2;
		}
		if (r && !he)
			OUT("he_r rc=%d ", r);
	}
	if (!he) {
		OUT("he h_errno=%s\n", herr_str(herr));
		free(buf);
		return;
	}
	OUT("he %s aliases=", he->h_name);
	for (char **p = he->h_aliases; *p; p++)
		OUT("%s%s", p == he->h_aliases ? "" : ",", *p);
	OUT(" type=%s addrs=", fam_str(he->h_addrtype));
	for (char **p = he->h_addr_list; *p; p++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(he->h_addrtype, *p, a, sizeof(a));
		OUT("%s%s", p == he->h_addr_list ? "" : ",", a);
	}
	OUT("\n");
	free(buf);
#undef OUT
}

static char first[65536];
static volatile int mismatches;

static void *worker(void *arg)
{
	static __thread char got[65536];
	long i;

	(void)arg;
	for (i = 0; i < o.count; i++) {
		lookup(got, sizeof(got));
		if (strcmp(got, first)) {
			__atomic_add_fetch(&mismatches, 1, __ATOMIC_RELAXED);
			fprintf(stderr, "mismatch:\n%s---\n%s", got, first);
		}
	}
	return NULL;
}

static int stress_threads(void)
{
	pthread_t t[64];
	int i;

	for (i = 0; i < o.threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	return mismatches;
}

static int stress_procs(void)
{
	int i, status, bad = 0;

	for (i = 0; i < o.procs; i++) {
		if (fork() == 0) {
			pid_t g;

			o.count /= 2;
			worker(NULL);
			/* a grandchild, forked with the connection in use */
			g = fork();
			worker(NULL);
			if (g == 0)
				_exit(mismatches ? 1 : 0);
			waitpid(g, &status, 0);
			_exit(mismatches ||
				      !WIFEXITED(status) || WEXITSTATUS(status) ?
				      1 : 0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	return bad;
}

static int parse_flags(char *s)
{
	static const struct {
		const char *n;
		int f;
	} t[] = {
		{ "CANONNAME", AI_CANONNAME },	 { "ADDRCONFIG", AI_ADDRCONFIG },
		{ "V4MAPPED", AI_V4MAPPED },	 { "ALL", AI_ALL },
		{ "NUMERICSERV", AI_NUMERICSERV }, { "PASSIVE", AI_PASSIVE },
		{ "NUMERICHOST", AI_NUMERICHOST },
		{ "NAMEREQD", NI_NAMEREQD },	  { "NI_NUMERICSERV", NI_NUMERICSERV },
		{ "DGRAM", NI_DGRAM },		  { "NI_NUMERICHOST", NI_NUMERICHOST },
		{ "NOFQDN", NI_NOFQDN },
	};
	char *tok, *save = NULL;
	int f = 0;
	size_t i;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "DEFAULT")) {
			o.null_hints = true;
			continue;
		}
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (!strcmp(tok, t[i].n))
				break;
		if (i == sizeof(t) / sizeof(t[0])) {
			fprintf(stderr, "es-gai: unknown flag %s\n", tok);
			exit(2);
		}
		f |= t[i].f;
	}
	return f;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	char out[65536];
	int c;
	long i;

	while ((c = getopt(argc, argv, "f:t:p:F:NH2:R:n:T:P:")) != -1) {
		switch (c) {
		case 'f':
			o.family = atoi(optarg) == 4 ? AF_INET :
				   atoi(optarg) == 6 ? AF_INET6 : AF_UNSPEC;
			break;
		case 't':
			o.socktype = !strcmp(optarg, "stream") ? SOCK_STREAM :
				     !strcmp(optarg, "dgram") ? SOCK_DGRAM :
				     !strcmp(optarg, "raw") ? SOCK_RAW : 0;
			break;
		case 'p':
			o.protocol = atoi(optarg);
			break;
		case 'F':
			o.flags = parse_flags(optarg);
			break;
		case 'H':
		case 'N':
			o.mode = (char)c;
			break;
		case '2':
		case 'R':
			o.mode = (char)c;
			o.he_af = atoi(optarg) == 6 ? AF_INET6 : AF_INET;
			break;
		case 'n':
			o.count = atol(optarg);
			break;
		case 'T':
			o.threads = atoi(optarg) > 64 ? 64 : atoi(optarg);
			break;
		case 'P':
			o.procs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: see es-gai.c\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "es-gai: no name\n");
		return 2;
	}
	o.name = strcmp(argv[optind], "NULL") ? argv[optind] : NULL;
	o.service = optind + 1 < argc ? argv[optind + 1] : NULL;

	lookup(first, sizeof(first));
	fputs(first, stdout);
	fflush(stdout);
	if (o.threads || o.procs) {
		int bad = o.threads ? stress_threads() : stress_procs();

		printf(bad ? "stress FAILED %d\n" : "stress ok %d\n", bad);
		return bad ? 1 : 0;
	}
	if (o.count > 1) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 1; i < o.count; i++)
			lookup(out, sizeof(out));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("rate=%.0f/s\n",
		       (double)(o.count - 1) /
			       ((double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	}
	return 0;
}
