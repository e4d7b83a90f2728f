// SPDX-License-Identifier: GPL-2.0-or-later
/* es-slowfs.c - a FUSE filesystem whose reads wait for a gate (test tool)
 *
 *   es-slowfs MOUNTPOINT GATE ADDR:PORT
 *
 * Mounts (as root, with mount(2): no libfuse, no fusermount) a filesystem
 * with regular files "f", "f1" ... "f999" (each its own inode) of one page, whose first bytes are a struct
 * sockaddr_in (or sockaddr_in6 for [ADDR]:PORT) for ADDR:PORT.  Every READ
 * is answered only once the file GATE exists (or after 60 s), and so is a
 * LOOKUP of any name starting with "slow" (then ENOENT): a path whose
 * resolution waits.  The other requests are answered at once, also while
 * those wait.  Page cache is
 * never kept across opens, so the first touch of a fresh mapping of "f"
 * waits for the gate: this is a file "on a slow network filesystem" in a
 * container, made to order.  Each read prints "read-waited MS" on stdout.
 *
 * Runs in the foreground until SIGTERM/SIGINT or unmount; the test
 * unmounts.  Handles only what open/mmap/read of one file needs.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <linux/fuse.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define PAGE	4096
#define FILE_INO	2

static uint8_t content[PAGE];
static const char *gate;

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = 1;
	a->blksize = PAGE;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = PAGE;
		a->blocks = PAGE / 512;
	}
}

static int reply(int fd, uint64_t unique, int err, const void *p, size_t n)
{
	uint8_t buf[sizeof(struct fuse_out_header) + PAGE];
	struct fuse_out_header *h = (struct fuse_out_header *)buf;

	if (n > PAGE)
		n = PAGE;
	h->len = (uint32_t)(sizeof(*h) + (err ? 0 : n));
	h->error = -err;
	h->unique = unique;
	if (!err && n)
		memcpy(buf + sizeof(*h), p, n);
	if (write(fd, buf, h->len) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* READs waiting for the gate */
#define MAX_WAITING	256
static struct waiting {
	bool lookup;
	uint64_t unique;
	uint64_t offset;
	uint32_t size;
	struct timespec t0;
} waiting[MAX_WAITING];
static unsigned int n_waiting;

static void answer_read(int fd, const struct waiting *w)
{
	size_t len = w->size;

	if (w->lookup) {
		printf("lookup-waited %ld\n", ms_since(&w->t0));
		fflush(stdout);
		reply(fd, w->unique, ENOENT, NULL, 0);
		return;
	}
	if (w->offset >= PAGE)
		len = 0;
	else if (w->offset + len > PAGE)
		len = PAGE - w->offset;
	printf("read-waited %ld\n", ms_since(&w->t0));
	fflush(stdout);
	reply(fd, w->unique, 0, content + (w->offset < PAGE ? w->offset : 0),
	      len);
}

/* Answer the waiting READs if the gate is open (or they waited 60 s) */
static void answer_waiting(int fd)
{
	bool open = !access(gate, F_OK);
	unsigned int i = 0;

	while (i < n_waiting) {
		if (open || ms_since(&waiting[i].t0) >= 60000) {
			answer_read(fd, &waiting[i]);
			waiting[i] = waiting[--n_waiting];
		} else {
			i++;
		}
	}
}

static int parse_addr(const char *s)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	size_t hl;
	int port;

	if (!colon || (hl = (size_t)(colon - s)) >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	port = atoi(colon + 1);
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)content;

		host[hl - 1] = 0;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)content;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

int main(int argc, char **argv)
{
	static uint8_t buf[FUSE_MIN_READ_BUFFER + (1 << 20)];
	char opts[128];
	int fd;

	if (argc != 4 || parse_addr(argv[3])) {
		fprintf(stderr, "usage: es-slowfs MOUNTPOINT GATE ADDR:PORT\n");
		return 2;
	}
	gate = argv[2];
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("es-slowfs: /dev/fuse");
		return 77;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("es-slowfs", argv[1], "fuse.es-slowfs", MS_NOSUID | MS_NODEV,
		  opts)) {
		perror("es-slowfs: mount");
		return 77;
	}

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		void *arg = buf + sizeof(*in);
		ssize_t n;

		answer_waiting(fd);
		if (poll(&pfd, 1, n_waiting ? 10 : -1) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			if (errno != ENODEV)	/* ENODEV: unmounted */
				perror("es-slowfs: read");
			return 0;
		}
		if ((size_t)n < sizeof(*in))
			continue;

		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *ii = arg;
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = ii->max_readahead,
				.max_background = 16,
				.congestion_threshold = 12,
				.max_write = PAGE,
				.time_gran = 1,
			};

			reply(fd, in->unique, 0, &o, sizeof(o));
			printf("ready\n");
			fflush(stdout);
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = { 0 };

			const char *name = arg;
			char *end;
			long k = 0;

			if (!strncmp(name, "slow", 4) &&
			    n_waiting < MAX_WAITING) {
				struct waiting *w = &waiting[n_waiting++];

				memset(w, 0, sizeof(*w));
				w->lookup = true;
				w->unique = in->unique;
				clock_gettime(CLOCK_MONOTONIC, &w->t0);
				break;
			}

			if (name[0] == 'f' && name[1])
				k = strtol(name + 1, &end, 10);
			if (in->nodeid != FUSE_ROOT_ID || name[0] != 'f' ||
			    (name[1] && (*end || k < 1 || k > 999))) {
				reply(fd, in->unique, ENOENT, NULL, 0);
				break;
			}
			e.nodeid = FILE_INO + (uint64_t)k;
			e.generation = 1;
			e.entry_valid = e.attr_valid = 3600;
			fill_attr(&e.attr, e.nodeid);
			reply(fd, in->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a = { .attr_valid = 3600 };

			fill_attr(&a.attr, in->nodeid);
			reply(fd, in->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			/* no FOPEN_KEEP_CACHE: each open starts uncached */
			struct fuse_open_out o = { .fh = 1 };

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			const struct fuse_read_in *r = arg;
			struct waiting w = { .unique = in->unique,
					     .offset = r->offset,
					     .size = r->size };

			clock_gettime(CLOCK_MONOTONIC, &w.t0);
			if (n_waiting == MAX_WAITING)
				answer_read(fd, &w);
			else
				waiting[n_waiting++] = w;
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;		/* no reply */
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
		case FUSE_FLUSH:
		case FUSE_FSYNC:
			reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_DESTROY:
			reply(fd, in->unique, 0, NULL, 0);
			return 0;
		default:
			reply(fd, in->unique, ENOSYS, NULL, 0);
			break;
		}
	}
}
