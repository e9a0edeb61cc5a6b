// SPDX-License-Identifier: MIT
/* Launch mode's user switch: which user (--user, SUDO_UID), resolved
 * through the passwd and group databases before the fork, applied in the
 * child before exec. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sys/parse.h"
#include "app/runas.h"

static int parse_uid(const char *s, uid_t *uid)
{
	long v;

	/* (uid_t)-1 means "unchanged" to setresuid: never a user */
	if (parse_int(s, 0, 0x7ffffffe, &v))
		return -EINVAL;
	*uid = (uid_t)v;
	return 0;
}

int runas_pick(const char *spec, const char *sudo_uid, uid_t *uid, const char **name)
{
	*name = NULL;
	if (spec) {
		if (!*spec)
			return -EINVAL;
		/* all digits: a uid (names may start with a digit) */
		if (spec[strspn(spec, "0123456789")] == 0)
			return parse_uid(spec, uid) ? -EINVAL : 1;
		*name = spec;
		return 1;
	}
	if (!sudo_uid || !*sudo_uid)
		return 0;
	if (parse_uid(sudo_uid, uid))
		return -EINVAL;
	/* sudo run by root: root it is */
	return *uid ? 1 : 0;
}

int runas_resolve(struct runas *as, const char *spec, char *why, size_t whylen, char *hint,
		  size_t hintlen)
{
	const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
	const char *name;
	struct passwd *pw;
	uid_t uid = 0;
	int rc;

	memset(as, 0, sizeof(*as));
	as->why = spec ? "--user" : "SUDO_UID";
	rc = runas_pick(spec, sudo_uid, &uid, &name);
	if (rc == -EINVAL) {
		if (spec)
			snprintf(why, whylen, "invalid --user '%s': expected a user name or uid",
				 spec);
		else
			snprintf(why, whylen, "SUDO_UID '%s' is not a uid", sudo_uid);
		snprintf(hint, hintlen,
			 "give --user USER (a name or uid), or --user root to run "
			 "the command as root");
		return -EINVAL;
	}
	if (rc == 0)
		return 0;
	errno = 0;
	pw = name ? getpwnam(name) : getpwuid(uid);
	if (!pw) {
		int e = errno ? errno : ENOENT;

		if (name)
			snprintf(why, whylen, "no user '%s'%s%s", name, e == ENOENT ? "" : ": ",
				 e == ENOENT ? "" : strerror(e));
		else
			snprintf(why, whylen, "no user with uid %u (%s)%s%s", (unsigned)uid,
				 as->why, e == ENOENT ? "" : ": ", e == ENOENT ? "" : strerror(e));
		snprintf(hint, hintlen,
			 "the command runs as the user --user names (default under "
			 "sudo: the invoking user); --user root keeps root");
		return -ENOENT;
	}
	as->uid = pw->pw_uid;
	as->gid = pw->pw_gid;
	/* sudo records the invoking user's primary group: keep it */
	if (!spec && sudo_gid && *sudo_gid) {
		uid_t g;

		if (parse_uid(sudo_gid, &g) == 0)
			as->gid = (gid_t)g;
	}
	as->name = strdup(pw->pw_name);
	as->home = strdup(pw->pw_dir);
	if (!as->name || !as->home)
		goto nomem;
	int n = 64;
	for (;;) {
		gid_t *g = realloc(as->groups, n * sizeof(*g));
		int want = n;

		if (!g)
			goto nomem;
		as->groups = g;
		if (getgrouplist(as->name, as->gid, as->groups, &want) >= 0) {
			as->ngroups = want;
			break;
		}
		if (want <= n) /* no progress: give up on a database that keeps growing */
			want = n * 2;
		if (want > 65536) {
			snprintf(why, whylen, "cannot list the groups of user '%s'", as->name);
			hint[0] = 0;
			runas_free(as);
			return -E2BIG;
		}
		n = want;
	}
	as->set = true;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	hint[0] = 0;
	runas_free(as);
	return -ENOMEM;
}

int runas_apply(const struct runas *as)
{
	if (!as || !as->set)
		return 0;
	/* groups and gid first: after setresuid there is no privilege left
	 * to change them */
	if (setgroups(as->ngroups, as->groups) < 0 || setresgid(as->gid, as->gid, as->gid) < 0 ||
	    setresuid(as->uid, as->uid, as->uid) < 0)
		return -errno;
	/* A uid change makes the process non-dumpable until its exec, which
	 * resets it (real and effective ids are equal then). Nothing reads
	 * this process's /proc files before that, and root's ptrace (already
	 * attached) does not depend on it; dumpable again here keeps it so
	 * should that change. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (setenv("HOME", as->home, 1) || setenv("USER", as->name, 1) ||
	    setenv("LOGNAME", as->name, 1))
		return -errno;
	return 0;
}

void runas_free(struct runas *as)
{
	free(as->groups);
	free(as->name);
	free(as->home);
	as->groups = NULL;
	as->name = as->home = NULL;
	as->ngroups = 0;
	as->set = false;
}
