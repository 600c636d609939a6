/* check_regress.c — inputs that once broke closeloop, found by fuzzing
 * (tests/fuzz/regress/HARNESS/FILE), replayed by an ordinary test. Under
 * `make asan` this is where an old overflow would show again. */
#include <dirent.h>
#include <sys/stat.h>

#include "testutil.h"

#define REGRESS "tests/fuzz/regress"

/* Calls fn on every file of REGRESS/name; returns how many there were. */
static int
each_input(const char *name, void (*fn)(const char *path, const char *data, size_t len))
{
	char dir[256], path[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof dir, REGRESS "/%s", name);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct cl_error err = { 0 };
		char *data = NULL;
		size_t len = 0;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		ck_assert_int_eq(cl_read_file(&data, &len, path, 1 << 20, &err), 0);
		fn(path, data, len);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

static void
parse_one(const char *path, const char *data, size_t len)
{
	struct cl_error err = { 0 };
	struct cl_pm_doc *doc = NULL;
	/* exact-size copy: a read past the end is caught by ASan */
	char *copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	if (cl_parse_document(&doc, copy, len, cl_days_from_civil(2024, 1, 1), &err) == 0)
		cl_pm_doc_free(doc);
	free(copy);
	(void)path;
}

static void
config_one(const char *path, const char *data, size_t len)
{
	struct cl_config *cfg = NULL;
	struct cl_error err = { 0 };
	int rc;

	chmod(path, 0600);
	rc = cl_config_load(&cfg, path, &err);
	/* these inputs are all broken configs: an error naming the file */
	ck_assert_int_eq(rc, CL_ECONFIG);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
	(void)data;
	(void)len;
}

START_TEST(test_parse_regressions)
{
	ck_assert_int_ge(each_input("parse", parse_one), 1);
}
END_TEST

START_TEST(test_config_regressions)
{
	ck_assert_int_ge(each_input("config", config_one), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("regress");
	TCase *tc = tcase_create("regress");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_parse_regressions);
	tcase_add_test(tc, test_config_regressions);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
