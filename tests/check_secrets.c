/* check_secrets.c — how secrets are held: wiped with explicit_bzero, read
 * only from 0600 files or the environment, never in an error message. */
#include <sys/stat.h>

#include "testutil.h"

static char *dir;

static void
setup(void)
{
	dir = tu_tmpdir();
}

static void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	unsetenv("CL_CHECK_SECRET");
}

START_TEST(wipe_zeroes_in_place)
{
	char *s = cl_strdup("hunter2-token");
	size_t i, n = strlen(s);

	cl_secret_wipe(s);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(s[i], 0);
	free(s);
	cl_secret_wipe(NULL);
	cl_secret_free(NULL);
	cl_secret_free(cl_strdup("x"));
}
END_TEST

/* Loads a config file written with mode. */
static int
load(struct cl_config **cfg, const char *text, mode_t mode, struct cl_error *err)
{
	char path[1100];

	tu_write(dir, "config", text);
	snprintf(path, sizeof path, "%s/config", dir);
	ck_assert_int_eq(chmod(path, mode), 0);
	return cl_config_load(cfg, path, err);
}

START_TEST(inline_secret_needs_0600)
{
	struct cl_config *cfg = NULL;
	struct cl_error err = { 0 };
	char *tok = NULL;

	ck_assert_int_eq(load(&cfg, "[tracker]\ntoken = s3cr3t-inline\n", 0644, &err), CL_ECONFIG);
	ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
	cl_config_free(cfg);
	cfg = NULL;
	cl_error_clear(&err);
	ck_assert_int_eq(load(&cfg, "[tracker]\ntoken = s3cr3t-inline\n", 0600, &err), 0);
	ck_assert_int_eq(cl_config_secret(&tok, cfg, "tracker", "token", &err), 0);
	ck_assert_str_eq(tok, "s3cr3t-inline");
	cl_secret_free(tok);
	cl_config_free(cfg);
}
END_TEST

START_TEST(secret_file_needs_0600)
{
	struct cl_config *cfg = NULL;
	struct cl_error err = { 0 };
	char text[1200], path[1100];
	char *tok = NULL;

	tu_write(dir, "tok", "s3cr3t-from-file\n");
	snprintf(path, sizeof path, "%s/tok", dir);
	ck_assert_int_eq(chmod(path, 0640), 0);
	snprintf(text, sizeof text, "[tracker]\ntoken_file = %s\n", path);
	ck_assert_int_eq(load(&cfg, text, 0644, &err), 0);
	ck_assert_int_ne(cl_config_secret(&tok, cfg, "tracker", "token", &err), 0);
	ck_assert_ptr_null(tok);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
	cl_error_clear(&err);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(cl_config_secret(&tok, cfg, "tracker", "token", &err), 0);
	ck_assert_str_eq(tok, "s3cr3t-from-file");
	cl_secret_free(tok);
	cl_config_free(cfg);
}
END_TEST

START_TEST(secret_from_environment)
{
	struct cl_config *cfg = NULL;
	struct cl_error err = { 0 };
	char *tok = NULL;

	ck_assert_int_eq(load(&cfg, "[tracker]\ntoken_env = CL_CHECK_SECRET\n", 0644, &err), 0);
	ck_assert_int_ne(cl_config_secret(&tok, cfg, "tracker", "token", &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "CL_CHECK_SECRET"));
	cl_error_clear(&err);
	setenv("CL_CHECK_SECRET", "s3cr3t-env", 1);
	ck_assert_int_eq(cl_config_secret(&tok, cfg, "tracker", "token", &err), 0);
	ck_assert_str_eq(tok, "s3cr3t-env");
	cl_secret_free(tok);
	cl_config_free(cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("secrets");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wipe_zeroes_in_place);
	tcase_add_test(tc, inline_secret_needs_0600);
	tcase_add_test(tc, secret_file_needs_0600);
	tcase_add_test(tc, secret_from_environment);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
