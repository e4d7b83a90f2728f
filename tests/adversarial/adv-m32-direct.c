// SPDX-License-Identifier: GPL-2.0-or-later
/* adv-m32-direct.c - the i386 ABI's direct socket calls (Linux 4.3+)
 *
 * usage: adv-m32-direct tcp|udp A.B.C.D PORT
 *
 * Like tests/helpers/es-m32-socketcall, but without socketcall(2): i386
 * has had one system call per socket operation since 4.3 (socket 359,
 * connect 362, sendto 369), a path a filter that only knows socketcall
 * misses. Built with -m32 and no libc: every call is an "int $0x80".
 * Prints "m32-socket RESULT", then "m32-connect RESULT" (tcp) or
 * "m32-sendto RESULT" (udp), RESULT being OK or a negative errno. Under
 * egress-supervise the first call must kill it (SIGSYS).
 */

#define NR_exit		1
#define NR_write	4
#define NR_socket	359
#define NR_connect	362
#define NR_sendto	369

struct sockaddr_in32 {
	unsigned short family;
	unsigned short port;
	unsigned int addr;
	unsigned char zero[8];
};

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;

	/* ebp carries the 6th argument; save it around the call */
	__asm__ volatile("push %%ebp\n\tmov %7, %%ebp\n\tint $0x80\n\tpop %%ebp"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e),
			   "g"(f)
			 : "memory");
	return ret;
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys6(NR_write, 1, (long)s, (long)slen(s), 0, 0, 0);
}

static void say_res(const char *what, long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	say(what);
	if (v >= 0) {
		say(" OK\n");
		return;
	}
	v = -v;
	buf[i--] = '\0';
	buf[i--] = '\n';
	do {
		buf[i--] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	buf[i] = '-';
	say(" ");
	say(buf + i);
}

static unsigned int parse_u(const char **s)
{
	unsigned int v = 0;

	while (**s >= '0' && **s <= '9')
		v = v * 10 + (unsigned int)(*(*s)++ - '0');
	return v;
}

static int run(int argc, char **argv)
{
	struct sockaddr_in32 sa = { .family = 2 };
	const char *p;
	unsigned int port;
	int udp, i;
	long s, r;

	if (argc != 4)
		return 2;
	udp = argv[1][0] == 'u';
	p = argv[2];
	for (i = 0; i < 4; i++) {
		sa.addr |= parse_u(&p) << (8 * i);
		if (*p == '.')
			p++;
	}
	p = argv[3];
	port = parse_u(&p);
	sa.port = (unsigned short)((port >> 8) | ((port & 0xff) << 8));

	s = sys6(NR_socket, 2, udp ? 2 : 1, 0, 0, 0, 0);
	say_res("m32-socket", s);
	if (s < 0)
		return 1;
	if (udp) {
		r = sys6(NR_sendto, s, (long)"adv-m32\n", 8, 0, (long)&sa,
			 sizeof(sa));
		say_res("m32-sendto", r);
	} else {
		r = sys6(NR_connect, s, (long)&sa, sizeof(sa), 0, 0, 0);
		say_res("m32-connect", r);
	}
	return r < 0;
}

/* No libc: the stack holds argc, argv[] */
__attribute__((used)) static void start_c(long *sp)
{
	long rc = run((int)sp[0], (char **)(sp + 1));

	sys6(NR_exit, rc, 0, 0, 0, 0, 0);
}

__asm__(".globl _start\n_start:\n\tmov %esp, %eax\n\tand $-16, %esp\n"
	"\tsub $12, %esp\n\tpush %eax\n\tcall start_c\n\thlt\n");
