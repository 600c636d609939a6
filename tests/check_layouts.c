/* check_layouts.c — the post-mortem layouts of issue 11: every
 * tests/fixtures/layouts/NAME.md is parsed and linted and compared with
 * NAME.json (see tests/fixtures/layouts/README.md for the format).
 * CL_FIXTURE_REGEN=1 rewrites the .json files (review the diff!). */
#include <dirent.h>
#include <jansson.h>

#include "testutil.h"

#define FIXDIR "tests/fixtures/layouts"

static json_t *
date_json(int day)
{
	char buf[11];
	if (day == CL_NO_DATE)
		return json_null();
	cl_date_format(day, buf);
	return json_string(buf);
}

static json_t *
str_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The lint codes that say what the parser understood (owner-missing and
 * due-missing are left out: they are the absence of a field). */
static json_t *
problems_json(const struct cl_pm_item *it, const struct cl_config *cfg)
{
	struct cl_problems p = { 0 };
	json_t *a = json_array();
	size_t i;

	ck_assert_int_eq(cl_lint_item(&p, it, cfg), 0);
	for (i = 0; i < p.n; i++)
		if (strcmp(p.v[i].code, "owner-missing") != 0 && strcmp(p.v[i].code, "due-missing") != 0)
			json_array_append_new(a, json_string(p.v[i].code));
	cl_problems_release(&p);
	return a;
}

/* The parse result in the fixtures' JSON form. */
static json_t *
doc_json(const struct cl_pm_doc *d, const struct cl_config *cfg)
{
	json_t *o = json_object(), *items = json_array();
	size_t i;

	json_object_set_new(o, "title", str_json(d->title));
	json_object_set_new(o, "incident_date", date_json(d->incident_date));
	json_object_set_new(o, "written_date", date_json(d->written_date));
	json_object_set_new(o, "severity", str_json(d->severity));
	json_object_set_new(o, "authors", str_json(d->authors));
	json_object_set_new(o, "status", str_json(d->status));
	json_object_set_new(o, "is_runbook", json_boolean(d->is_runbook));
	if (d->is_runbook) {
		json_object_set_new(o, "rb_owner", str_json(d->rb_owner));
		json_object_set_new(o, "rb_last_tested", date_json(d->rb_last_tested));
		json_object_set_new(o, "rb_rto_target", str_json(d->rb_rto_target));
		json_object_set_new(o, "rb_actual_rto", json_integer(d->rb_actual_rto));
	}
	json_object_set_new(o, "has_action_section", json_boolean(d->has_action_section));
	for (i = 0; i < d->nitems; i++) {
		const struct cl_pm_item *it = &d->items[i];
		json_t *j = json_object();
		json_object_set_new(j, "line", json_integer(it->line));
		json_object_set_new(j, "action", str_json(it->action));
		json_object_set_new(j, "owner", str_json(it->owner));
		json_object_set_new(j, "owner_raw", str_json(it->owner_raw));
		json_object_set_new(j, "owner_email", str_json(it->owner_email));
		json_object_set_new(j, "due", date_json(it->due));
		json_object_set_new(j, "due_raw", str_json(it->due_raw));
		json_object_set_new(j, "done", json_boolean(it->done));
		json_object_set_new(j, "status", str_json(it->status));
		json_object_set_new(j, "ticket", str_json(it->ticket));
		json_object_set_new(j, "priority", str_json(it->priority));
		json_object_set_new(j, "problems", problems_json(it, cfg));
		json_array_append_new(items, j);
	}
	json_object_set_new(o, "items", items);
	return o;
}

/* One line per item that differs, so a failure reads quickly. */
static void
show_diff(const char *md, json_t *got, json_t *want)
{
	json_t *gi = json_object_get(got, "items"), *wi = json_object_get(want, "items");
	const char *key;
	json_t *v;
	size_t i, n = json_array_size(gi) > json_array_size(wi) ? json_array_size(gi)
	                                                        : json_array_size(wi);

	json_object_foreach(want, key, v)
		if (strcmp(key, "items") != 0 && !json_equal(v, json_object_get(got, key))) {
			char *a = json_dumps(json_object_get(got, key), JSON_ENCODE_ANY);
			char *b = json_dumps(v, JSON_ENCODE_ANY);
			fprintf(stderr, "%s: %s: got %s, want %s\n", md, key, a, b);
			free(a);
			free(b);
		}
	for (i = 0; i < n; i++) {
		json_t *g = json_array_get(gi, i), *w = json_array_get(wi, i);
		if (g && w) {
			json_object_foreach(w, key, v)
				if (!json_equal(v, json_object_get(g, key))) {
					char *a = json_dumps(json_object_get(g, key), JSON_ENCODE_ANY);
					char *b = json_dumps(v, JSON_ENCODE_ANY);
					fprintf(stderr, "%s: item %zu (line %lld): %s: got %s, want %s\n", md, i,
					        (long long)json_integer_value(json_object_get(w, "line")), key, a, b);
					free(a);
					free(b);
				}
		} else {
			json_t *x = g ? g : w;
			fprintf(stderr, "%s: item %zu %s: line %lld '%s'\n", md, i,
			        g ? "not expected" : "missing",
			        (long long)json_integer_value(json_object_get(x, "line")),
			        json_string_value(json_object_get(x, "action")));
		}
	}
}

START_TEST(test_layouts)
{
	DIR *d = opendir(FIXDIR);
	struct dirent *de;
	struct cl_config *cfg = cl_config_new();
	int count = 0, failures = 0, negatives = 0;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(cfg);
	while ((de = readdir(d)) != NULL) {
		char md[512], js[512], *text = NULL;
		size_t len = 0, n = strlen(de->d_name);
		struct cl_error err = { 0 };
		struct cl_pm_doc *doc = NULL;
		json_t *got, *want;
		json_error_t jerr;

		if (n < 4 || strcmp(de->d_name + n - 3, ".md") != 0)
			continue;
		if (strcmp(de->d_name, "README.md") == 0)
			continue;
		snprintf(md, sizeof md, FIXDIR "/%s", de->d_name);
		snprintf(js, sizeof js, FIXDIR "/%.*s.json", (int)(n - 3), de->d_name);
		ck_assert_int_eq(cl_read_file(&text, &len, md, 1 << 20, &err), 0);
		ck_assert_msg(cl_parse_document(&doc, text, len, cl_days_from_civil(2024, 1, 1),
		                                &err) == 0, "%s: %s", md, err.msg);
		got = doc_json(doc, cfg);
		negatives += doc->nitems == 0;
		if (getenv("CL_FIXTURE_REGEN")) {
			json_dump_file(got, js, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		} else {
			want = json_load_file(js, 0, &jerr);
			ck_assert_msg(want != NULL, "%s: %s", js, jerr.text);
			if (!json_equal(got, want)) {
				show_diff(md, got, want);
				failures++;
			}
			json_decref(want);
		}
		json_decref(got);
		cl_pm_doc_free(doc);
		free(text);
		count++;
	}
	closedir(d);
	cl_config_free(cfg);
	fprintf(stderr, "layouts: %d documents, %d without items, %d differ\n", count, negatives,
	        failures);
	ck_assert_int_ge(count, 40);
	ck_assert_int_ge(negatives, 3);
	ck_assert_int_eq(failures, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("layouts");
	TCase *tc = tcase_create("layouts");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_layouts);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
