/* testutil.h — helpers shared by the Check suites: temporary directories and
 * a fresh database per test. */
#ifndef CL_TESTUTIL_H
#define CL_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "closeloop.h"

/* Makes a fresh temporary directory; the caller owns the path. */
static inline char *
tu_tmpdir(void)
{
	char tmpl[] = "/tmp/cltest.XXXXXX";
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

/* Removes a directory tree made by tu_tmpdir. */
static inline void
tu_rmtree(const char *dir)
{
	char cmd[1024];
	if (dir == NULL || strncmp(dir, "/tmp/cltest.", 12) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "unable to remove %s\n", dir);
}

/* Writes text to dir/name (creating subdirectories is the caller's job). */
static inline void
tu_write(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(text, 1, strlen(text), f);
	fclose(f);
}

/* Opens a fresh database in dir. */
static inline struct cl_store *
tu_store(const char *dir)
{
	struct cl_error err = { 0 };
	struct cl_store *st = NULL;
	char path[1024];
	snprintf(path, sizeof path, "%s/test.db", dir);
	ck_assert_msg(cl_store_open(&st, path, CL_STORE_CREATE, &err) == 0, "%s", err.msg);
	return st;
}

/* Runs a suite and returns the process exit status. */
static inline int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
