/* check_limits.c — input limits: each one ends in a clear CL_EDATA naming
 * the problem, in bounded time, and pathological Markdown that stays under
 * the limits neither crashes nor takes long. (Items per document:
 * check_parse; file size: check_import; HTTP size/time: check_http and
 * t82; SMTP reply time: check_mail.) */
#include <time.h>

#include "testutil.h"

static int ref;

static void
setup(void)
{
	ref = cl_days_from_civil(2024, 3, 1);
}

/* Parses text; returns the result code and fills err. */
static int
parse(const char *text, size_t len, struct cl_error *err)
{
	struct cl_pm_doc *doc = NULL;
	int rc = cl_parse_document(&doc, text, len, ref, err);
	cl_pm_doc_free(doc);
	return rc;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(cells_per_document)
{
	struct cl_buf b = CL_BUF_INIT;
	struct cl_error err = { 0 };
	int rows = CL_PARSE_MAX_CELLS / 4 + 10, i;
	double t0 = now_s();

	cl_buf_puts(&b, "# Too many cells\n\n## Action items\n\n"
	            "| Action | Owner | Due | Status |\n|---|---|---|---|\n");
	for (i = 0; i < rows; i++)
		cl_buf_printf(&b, "| a%d | b | c | d |\n", i);
	ck_assert(!b.oom);
	ck_assert_int_eq(parse(b.data, b.len, &err), CL_EDATA);
	ck_assert_msg(strstr(err.msg, "too many table cells") != NULL, "%s", err.msg);
	ck_assert_double_lt(now_s() - t0, 20.0);
	cl_buf_release(&b);
}
END_TEST

START_TEST(cells_just_under_the_limit)
{
	struct cl_buf b = CL_BUF_INIT;
	struct cl_error err = { 0 };
	int i;

	/* one table, many columns: not items, but cells all the same */
	cl_buf_puts(&b, "# Wide\n\n| ");
	for (i = 0; i < 2000; i++)
		cl_buf_printf(&b, "c%d | ", i);
	cl_buf_puts(&b, "\n|");
	for (i = 0; i < 2000; i++)
		cl_buf_puts(&b, "---|");
	cl_buf_puts(&b, "\n");
	ck_assert(!b.oom);
	ck_assert_int_eq(parse(b.data, b.len, &err), 0);
	cl_buf_release(&b);
}
END_TEST

/* Pathological shapes under every limit: fine, and fast. */
START_TEST(pathological_markdown)
{
	struct cl_error err = { 0 };
	struct cl_buf b = CL_BUF_INIT;
	double t0;
	int i, rc;

	/* 20,000 nested block quotes */
	for (i = 0; i < 20000; i++)
		cl_buf_putc(&b, '>');
	cl_buf_puts(&b, " deep\n");
	/* 20,000 nested list levels */
	for (i = 0; i < 20000; i++)
		cl_buf_puts(&b, "- ");
	cl_buf_puts(&b, "[ ] task\n");
	/* one 2 MiB line of emphasis markers and brackets */
	for (i = 0; i < (1 << 19); i++)
		cl_buf_puts(&b, i % 2 ? "*[_" : "`](");
	cl_buf_putc(&b, '\n');
	/* 5,000 headings */
	for (i = 0; i < 5000; i++)
		cl_buf_printf(&b, "## Action items %d\n", i);
	ck_assert(!b.oom);
	t0 = now_s();
	rc = parse(b.data, b.len, &err);
	ck_assert_msg(rc == 0 || rc == CL_EDATA, "%d: %s", rc, err.msg);
	ck_assert_msg(now_s() - t0 < 30.0, "took %.1f s", now_s() - t0);
	cl_buf_release(&b);
}
END_TEST

/* A file over [closeloop] max_file_size is refused by size, unread. */
/* Inputs that made a parse step quadratic (issue 16, high 2): a long task
 * line of " - a", of " — a", "Date: " and a million digits, and the other
 * shapes each text rule searches (" by ", "owner:", "(", "#1", "@"). */
static const struct shape {
	const char *name, *head, *unit, *tail;
} shapes[] = {
	{ "task-dash", "# T\n\n## Action items\n\n- [ ] x", " - a", "\n" },
	{ "task-emdash", "# T\n\n## Action items\n\n- [ ] x", " \xe2\x80\x94 a", "\n" },
	{ "date-digits", "# T\n\nDate: ", "1234567890", "\n" },
	{ "date-section", "# T\n\n## Date\n\n", "1234567890", "\n" },
	{ "bullet-by", "# T\n\n## Action items\n\n- fix", " by a", "\n" },
	{ "bullet-owner", "# T\n\n## Action items\n\n- fix", " owner: a,", "\n" },
	{ "bullet-parens", "# T\n\n## Action items\n\n- fix", " (a", ")\n" },
	{ "bullet-close", "# T\n\n## Action items\n\n- fix", " a)", "\n" },
	{ "bullet-ticket", "# T\n\n## Action items\n\n- fix", " #1 X-1", "\n" },
	{ "bullet-handle", "# T\n\n## Action items\n\n- fix ", "-@a", "\n" },
	{ "prose-marker", "# T\n\nAction item: x", " due soon by Q3", "\n" },
	{ "heading", "# T\n\n## Action items", " (by 2024-01-01)", "\n\n- a\n" },
	{ "cell", "# T\n\n| Action | Owner |\n|-|-|\n| a", " \xe2\x80\x94 @b", " | c |\n" },
	{ "delimiter", "# T\n\n| a |\n", "|-", "|\n" },
	{ "front-matter", "---\ntitle: x\nauthors:\n", "  - a\n", "---\n# T\n" },
	{ "dashes", "# T\n\n## Action items\n\n- a", "-", "\n" },
};

/* CPU seconds to parse head + n units + tail (the best of three). */
static double
parse_time(const struct shape *sh, size_t n)
{
	struct cl_buf b = CL_BUF_INIT;
	double best = 1e9;
	size_t i;
	int k;

	cl_buf_puts(&b, sh->head);
	for (i = 0; i < n; i++)
		cl_buf_puts(&b, sh->unit);
	cl_buf_puts(&b, sh->tail);
	ck_assert(!b.oom);
	for (k = 0; k < 3; k++) {
		struct cl_error err = { 0 };
		clock_t t0 = clock();
		double t;
		parse(b.data, b.len, &err);
		t = (double)(clock() - t0) / CLOCKS_PER_SEC;
		if (t < best)
			best = t;
	}
	cl_buf_release(&b);
	return best;
}

START_TEST(linear_time)
{
	/* 64 KiB and 512 KiB of each shape: linear work takes about 8 times
	 * as long, quadratic work 64 times; the bound leaves room for noise
	 * (a ratio, not a wall-clock limit: the same on a slow machine) */
	size_t i;

	for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		size_t unit = strlen(shapes[i].unit), n = (64 * 1024) / unit;
		double small = parse_time(&shapes[i], n), big = parse_time(&shapes[i], 8 * n);
		double ratio = big / (small > 2e-3 ? small : 2e-3);
		fprintf(stderr, "linear: %-13s %7zu bytes %.4fs, %7zu bytes %.4fs, ratio %.1f\n",
		        shapes[i].name, n * unit, small, 8 * n * unit, big, ratio);
		ck_assert_msg(ratio < 24.0, "%s: 8x the input took %.1fx the time", shapes[i].name,
		              ratio);
	}
}
END_TEST

START_TEST(document_size)
{
	struct cl_error err = { 0 };
	char *dir = tu_tmpdir(), *data = NULL, path[1100];
	size_t len = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof path, "%s/big.md", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (i = 0; i < 2000; i++)
		fputs("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", f);
	fclose(f);
	ck_assert_int_eq(cl_read_file(&data, &len, path, 64 * 1024, &err), CL_EDATA);
	ck_assert_ptr_null(data);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_read_file(&data, &len, path, 128 * 1024, &err), 0);
	ck_assert_uint_eq(len, 2000 * 64);
	free(data);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cells_per_document);
	tcase_add_test(tc, cells_just_under_the_limit);
	tcase_add_test(tc, pathological_markdown);
	tcase_add_test(tc, document_size);
	tcase_add_test(tc, linear_time);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
