/* SPDX-License-Identifier: MIT */
/* Launch mode: the user a command runs as. Under sudo the command runs as
 * the user who invoked sudo (SUDO_UID), --user USER chooses another one
 * (--user root keeps root); flowtrace-bpf itself stays root. The user is
 * resolved before the command starts (a bad one is a usage error), and the
 * child switches to it between fork and exec (runas_apply). */
#ifndef FT_RUNAS_H
#define FT_RUNAS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct runas {
	bool set; /* switch users in the child; false: the command runs as we do */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups, as initgroups(3) would set them */
	int ngroups;
	char *name;	 /* for USER and LOGNAME */
	char *home;	 /* for HOME */
	const char *why; /* "--user" or "SUDO_UID": what chose the user */
};

/* Where the user comes from: "--user SPEC" when spec is given, else the
 * invoking user when sudo_uid (SUDO_UID) names one other than root, else
 * nobody to switch to. A spec of digits only, and SUDO_UID, is a uid. Pure: exposed
 * for the unit tests. Returns 1 with *uid set, or with *name set (spec is
 * not a number); 0 when there is no user to switch to; -EINVAL when spec
 * is empty or sudo_uid is not a uid. */
int runas_pick(const char *spec, const char *sudo_uid, uid_t *uid, const char **name);

/* Fills as for --user spec (NULL: none) and the environment's SUDO_UID and
 * SUDO_GID (the invoking user's primary group, used when SUDO_UID chose
 * the user). Returns 0, or -errno with why and hint filled (-ENOENT: no
 * such user). */
int runas_resolve(struct runas *as, const char *spec, char *why, size_t whylen, char *hint,
		  size_t hintlen);

/* In the forked child, before exec: supplementary groups, gid, uid (real,
 * effective and saved), then HOME, USER and LOGNAME. Returns 0 or -errno;
 * a partial switch is never left running (the child exits on failure). */
int runas_apply(const struct runas *as);

void runas_free(struct runas *as);

#endif /* FT_RUNAS_H */
