/*
 * secret.c - memory for credentials; see secret.h.
 *
 * Each allocation is a mapping of its own that begins with a small
 * header: its size, whether it is locked, and its place in the list of
 * live mappings that a child of fork() locks again.
 */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"

/* How much stack secret_burn_stack() overwrites: the config parser's
 * frames with its line buffer, and more. */
#define BURN_BYTES	(32 * 1024)

struct secret_head {
	struct secret_head	*next, *prev;
	size_t			 size;		/* of the whole mapping */
	int			 locked;
};

/* The header's room, so that the caller's part stays aligned. */
#define HEAD_ROOM \
	((sizeof(struct secret_head) + alignof(max_align_t) - 1) / \
	alignof(max_align_t) * alignof(max_align_t))

static struct secret_head	*live;
static pthread_mutex_t		 live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t		 atfork_once = PTHREAD_ONCE_INIT;

int
secret_protect(int *was, char *err, size_t errlen)
{
	struct rlimit	 nocore = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &nocore) == -1) {
		snprintf(err, errlen, "cannot disable core dumps: %s",
		    strerror(errno));
		return -1;
	}
	if ((*was = prctl(PR_GET_DUMPABLE)) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0) == -1) {
		snprintf(err, errlen, "cannot make the process non-dumpable: "
		    "%s", strerror(errno));
		return -1;
	}
	return 0;
}

void
secret_unprotect(int was)
{
	/* 2 (suid_dumpable) cannot be set back, and is not ours to */
	if (was == 1)
		prctl(PR_SET_DUMPABLE, 1);
}

/* In a child of fork(): locks were not inherited; take them again. */
static void
relock(void)
{
	struct secret_head	*h;

	for (h = live; h != NULL; h = h->next)
		if (h->locked)
			h->locked = mlock(h, h->size) == 0;
	pthread_mutex_unlock(&live_lock);
}

static void
fork_prepare(void)
{
	pthread_mutex_lock(&live_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&live_lock);
}

static void
register_atfork(void)
{
	pthread_atfork(fork_prepare, fork_parent, relock);
}

void *
secret_alloc(size_t len)
{
	struct secret_head	*h;
	size_t			 page = (size_t)sysconf(_SC_PAGESIZE), size;

	pthread_once(&atfork_once, register_atfork);
	if (len > SIZE_MAX - HEAD_ROOM - page) {
		errno = ENOMEM;
		return NULL;
	}
	size = (len + HEAD_ROOM + page - 1) / page * page;
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	/* a kernel without MADV_DONTDUMP still has RLIMIT_CORE 0 and the
	 * process not dumpable */
	madvise(h, size, MADV_DONTDUMP);
	h->size = size;
	if (!(h->locked = mlock(h, size) == 0))
		log_trace("cannot lock %zu bytes of credentials in memory "
		    "(%s): they may be written to swap", size,
		    strerror(errno));
	pthread_mutex_lock(&live_lock);
	if ((h->next = live) != NULL)
		live->prev = h;
	live = h;
	pthread_mutex_unlock(&live_lock);
	return (char *)h + HEAD_ROOM;
}

char *
secret_strdup(const char *s)
{
	size_t	 len = strlen(s) + 1;
	char	*p;

	if ((p = secret_alloc(len)) != NULL)
		memcpy(p, s, len);
	return p;
}

void
secret_free(void *p)
{
	struct secret_head	*h;
	size_t			 size;

	if (p == NULL)
		return;
	h = (struct secret_head *)(void *)((char *)p - HEAD_ROOM);
	pthread_mutex_lock(&live_lock);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		live = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&live_lock);
	size = h->size;
	explicit_bzero(h, size);
	/* munmap() of locked pages unlocks them */
	munmap(h, size);
}

void __attribute__((noinline))
secret_burn_stack(void)
{
	volatile char	 stack[BURN_BYTES];

	explicit_bzero((void *)(uintptr_t)stack, sizeof(stack));
	/* keep the compiler from dropping or shrinking the array */
	__asm__ __volatile__("" : : "r"(stack) : "memory");
}
