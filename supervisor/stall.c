// SPDX-License-Identifier: GPL-2.0-or-later
/* stall.c - a call that blocks on one target stalls only that target
 *
 * Theory of operation
 *
 * Why a read of target memory can block.  process_vm_readv() (and
 * /proc/PID/mem) fault the target's pages in from our thread, as the
 * target itself would.  A page of a file mapping comes from its
 * filesystem: on FUSE the read waits for the FUSE server, on NFS, CIFS or
 * 9p for the network server (for ever on a hard mount whose server is
 * gone), on a block device for the disk.  The read also takes the target's
 * mmap lock, which one of its own threads holds while its mmap() of such a
 * file waits for the server.  CMD cannot build such a file itself: the
 * filter denies userfaultfd (the syscall and /dev/userfaultfd) and new user
 * namespaces, CMD has no CAP_SYS_ADMIN to mount, and no_new_privs makes a
 * setuid fusermount inert (tests/integration/25-userns.sh and the
 * adversarial suite check each).  But it can use what the container has:
 * a FUSE or network volume the engine mounted (sshfs, s3fs or gcsfuse CSI
 * volumes, NFS claims), or a hung disk.  It maps such a file MAP_SHARED
 * without touching it, and passes an address in it to connect(): our read
 * then waits as long as the server does.  tests/adversarial's
 * fuse-page-stall does exactly that with a FUSE file whose reads wait.
 *
 * So the loop is not tied to one thread.  All supervisor code runs under
 * one lock, "big", held by the thread that runs the loop (the runner) and
 * released only in epoll_wait() and around each call that may block on a
 * target (stall_begin() ... stall_end(): the memory reads and writes of
 * target.c).  One other thread, the standby, wakes every STALL_TICK_MS
 * (STALL_ALERT_TICK_MS for STALL_ALERT_MS after a takeover, when more
 * may come); when it finds the runner away in the same call as at its
 * last tick, it takes the lock and becomes the runner.  The old runner, once its call
 * returns, takes the lock like anyone, finishes the notification it was
 * handling (with its own copy of the request, its own netcall buffers:
 * nothing it holds is shared), answers it, and becomes a spare.  A slow
 * read thus costs the other processes at most two ticks, once.
 *
 * The process whose memory stalled stays marked until that call returns;
 * its further notifications are parked (notify.c) instead of read, and run
 * when it returns: one stalled process never stalls the loop twice.
 *
 * Threads: one runner; the standby; spares (former runners back from
 * their call, waiting to become the standby); and those still away.  At
 * most STALL_THREADS_MAX in all; when none is left to take over, a read
 * is refused (EAGAIN, logged) rather than risked: fail closed, never
 * freeze.  Threads never exit before the process does.  Threads are made
 * only by main() before the loop and by a standby as it takes over, so
 * each inherits the supervisor's blocked signal set and its own
 * credentials: a thread away in a call may hold CMD's ids
 * (as_target_begin() spans the path lookup of an AF_UNIX connect) and its
 * capabilities dropped (privs.c), all per thread, never passed on.
 * Nothing shared is touched without the lock.  The calls bracketed: reads
 * and writes of target memory (target.c), and the lookup, connect and
 * send of an AF_UNIX path (netcall.c), which a FUSE or network file
 * system on the way can make as slow.  Each thread unshares its root,
 * working directory and umask (CLONE_FS), which nc_unix_bind() changes
 * for a moment; where that is refused, path lookups keep the lock
 * (stall_begin_fs()).
 *
 * Thread roles:  STANDBY -> RUNNER (takeover) -> away, demoted -> SPARE
 *                SPARE -> STANDBY (when there is none)
 */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "stall.h"
#include "target.h"
#include "util.h"

#define STALL_THREADS_MAX	16
#define STALL_TICK_MS		100
#define STALL_ALERT_TICK_MS	10	/* for a while after a takeover */
#define STALL_ALERT_MS		10000
#define STALL_STACK		(1024 * 1024)

/**
 * struct stall_thread - one thread that can run the loop
 * @th:		its handle
 * @away_tgid:	process whose memory its current call waits on, or 0
 * @demoted:	it lost the runner role while away; it finishes its
 *		notification, then stall_idle() makes it a spare
 */
struct stall_thread {
	pthread_t th;
	pid_t away_tgid;
	bool demoted;
};

static pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spare_cv = PTHREAD_COND_INITIALIZER;
static struct stall_thread threads[STALL_THREADS_MAX];
static unsigned int n_threads;		/* created, incl. the main thread */
static unsigned int n_idle;		/* standby and spares */
static struct stall_thread *runner, *standby;

/* Written by the runner only; read by the standby without the lock */
static atomic_ulong away_seq;		/* bumped at each runner's call */
static atomic_bool runner_away;
static _Atomic uint64_t alert_until;	/* shorter ticks until then */

/* Processes with a call of a demoted thread in flight, one entry each */
static pid_t stuck[STALL_THREADS_MAX];
static unsigned int n_stuck;

/* Each loop thread has its own root, working directory and umask */
static bool fs_private;

static int (*thread_init_fn)(void);
static void (*loop_fn)(void);
static void (*unpark_fn)(pid_t tgid);
static void (*resume_fn)(void);

static __thread struct stall_thread *self;

static uint64_t stall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void stall_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static void *stall_thread_main(void *arg);

/**
 * stall_spawn() - start one more idle thread, if the bound allows
 *
 * Called with the lock held; the new thread waits for it.
 *
 * Return: true if a thread was started
 */
static bool stall_spawn(void)
{
	struct stall_thread *st;
	pthread_attr_t attr;
	int ret;

	if (n_threads >= STALL_THREADS_MAX)
		return false;
	st = &threads[n_threads];
	memset(st, 0, sizeof(*st));
	if (pthread_attr_init(&attr))
		return false;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, STALL_STACK);
	ret = pthread_create(&st->th, &attr, stall_thread_main, st);
	pthread_attr_destroy(&attr);
	if (ret) {
		log_warn("cannot start a standby thread: %s", strerror(ret));
		return false;
	}
	n_threads++;
	n_idle++;
	return true;
}

/* After a takeover: make sure someone can take over from the new runner */
static void stall_need_standby(void)
{
	if (n_idle)
		pthread_cond_signal(&spare_cv);
	else
		stall_spawn();
}

/* One entry per demoted thread: never more than there are threads */
static void stuck_add(pid_t tgid)
{
	if (n_stuck < STALL_THREADS_MAX)
		stuck[n_stuck++] = tgid;
}

/* Return: true if no entry for @tgid is left */
static bool stuck_del(pid_t tgid)
{
	unsigned int i;

	for (i = 0; i < n_stuck; i++) {
		if (stuck[i] == tgid) {
			stuck[i] = stuck[--n_stuck];
			break;
		}
	}
	return !stall_stuck(tgid);
}

/**
 * stall_stuck() - does a call on this process's memory hang?
 * @tgid:	process
 *
 * Called with the lock held.
 *
 * Return: true while a thread that lost the runner role waits on it
 */
bool stall_stuck(pid_t tgid)
{
	unsigned int i;

	for (i = 0; i < n_stuck; i++)
		if (stuck[i] == tgid)
			return true;
	return false;
}

/* Cheap test for the common case, nothing hangs (lock held) */
bool stall_any(void)
{
	return n_stuck != 0;
}

/**
 * stall_takeover() - the standby becomes the runner
 * @me:		the standby; the lock is held
 */
static void stall_takeover(struct stall_thread *me)
{
	struct stall_thread *old = runner;

	old->demoted = true;
	stuck_add(old->away_tgid);
	log_warn("a call for pid %d hangs (on its memory or a file it "
		 "names): its calls wait for it, the others go on",
		 old->away_tgid);
	runner = me;
	standby = NULL;
	n_idle--;
	atomic_store(&runner_away, false);
	/* more may follow (a process tree that stalls on purpose): look
	 * closer for a while, so that each costs the others less */
	atomic_store(&alert_until, stall_now_ms() + STALL_ALERT_MS);
	stall_need_standby();
}

/**
 * stall_watch() - the standby's duty: take over from a runner that hangs
 * @me:		the standby; the lock is held, and held again on return
 *
 * Samples without the lock, so that the runner never waits for us; takes
 * the lock only when the runner was away in the same call at two ticks.
 */
static void stall_watch(struct stall_thread *me)
{
	unsigned long seen = 0;
	bool armed = false;

	pthread_mutex_unlock(&big);
	for (;;) {
		unsigned long seq;
		bool away;

		stall_sleep_ms(stall_now_ms() < atomic_load(&alert_until) ?
				       STALL_ALERT_TICK_MS : STALL_TICK_MS);
		seq = atomic_load(&away_seq);
		away = atomic_load(&runner_away);
		if (!away || !armed || seq != seen) {
			armed = away;
			seen = seq;
			continue;
		}
		pthread_mutex_lock(&big);
		if (atomic_load(&runner_away) &&
		    atomic_load(&away_seq) == seen) {
			stall_takeover(me);
			return;
		}
		pthread_mutex_unlock(&big);
		armed = false;
	}
}

/**
 * stall_idle() - wait until this thread runs the loop
 *
 * The loop calls it at the top of each iteration, with the lock held: the
 * runner goes on at once.  A thread back from a call during which it lost
 * the role first runs the notifications parked for the process it waited
 * on, then serves as standby or spare.
 */
void stall_idle(void)
{
	struct stall_thread *me = self;

	if (!me || me == runner)
		return;
	if (me->demoted) {
		pid_t tgid = me->away_tgid;

		me->demoted = false;
		me->away_tgid = 0;
		if (stuck_del(tgid) && unpark_fn)
			unpark_fn(tgid);
		n_idle++;
	}
	for (;;) {
		if (runner == me)
			return;
		if (!standby)
			standby = me;
		if (standby == me)
			stall_watch(me);
		else
			pthread_cond_wait(&spare_cv, &big);
	}
}

/* Is this thread (still) the one that runs the loop? */
bool stall_runner(void)
{
	return !self || self == runner;
}

void stall_lock(void)
{
	if (self)
		pthread_mutex_lock(&big);
}

void stall_unlock(void)
{
	if (self)
		pthread_mutex_unlock(&big);
}

/**
 * stall_begin() - about to make a call that may block on @t
 * @t:		the target whose memory the call touches
 *
 * Releases the lock until stall_end(); @t's slot stays ours meanwhile.
 * The runner refuses when no thread could take over from it.
 *
 * Return: 0, or -EAGAIN (the call must not be made; nothing changed)
 */
int stall_begin(struct target *t)
{
	struct stall_thread *me = self;
	static uint64_t warned_ms;

	if (!me)
		return 0;
	if (me == runner) {
		/* not stall_spawn(): this thread may hold CMD's ids */
		if (!n_idle) {
			if (!warned_ms || loop_now_ms() - warned_ms > 10000) {
				log_warn("every thread waits on a stalled "
					 "read: reads refused (EAGAIN) until "
					 "one returns");
				warned_ms = loop_now_ms() | 1;
			}
			return -EAGAIN;
		}
		/* a demoted thread keeps the process it hangs on */
		me->away_tgid = t->tgid;
		atomic_fetch_add(&away_seq, 1);
		atomic_store(&runner_away, true);
	}
	t->busy++;
	pthread_mutex_unlock(&big);
	return 0;
}

/**
 * stall_begin_fs() - stall_begin() for a call that resolves a path
 * @t:		the target it acts for
 *
 * A path is resolved from the calling thread's root and working
 * directory, which nc_unix_bind() changes for a moment (chroot() into the
 * target's root).  When every loop thread has its own (unshare(CLONE_FS)
 * worked), such a call can run without the lock like a memory read; when
 * not, it keeps the lock, and a file system that hangs it hangs the loop.
 *
 * Return: 1 if the lock was released (call stall_end()), 0 if kept, or
 * -EAGAIN as stall_begin()
 */
int stall_begin_fs(struct target *t)
{
	int ret;

	if (!self || !fs_private)
		return 0;
	ret = stall_begin(t);
	return ret ? ret : 1;
}

/**
 * stall_end() - the call started by stall_begin() returned
 * @t:		its target
 *
 * Takes the lock back.  A thread that lost the runner role meanwhile
 * carries on with its notification; stall_idle() retires it.
 */
void stall_end(struct target *t)
{
	struct stall_thread *me = self;

	if (!me)
		return;
	pthread_mutex_lock(&big);
	t->busy--;
	if (me == runner) {
		atomic_store(&runner_away, false);
		me->away_tgid = 0;
	}
	/* another thread may have changed the current listener */
	if (resume_fn)
		resume_fn();
}

static void *stall_thread_main(void *arg)
{
	struct stall_thread *me = arg;

	self = me;
	pthread_mutex_lock(&big);
	/* With the lock: the runner is in no chroot() of nc_unix_bind() */
	if ((fs_private && unshare(CLONE_FS)) ||
	    (thread_init_fn && thread_init_fn())) {
		log_warn("a standby thread cannot start: %s", strerror(errno));
		n_idle--;
		pthread_mutex_unlock(&big);
		return NULL;
	}
	loop_fn();	/* ends with exit() */
	return NULL;
}

/**
 * stall_init() - make the calling thread the runner, start a standby
 * @thread_init:	per-thread setup of each new thread (its buffers)
 * @loop:		what a new thread runs: the loop, then exit()
 * @unpark:		runs the notifications parked for a process
 * @resume:		restores what a thread back from a call needs that
 *			others may have changed meanwhile (its listener)
 *
 * Called once, before the loop; from here on the caller holds the lock.
 * Without a standby (no thread could be made) the loop runs on this
 * thread alone, as it would without this file.
 *
 * Return: 0, or -EAGAIN when running single-threaded (warned)
 */
int stall_init(int (*thread_init)(void), void (*loop)(void),
	       void (*unpark)(pid_t tgid), void (*resume)(void))
{
	thread_init_fn = thread_init;
	loop_fn = loop;
	unpark_fn = unpark;
	resume_fn = resume;
	/* Refused by some container seccomp profiles (docker's, without
	 * CAP_SYS_ADMIN): then path lookups stay under the lock */
	fs_private = !unshare(CLONE_FS);
	pthread_mutex_lock(&big);
	self = &threads[0];
	self->th = pthread_self();
	runner = self;
	n_threads = 1;
	if (!stall_spawn()) {
		/* Single-threaded, as before: every stall_*() does nothing */
		log_warn("WARNING: without a standby thread, a read of CMD's "
			 "memory that hangs stalls every process");
		pthread_mutex_unlock(&big);
		self = NULL;
		return -EAGAIN;
	}
	return 0;
}
