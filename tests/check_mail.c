/* check_mail.c — MIME building and delivery against a real SMTP server
 * (tests/helpers/smtpd.py, aiosmtpd), messages parsed back by Python's
 * email package (tests/helpers/mailcheck.py), not by our code. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"

static char *tmp;
static pid_t srv_pid = -1;
static int srv_port;
static char certs[1024];

static void
setup(void)
{
	tmp = tu_tmpdir();
	setenv("CLOSELOOP_NOW", "2024-03-20T09:00:00Z", 1);
}

static void
teardown(void)
{
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
		srv_pid = -1;
	}
	tu_rmtree(tmp);
	free(tmp);
}

/* Makes the test CA and certificates once per test that needs them. */
static void
make_certs(void)
{
	char cmd[2048];

	snprintf(certs, sizeof certs, "%s/certs", tmp);
	snprintf(cmd, sizeof cmd, "sh tests/helpers/mkcert.sh '%s'", certs);
	ck_assert_int_eq(system(cmd), 0);
}

/* Starts smtpd.py with extra arguments; waits (bounded) for its port. */
static void
srv_start(const char *extra)
{
	char cmd[4096], portfile[1024];
	int i;
	FILE *f;

	snprintf(portfile, sizeof portfile, "%s/port", tmp);
	snprintf(cmd, sizeof cmd, "exec /usr/bin/python3 tests/helpers/smtpd.py --dir '%s/srv' "
	         "--port-file '%s' --max-seconds 60 %s", tmp, portfile, extra);
	srv_pid = fork();
	ck_assert_int_ge(srv_pid, 0);
	if (srv_pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			int ok = fscanf(f, "%d", &srv_port) == 1;
			fclose(f);
			if (ok)
				return;
		}
		usleep(50000);
	}
	ck_abort_msg("smtpd.py did not start (is python3-aiosmtpd installed?)");
}

/* A config pointing at the test server. */
static struct cl_config *
cfg_smtp(const char *tls, const char *user, const char *password)
{
	struct cl_config *cfg = cl_config_new();
	char port[16], pwfile[1024];

	snprintf(port, sizeof port, "%d", srv_port);
	cl_config_set(cfg, "mail", "transport", "smtp");
	cl_config_set(cfg, "mail", "host", strcmp(tls, "starttls") == 0 ? "localhost" : "127.0.0.1");
	cl_config_set(cfg, "mail", "port", port);
	cl_config_set(cfg, "mail", "tls", tls);
	cl_config_set(cfg, "mail", "timeout_s", "5");
	cl_config_set(cfg, "mail", "connect_timeout_s", "2");
	cl_config_set(cfg, "mail", "from", "closeloop <closeloop@example.com>");
	if (certs[0]) {
		char ca[1100];
		snprintf(ca, sizeof ca, "%s/ca.pem", certs);
		cl_config_set(cfg, "mail", "ca_file", ca);
	}
	if (user) {
		snprintf(pwfile, sizeof pwfile, "%s/smtp-password", tmp);
		tu_write(tmp, "smtp-password", password);
		chmod(pwfile, 0600);
		cl_config_set(cfg, "mail", "user", user);
		cl_config_set(cfg, "mail", "password_file", pwfile);
	}
	return cfg;
}

/* Builds a message to the given comma-separated addresses. */
static struct cl_mail *
mk_mail(const char *subject, const char *to1, const char *to2)
{
	struct cl_mailbox from = { "Close Loop", "closeloop@example.com" };
	struct cl_mailbox to[2] = { { "Jörg Müller, SRE", (char *)to1 }, { NULL, (char *)to2 } };
	struct cl_mail_spec spec = { 0 };
	struct cl_error err = { 0 };
	struct cl_mail *m = NULL;

	spec.from = &from;
	spec.to = to;
	spec.nto = to2 ? 2 : 1;
	spec.subject = subject;
	spec.text = "Überfällig: 2 items\n.a line starting with a dot\nend\n";
	spec.html = "<p>&Uuml;berf&auml;llig: <b>2</b> items — ok</p>\n";
	spec.kind = "test";
	spec.key = "2024-W12";
	ck_assert_msg(cl_mail_build(&m, &spec, &err) == 0, "%s", err.msg);
	return m;
}

/* Runs a Python check (tests/helpers/mailcheck.py) on the server's dir. */
static int
pycheck(const char *args)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/helpers/mailcheck.py '%s/srv' %s",
	         tmp, args);
	return system(cmd);
}

static int
count_events(const char *word)
{
	char path[1100], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/srv/events.log", tmp);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, word, strlen(word)) == 0 && line[strlen(word)] <= ' ')
			n++;
	fclose(f);
	return n;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- building --------------------------------------------------------- */

START_TEST(build_crlf_and_headers)
{
	struct cl_mail *m = mk_mail("Wöchentlicher Bericht", "a@example.com", NULL);
	size_t i;

	for (i = 0; i < m->len; i++) {
		if (m->data[i] == '\n')
			ck_assert_msg(i > 0 && m->data[i - 1] == '\r', "bare LF at %zu", i);
		if (m->data[i] == '\r')
			ck_assert_msg(m->data[i + 1] == '\n', "bare CR at %zu", i);
	}
	ck_assert_ptr_nonnull(strstr(m->data, "\r\nAuto-Submitted: auto-generated\r\n"));
	ck_assert_ptr_nonnull(strstr(m->data, "MIME-Version: 1.0\r\n"));
	ck_assert_ptr_nonnull(strstr(m->data, "multipart/alternative"));
	ck_assert_ptr_nonnull(strstr(m->data, "Date: Wed, 20 Mar 2024 09:00:00 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(m->data, "=?UTF-8?"));
	ck_assert_ptr_null(strstr(m->data, "Wöchentlicher"));	/* encoded, not raw */
	ck_assert_ptr_nonnull(m->message_id);
	ck_assert_ptr_nonnull(strstr(m->message_id, "@example.com"));
	ck_assert_int_eq((int)m->nrcpt, 1);
	cl_mail_free(m);
}
END_TEST

START_TEST(build_rejects_injection)
{
	struct cl_mailbox from = { NULL, "closeloop@example.com" };
	struct cl_mailbox to = { "Eve\r\nBcc: victim@example.net", "eve@example.com" };
	struct cl_mailbox to2 = { NULL, "eve@example.com\r\nBcc: victim@example.net" };
	struct cl_mail_spec spec = { 0 };
	struct cl_error err = { 0 };
	struct cl_mail *m = NULL;

	spec.from = &from;
	spec.to = &to;
	spec.nto = 1;
	spec.text = "x";
	spec.subject = "ok";
	ck_assert_int_eq(cl_mail_build(&m, &spec, &err), CL_EDATA);
	ck_assert_ptr_null(m);
	cl_error_clear(&err);
	to.name = "Eve";
	spec.subject = "Report\r\nBcc: victim@example.net";
	ck_assert_int_eq(cl_mail_build(&m, &spec, &err), CL_EDATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "subject"));
	cl_error_clear(&err);
	spec.subject = "Report\nBcc: victim@example.net";
	ck_assert_int_eq(cl_mail_build(&m, &spec, &err), CL_EDATA);
	cl_error_clear(&err);
	spec.subject = "ok";
	spec.to = &to2;
	ck_assert_int_eq(cl_mail_build(&m, &spec, &err), CL_EDATA);
	cl_error_clear(&err);
	to2.email = "Jörg@example.com";		/* no SMTPUTF8 */
	ck_assert_int_eq(cl_mail_build(&m, &spec, &err), CL_EDATA);
	cl_error_clear(&err);
	spec.to = &to;
	spec.calendar = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";	/* no method */
	ck_assert_int_eq(cl_mail_build(&m, &spec, &err), CL_EDATA);
}
END_TEST

START_TEST(build_invite_layout)
{
	struct cl_mailbox from = { "SRE Lead", "lead@example.com" };
	struct cl_mailbox to = { "Ana", "ana@example.com" };
	struct cl_mail_spec spec = { 0 };
	struct cl_error err = { 0 };
	struct cl_mail *m = NULL;
	char path[1100], cmd[2048];

	spec.from = &from;
	spec.to = &to;
	spec.nto = 1;
	spec.subject = "Drill: db failover";
	spec.text = "Please join.";
	spec.html = "<p>Please join.</p>";
	spec.calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	                "METHOD:REQUEST\r\nEND:VCALENDAR\r\n";
	spec.method = "REQUEST";
	ck_assert_msg(cl_mail_build(&m, &spec, &err) == 0, "%s", err.msg);
	mkdir(strcat(strcpy(path, tmp), "/srv"), 0700);
	strcat(path, "/001.eml");
	{
		FILE *f = fopen(path, "wb");
		fwrite(m->data, 1, m->len, f);
		fclose(f);
	}
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/helpers/mailcheck.py '%s/srv' "
	         "--structure 'multipart/mixed(multipart/alternative(text/plain,text/html,"
	         "text/calendar),application/ics)' --calendar-method REQUEST", tmp);
	ck_assert_int_eq(system(cmd), 0);
	cl_mail_free(m);
}
END_TEST

START_TEST(parse_address_list)
{
	struct cl_mailbox *v = NULL;
	struct cl_error err = { 0 };
	size_t n = 0;

	ck_assert_int_eq(cl_mailbox_parse_list(&v, &n, "\"Doe, Jane\" <jane@example.com>, "
	                                       "bob@example.org", &err), 0);
	ck_assert_int_eq((int)n, 2);
	ck_assert_str_eq(v[0].name, "Doe, Jane");
	ck_assert_str_eq(v[0].email, "jane@example.com");
	ck_assert_ptr_null(v[1].name);
	cl_mailboxes_free(v, n);
	ck_assert_int_eq(cl_mailbox_parse_list(&v, &n, "a@b.c\r\nBcc: x@y.z", &err), CL_EDATA);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_mailbox_parse_list(&v, &n, "nobody", &err), CL_EDATA);
}
END_TEST

/* ---- file transport ----------------------------------------------------- */

START_TEST(file_outbox)
{
	struct cl_config *cfg = cl_config_new();
	struct cl_mail *v[2];
	struct cl_error err = { 0 };
	char outbox[1100];

	snprintf(outbox, sizeof outbox, "%s/srv", tmp);
	cl_config_set(cfg, "mail", "transport", "file");
	cl_config_set(cfg, "mail", "outbox", outbox);
	v[0] = mk_mail("one", "a@example.com", NULL);
	v[1] = mk_mail("two", "b@example.com", NULL);
	ck_assert_msg(cl_mail_send(v, 2, cfg, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(v[0]->state, CL_MAIL_SENT);
	ck_assert_int_eq(v[1]->rcpt[0].state, CL_MAIL_SENT);
	ck_assert_int_eq(pycheck("--count 2 --subject one --subject two"), 0);
	cl_mail_free(v[0]);
	cl_mail_free(v[1]);
	cl_config_free(cfg);
}
END_TEST

/* ---- SMTP ------------------------------------------------------------- */

START_TEST(smtp_plain_one_session)
{
	struct cl_config *cfg;
	struct cl_mail *v[2];
	struct cl_error err = { 0 };

	srv_start("");
	cfg = cfg_smtp("none", NULL, NULL);
	v[0] = mk_mail("Bericht 1", "ana@example.com", "bob@example.com");
	v[1] = mk_mail("Bericht 2 \"quoted\", with comma", "carl@example.com", NULL);
	ck_assert_msg(cl_mail_send(v, 2, cfg, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(v[0]->state, CL_MAIL_SENT);
	ck_assert_int_eq(v[0]->code, 250);
	ck_assert_int_eq(v[1]->state, CL_MAIL_SENT);
	ck_assert_int_eq(count_events("connect"), 1);	/* one session for both */
	ck_assert_int_eq(count_events("data"), 2);
	ck_assert_int_eq(pycheck("--count 2 --subject 'Bericht 1' --subject 'Bericht 2 \"quoted\", with comma' "
	                         "--to-name 'Jörg Müller, SRE' --text 'Überfällig: 2 items' "
	                         "--text '.a line starting with a dot' --html '<b>2</b>'"), 0);
	cl_mail_free(v[0]);
	cl_mail_free(v[1]);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_starttls_auth_repeated)
{
	struct cl_config *cfg;
	struct cl_error err = { 0 };
	char extra[4096];
	int i;

	make_certs();
	snprintf(extra, sizeof extra, "--tls-cert '%s/localhost.pem' --tls-key '%s/localhost.key' "
	         "--auth closeloop:s3cret", certs, certs);
	srv_start(extra);
	cfg = cfg_smtp("starttls", "closeloop", "s3cret\n");
	/* several STARTTLS sessions in one process (libESMTP issue #30) */
	for (i = 0; i < 3; i++) {
		struct cl_mail *m = mk_mail("tls", "ana@example.com", NULL);
		cl_error_clear(&err);
		ck_assert_msg(cl_mail_send(&m, 1, cfg, NULL, &err) == 0, "run %d: %s", i, err.msg);
		ck_assert_int_eq(m->state, CL_MAIL_SENT);
		cl_mail_free(m);
	}
	ck_assert_int_eq(count_events("starttls"), 3);
	ck_assert_int_eq(count_events("auth-ok"), 3);
	ck_assert_int_eq(pycheck("--count 3 --tls --auth closeloop"), 0);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_auth_wrong_password_sends_nothing)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	char extra[4096];
	int rc;

	make_certs();
	/* AUTH optional: a client falling through to MAIL would deliver */
	snprintf(extra, sizeof extra, "--tls-cert '%s/localhost.pem' --tls-key '%s/localhost.key' "
	         "--auth closeloop:s3cret --auth-optional", certs, certs);
	srv_start(extra);
	cfg = cfg_smtp("starttls", "closeloop", "wrong");
	m = mk_mail("must not arrive", "ana@example.com", NULL);
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_ENOPERM);
	ck_assert_int_eq(cl_exitcode(rc), 77);
	ck_assert_int_ne(m->state, CL_MAIL_SENT);
	ck_assert_ptr_null(strstr(err.msg, "wrong"));	/* no password in messages */
	ck_assert_int_ge(count_events("auth-fail"), 1);
	ck_assert_int_eq(count_events("mail"), 0);
	ck_assert_int_eq(count_events("data"), 0);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_auth_not_offered_sends_nothing)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	char extra[4096];
	int rc;

	make_certs();
	/* TLS but no AUTH on offer: libESMTP would skip AUTH and send */
	snprintf(extra, sizeof extra, "--tls-cert '%s/localhost.pem' --tls-key '%s/localhost.key' "
	         "--no-auth-offer", certs, certs);
	srv_start(extra);
	cfg = cfg_smtp("starttls", "closeloop", "s3cret");
	m = mk_mail("must not arrive", "ana@example.com", NULL);
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_msg(rc == CL_ENOPERM, "rc %d: %s", rc, err.msg);
	ck_assert_int_ne(m->state, CL_MAIL_SENT);
	ck_assert_int_eq(count_events("starttls"), 1);
	ck_assert_int_eq(count_events("auth-ok") + count_events("auth-fail"), 0);
	ck_assert_int_eq(count_events("mail"), 0);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_no_starttls_offered)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	int rc;

	make_certs();
	srv_start("");
	cfg = cfg_smtp("starttls", NULL, NULL);
	m = mk_mail("must not arrive", "ana@example.com", NULL);
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_EUNAVAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "STARTTLS"));
	ck_assert_int_eq(m->state, CL_MAIL_DEFERRED);
	ck_assert_int_eq(count_events("mail"), 0);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_wrong_certificate)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	char extra[4096];
	int rc;

	make_certs();
	snprintf(extra, sizeof extra, "--tls-cert '%s/wronghost.pem' --tls-key '%s/wronghost.key'",
	         certs, certs);
	srv_start(extra);
	cfg = cfg_smtp("starttls", NULL, NULL);
	m = mk_mail("must not arrive", "ana@example.com", NULL);
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_EUNAVAIL);
	ck_assert_int_eq(count_events("mail"), 0);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_server_down)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	int rc;

	srv_start("");
	kill(srv_pid, SIGTERM);
	waitpid(srv_pid, NULL, 0);
	srv_pid = -1;
	cfg = cfg_smtp("none", NULL, NULL);
	m = mk_mail("x", "ana@example.com", NULL);
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_ETEMPFAIL);
	ck_assert_int_eq(cl_exitcode(rc), 75);
	ck_assert_int_eq(m->state, CL_MAIL_DEFERRED);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

/* 421 at MAIL, 451 at end of DATA: temporary, nothing marked sent */
static void
temp_fault(const char *fault)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	struct cl_store *st;
	char *last = NULL, extra[64];
	int rc;

	snprintf(extra, sizeof extra, "--fault %s", fault);
	srv_start(extra);
	cfg = cfg_smtp("none", NULL, NULL);
	m = mk_mail("x", "ana@example.com", NULL);
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_msg(rc == CL_ETEMPFAIL, "%s: rc %d %s", fault, rc, err.msg);
	ck_assert_int_eq(m->state, CL_MAIL_DEFERRED);
	st = tu_store(tmp);
	ck_assert_int_eq(cl_mail_log(st, &m, 1, &err), 0);
	ck_assert_int_eq(cl_mail_log_last(&last, st, "test", "2024-W12", NULL, &err), 0);
	ck_assert_ptr_null(last);
	cl_store_close(st);
	cl_mail_free(m);
	cl_config_free(cfg);
}

START_TEST(smtp_421)
{
	temp_fault("mail421");
}
END_TEST

START_TEST(smtp_451)
{
	temp_fault("data451");
	ck_assert_int_eq(count_events("data"), 1);
}
END_TEST

START_TEST(smtp_one_recipient_rejected)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	struct cl_store *st;
	sqlite3_stmt *s;
	char *last = NULL;
	int rc, rows = 0;

	srv_start("--reject nobody@example.com");
	cfg = cfg_smtp("none", NULL, NULL);
	m = mk_mail("partial", "ana@example.com", "nobody@example.com");
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_EUNAVAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "nobody@example.com"));
	ck_assert_int_eq(m->state, CL_MAIL_PARTIAL);
	ck_assert_int_eq(m->rcpt[0].state, CL_MAIL_SENT);
	ck_assert_int_eq(m->rcpt[1].state, CL_MAIL_REJECTED);
	ck_assert_int_eq(m->rcpt[1].code, 550);
	ck_assert_int_eq(pycheck("--count 1 --rcpt ana@example.com"), 0);
	st = tu_store(tmp);
	ck_assert_int_eq(cl_mail_log(st, &m, 1, &err), 0);
	ck_assert_int_eq(cl_mail_log_last(&last, st, "test", "2024-W12", "ana@example.com", &err), 0);
	ck_assert_ptr_nonnull(last);
	free(last);
	ck_assert_int_eq(cl_mail_log_last(&last, st, "test", NULL, "nobody@example.com", &err), 0);
	ck_assert_ptr_null(last);
	ck_assert_int_eq(cl_store_prepare(st, &s, "SELECT recipient, status, code FROM mail_log "
	                                  "ORDER BY recipient", &err), 0);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);
		const char *status = (const char *)sqlite3_column_text(s, 1);
		if (strcmp(r, "ana@example.com") == 0)
			ck_assert_str_eq(status, "sent");
		else
			ck_assert_str_eq(status, "rejected");
		rows++;
	}
	sqlite3_finalize(s);
	ck_assert_int_eq(rows, 2);
	cl_store_close(st);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

/* cl_mail_send_each: each outcome is handed over while the session runs,
 * and logging it there makes the batch's final log skip it. */
struct each_seen {
	struct cl_store *st;
	int calls, sent, rejected;
};

static void
each_done(void *arg, struct cl_mail *m)
{
	struct each_seen *e = arg;

	e->calls++;
	e->sent += m->state == CL_MAIL_SENT;
	e->rejected += m->state == CL_MAIL_PARTIAL || m->state == CL_MAIL_REJECTED;
	ck_assert_int_eq(cl_mail_log(e->st, &m, 1, NULL), 0);
	ck_assert_int_eq(m->logged, 1);
}

START_TEST(smtp_each_outcome_logged_at_once)
{
	struct each_seen e = { 0 };
	struct cl_config *cfg;
	struct cl_mail *v[3];
	struct cl_error err = { 0 };
	sqlite3_stmt *s;
	int rows = 0;

	srv_start("--reject nobody@example.com");
	cfg = cfg_smtp("none", NULL, NULL);
	e.st = tu_store(tmp);
	v[0] = mk_mail("first", "ana@example.com", NULL);
	v[1] = mk_mail("second", "nobody@example.com", NULL);
	v[2] = mk_mail("third", "carl@example.com", NULL);
	cl_mail_send_each(v, 3, cfg, NULL, each_done, &e, &err);
	ck_assert_int_eq(e.calls, 3);
	ck_assert_int_eq(e.sent, 2);
	ck_assert_int_eq(count_events("connect"), 1);	/* still one session */
	/* the batch log afterwards adds nothing twice */
	ck_assert_int_eq(cl_mail_log(e.st, v, 3, &err), 0);
	ck_assert_int_eq(cl_store_prepare(e.st, &s, "SELECT count(*) FROM mail_log", &err), 0);
	if (sqlite3_step(s) == SQLITE_ROW)
		rows = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	ck_assert_int_eq(rows, 3);
	cl_store_close(e.st);
	cl_mail_free(v[0]);
	cl_mail_free(v[1]);
	cl_mail_free(v[2]);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_greeting_timeout)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	double t0;
	int rc;

	srv_start("--silent");
	cfg = cfg_smtp("none", NULL, NULL);
	cl_config_set(cfg, "mail", "timeout_s", "1");
	m = mk_mail("x", "ana@example.com", NULL);
	t0 = now_s();
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_ETEMPFAIL);
	ck_assert_msg(now_s() - t0 < 4.0, "took %.1fs", now_s() - t0);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_connect_timeout)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	double t0;
	int rc;

	srv_start("--backlog");
	cfg = cfg_smtp("none", NULL, NULL);
	cl_config_set(cfg, "mail", "connect_timeout_s", "1");
	m = mk_mail("x", "ana@example.com", NULL);
	t0 = now_s();
	rc = cl_mail_send(&m, 1, cfg, NULL, &err);
	ck_assert_int_eq(rc, CL_ETEMPFAIL);
	ck_assert_msg(now_s() - t0 < 4.0, "took %.1fs", now_s() - t0);
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

START_TEST(smtp_trace_redacts_auth)
{
	struct cl_config *cfg;
	struct cl_mail *m;
	struct cl_error err = { 0 };
	char extra[4096], tpath[1100], buf[65536];
	FILE *trace;
	size_t len;

	make_certs();
	snprintf(extra, sizeof extra, "--tls-cert '%s/localhost.pem' --tls-key '%s/localhost.key' "
	         "--auth closeloop:s3cret", certs, certs);
	srv_start(extra);
	cfg = cfg_smtp("starttls", "closeloop", "s3cret");
	m = mk_mail("trace", "ana@example.com", NULL);
	snprintf(tpath, sizeof tpath, "%s/trace.txt", tmp);
	trace = fopen(tpath, "w+");
	ck_assert_msg(cl_mail_send(&m, 1, cfg, trace, &err) == 0, "%s", err.msg);
	rewind(trace);
	len = fread(buf, 1, sizeof buf - 1, trace);
	buf[len] = '\0';
	fclose(trace);
	ck_assert_ptr_nonnull(strstr(buf, "smtp> AUTH "));
	ck_assert_ptr_nonnull(strstr(buf, "STARTTLS"));
	ck_assert_ptr_null(strstr(buf, "s3cret"));
	ck_assert_ptr_null(strstr(buf, "czNjcmV0"));		/* base64 of s3cret */
	ck_assert_ptr_null(strstr(buf, "AGNsb3NlbG9vcABzM2NyZXQ"));	/* PLAIN blob */
	cl_mail_free(m);
	cl_config_free(cfg);
}
END_TEST

static Suite *
mail_suite(void)
{
	Suite *s = suite_create("mail");
	TCase *b = tcase_create("build"), *t = tcase_create("smtp");

	tcase_add_checked_fixture(b, setup, teardown);
	tcase_add_test(b, build_crlf_and_headers);
	tcase_add_test(b, build_rejects_injection);
	tcase_add_test(b, build_invite_layout);
	tcase_add_test(b, parse_address_list);
	tcase_add_test(b, file_outbox);
	suite_add_tcase(s, b);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, smtp_plain_one_session);
	tcase_add_test(t, smtp_starttls_auth_repeated);
	tcase_add_test(t, smtp_auth_wrong_password_sends_nothing);
	tcase_add_test(t, smtp_auth_not_offered_sends_nothing);
	tcase_add_test(t, smtp_no_starttls_offered);
	tcase_add_test(t, smtp_wrong_certificate);
	tcase_add_test(t, smtp_server_down);
	tcase_add_test(t, smtp_421);
	tcase_add_test(t, smtp_451);
	tcase_add_test(t, smtp_one_recipient_rejected);
	tcase_add_test(t, smtp_each_outcome_logged_at_once);
	tcase_add_test(t, smtp_greeting_timeout);
	tcase_add_test(t, smtp_connect_timeout);
	tcase_add_test(t, smtp_trace_redacts_auth);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return tu_run(mail_suite());
}
