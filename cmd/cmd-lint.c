/* cmd-lint.c — check post-mortems against the action-item rules; with
 * --items, show what was understood of each document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"

void cmd_print_problem(void *arg, const char *path, const struct cl_problem *p,
                       const char *msg);

/* --items: file-level errors still go to stderr; problems are shown with
 * their item instead. */
static void
lint_items_problem(void *arg, const char *path, const struct cl_problem *p, const char *msg)
{
	if (p == NULL)
		cmd_print_problem(arg, path, p, msg);
}

/* --items: one block per document: its items, then its action-like
 * sections in which nothing was found. */
static void
lint_items_doc(void *arg, const char *path, const struct cl_pm_doc *doc)
{
	struct cl_ctx *ctx = arg;
	size_t i;

	/* everything here comes from the document: escaped for the terminal */
	printf("%s: %zu item%s%s%s%s\n", cmd_tty(path), doc->nitems, doc->nitems == 1 ? "" : "s",
	       doc->title ? " in \"" : "", doc->title ? cmd_tty(doc->title) : "",
	       doc->title ? "\"" : "");
	for (i = 0; i < doc->nitems; i++) {
		const struct cl_pm_item *it = &doc->items[i];
		struct cl_problems probs = { 0 };
		char due[11];
		char *codes = NULL;

		printf("%s:%d: %s\n", cmd_tty(path), it->line, it->action ? cmd_tty(it->action) : "");
		printf("    owner: %s%s%s%s", it->owner ? cmd_tty(it->owner) : "-",
		       it->owner_email ? " <" : "", it->owner_email ? cmd_tty(it->owner_email) : "",
		       it->owner_email ? ">" : "");
		if (it->due != CL_NO_DATE) {
			cl_date_format(it->due, due);
			printf("  due: %s%s", due, it->due_approx ? " (approximate)" : "");
		} else if (it->due_raw) {
			printf("  due: '%s' (not a date)", cmd_tty(it->due_raw));
		} else {
			printf("  due: -");
		}
		printf("  status: %s  ticket: %s\n",
		       it->status ? cmd_tty(it->status) : it->done ? "done" : "open",
		       it->ticket ? cmd_tty(it->ticket) : "-");
		if (cl_lint_item(&probs, it, ctx->cfg) == 0 && probs.n &&
		    (codes = cl_lint_codes(&probs, 0)) != NULL)
			printf("    problems: %s\n", codes);
		free(codes);
		cl_problems_release(&probs);
	}
	for (i = 0; i < doc->nsections; i++)
		if (doc->sections[i].nitems == 0)
			printf("%s:%d: nothing read as an item under \"%s\"\n", cmd_tty(path),
			       doc->sections[i].line,
			       doc->sections[i].title ? cmd_tty(doc->sections[i].title) : "");
	if (doc->nitems == 0 && doc->nsections == 0)
		printf("%s: no action heading, item table or marker found\n", cmd_tty(path));
}

/* --items --json: one JSON object per document and line, with the fields
 * --items prints (tests/score-items.py compares it with expected items). */
static void
lint_items_json(void *arg, const char *path, const struct cl_pm_doc *doc)
{
	struct cl_ctx *ctx = arg;
	json_t *o = json_object(), *items = json_array(), *empty = json_array();
	char *s;
	size_t i, j;

	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "title", doc->title ? json_string(doc->title) : json_null());
	for (i = 0; i < doc->nitems; i++) {
		const struct cl_pm_item *it = &doc->items[i];
		struct cl_problems probs = { 0 };
		json_t *x = json_object(), *codes = json_array();
		char due[11];

		json_object_set_new(x, "line", json_integer(it->line));
		json_object_set_new(x, "action", json_string(it->action ? it->action : ""));
		json_object_set_new(x, "owner", it->owner ? json_string(it->owner) : json_null());
		json_object_set_new(x, "owner_email",
		                    it->owner_email ? json_string(it->owner_email) : json_null());
		if (it->due != CL_NO_DATE)
			cl_date_format(it->due, due);
		json_object_set_new(x, "due", it->due != CL_NO_DATE ? json_string(due) : json_null());
		json_object_set_new(x, "due_raw", it->due_raw ? json_string(it->due_raw) : json_null());
		json_object_set_new(x, "status", json_string(it->status ? it->status
		                                             : it->done ? "done" : "open"));
		json_object_set_new(x, "ticket", it->ticket ? json_string(it->ticket) : json_null());
		if (cl_lint_item(&probs, it, ctx->cfg) == 0)
			for (j = 0; j < probs.n; j++)
				json_array_append_new(codes, json_string(probs.v[j].code));
		cl_problems_release(&probs);
		json_object_set_new(x, "problems", codes);
		json_array_append_new(items, x);
	}
	for (i = 0; i < doc->nsections; i++)
		if (doc->sections[i].nitems == 0)
			json_array_append_new(empty, json_pack("{s:i,s:s}", "line", doc->sections[i].line,
			                                       "heading", doc->sections[i].title
			                                                      ? doc->sections[i].title : ""));
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "empty_sections", empty);
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

/* --json only goes with --items. */
static int
lint_check(struct cl_ctx *ctx, const struct cmd_args *a)
{
	if (cmd_arg(a, 'j') && !cmd_arg(a, 'i'))
		return cmd_usage_error(ctx, "--json goes with --items");
	return 0;
}

static int
cmd_lint_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_import_opts io = { 0 };
	struct cl_import_stats stats;
	struct cl_store *st = NULL;
	char *dbpath;
	int rc, items = cmd_arg(a, 'i') != NULL, json = cmd_arg(a, 'j') != NULL;

	/* the database, when there is one, knows when each post-mortem was first seen */
	dbpath = cl_config_database_path(ctx->cfg);
	if (dbpath && access(dbpath, R_OK) == 0)
		cl_store_open(&st, dbpath, CL_STORE_READONLY, NULL);
	free(dbpath);
	io.report = items ? lint_items_problem : cmd_print_problem;
	io.report_arg = ctx;
	if (items)
		io.doc = json ? lint_items_json : lint_items_doc;
	rc = cl_lint_sources(st, ctx->cfg, a->argv, a->argc, &io, &stats, &ctx->err);
	cl_store_close(st);
	if (rc == CL_EPROBLEMS)
		cmd_verbose(ctx, "%d problems in %d files\n", stats.problems, stats.files_seen);
	return rc;
}

const struct cmd_entry cmd_lint_entry = {
	.name = "lint",
	.usage = "[--items [--json]] [SOURCE...]",
	.summary = "check post-mortems against the rules; exit 1 when a problem is found",
	.opts = {
		{ .name = "items", .key = 'i', .help = "show what was read: each item with its "
		  "line, owner, due date, status, ticket and problems, and each action-like section "
		  "in which nothing was read as an item" },
		{ .name = "json", .key = 'j',
		  .help = "with --items: one JSON object per document and line" },
	},
	.args = { .lower = 0, .upper = -1, .name = "SOURCE",
	          .help = "files, directories or URLs; default: [closeloop] sources" },
	.text = "Problems are printed as PATH:LINE: CODE: MESSAGE. Codes:\n"
	"  owner-missing        the item names no owner\n"
	"  owner-not-a-person   \"team\", \"TBD\", \"everyone\", \"ops\", \"me\", \"@org/team\",\n"
	"                       ... is not an owner\n"
	"  owner-unknown        the owner is not in [people] (when [people] is set)\n"
	"  owner-several        several owners named: one owner per item\n"
	"  due-missing          the item has no due date\n"
	"  due-not-a-date       \"soon\", \"ASAP\", \"next sprint\", 2024-02-30, ... is not a date\n"
	"  due-approximate      \"Q3 2024\", \"end of June\", ...: read as the period's last day\n"
	"  due-far              a date without a year read as more than 9 months after\n"
	"                       the incident (\"Jan 5\" in a post-mortem of 2024-01-15)\n"
	"  no-action-items      the post-mortem lists no action items\n"
	"  postmortem-late      written (or first seen) more than [lint] late_hours\n"
	"                       (48) after the incident\n",
	.check = lint_check,
	.exec = cmd_lint_exec,
};
