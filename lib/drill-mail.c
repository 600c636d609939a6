/* drill-mail.c — a drill's invitation mail (text + HTML through the writer,
 * the calendar attached) and resending what the server deferred. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "drill-int.h"
#include "mail.h"
#include "util.h"
#include "writer.h"

/* "Tue 2024-04-02 14:00-15:00 (Europe/Berlin)" into out. */
static void
when_text(const struct cl_drill *d, char *out, size_t size)
{
	static const char *const wd[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	struct cl_drill end = *d;
	char s[17], e[17];

	cl_drill_local_start(d, s);
	end.start = d->start + (time_t)d->duration * 60;
	cl_drill_local_start(&end, e);
	s[10] = '\0';
	snprintf(out, size, "%s %s %s-%s (%s)", wd[cl_weekday(cl_day_of(d->start, d->timezone))],
	         s, s + 11, e + 11, d->timezone);
}

static const struct cl_col invite_cols[] = {
	{ "field", "", CL_COL_ID, NULL },
	{ "value", "", CL_COL_WIDE, NULL },
};

/* The invitation (or cancellation) through the one writer. */
static void
drill_invite_write(struct cl_writer *w, const struct cl_drill *d, const char *when, int cancel)
{
	char title[512], buf[256], cmd[128];
	struct cl_buf who = CL_BUF_INIT;
	const char *row[2];
	size_t i;

	snprintf(title, sizeof title, "%s%s", cancel ? "Cancelled: " : "", d->title);
	cl_writer_start(w, title, NULL);
	cl_writer_section(w, "details", "When and who", invite_cols, 2, 0);
	snprintf(buf, sizeof buf, "%s, %d minutes", when, d->duration);
	row[0] = "When";
	row[1] = buf;
	cl_writer_row(w, row);
	if (d->rrule) {
		row[0] = "Repeats";
		row[1] = d->rrule;
		cl_writer_row(w, row);
	}
	row[0] = "Organizer";
	row[1] = d->organizer;
	cl_writer_row(w, row);
	for (i = 0; i < d->nattendees; i++)
		cl_buf_printf(&who, "%s%s", i ? ", " : "", d->attendees[i].email);
	row[0] = "Attendees";
	row[1] = cl_buf_str(&who);
	cl_writer_row(w, row);
	cl_writer_section_end(w);
	cl_buf_release(&who);
	if (d->description && *d->description)
		cl_writer_para(w, "description", d->description);
	snprintf(cmd, sizeof cmd, "Record the outcome afterwards:\n"
	         "closeloop drill done %lld --result pass|fail --rto MINUTES", d->id);
	cl_writer_para(w, NULL, cmd);
	cl_writer_end(w, "-- closeloop");
}

struct invite_args {
	const struct cl_drill *d;
	const char *when;
	int cancel;
};

/* cl_writer_mail_parts's callback for an invitation. */
static void
drill_invite_fn(struct cl_writer *w, const void *arg)
{
	const struct invite_args *a = arg;
	drill_invite_write(w, a->d, a->when, a->cancel);
}

int
cl_drill_send_mail(void *arg, const struct cl_drill *d, const char *method,
                   const char *calendar, struct cl_error *err)
{
	struct cl_drill_mailer *mailer = arg;
	struct cl_mail_spec spec;
	struct cl_mailbox *to = NULL;
	struct cl_mail *m = NULL;
	char when[128], *subject = NULL, *text = NULL, *html = NULL;
	const char *what;
	size_t i;
	int rc, cancel = strcmp(method, "CANCEL") == 0;

	if ((to = cl_calloc(d->nattendees ? d->nattendees : 1, sizeof *to)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (i = 0; i < d->nattendees; i++) {
		to[i].name = d->attendees[i].name;
		to[i].email = d->attendees[i].email;
	}
	when_text(d, when, sizeof when);
	what = cancel ? "Cancelled" : d->sequence > 0 ? "Updated invitation" : "Invitation";
	subject = cl_asprintf("%s: %s @ %s", what, d->title, when);
	{
		struct invite_args ia = { d, when, cancel };
		rc = cl_writer_mail_parts(&text, &html, drill_invite_fn, &ia);
	}
	if (subject == NULL || rc != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	memset(&spec, 0, sizeof spec);
	spec.to = to;
	spec.nto = d->nattendees;
	spec.subject = subject;
	spec.text = text;
	spec.html = html;
	spec.calendar = calendar;
	spec.method = method;
	spec.kind = "invite";
	spec.key = d->uid;
	if ((rc = cl_mail_build_cfg(&m, &spec, mailer->cfg, err)) != 0)
		goto done;
	/* logged in the drill's transaction: the drill and the mail log
	 * rows of its invite are written together, or neither */
	rc = cl_mail_deliver(mailer->st, &m, 1, mailer->cfg, mailer->trace, err);
	mailer->accepted = 0;
	for (i = 0; i < m->nrcpt; i++)
		mailer->accepted += m->rcpt[i].state == CL_MAIL_SENT;
	if (m->state == CL_MAIL_PARTIAL) {
		/* the others got it: keep the drill, and say who did not */
		mailer->refused++;
		mailer->refused_code = rc;
		snprintf(mailer->warning, sizeof mailer->warning, "drill %lld: %.400s",
		         d->id, err && err->code ? err->msg : "not every attendee accepted the mail");
		cl_error_clear(err);
		rc = 0;
	}
	if (rc == 0)
		mailer->sent++;
done:
	cl_mail_free(m);
	free(text);
	free(html);
	free(subject);
	free(to);
	return rc;
}

struct cl_drill_sender
cl_drill_mail_sender(struct cl_drill_mailer *mailer)
{
	struct cl_drill_sender s = { cl_drill_send_mail, mailer };
	return s;
}

int
cl_drill_resend_deferred(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                         const struct cl_drill_sender *send, struct cl_error *err)
{
	struct cl_drill *v = NULL, sub;
	struct cl_drill_attendee *who = NULL;
	size_t n = 0, i, j, k;
	char *cal = NULL;
	int rc, first = 0;

	*out = 0;
	if ((rc = cl_drill_query(&v, &n, st, "WHERE d.state IN ('scheduled', 'cancelled') "
	                         "ORDER BY d.start_utc, d.id", NULL, 0, err)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct cl_error e = { 0 };

		for (j = k = 0; j < v[i].nattendees; j++)
			k += v[i].attendees[j].deferred;
		if (k == 0)
			continue;
		free(who);
		if ((who = cl_calloc(k, sizeof *who)) == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
		for (j = k = 0; j < v[i].nattendees; j++)
			if (v[i].attendees[j].deferred)
				who[k++] = v[i].attendees[j];
		/* the calendar names every attendee; it goes to the waiting ones */
		free(cal);
		cal = NULL;
		if ((rc = cl_drill_calendar(&cal, &v[i], cfg, strcmp(v[i].state, "cancelled") == 0,
		                            &e)) == 0) {
			sub = v[i];
			sub.attendees = who;
			sub.nattendees = k;
			rc = send->send(send->arg, &sub, strcmp(v[i].state, "cancelled") == 0 ?
			                "CANCEL" : "REQUEST", cal, &e);
		}
		if (rc == 0)
			(*out)++;
		else if (!first) {
			/* the first error is returned after trying the others */
			first = rc;
			cl_error_set(err, rc, "drill %lld: %s", v[i].id, e.msg);
		}
		rc = 0;
	}
	free(who);
	free(cal);
	cl_drills_free(v, n);
	return rc != 0 ? rc : first;
}
