/* cmd-status.c — last runs, what is due next, counts, last sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"

/* Adds the last runs (newest first) to o. */
static int
status_runs(struct cl_ctx *ctx, json_t *o)
{
	sqlite3_stmt *s;
	json_t *arr = json_array();
	int rc, step;

	if ((rc = cl_store_prepare(ctx->store, &s, "SELECT started_at, ended_at, exit_code, "
	                           "outcome, steps FROM runs ORDER BY id DESC LIMIT 5",
	                           &ctx->err)) != 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *steps = (const char *)sqlite3_column_text(s, 4);
		json_t *r = json_object();
		json_object_set_new(r, "started_at", json_string((const char *)
		                    sqlite3_column_text(s, 0)));
		json_object_set_new(r, "ended_at", sqlite3_column_type(s, 1) == SQLITE_NULL
		                    ? json_null() : json_string((const char *)sqlite3_column_text(s, 1)));
		json_object_set_new(r, "exit_code", sqlite3_column_type(s, 2) == SQLITE_NULL
		                    ? json_null() : json_integer(sqlite3_column_int(s, 2)));
		json_object_set_new(r, "outcome", sqlite3_column_type(s, 3) == SQLITE_NULL
		                    ? json_string("unfinished")
		                    : json_string((const char *)sqlite3_column_text(s, 3)));
		json_object_set_new(r, "steps", steps ? json_loads(steps, 0, NULL) : json_array());
		json_array_append_new(arr, r);
	}
	sqlite3_finalize(s);
	json_object_set_new(o, "runs", arr);
	return step == SQLITE_DONE ? 0 : cl_store_fail(ctx->store, step, &ctx->err, "runs");
}

static json_t *
time_json(time_t t)
{
	char buf[21];

	if (t == 0)
		return json_null();
	cl_time_format_utc(t, buf);
	return json_string(buf);
}

/* Next report, reminders and drills. */
static int
status_next(struct cl_ctx *ctx, json_t *o)
{
	json_t *next = json_object(), *drills = json_array();
	struct cl_drill *dv = NULL;
	size_t nd = 0, i, due_now = 0;
	time_t now = cl_now(), rnext = 0, nag_next = 0;
	int rc, y, w;

	rc = cl_run_report_due(&y, &w, &rnext, ctx->store, ctx->cfg, NULL, now, &ctx->err);
	if (rc != 0)
		goto done;
	if (y != 0) {
		char wk[16];
		snprintf(wk, sizeof wk, "%04d-W%02d", y, w);
		json_object_set_new(next, "report", json_pack("{s:s, s:s}", "week", wk, "at", "now"));
	} else {
		json_object_set_new(next, "report", json_pack("{s:o}", "at", time_json(rnext)));
	}
	if ((rc = cl_nag_due(&due_now, &nag_next, ctx->store, ctx->cfg, &ctx->err)) != 0)
		goto done;
	json_object_set_new(next, "reminders", json_pack("{s:i, s:o}", "due_now", (int)due_now,
	                    "next_at", time_json(nag_next)));
	if ((rc = cl_drill_list(&dv, &nd, ctx->store, NULL, &ctx->err)) != 0)
		goto done;
	for (i = 0; i < nd; i++)
		if (strcmp(dv[i].state, "scheduled") == 0 && dv[i].start >= now)
			json_array_append_new(drills, json_pack("{s:I, s:s, s:o}", "id",
			        (json_int_t)dv[i].id, "title", dv[i].title, "start",
			        time_json(dv[i].start)));
	rc = 0;
done:
	json_object_set_new(next, "drills", drills);
	json_object_set_new(o, "next", next);
	cl_drills_free(dv, nd);
	return rc;
}

/* Open and overdue items, counted by SQLite. */
static int
status_counts(struct cl_ctx *ctx, json_t *o)
{
	sqlite3_stmt *s = NULL;
	char today[11];
	int rc;

	cl_date_format(cl_today(cl_config_timezone(ctx->cfg)), today);
	if ((rc = cl_store_prepare(ctx->store, &s, "SELECT count(*), coalesce(sum(due < ?1), 0) "
	                           "FROM items WHERE status = 'open'", &ctx->err)) != 0)
		return rc;
	sqlite3_bind_text(s, 1, today, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(o, "items", json_pack("{s:I, s:I}", "open",
		                    (json_int_t)sqlite3_column_int64(s, 0), "overdue",
		                    (json_int_t)sqlite3_column_int64(s, 1)));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : cl_store_fail(ctx->store, rc, &ctx->err, "status");
}

/* Post-mortems missing from the directory they came from. */
static int
status_missing(struct cl_ctx *ctx, json_t *o)
{
	struct cl_pm_missing *m = NULL;
	json_t *arr = json_array();
	size_t n = 0, i;
	int rc;

	if ((rc = cl_import_missing(&m, &n, ctx->store, &ctx->err)) != 0) {
		json_decref(arr);
		return rc;
	}
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "id", m[i].slug,
		                      "source", m[i].source, "missing_since", m[i].missing_since,
		                      "retired_at", m[i].retired_at ? json_string(m[i].retired_at)
		                      : json_null()));
	cl_pm_missing_free(m, n);
	json_object_set_new(o, "missing", arr);
	return 0;
}

static void
print_text(struct cl_ctx *ctx, json_t *o)
{
	json_t *runs = json_object_get(o, "runs"), *next = json_object_get(o, "next"), *r;
	json_t *rep = json_object_get(next, "report"), *nag = json_object_get(next, "reminders");
	json_t *sync = json_object_get(o, "sync");
	size_t i, j;

	printf("items:     %lld open, %lld overdue\n",
	       json_integer_value(json_object_get(json_object_get(o, "items"), "open")),
	       json_integer_value(json_object_get(json_object_get(o, "items"), "overdue")));
	if (json_is_string(json_object_get(sync, "last_ok")))
		printf("sync:      last success %s (%lld minutes ago)%s\n",
		       cmd_local_time(ctx, json_string_value(json_object_get(sync, "last_ok"))),
		       json_integer_value(json_object_get(sync, "minutes_ago")),
		       json_is_string(json_object_get(sync, "failed_at")) ? ", last attempt failed" : "");
	else
		printf("sync:      never succeeded\n");
	if (!cl_run_mail_configured(ctx->cfg) || cl_config_get(ctx->cfg, "report", "to") == NULL)
		printf("report:    not mailed: no [mail] transport or [report] to "
		       "('closeloop report' prints it)\n");
	else if (json_is_string(json_object_get(rep, "week")))
		printf("report:    %s is due now\n", json_string_value(json_object_get(rep, "week")));
	else if (json_is_string(json_object_get(rep, "at")))
		printf("report:    next at %s\n",
		       cmd_local_time(ctx, json_string_value(json_object_get(rep, "at"))));
	printf("reminders: %lld due now", json_integer_value(json_object_get(nag, "due_now")));
	if (json_is_string(json_object_get(nag, "next_at")))
		printf(", next at %s",
		       cmd_local_time(ctx, json_string_value(json_object_get(nag, "next_at"))));
	printf("\ndrills:    %zu scheduled ahead\n", json_array_size(json_object_get(next, "drills")));
	json_array_foreach(json_object_get(next, "drills"), i, r)
		printf("           %s  #%lld %s\n",
		       cmd_local_time(ctx, json_string_value(json_object_get(r, "start"))),
		       json_integer_value(json_object_get(r, "id")),
		       cmd_tty(json_string_value(json_object_get(r, "title"))));
	json_array_foreach(json_object_get(o, "missing"), i, r)
		printf("missing:   %s (%s) since %.10s%s\n",
		       cmd_tty(json_string_value(json_object_get(r, "id"))),
		       cmd_tty(json_string_value(json_object_get(r, "source"))),
		       json_string_value(json_object_get(r, "missing_since")),
		       json_is_string(json_object_get(r, "retired_at")) ?
		       ", open items withdrawn" : "");
	printf("runs:%s\n", json_array_size(runs) ? "" : "      none yet");
	json_array_foreach(runs, i, r) {
		json_t *s;
		char code[16] = "-";
		if (json_is_integer(json_object_get(r, "exit_code")))
			snprintf(code, sizeof code, "%lld",
			         json_integer_value(json_object_get(r, "exit_code")));
		printf("  %s  %-10s exit %s\n",
		       cmd_local_time(ctx, json_string_value(json_object_get(r, "started_at"))),
		       json_string_value(json_object_get(r, "outcome")), code);
		json_array_foreach(json_object_get(r, "steps"), j, s)
			if (json_is_true(json_object_get(s, "ran")) ||
			    strcmp(json_string_value(json_object_get(s, "outcome")), "ok") != 0)
				printf("      %-7s %s: %s\n", json_string_value(json_object_get(s, "step")),
				       json_string_value(json_object_get(s, "outcome")),
				       json_string_value(json_object_get(s, "detail")));
	}
}

static int
cmd_status_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	json_t *o = json_object(), *sync = json_object();
	char *last_ok, *failed;
	int c, rc, json = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else {
			json_decref(o);
			json_decref(sync);
			return CL_EUSAGE;
		}
	}
	if (optind < argc) {
		json_decref(o);
		json_decref(sync);
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	}
	last_ok = cl_store_meta_get(ctx->store, "last_sync_ok");
	failed = cl_store_meta_get(ctx->store, "sync_failed_at");
	json_object_set_new(sync, "last_ok", last_ok ? json_string(last_ok) : json_null());
	if (last_ok) {
		time_t t;
		if (cl_time_parse(last_ok, &t) == 0)
			json_object_set_new(sync, "minutes_ago", json_integer((cl_now() - t) / 60));
	}
	json_object_set_new(sync, "failed_at", failed ? json_string(failed) : json_null());
	free(last_ok);
	free(failed);
	json_object_set_new(o, "sync", sync);
	if ((rc = status_counts(ctx, o)) != 0 || (rc = status_next(ctx, o)) != 0 ||
	    (rc = status_runs(ctx, o)) != 0 || (rc = status_missing(ctx, o)) != 0) {
		json_decref(o);
		return rc;
	}
	if (json)
		return cmd_print_json(ctx, o);
	print_text(ctx, o);
	json_decref(o);
	return 0;
}

const struct cmd_entry cmd_status_entry = {
	"status", "[--json]",
	"last runs, what is due next, item counts, last successful sync",
	"  --json   one JSON document {items, sync, next: {report, reminders,\n"
	"           drills}, runs, missing} (see closeloop(1))\n",
	CMD_NEEDS_DB, cmd_status_exec
};
