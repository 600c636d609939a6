/* cmd-config.c — `config check`: is this configuration ready for cron?
 * One line per check (config, database, tracker, mail, sources) with what
 * to do about a failure; the exit status is the most serious failure's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

/* Prints one check's line: "ok", "FAIL" or "skip", its name, what it saw
 * and, for a failure, what to do. Returns rc (a failure's code). */
static int
check_line(const char *name, int rc, const char *what, const char *todo)
{
	printf("%-4s  %-9s %s%s%s\n", rc == 0 ? "ok" : rc == 1 ? "skip" : "FAIL", name,
	       cmd_tty(what), rc < 0 && todo && *todo ? "\n                " : "",
	       rc < 0 && todo ? todo : "");
	return rc == 1 ? 0 : rc;
}

/* What to do about a failure of a kind of service, by its code. */
static const char *
advice(int rc, const char *service)
{
	static char buf[256];

	switch (rc) {
	case CL_ETEMPFAIL:
		snprintf(buf, sizeof buf, "-> is the %s up and reachable from here? (host, port, "
		         "firewall); a cron run retries later (75)", service);
		break;
	case CL_ENOPERM:
		snprintf(buf, sizeof buf, "-> the %s refused the credentials: check the token or "
		         "user/password (token_file, token_env, password_file...)", service);
		break;
	case CL_EUNAVAIL:
		snprintf(buf, sizeof buf, "-> the %s cannot be used this way: check TLS (ca_file), "
		         "the URL and that it speaks what [%s] kind/tls says",
		         service, strcmp(service, "tracker") == 0 ? "tracker" : "mail");
		break;
	case CL_ECONFIG:
		snprintf(buf, sizeof buf, "-> fix the setting named above (see closeloop.conf(5))");
		break;
	default:
		snprintf(buf, sizeof buf, "-> see the message above");
	}
	return buf;
}

/* The database: there, readable, its schema and item count. */
static int
check_database(struct cl_ctx *ctx)
{
	struct cl_error e = { 0 };
	struct cl_store *st = NULL;
	struct cl_item_filter f = { .status = CL_ITEMS_ALL };
	struct cl_item *items = NULL;
	char *path = cl_config_database_path(ctx->cfg), what[1200];
	size_t n = 0;
	int rc;

	if (path == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	if (access(path, F_OK) != 0) {
		snprintf(what, sizeof what, "%s does not exist yet", path);
		free(path);
		return check_line("database", CL_ENOINPUT, what,
		                  "-> run 'closeloop init' (or 'closeloop run' creates it)");
	}
	if ((rc = cl_store_open(&st, path, CL_STORE_READONLY, &e)) == 0)
		rc = cl_items_list(&items, &n, st, &f, &e);
	if (rc == 0)
		snprintf(what, sizeof what, "%s: schema %d, %zu items", path, cl_store_version(st), n);
	else
		snprintf(what, sizeof what, "%s: %s", path, e.msg);
	cl_items_free(items, n);
	cl_store_close(st);
	free(path);
	return check_line("database", rc, what, "-> is it a closeloop database, readable by "
	                  "this user? 'closeloop init' upgrades an old one");
}

/* The tracker: one authenticated, read-only request (issues changed since
 * now: an empty page, but the token and the project must be right). */
static int
check_tracker(struct cl_ctx *ctx)
{
	struct cl_error e = { 0 };
	struct cl_tracker *t = NULL;
	struct cl_ticket_list l;
	char what[1200], since[21];
	int rc;

	memset(&l, 0, sizeof l);
	rc = cl_tracker_open(&t, ctx->cfg, ctx->verbosity, &e);
	if (rc == CL_ENOTFOUND)
		return check_line("tracker", 1, "no [tracker] kind: sync does nothing", NULL);
	if (rc == 0) {
		cl_time_format_utc(cl_now(), since);
		rc = t->ops->find_markers(t, &l, since, &e);
	}
	if (rc == 0)
		snprintf(what, sizeof what, "%s %s: authenticated, the project answers "
		         "(%ld request%s, nothing written)", t->ops->kind, t->project,
		         cl_tracker_requests(t), cl_tracker_requests(t) == 1 ? "" : "s");
	else
		snprintf(what, sizeof what, "%s", e.msg);
	cl_ticket_list_release(&l);
	cl_tracker_free(t);
	return check_line("tracker", rc, what, advice(rc, "tracker"));
}

/* The mail: file transport (outbox writable) or SMTP (EHLO, STARTTLS,
 * AUTH, never a message). */
static int
check_mail(struct cl_ctx *ctx)
{
	struct cl_error e = { 0 };
	const char *t = cl_config_get(ctx->cfg, "mail", "transport");
	const char *outbox = cl_config_get(ctx->cfg, "mail", "outbox");
	char what[1200];
	int rc;

	if (!cl_run_mail_configured(ctx->cfg))
		return check_line("mail", 1, "no [mail]: reports, reminders and invites are not "
		                  "sent", NULL);
	if (cl_config_get(ctx->cfg, "mail", "from") == NULL)
		return check_line("mail", CL_ECONFIG, "[mail] from is not set",
		                  "-> set [mail] from = closeloop <closeloop@example.com>");
	if ((t && strcmp(t, "file") == 0) || (t == NULL && outbox != NULL &&
	                                      cl_config_get(ctx->cfg, "mail", "host") == NULL)) {
		struct stat sb;
		if (outbox == NULL)
			return check_line("mail", CL_ECONFIG, "transport = file without [mail] outbox",
			                  "-> set [mail] outbox to a directory");
		rc = stat(outbox, &sb) == 0 && S_ISDIR(sb.st_mode) && access(outbox, W_OK) == 0
		     ? 0 : CL_ECANTCREAT;
		snprintf(what, sizeof what, "file transport: outbox %s %s", outbox,
		         rc == 0 ? "is writable" : "is not a writable directory");
		return check_line("mail", rc, what, "-> create it (mkdir -p) writable by this user");
	}
	rc = cl_mail_probe(ctx->cfg, what, sizeof what, &e);
	if (rc != 0)
		snprintf(what, sizeof what, "%s", e.msg);
	return check_line("mail", rc, what, advice(rc, "SMTP server"));
}

/* The sources of [closeloop] sources: each file or directory readable. */
static int
check_sources(struct cl_ctx *ctx)
{
	const char *v = cl_config_get(ctx->cfg, "closeloop", "sources");
	char *copy, *item, *save = NULL, what[1200];
	int rc = 0, r;
	struct stat sb;

	if (v == NULL || *v == '\0')
		return check_line("sources", 1, "no [closeloop] sources: run imports nothing "
		                  "(name sources on 'closeloop import')", NULL);
	if ((copy = strdup(v)) == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		item[strcspn(item, " \t")] = '\0';
		if (*item == '\0')
			continue;
		if (strstr(item, "://") != NULL) {
			snprintf(what, sizeof what, "%s: a URL, fetched at import", item);
			r = 0;
		} else if (stat(item, &sb) != 0 || access(item, R_OK) != 0) {
			snprintf(what, sizeof what, "%s: not found or not readable", item);
			r = CL_ENOINPUT;
		} else {
			snprintf(what, sizeof what, "%s: %s", item, S_ISDIR(sb.st_mode) ? "directory"
			         : "file");
			r = 0;
		}
		r = check_line("source", r, what, "-> fix the path in [closeloop] sources");
		rc = cl_error_worse(rc, r);
	}
	free(copy);
	return rc;
}

static int
cmd_config_check(struct cl_ctx *ctx, const struct cmd_args *a)
{
	const char *path;
	char what[1200];
	size_t nw;
	int rc = 0;

	(void)a;
	/* the config loaded, or the command would have stopped with its error */
	path = cl_config_path(ctx->cfg);
	nw = cl_config_warning_count(ctx->cfg);
	snprintf(what, sizeof what, "%s%s%s", path ? path : "no file: built-in defaults",
	         nw ? ": warnings above" : ": every key and value valid", "");
	check_line("config", 0, what, NULL);
	rc = cl_error_worse(rc, check_database(ctx));
	rc = cl_error_worse(rc, check_tracker(ctx));
	rc = cl_error_worse(rc, check_mail(ctx));
	rc = cl_error_worse(rc, check_sources(ctx));
	return rc;
}

static const struct cmd_entry cmd_config_check_entry = {
	.name = "check",
	.usage = "",
	.summary = "validate the config file (which one is used), open the database, make one "
	           "authenticated read-only request to the tracker, talk to the SMTP server "
	           "(EHLO, STARTTLS, AUTH; no message is sent) and look at each source; one line "
	           "per check with what to do about a failure. Exit status: the most serious "
	           "failure's (0: all ok).",
	.args = { .lower = 0, .upper = 0 },
	.exec = cmd_config_check,
};

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.summary = "check the configuration: the file, database, tracker, mail server, sources",
	.subs = (const struct cmd_entry *const[]){ &cmd_config_check_entry, NULL },
};
