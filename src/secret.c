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
#define BURN_BYTES (32 * 1024)

struct secret_head {
	struct secret_head *next, *prev;
	size_t		    size; /* of the whole mapping */
	int		    locked;
};

/* The header's room, so that the caller's part stays aligned. */
#define HEAD_ROOM \
	((sizeof(struct secret_head) + alignof(max_align_t) - 1) / \
	    alignof(max_align_t) * alignof(max_align_t))

static struct secret_head *live;
static pthread_mutex_t	   live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t	   atfork_once = PTHREAD_ONCE_INIT;

int
secret_protect(int *was, char *err, size_t errlen)
{
	struct rlimit nocore = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &nocore) == -1) {
		snprintf(err, errlen, "cannot disable core dumps: %s",
		    strerror(errno));
		return -1;
	}
	if ((*was = prctl(PR_GET_DUMPABLE)) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0) == -1) {
		snprintf(err, errlen,
		    "cannot make the process non-dumpable: "
		    "%s",
		    strerror(errno));
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
	struct secret_head *h;

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
	struct secret_head *h;
	size_t		    page = (size_t)sysconf(_SC_PAGESIZE), size;

	pthread_once(&atfork_once, register_atfork);
	if (len > SIZE_MAX - HEAD_ROOM - page) {
		errno = ENOMEM;
		return NULL;
	}
	size = (len + HEAD_ROOM + page - 1) / page * page;
	h = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
			  "(%s): they may be written to swap",
		    size, strerror(errno));
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
	size_t len = strlen(s) + 1;
	char  *p;

	if ((p = secret_alloc(len)) != NULL)
		memcpy(p, s, len);
	return p;
}

void
secret_free(void *p)
{
	struct secret_head *h;
	size_t		    size;

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

/*
 * glibc's string functions copy through the vector registers, which keep
 * the last bytes they held: 32-byte pieces of the config text, say.  The
 * first call of a library function that is bound lazily (GnuTLS calling
 * nettle) saves every vector register on the stack (_dl_runtime_resolve_
 * xsave), where no wipe of ours reaches it: a copy of the token appeared
 * there, in memory not locked.  Zero them.  Not inlined: every vector
 * register is call-clobbered in the x86-64 ABI, so none holds a value of
 * the caller across this call, and no clobber list is needed; the
 * assembler takes the AVX-512 form whatever the compiler targets.
 */
static void __attribute__((noinline)) clear_vector_registers(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		__asm__ __volatile__("vpxord %zmm16, %zmm16, %zmm16\n\t"
				     "vpxord %zmm17, %zmm17, %zmm17\n\t"
				     "vpxord %zmm18, %zmm18, %zmm18\n\t"
				     "vpxord %zmm19, %zmm19, %zmm19\n\t"
				     "vpxord %zmm20, %zmm20, %zmm20\n\t"
				     "vpxord %zmm21, %zmm21, %zmm21\n\t"
				     "vpxord %zmm22, %zmm22, %zmm22\n\t"
				     "vpxord %zmm23, %zmm23, %zmm23\n\t"
				     "vpxord %zmm24, %zmm24, %zmm24\n\t"
				     "vpxord %zmm25, %zmm25, %zmm25\n\t"
				     "vpxord %zmm26, %zmm26, %zmm26\n\t"
				     "vpxord %zmm27, %zmm27, %zmm27\n\t"
				     "vpxord %zmm28, %zmm28, %zmm28\n\t"
				     "vpxord %zmm29, %zmm29, %zmm29\n\t"
				     "vpxord %zmm30, %zmm30, %zmm30\n\t"
				     "vpxord %zmm31, %zmm31, %zmm31");
	if (__builtin_cpu_supports("avx"))
		__asm__ __volatile__("vzeroall");
	else
		__asm__ __volatile__("pxor %xmm0, %xmm0\n\t"
				     "pxor %xmm1, %xmm1\n\t"
				     "pxor %xmm2, %xmm2\n\t"
				     "pxor %xmm3, %xmm3\n\t"
				     "pxor %xmm4, %xmm4\n\t"
				     "pxor %xmm5, %xmm5\n\t"
				     "pxor %xmm6, %xmm6\n\t"
				     "pxor %xmm7, %xmm7\n\t"
				     "pxor %xmm8, %xmm8\n\t"
				     "pxor %xmm9, %xmm9\n\t"
				     "pxor %xmm10, %xmm10\n\t"
				     "pxor %xmm11, %xmm11\n\t"
				     "pxor %xmm12, %xmm12\n\t"
				     "pxor %xmm13, %xmm13\n\t"
				     "pxor %xmm14, %xmm14\n\t"
				     "pxor %xmm15, %xmm15");
#endif
}

void __attribute__((noinline)) secret_burn_stack(void)
{
	volatile char stack[BURN_BYTES];

	explicit_bzero((void *)(uintptr_t)stack, sizeof(stack));
	/* keep the compiler from dropping or shrinking the array */
	__asm__ __volatile__("" : : "r"(stack) : "memory");
	clear_vector_registers();
}
