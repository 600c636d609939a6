/* cmd-list.c — list action items as a table or as the JSON contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"

/* A cell of the table (cmd_print_cell: cut with an ellipsis, padded). */
static void
print_cell(const char *s, int width, int pad)
{
	cmd_print_cell(s, width, pad);
}

/* A due cell: the date, or what was written (not a date) marked "?". */
static void
print_due(const struct cl_item *it)
{
	char buf[64];

	if (it->due) {
		print_cell(it->due, 10, 1);
		return;
	}
	if (it->due_raw == NULL || *it->due_raw == '\0') {
		print_cell("-", 10, 1);
		return;
	}
	snprintf(buf, sizeof buf, "?%s", it->due_raw);
	print_cell(buf, 10, 1);
}

struct list_stream {
	struct cl_ctx *ctx;
	struct cl_writer *w;	/* CSV */
	size_t n;
	int today;
};

/* One item of `list --json`, written as it comes (the list stays out of
 * memory: 100,000 items in a few MiB). */
static int
list_json_item(const struct cl_item *it, void *arg)
{
	struct list_stream *ls = arg;
	json_t *o = cl_item_to_json(it);
	int rc;

	json_object_set_new(o, "sync_error", cl_json_str(it->sync_error));
	fputs(ls->n++ ? ",\n" : "\n", stdout);
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return rc == 0 ? 0 : cl_error_set(&ls->ctx->err, CL_ECANTCREAT, "unable to write output");
}

static const struct cl_col list_cols[] = {
	{ "id", "Item", CL_COL_ID, NULL },
	{ "status", "Status", CL_COL_ID, NULL },
	{ "days_overdue", "Days overdue", CL_COL_INT, NULL },
	{ "due", "Due", CL_COL_DATE, NULL },
	{ "due_raw", "Due as written", CL_COL_TEXT, NULL },
	{ "owner", "Owner", CL_COL_TEXT, NULL },
	{ "owner_raw", "Owner as written", CL_COL_TEXT, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "postmortem", "Post-mortem", CL_COL_ID, NULL },
	{ "ticket", "Ticket", CL_COL_TEXT, NULL },
	{ "url", "Tracker", CL_COL_LINK, NULL },
	{ "problems", "Problems", CL_COL_TEXT, NULL },
};

/* One item of `list --format csv`. */
static int
list_csv_item(const struct cl_item *it, void *arg)
{
	struct list_stream *ls = arg;
	int late = cl_item_days_overdue(it, ls->today);
	char days[24];
	const char *vals[12];

	snprintf(days, sizeof days, "%d", late > 0 ? late : 0);
	vals[0] = it->key;
	vals[1] = it->status;
	vals[2] = days;
	vals[3] = it->due;
	vals[4] = it->due_raw;
	vals[5] = it->owner;
	vals[6] = it->owner_raw;
	vals[7] = it->action;
	vals[8] = it->pm_slug;
	vals[9] = it->ticket;
	vals[10] = it->url;
	vals[11] = it->problems;
	cl_writer_row(ls->w, vals);
	ls->n++;
	return 0;
}

/* list --json / --format csv: streamed. */
static int
list_stream(struct cl_ctx *ctx, const struct cl_item_filter *f, int csv, size_t *n)
{
	struct list_stream ls = { ctx, NULL, 0, f->today };
	int rc;

	if (csv) {
		if ((rc = cl_writer_new(&ls.w, CL_WRITER_CSV, stdout, &ctx->err)) != 0)
			return rc;
		cl_writer_section(ls.w, "items", "Items", list_cols, 12, 0);
		rc = cl_items_each(ctx->store, f, list_csv_item, &ls, &ctx->err);
		cl_writer_section_end(ls.w);
		if (rc == 0)
			rc = cl_writer_finish(ls.w, &ctx->err);
		cl_writer_free(ls.w);
	} else {
		fputs("{\n\"items\": [", stdout);
		rc = cl_items_each(ctx->store, f, list_json_item, &ls, &ctx->err);
		fputs(ls.n ? "\n]\n}\n" : "]\n}\n", stdout);
		if (rc == 0 && fflush(stdout) != 0)
			rc = cl_error_set(&ctx->err, CL_ECANTCREAT, "unable to write output");
	}
	*n = ls.n;
	return rc;
}

static int
cmd_list_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_item_filter f = { 0 };
	struct cl_item *items = NULL;
	const char *format = cmd_arg(a, 'f');
	size_t n = 0, i;
	int rc, json = 0, csv = 0, exit_status = cmd_arg(a, 'e') != NULL, idw = 2, k;

	/* in the order given, as they combine (--overdue --all: overdue of all) */
	for (k = 0; k < (int)a->n; k++) {
		switch (a->given[k].global ? 0 : a->given[k].key) {
		case 'o': f.status = CL_ITEMS_OPEN; break;
		case 'O': f.overdue = 1; f.status = CL_ITEMS_OPEN; break;
		case 'a': f.status = CL_ITEMS_ALL; break;
		}
	}
	f.owner = cmd_arg(a, 'w');
	f.postmortem = cmd_arg(a, 'p');
	json = cmd_arg(a, 'j') || (format && strcmp(format, "json") == 0);
	csv = format && strcmp(format, "csv") == 0;
	f.today = cl_today(cl_config_timezone(ctx->cfg));
	if (f.owner != NULL) {
		/* a name or address from [people] means that person's handle */
		const struct cl_person *p = cl_config_person(ctx->cfg, f.owner);
		if (p != NULL)
			f.owner_handle = p->handle;
	}
	if (f.postmortem != NULL) {
		/* an unknown post-mortem is missing input (66), with a near miss named */
		long long id;
		if ((rc = cl_postmortem_find(&id, ctx->store, f.postmortem, &ctx->err)) != 0)
			return rc;
	}
	if (json || csv) {
		rc = list_stream(ctx, &f, csv, &n);
		if (rc == 0 && exit_status && n > 0)
			rc = CL_EPROBLEMS;
		return rc;
	}
	if ((rc = cl_items_list(&items, &n, ctx->store, &f, &ctx->err)) != 0)
		return rc;
	if (n == 0) {
		if (ctx->verbosity >= 0)
			printf("no %sitems\n", f.overdue ? "overdue " : f.status == CL_ITEMS_ALL ? ""
			       : "open ");
		if (f.owner != NULL)
			cmd_owner_hint(ctx, f.owner);
	} else {
		int width = cmd_width(), actw = -1, wrap = 0;
		for (i = 0; i < n; i++)
			if ((int)strlen(items[i].key) > idw)
				idw = (int)strlen(items[i].key);
		/* on a terminal the table fits: the action is cut to the width,
		 * or goes on a line of its own when the ids leave it no room (ids
		 * are never cut: they are what one types next) */
		if (width > 0) {
			actw = width - (idw + 2 + 10 + 2 + 14 + 2 + 10 + 2);
			if (actw < 24) {
				wrap = 1;
				actw = width - 4;
			}
			if (idw + 40 > width)	/* the id alone on its line, too */
				wrap = 2;
		}
		printf("%s%-*s%s%-10s  %-14s  %-10s%s%s%s\n", cmd_paint(ctx, CMD_PAINT_BOLD),
		       wrap == 2 ? 0 : idw, "ID", wrap == 2 ? "\n    " : "  ", "DUE", "OWNER", "STATUS",
		       wrap ? "\n    " : "  ", "ACTION", cmd_paint(ctx, CMD_PAINT_OFF));
		for (i = 0; i < n; i++) {
			const struct cl_item *it = &items[i];
			int late = cl_item_days_overdue(it, f.today), paint;
			char status[24];
			print_cell(it->key, wrap == 2 ? -1 : idw, wrap != 2);
			fputs(wrap == 2 ? "\n    " : "  ", stdout);
			print_due(it);
			fputs("  ", stdout);
			print_cell(it->owner ? it->owner : it->owner_raw, 14, 1);
			if (late > 0)
				snprintf(status, sizeof status, "%dd late", late);
			else
				snprintf(status, sizeof status, "%s", it->status);
			paint = late > 0 ? CMD_PAINT_BAD : strcmp(it->status, "done") == 0 ? CMD_PAINT_GOOD
			        : strcmp(it->status, "withdrawn") == 0 ? CMD_PAINT_DIM : -1;
			printf("  %s%-10s%s%s", cmd_paint(ctx, paint), status,
			       paint >= 0 ? cmd_paint(ctx, CMD_PAINT_OFF) : "", wrap ? "\n    " : "  ");
			print_cell(it->action, actw, 0);
			if (it->ticket)
				printf(" [%s]", cmd_tty(it->ticket));
			if (it->sync_error)
				printf(" (sync: %s)", cmd_tty(it->sync_error));
			fputc('\n', stdout);
		}
	}
	cl_items_free(items, n);
	if (rc == 0 && exit_status && n > 0)
		rc = CL_EPROBLEMS;
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = "[--open|--overdue|--all] [--owner WHO] [--postmortem ID] [--json|--format F] "
	         "[--exit-status]",
	.summary = "list action items",
	.opts = {
		{ .name = "open", .key = 'o', .help = "open items (the default)" },
		{ .name = "overdue", .key = 'O', .help = "open items whose due date has passed" },
		{ .name = "all", .key = 'a', .help = "open, done and withdrawn items" },
		{ .name = "owner", .key = 'w', .arg = "WHO", .help = "only items of this owner: the "
		  "handle or the owner as written, or a [people] name or address" },
		{ .name = "postmortem", .key = 'p', .arg = "ID",
		  .help = "only items of this post-mortem (id or source)" },
		{ .name = "json", .key = 'j',
		  .help = "one JSON document {\"items\": [...]} (see closeloop(1))" },
		{ .name = "format", .key = 'f', .arg = "F", .values = "text|json|csv",
		  .help = "text (default), json (= --json) or csv (a header line, then one row per "
		  "item, for spreadsheets)" },
		{ .name = "exit-status", .key = 'e',
		  .help = "exit 1 when the list is not empty (for monitoring)" },
	},
	.args = { .lower = 0, .upper = 0 },
	.text = "\"Today\" is the date in [closeloop] timezone (CLOSELOOP_NOW overrides).\n",
	.flags = CMD_NEEDS_DB,
	.exec = cmd_list_exec,
};
