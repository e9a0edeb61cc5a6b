// SPDX-License-Identifier: MIT
/* Runs every FT_TEST in its own child process. Usage: unit-tests [SUBSTRING]
 * runs the tests whose name contains SUBSTRING. Exits non-zero on any failure. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

extern const struct ft_test __start_ft_tests[];
extern const struct ft_test __stop_ft_tests[];

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	for (const struct ft_test *t = __start_ft_tests; t < __stop_ft_tests; t++) {
		if (only && !strstr(t->name, only))
			continue;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			t->fn();
			fflush(NULL);
			_exit(0);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0) {
			perror("waitpid");
			return 2;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok   %s\n", t->name);
			passed++;
		} else {
			if (WIFSIGNALED(status))
				printf("FAIL %s (%s, killed by signal %d)\n", t->name, t->file,
				       WTERMSIG(status));
			else
				printf("FAIL %s (%s)\n", t->name, t->file);
			failed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
