/*
 * privilege.h - the optional set-group-ID install.
 *
 * Installed set-group-ID to a dedicated group, cfsendmail lets any user
 * send mail with a token that only the group can read.  While the group
 * is effective the program can read the config and token and write the
 * queue; the caller controls argv, stdin and the environment, so:
 * privilege_sanitise() clears the environment and closes inherited
 * descriptors past stderr; -C drops the group for good
 * (privilege_drop()) before a caller-chosen file is read; once the token
 * is read and the queue entry created the group is lowered
 * (privilege_lower()) and raised again only around queue updates
 * (privilege_raise()).  Without set-group-ID every function does nothing.
 * Functions return 0, or -1 (with errno) when the change failed: the
 * caller must stop rather than go on with the wrong privilege.
 */
#ifndef CFSENDMAIL_PRIVILEGE_H
#define CFSENDMAIL_PRIVILEGE_H

/* 1 when running set-group-ID (saved gid differs from the real one). */
int privilege_is_setgid(void);
/* Clear the environment (PATH set to a fixed value) and close fds > 2. */
int privilege_sanitise(void);
int privilege_lower(void);
int privilege_raise(void);
/* 1 while lowered: the group can come back with privilege_raise(). */
int privilege_is_lowered(void);
/* Give up the group for good (real, effective and saved). */
int privilege_drop(void);

#endif
