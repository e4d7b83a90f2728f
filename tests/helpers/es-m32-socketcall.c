// SPDX-License-Identifier: GPL-2.0-or-later
/* es-m32-socketcall.c - reach socket()/connect() through the i386 ABI
 *
 * usage: es-m32-socketcall A.B.C.D PORT
 *
 * Built with -m32 and without libc: every system call is an "int $0x80",
 * which a native x86_64 seccomp filter sees with AUDIT_ARCH_I386. It prints
 * "m32 socket OK" / "m32 connect OK" (or the negative errno) when it is not
 * stopped. Under egress-supervise the first system call must kill it with
 * SIGSYS, so nothing ever reaches the destination.
 */

#define SYS_exit	1
#define SYS_write	4
#define SYS_socketcall	102
#define SC_SOCKET	1
#define SC_CONNECT	3

struct sockaddr_in32 {
	unsigned short family;
	unsigned short port;
	unsigned int addr;
	unsigned char zero[8];
};

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
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
	sys3(SYS_write, 1, (long)s, slen(s));
}

static void say_num(long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	int neg = v < 0;

	buf[i] = '\0';
	if (neg)
		v = -v;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	say(buf + i);
}

static unsigned long parse_num(const char **p)
{
	unsigned long v = 0;

	while (**p >= '0' && **p <= '9')
		v = v * 10 + *(*p)++ - '0';
	return v;
}

static void __attribute__((noreturn, used)) m32_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	struct sockaddr_in32 sa = { .family = 2 };
	unsigned long args[3];
	unsigned long port;
	const char *p;
	long fd, ret;

	if (argc != 3) {
		say("usage: es-m32-socketcall A.B.C.D PORT\n");
		sys3(SYS_exit, 2, 0, 0);
	}
	p = argv[1];
	for (int i = 0; i < 4; i++) {
		sa.addr |= parse_num(&p) << (8 * i);
		if (*p == '.')
			p++;
	}
	p = argv[2];
	port = parse_num(&p);
	sa.port = (unsigned short)(((port & 0xff) << 8) | (port >> 8));

	args[0] = 2;	/* AF_INET */
	args[1] = 1;	/* SOCK_STREAM */
	args[2] = 0;
	fd = sys3(SYS_socketcall, SC_SOCKET, (long)args, 0);
	say("m32 socket ");
	say_num(fd);
	say("\n");
	if (fd < 0)
		sys3(SYS_exit, 1, 0, 0);

	args[0] = fd;
	args[1] = (unsigned long)&sa;
	args[2] = sizeof(sa);
	ret = sys3(SYS_socketcall, SC_CONNECT, (long)args, 0);
	say("m32 connect ");
	say_num(ret);
	say("\n");
	sys3(SYS_exit, ret ? 1 : 0, 0, 0);
	__builtin_unreachable();
}

/* The entry point: hand the initial stack (argc, argv...) to m32_main with
 * the 16-byte alignment the i386 psABI expects at a call.
 */
__asm__(".globl _start\n"
	"_start:\n"
	"	movl %esp, %eax\n"
	"	andl $-16, %esp\n"
	"	subl $12, %esp\n"
	"	pushl %eax\n"
	"	call m32_main\n"
	"	hlt\n");
