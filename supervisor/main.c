// SPDX-License-Identifier: GPL-2.0-or-later
/* main.c - egress-supervise: command line, setup, and the main loop */

#include <getopt.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "config.h"
#include "ca.h"
#include "control.h"
#include "dns_stub.h"
#include "filter.h"
#include "ingress_sock.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "mitm.h"
#include "lookup.h"
#include "netcall.h"
#include "notify.h"
#include "policy.h"
#include "privs.h"
#include "reaper.h"
#include "relay.h"
#include "resolvconf.h"
#include "spawn.h"
#include "stall.h"
#include "suggest.h"
#include "target.h"
#include "util.h"
#include "verdict.h"

#define DEFAULT_POLICY	"/etc/egress-supervise/policy.yaml"
/* The shim CMD gets in LD_PRELOAD; EGRESS_SUPERVISE_SHIM overrides */
#ifndef ES_SHIM_PATH
#define ES_SHIM_PATH	"/usr/local/lib/egress-supervise/libegress-shim.so"
#endif

struct options {
	const char *policy_path;
	const char **allow;
	size_t n_allow;
	int deny_errno;
	const char *log_path;
	bool set_user;
	uid_t uid;
	gid_t gid;
	bool dump_filter;
	bool allow_userns;
	unsigned int relay_idle_s;
	bool no_shim;
	bool shim_udp_connect;
	bool audit;
	const char **dns_upstream;
	size_t n_dns_upstream;
	const char **listen;
	size_t n_listen;
	const char *metrics;
	unsigned int metrics_interval;
	const char *control;
	char **argv;
};

static struct options opts;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: egress-supervise [OPTIONS] -- CMD [ARGS...]\n"
"       egress-supervise check FILE\n"
"       egress-supervise ca init|export [DIR]\n"
"       egress-supervise suggest [--all] [--min-wildcard N] LOG\n"
"       egress-supervise exec [--control PATH] [--] CMD [ARGS...]\n"
"\n"
"Run CMD with every connect and send decided by a domain policy.\n"
"\n"
"  --policy FILE       policy file (default: $EGRESS_SUPERVISE_POLICY, else\n"
"                      " DEFAULT_POLICY " if present,\n"
"                      else deny everything but loopback)\n"
"  --allow SPEC        allow DST[:PORTS][/PROTO]; DST is a name pattern, an\n"
"                      IP or a CIDR (repeatable, adds to the policy's rules)\n"
"  --deny-errno NAME   errno for denied calls (default: the policy's, EACCES)\n"
"  --audit             deny nothing: log what the policy would deny with\n"
"                      verdict audit (overrides the policy's mode)\n"
"  --log PATH          JSON lines, one per decision ('-': stderr, default)\n"
"  --metrics PATH|ADDR Prometheus text: a file rewritten atomically, or an\n"
"                      IP:PORT to serve GET /metrics on (read-only)\n"
"  --metrics-interval SECONDS  how often the file is rewritten (default 15)\n"
"  --control PATH|none the socket 'egress-supervise exec' talks to\n"
"                      (default: $EGRESS_SUPERVISE_CONTROL, else as root\n"
"                      /run/egress-supervise/control.sock, else\n"
"                      $XDG_RUNTIME_DIR/egress-supervise/control.sock)\n"
"  --user UID[:GID]    run CMD as this user (numbers or names)\n"
"  --dns-upstream ADDR DNS server the stub forwards allowed names to\n"
"                      (repeatable; default: the policy's dns.upstream, else\n"
"                      the nameservers of /etc/resolv.conf)\n"
"  --relay-idle-timeout SECONDS\n"
"                      close relayed connections idle this long (default:\n"
"                      never, so long streams live)\n"
"  --allow-userns      let CMD create user namespaces (weaker: inside one it\n"
"                      could mount FUSE and stall the supervisor's reads)\n"
"  --listen [ADDR]:PORT[/udp]\n"
"                      make a listening socket, filtered by the policy's\n"
"                      ingress rules, and pass it to CMD as fd 3, 4, ...\n"
"                      with LISTEN_FDS and LISTEN_PID (repeatable)\n"
"  --no-shim           do not preload libegress-shim.so into CMD (it only\n"
"                      makes lookups and some sends faster; the filter\n"
"                      decides either way)\n"
"  --shim-udp-connect  the shim connects an unconnected UDP socket to the\n"
"                      first peer it sends to (faster sends; replies from\n"
"                      other peers are then dropped: see the manual)\n"
"  --dump-filter       print the seccomp filter and exit\n"
"  -h, --help          this text\n"
"  -V, --version       the version\n"
"\n"
"Exit status: CMD's; 128+N if CMD was killed by signal N; 125 if\n"
"egress-supervise itself failed; 126 if CMD cannot run; 127 if not found.\n");
}

static int parse_user(const char *s, struct options *o)
{
	char buf[256], *colon, *end;
	struct passwd *pw = NULL;
	unsigned long v;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';

	errno = 0;
	v = strtoul(buf, &end, 10);
	if (*buf && !*end && !errno && v < (uid_t)-1) {
		o->uid = (uid_t)v;
		pw = getpwuid(o->uid);
		o->gid = pw ? pw->pw_gid : (gid_t)v;
	} else {
		pw = getpwnam(buf);
		if (!pw)
			return -EINVAL;
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
	}
	if (colon) {
		struct group *gr;

		errno = 0;
		v = strtoul(colon, &end, 10);
		if (*colon && !*end && !errno && v < (gid_t)-1) {
			o->gid = (gid_t)v;
		} else {
			gr = getgrnam(colon);
			if (!gr)
				return -EINVAL;
			o->gid = gr->gr_gid;
		}
	}
	o->set_user = true;
	return 0;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_POLICY = 256, OPT_ALLOW, OPT_DENY_ERRNO, OPT_LOG, OPT_USER,
	       OPT_DUMP_FILTER, OPT_DNS_UPSTREAM, OPT_ALLOW_USERNS,
	       OPT_RELAY_IDLE, OPT_LISTEN, OPT_NO_SHIM,
	       OPT_SHIM_UDP_CONNECT, OPT_AUDIT, OPT_METRICS,
	       OPT_METRICS_INTERVAL, OPT_CONTROL };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "allow", required_argument, NULL, OPT_ALLOW },
		{ "deny-errno", required_argument, NULL, OPT_DENY_ERRNO },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "user", required_argument, NULL, OPT_USER },
		{ "dump-filter", no_argument, NULL, OPT_DUMP_FILTER },
		{ "dns-upstream", required_argument, NULL, OPT_DNS_UPSTREAM },
		{ "allow-userns", no_argument, NULL, OPT_ALLOW_USERNS },
		{ "relay-idle-timeout", required_argument, NULL,
		  OPT_RELAY_IDLE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "no-shim", no_argument, NULL, OPT_NO_SHIM },
		{ "shim-udp-connect", no_argument, NULL, OPT_SHIM_UDP_CONNECT },
		{ "audit", no_argument, NULL, OPT_AUDIT },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "metrics-interval", required_argument, NULL,
		  OPT_METRICS_INTERVAL },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	o->allow = calloc((size_t)argc, sizeof(*o->allow));
	o->dns_upstream = calloc((size_t)argc, sizeof(*o->dns_upstream));
	o->listen = calloc((size_t)argc, sizeof(*o->listen));
	if (!o->allow || !o->dns_upstream || !o->listen)
		die("out of memory");

	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_POLICY:
			o->policy_path = optarg;
			break;
		case OPT_ALLOW:
			o->allow[o->n_allow++] = optarg;
			break;
		case OPT_DENY_ERRNO:
			/* the names the policy's deny_errno accepts */
			o->deny_errno = policy_errno_parse(optarg);
			if (o->deny_errno < 0)
				die("--deny-errno '%s': unknown errno name "
				    "(expected one of: EACCES, EPERM, "
				    "ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, "
				    "ETIMEDOUT)", optarg);
			break;
		case OPT_LOG:
			o->log_path = optarg;
			break;
		case OPT_USER:
			if (parse_user(optarg, o))
				die("--user '%s': no such user or group "
				    "(expected UID[:GID] or NAME[:GROUP])",
				    optarg);
			break;
		case OPT_DUMP_FILTER:
			o->dump_filter = true;
			break;
		case OPT_ALLOW_USERNS:
			o->allow_userns = true;
			break;
		case OPT_NO_SHIM:
			o->no_shim = true;
			break;
		case OPT_SHIM_UDP_CONNECT:
			o->shim_udp_connect = true;
			break;
		case OPT_AUDIT:
			o->audit = true;
			break;
		case OPT_METRICS:
			if (!*optarg)
				die("--metrics: empty (expected a file path "
				    "or IP:PORT)");
			o->metrics = optarg;
			break;
		case OPT_CONTROL:
			if (!*optarg)
				die("--control: empty (expected a socket path "
				    "or none)");
			o->control = optarg;
			break;
		case OPT_METRICS_INTERVAL: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || !v || v > 86400)
				die("--metrics-interval '%s': expected seconds "
				    "from 1 to 86400", optarg);
			o->metrics_interval = (unsigned int)v;
			break;
		}
		case OPT_DNS_UPSTREAM:
			o->dns_upstream[o->n_dns_upstream++] = optarg;
			break;
		case OPT_RELAY_IDLE: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || v > 86400 * 365)
				die("--relay-idle-timeout '%s': expected "
				    "seconds (0: never)", optarg);
			o->relay_idle_s = (unsigned int)v;
			break;
		}
		case OPT_LISTEN:
			o->listen[o->n_listen++] = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("egress-supervise %s\n"
			       "License GPL-2.0-or-later: GNU GPL version 2 "
			       "or later <https://gnu.org/licenses/gpl.html>\n"
			       "This is free software: you are free to change "
			       "and redistribute it.\n"
			       "There is NO WARRANTY, to the extent permitted "
			       "by law.\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_SUPERVISOR);
		}
	}
	if (o->dump_filter)
		return;
	if (optind >= argc) {
		fprintf(stderr, "egress-supervise: no command given "
				"(expected: egress-supervise [OPTIONS] -- CMD "
				"[ARGS...])\n");
		exit(EXIT_SUPERVISOR);
	}
	o->argv = argv + optind;

	if (!o->policy_path)
		o->policy_path = getenv("EGRESS_SUPERVISE_POLICY");
	if (o->policy_path && !*o->policy_path)
		o->policy_path = NULL;
	if (!o->policy_path && !access(DEFAULT_POLICY, F_OK))
		o->policy_path = DEFAULT_POLICY;
}

/* `egress-supervise check FILE`: the normalized policy, or its errors */
static int cmd_check(int argc, char **argv)
{
	struct policy *p;

	if (argc == 3 && (!strcmp(argv[2], "-h") ||
			  !strcmp(argv[2], "--help"))) {
		printf("Usage: egress-supervise check FILE\n\n"
		       "Print the normalized policy, or every error as "
		       "FILE:LINE:COL: message.\n");
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "Usage: egress-supervise check FILE\n");
		return 2;
	}
	p = policy_load(argv[2], NULL, 0, stderr);
	if (!p)
		return 1;
	policy_print(p, stdout);
	policy_free(p);
	return 0;
}

/* The policy with the command line's overrides (--allow, --audit) */
static struct policy *load_policy(void)
{
	struct policy *p;

	p = policy_load(opts.policy_path, opts.allow, opts.n_allow, stderr);
	if (p && opts.audit)
		policy_set_mode(p, POLICY_MODE_AUDIT);
	return p;
}

static void suggest_usage(FILE *f)
{
	fprintf(f,
"Usage: egress-supervise suggest [--all] [--min-wildcard N] [--log] LOG\n"
"\n"
"Print a minimal policy allowing what the decision log LOG ('-': standard\n"
"input) shows denied or audited.\n"
"\n"
"  --all             also cover what the log shows allowed\n"
"  --min-wildcard N  names below one domain (same proto and port) that\n"
"                    become *.domain (default 3; 0: never)\n");
}

/* `egress-supervise suggest LOG`: a policy from a decision log */
static int cmd_suggest(int argc, char **argv)
{
	struct suggest_opts o = { .min_wildcard = 3 };
	const char *path = NULL;
	FILE *in;
	int i, ret;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			o.all = true;
		} else if (!strcmp(argv[i], "--min-wildcard") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (!*argv[i] || *end || v > 1000) {
				fprintf(stderr, "egress-supervise suggest: "
					"--min-wildcard '%s': expected a "
					"number from 0 to 1000\n", argv[i]);
				return 2;
			}
			o.min_wildcard = (unsigned int)v;
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc && !path) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			suggest_usage(stdout);
			return 0;
		} else if ((argv[i][0] != '-' || !strcmp(argv[i], "-")) &&
			   !path) {
			path = argv[i];
		} else {
			suggest_usage(stderr);
			return 2;
		}
	}
	if (!path) {
		suggest_usage(stderr);
		return 2;
	}
	in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	if (!in) {
		fprintf(stderr, "egress-supervise suggest: %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	o.source = strcmp(path, "-") ? path : "standard input";
	ret = suggest_run(in, &o, stdout, stderr);
	if (in != stdin)
		fclose(in);
	return ret;
}

/* SIGHUP: read the policy again; keep the old one if the new is bad */
static void reload_policy(void)
{
	struct policy *old = verdict_policy(), *p;

	if (!opts.policy_path) {
		log_warn("SIGHUP: no policy file to reload");
		return;
	}
	p = load_policy();
	if (!p) {
		log_warn("SIGHUP: %s has errors; keeping the current policy",
			 opts.policy_path);
		return;
	}
	if (policy_has_ingress(p) != policy_has_ingress(old))
		log_warn("SIGHUP: the ingress section was %s: CMD's listen() "
			 "and bind() %s the supervisor until it is restarted",
			 policy_has_ingress(p) ? "added" : "removed",
			 policy_has_ingress(p) ? "do not reach" : "still reach");
	verdict_set_policy(p);
	policy_free(old);
	log_warn("SIGHUP: policy reloaded from %s%s", opts.policy_path,
		 policy_mode(p) == POLICY_MODE_AUDIT ? " (audit mode)" : "");
}

/*
 * The stub listens on the policy's dns.listen; upstream servers come from
 * --dns-upstream, else the policy, else the resolv.conf CMD would have used.
 * When the stub cannot listen (the address is taken: another stub, a host
 * resolver), CMD runs, loudly warned, with every DNS query denied: redirected
 * queries must never reach a resolver that is not ours.
 */
static void setup_dns(const struct policy *p)
{
	const char *listen = policy_dns_listen(p);
	const char *const *up = opts.dns_upstream;
	size_t n = opts.n_dns_upstream;
	char **conf = NULL;
	int ret;

	if (!n)
		n = policy_dns_upstream(p, &up);
	resolvconf_recover();
	if (!n) {
		n = resolvconf_nameservers(RESOLVCONF_PATH, &conf);
		up = (const char *const *)conf;
	}
	ret = dns_stub_init(listen, up, n);
	if (conf) {
		size_t i;

		for (i = 0; i < n; i++)
			free(conf[i]);
		free(conf);
	}
	if (ret) {
		log_warn("WARNING: the DNS stub cannot listen on %s:53 (%s); "
			 "every DNS query of CMD will be denied and name rules "
			 "match nothing. Set dns.listen in the policy to a free "
			 "loopback address.", listen, strerror(-ret));
		return;
	}
	ret = resolvconf_prepare(RESOLVCONF_PATH, listen);
	if (ret)
		log_warn("cannot prepare resolv.conf for CMD: %s",
			 strerror(-ret));
}

/**
 * raise_nofile() - the relay holds two sockets per connection it carries
 *
 * Called after CMD was started, so CMD keeps the limits it was given; the
 * supervisor takes its hard limit as its soft one.
 */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

/*
 * The shim, unless --no-shim: the file must exist (an installation without
 * it, or a test build, simply runs without); it only changes speed, so a
 * shim that cannot be set up is a warning, never a failure.
 */
static const char *setup_shim(void)
{
	const char *path = getenv("EGRESS_SUPERVISE_SHIM");
	int ret;

	if (opts.no_shim)
		return NULL;
	if (!path || !*path)
		path = ES_SHIM_PATH;
	if (access(path, R_OK))
		return NULL;
	if (strpbrk(path, " :")) {
		log_warn("shim path %s has a space or colon: not preloaded",
			 path);
		return NULL;
	}
	ret = lookup_init();
	if (ret) {
		log_warn("cannot listen for the shim's lookups (%s): running "
			 "CMD without the shim", strerror(-ret));
		return NULL;
	}
	return path;
}

/*
 * The loop.  Whichever thread runs it holds stall.c's lock, except in
 * epoll_wait() and in calls that may block on a target; a thread that lost
 * the loop during such a call finishes the event it was handling, leaves
 * the level-triggered rest of its batch to the new runner (it sees them
 * again), handles the relay's edge-triggered ones, and waits in
 * stall_idle().
 */
static uint64_t last_timer;

static int main_loop(void)
{
	struct epoll_event evs[64];
	int status, i, n;

	for (;;) {
		int timeout;

		stall_idle();
		timeout = relay_busy() ? 0 : dns_stub_timeout_ms(1000);
		stall_unlock();
		n = epoll_wait(loop_fd(), evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		stall_lock();
		clock_gettime(CLOCK_MONOTONIC, &loop_now);

		for (i = 0; i < n; i++) {
			union loop_ref ref = { .u64 = evs[i].data.u64 };

			if (!stall_runner()) {
				/* This thread lost the loop in a stalled call:
				 * the new runner sees level-triggered events
				 * again, but not the relay's edge-triggered
				 * ones, which are ours to handle */
				if (ref.type == LOOP_RELAY)
					relay_handler(ref, evs[i].events);
				continue;
			}
			switch ((enum loop_type)ref.type) {
			case LOOP_NOTIFY:
				notify_handler(ref, evs[i].events);
				break;
			case LOOP_SIGNAL:
				reaper_handler();
				break;
			case LOOP_PENDING:
				notify_pending_handler(ref, evs[i].events);
				break;
			case LOOP_DNS_UDP:
			case LOOP_DNS_TCP_LISTEN:
			case LOOP_DNS_TCP:
			case LOOP_DNS_UPSTREAM:
				dns_stub_handler(ref, evs[i].events);
				break;
			case LOOP_RELAY_LISTEN:
			case LOOP_RELAY:
				relay_handler(ref, evs[i].events);
				break;
			case LOOP_SHIM_LISTEN:
			case LOOP_SHIM:
				lookup_handler(ref, evs[i].events);
				break;
			case LOOP_METRICS_LISTEN:
			case LOOP_METRICS_CONN:
				metrics_handler(ref, evs[i].events);
				break;
			case LOOP_CONTROL_LISTEN:
			case LOOP_CONTROL:
			case LOOP_CONTROL_SPAWN:
				control_handler(ref, evs[i].events);
				break;
			case LOOP_NONE:
			case LOOP_TYPE_NUM:
				break;
			}
		}
		relay_run();
		if (!stall_runner())
			continue;
		dns_stub_timer();
		if (reaper_done(&status))
			return status;
		if (loop_now_ms() - last_timer >= 1000) {
			notify_timer();
			relay_timer();
			ingress_sock_timer();
			metrics_timer();
			control_timer();
			last_timer = loop_now_ms();
		}
	}
}

/* CMD's filter, kept for `egress-supervise exec` (control.c) */
static struct sock_fprog prog;

/* What every thread that runs the loop ends with: CMD's exit status */
__attribute__((noreturn)) static void loop_thread(void)
{
	int ret = main_loop();

	control_exit();
	filter_free(&prog);
	relay_shutdown();
	metrics_exit();
	resolvconf_restore();
	exit(ret);
}

int main(int argc, char **argv)
{
	struct spawn_opts so = { 0 };
	struct rlimit nofile;
	struct policy *p;
	sigset_t old_mask;
	int listener, ret, *lfds;
	size_t i;
	pid_t pid;

	if (argc >= 2 && !strcmp(argv[1], "check"))
		return cmd_check(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "ca"))
		return cmd_ca(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "suggest"))
		return cmd_suggest(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "exec"))
		return exec_client_main(argc, argv);

	parse_options(argc, argv, &opts);
	filter_allow_userns(opts.allow_userns);
	if (opts.dump_filter) {
		/* with --policy, as that policy would have it (ingress) */
		if (opts.policy_path) {
			p = policy_load(opts.policy_path, NULL, 0, stderr);
			if (!p)
				return EXIT_SUPERVISOR;
			filter_notify_ingress(policy_has_ingress(p));
			policy_free(p);
		}
		return filter_dump(stdout) ? EXIT_SUPERVISOR : 0;
	}

	p = load_policy();
	if (!p)
		return EXIT_SUPERVISOR;
	verdict_set_policy(p);
	verdict_set_deny_errno(opts.deny_errno);
	/* the CA key is read now, before CMD exists (ca.c) */
	if (mitm_init(p, opts.set_user ? opts.uid : getuid(), stderr))
		return EXIT_SUPERVISOR;

	ret = log_open(opts.log_path);
	if (ret)
		die("--log %s: %s", opts.log_path, strerror(-ret));
	if (policy_mode(p) == POLICY_MODE_AUDIT)
		log_warn("audit mode%s: nothing is denied; what the policy "
			 "would deny is logged with verdict audit",
			 opts.audit ? " (--audit)" : "");

	/* Nothing CMD runs may read or write our memory */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		die("prctl(PR_SET_DUMPABLE): %s", strerror(errno));

	filter_notify_ingress(policy_has_ingress(p));
	if (policy_has_ingress(p))
		ingress_sock_probe(p);
	filter_notify_unix_sockets(policy_unix_deny_fd_passing(p));
	ret = filter_build(getpid(), &prog);
	if (ret)
		die("building the seccomp filter: %s", strerror(-ret));
	if ((ret = loop_init()) || (ret = reaper_init(&old_mask)) ||
	    (ret = netcall_init()) || (ret = privs_init()) ||
	    (ret = relay_init(opts.relay_idle_s)))
		die("setting up: %s", strerror(-ret));
	target_init();
	verdict_init();
	reaper_on_hup(reload_policy);
	setup_dns(p);
	/* Before CMD runs: it must not take the port first */
	ret = metrics_init(opts.metrics, opts.metrics_interval ?
						 opts.metrics_interval : 15);
	if (ret)
		die("--metrics %s: %s", opts.metrics, strerror(-ret));

	/* Socket activation: made and filtered before CMD exists */
	lfds = calloc(opts.n_listen + 1, sizeof(*lfds));
	if (!lfds)
		die("out of memory");
	for (i = 0; i < opts.n_listen; i++) {
		if (!ingress_listen_open(opts.listen[i], &lfds[i]))
			continue;
		while (i--)
			close(lfds[i]);
		free(lfds);
		filter_free(&prog);
		return EXIT_SUPERVISOR;
	}

	so.argv = opts.argv;
	so.set_user = opts.set_user;
	so.uid = opts.uid;
	so.gid = opts.gid;
	so.prog = &prog;
	so.sigmask = &old_mask;
	so.private_resolv = resolvconf_ready();
	so.shim_path = setup_shim();
	so.shim_socket = lookup_socket_name();
	so.shim_udp_connect = opts.shim_udp_connect;
	so.no_fd_passing = policy_unix_deny_fd_passing(p);
	if (!getrlimit(RLIMIT_NOFILE, &nofile))
		so.nofile = &nofile;	/* before raise_nofile() */
	/* Before CMD runs: it must not take the path first.  The exec'd
	 * processes get the same options, filter program and shim included. */
	ret = control_init(opts.control, &so);
	if (ret)
		die("--control %s: %s", opts.control ? opts.control :
			getenv("EGRESS_SUPERVISE_CONTROL"), strerror(-ret));
	reaper_on_child(control_reaped);
	/* CMD's alone: after control_init() took its copy */
	so.listen_fds = lfds;
	so.n_listen_fds = opts.n_listen;
	ret = spawn_cmd(&so, &pid, &listener);
	for (i = 0; i < opts.n_listen; i++)
		close(lfds[i]);	/* CMD has them now */
	free(lfds);
	if (ret) {
		control_exit();
		filter_free(&prog);
		return ret;
	}
	reaper_set_cmd(pid);
	raise_nofile();
	ingress_sock_set_owner(pid, opts.argv[0]);

	ret = notify_init(listener);
	if (ret)
		die("listening for notifications: %s", strerror(-ret));

	/* -EAGAIN (single-threaded) is warned about and not fatal */
	stall_init(netcall_thread_init, loop_thread, notify_unpark,
		   notify_resume);
	loop_thread();
}
