/*
 * secret.h - memory for credentials, kept out of swap and core files.
 *
 * The token is read from a file, parsed, kept for the sessions of a run
 * and turned into AUTH payloads.  Every buffer that holds it comes from
 * secret_alloc(): pages of their own, locked in RAM with mlock() where
 * the limits allow (a refusal is said under -v and is not fatal: the
 * pages may then be swapped), marked MADV_DONTDUMP so that no core file
 * holds them, and wiped and unmapped by secret_free().  Locks are not
 * inherited by a child of fork(): each child locks the live pages again.
 *
 * secret_protect() covers the rest of the process: RLIMIT_CORE 0 and the
 * process not dumpable (no core file at all, no ptrace or /proc/PID/mem
 * by the same user) while secrets are in memory; secret_unprotect() gives
 * back the dumpable state it found once they are wiped.
 *
 * This module keeps the list of live mappings for fork(); it is the only
 * state it has.
 */
#ifndef CFSENDMAIL_SECRET_H
#define CFSENDMAIL_SECRET_H

#include <stddef.h>

/*
 * RLIMIT_CORE 0 and not dumpable.  *was gets the dumpable state found,
 * for secret_unprotect().  0, or -1 with a one-line reason in err: then
 * a crash could write the token into a core file.
 */
int secret_protect(int *was, char *err, size_t errlen);
/* Put back the dumpable state (a set-group-ID process stays as it was). */
void secret_unprotect(int was);
/* len bytes, zeroed, on pages of their own; NULL with errno = ENOMEM. */
void *secret_alloc(size_t len);
/* A copy of s in secret memory; NULL when out of memory. */
char *secret_strdup(const char *s);
/* Wipe and unmap what secret_alloc() gave; NULL is fine. */
void secret_free(void *);
/*
 * Overwrite the stack below the caller, where a function that returned
 * (a parser given the config file's text, say) may have left a copy, and
 * zero the vector registers, which the lazy binder would otherwise save
 * on the stack at the next first call of a library function.
 */
void secret_burn_stack(void);

#endif
