/* mail-log.c — the mail log: one row per recipient of each message tried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "mail.h"
#include "util.h"

/* Writes the outcome of each message not logged yet, one row per recipient;
 * inside the caller's transaction when there is one (a savepoint). */
int
cl_mail_log(struct cl_store *st, struct cl_mail *const *v, size_t n, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char now[21];
	size_t i, j;
	int rc;

	cl_time_format_utc(cl_now(), now);
	if ((rc = cl_store_exec(st, "SAVEPOINT mail_log", err)) != 0)
		return rc;
	if ((rc = cl_store_prepare(st, &s, "INSERT INTO mail_log (kind, recipient, key, "
	                           "message_id, status, code, detail, at) VALUES "
	                           "(?, lower(?), ?, ?, ?, ?, ?, ?)", err)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (v[i]->logged)
			continue;
		for (j = 0; j < v[i]->nrcpt; j++) {
			const struct cl_mail_rcpt *r = &v[i]->rcpt[j];
			const char *status = r->state == CL_MAIL_SENT ? "sent" :
			                     r->state == CL_MAIL_REJECTED ? "rejected" :
			                     r->state == CL_MAIL_DEFERRED ? "deferred" : NULL;
			int code = r->code ? r->code : v[i]->code;
			const char *detail = r->detail ? r->detail : v[i]->detail;
			char clean[256];

			if (status == NULL)
				continue;
			snprintf(clean, sizeof clean, "%s", detail ? detail : "");
			clean[strcspn(clean, "\r\n")] = '\0';
			sqlite3_reset(s);
			cl_bind_text(s, 1, v[i]->kind);
			cl_bind_text(s, 2, r->email);
			cl_bind_text(s, 3, v[i]->key);
			cl_bind_text(s, 4, v[i]->message_id);
			cl_bind_text(s, 5, status);
			if (code)
				sqlite3_bind_int(s, 6, code);
			else
				sqlite3_bind_null(s, 6);
			cl_bind_text(s, 7, *clean ? clean : NULL);
			cl_bind_text(s, 8, now);
			if ((rc = sqlite3_step(s)) != SQLITE_DONE) {
				rc = cl_store_fail(st, rc, err, "mail log");
				goto fail;
			}
		}
	}
	sqlite3_finalize(s);
	if ((rc = cl_store_exec(st, "RELEASE mail_log", err)) != 0)
		goto undo;
	for (i = 0; i < n; i++)
		v[i]->logged = 1;
	return 0;
fail:
	sqlite3_finalize(s);
undo:
	cl_store_exec(st, "ROLLBACK TO mail_log", NULL);
	cl_store_exec(st, "RELEASE mail_log", NULL);
	return rc;
}

/* Latest time a message of kind got one of the statuses in the SQL list
 * final ('sent', or 'sent', 'rejected'); key and recipient narrow it. */
static int
mail_log_latest(char **out, struct cl_store *st, const char *kind, const char *key,
                const char *recipient, int with_rejected, struct cl_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cl_store_prepare(st, &s, "SELECT max(at) FROM mail_log WHERE kind = ? AND "
	                           "(status = 'sent' OR (?4 AND status = 'rejected')) AND "
	                           "(?2 IS NULL OR key = ?2) AND "
	                           "(?3 IS NULL OR recipient = lower(?3))", err)) != 0)
		return rc;
	cl_bind_text(s, 1, kind);
	cl_bind_text(s, 2, key);
	cl_bind_text(s, 3, recipient);
	sqlite3_bind_int(s, 4, with_rejected);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL &&
		    (*out = cl_column_dup(s, 0)) == NULL) {
			sqlite3_finalize(s);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		rc = 0;
	} else {
		rc = cl_store_fail(st, rc, err, "mail log");
	}
	sqlite3_finalize(s);
	return rc;
}

int
cl_mail_log_last(char **out, struct cl_store *st, const char *kind, const char *key,
                 const char *recipient, struct cl_error *err)
{
	return mail_log_latest(out, st, kind, key, recipient, 0, err);
}

int
cl_mail_log_answered(char **out, struct cl_store *st, const char *kind, const char *key,
                     const char *recipient, struct cl_error *err)
{
	return mail_log_latest(out, st, kind, key, recipient, 1, err);
}

int
cl_mail_log_pending(size_t *out, struct cl_store *st, const char *kind, const char *key,
                    const struct cl_mailbox *v, size_t n, struct cl_error *err)
{
	char *at = NULL;
	size_t i;
	int rc;

	*out = 0;
	for (i = 0; i < n; i++) {
		if ((rc = cl_mail_log_answered(&at, st, kind, key, v[i].email, err)) != 0)
			return rc;
		*out += at == NULL;
		free(at);
	}
	return 0;
}
