/* mail-smtp.c — the SMTP transport: libESMTP for the envelope and the wire
 * only; TLS, AUTH and per-recipient outcomes decided here. See
 * docs/mail.md for the libESMTP and exim lessons each piece follows. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <gmime/gmime.h>
/* order matters: ssl.h declares smtp_starttls_set_ctx, auth-client.h
 * smtp_auth_set_context */
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "mail.h"
#include "mail-int.h"
#include "util.h"

struct smtp_run {
	FILE *trace;
	int fd;			/* the connection, once known */
	int fd_guess;		/* lowest free descriptor before the session */
	int connected;
	int in_auth;		/* an AUTH exchange is under way */
	int auth_failed;
	int authenticated;
	int tls_ok, tls_missing, tls_bad_cert;
	int need_auth;		/* AUTH configured: never MAIL without it */
	int auth_missing;	/* MAIL was about to go out unauthenticated */
	char auth_reply[256];
	const char *user, *password;
	/* the batch, for per-message outcomes as they happen */
	struct cl_mail **v;
	smtp_message_t *sm;
	smtp_recipient_t **rs;
	size_t n;
	cl_mail_done_fn done;
	void *done_arg;
};

static void smtp_collect(struct cl_mail *m, smtp_message_t sm, smtp_recipient_t *rs);

static volatile sig_atomic_t smtp_alarm_fired;

static void
smtp_on_alarm(int sig)
{
	(void)sig;
	smtp_alarm_fired = 1;
}

/* Arms (ms > 0) or disarms (0) the repeating connect() timer. */
static void
smtp_connect_timer(long ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	it.it_interval = it.it_value;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* The socket libESMTP connected: created right after we looked, so it is
 * the lowest free descriptor then; checked to be a connected socket. */
static int
smtp_find_socket(int guess)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	struct stat st;
	int fd;

	if (guess >= 0 && fstat(guess, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    getpeername(guess, (struct sockaddr *)&sa, &len) == 0)
		return guess;
	for (fd = 1023; fd > 2; fd--) {
		len = sizeof sa;
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    getpeername(fd, (struct sockaddr *)&sa, &len) == 0)
			return fd;
	}
	return -1;
}

/* libESMTP event callback: connection, TLS outcome. Never overrides a
 * refusal (the int *ok arguments are left alone). */
static void
smtp_on_event(smtp_session_t s, int event, void *arg, ...)
{
	struct smtp_run *run = arg;

	(void)s;
	switch (event) {
	case SMTP_EV_CONNECT:
		smtp_connect_timer(0);
		run->connected = 1;
		run->fd = smtp_find_socket(run->fd_guess);
		break;
	case SMTP_EV_STARTTLS_OK:
		run->tls_ok = 1;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		run->tls_missing = 1;
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
	case SMTP_EV_NO_PEER_CERTIFICATE:
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		run->tls_bad_cert = 1;
		break;
	case SMTP_EV_MESSAGESENT: {
		/* the server answered this message's data: tell the caller now */
		smtp_message_t msg;
		va_list ap;
		size_t i;

		va_start(ap, arg);
		msg = va_arg(ap, smtp_message_t);
		va_end(ap);
		for (i = 0; run->done && i < run->n; i++) {
			if (run->sm[i] != msg)
				continue;
			smtp_collect(run->v[i], run->sm[i], run->rs[i]);
			if (run->authenticated || !run->need_auth)
				run->done(run->done_arg, run->v[i]);
			break;
		}
		break;
	}
	default:
		break;
	}
}

/* Writes one trace line with a direction marker; AUTH payloads redacted. */
static void
smtp_trace_line(struct smtp_run *run, const char *line, size_t len, int writing)
{
	if (run->trace == NULL)
		return;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (writing && run->in_auth) {
		if (len >= 5 && g_ascii_strncasecmp(line, "AUTH ", 5) == 0) {
			const char *sp = memchr(line + 5, ' ', len - 5);
			fprintf(run->trace, "smtp> %.*s%s\n",
			        (int)(sp ? (size_t)(sp - line) : len), line, sp ? " ********" : "");
		} else {
			fprintf(run->trace, "smtp> ********\n");
		}
		return;
	}
	fprintf(run->trace, "smtp%c %.*s\n", writing ? '>' : '<', (int)len, line);
}

/* libESMTP protocol monitor: traces the dialogue and enforces "a failed
 * AUTH sends nothing": libESMTP would go on to MAIL unauthenticated, so on
 * the first 4xx/5xx reply to AUTH the socket is shut down before MAIL. */
static void
smtp_on_wire(const char *buf, int buflen, int writing, void *arg)
{
	struct smtp_run *run = arg;
	const char *p = buf, *end = buf + buflen, *nl;

	if (writing == 2)	/* message headers: not traced */
		return;
	while (p < end) {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		if (writing && len >= 5 && g_ascii_strncasecmp(p, "AUTH ", 5) == 0)
			run->in_auth = 1;
		/* called before the buffer is written: stopping here means the
		 * server never sees an unauthenticated MAIL */
		if (writing == 1 && run->need_auth && !run->authenticated && len >= 10 &&
		    g_ascii_strncasecmp(p, "MAIL FROM:", 10) == 0) {
			run->auth_missing = 1;
			if (run->fd >= 0)
				shutdown(run->fd, SHUT_RDWR);
			if (run->trace)
				fprintf(run->trace, "smtp: not authenticated; stopping before MAIL\n");
			return;
		}
		smtp_trace_line(run, p, len, writing);
		if (!writing && run->in_auth && len >= 4 && p[3] == ' ') {
			if (p[0] == '2') {
				run->in_auth = 0;
				run->authenticated = 1;
			} else if (p[0] == '4' || p[0] == '5') {
				run->in_auth = 0;
				run->auth_failed = 1;
				snprintf(run->auth_reply, sizeof run->auth_reply, "%.*s",
				         (int)(len > 2 ? len - 2 : len), p);
				if (run->fd >= 0)
					shutdown(run->fd, SHUT_RDWR);
			}
		}
		p += len;
	}
}

/* SASL interaction: hands libESMTP the user and the password. */
static int
smtp_on_auth(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct smtp_run *run = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = (char *)run->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = (char *)run->password;
		else
			result[i] = NULL;
		if (result[i] == NULL)
			return 0;
	}
	return 1;
}

/* One TLS context per session: libESMTP's shared default context crashes
 * on a second STARTTLS session (upstream issue #30) and TLS 1.3 session
 * tickets can stall it, so: TLS <= 1.2, our CA file, host name checked. */
static SSL_CTX *
smtp_tls_ctx(const char *ca_file, const char *host, struct cl_error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		cl_error_set(err, CL_ERROR, "unable to create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (ca_file && *ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			SSL_CTX_free(ctx);
			cl_error_set(err, CL_ECONFIG, "[mail] ca_file '%s' cannot be read as "
			             "PEM certificates", ca_file);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		cl_error_set(err, CL_ECONFIG, "no system CA certificates; set [mail] ca_file");
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), host, 0);
	return ctx;
}

/* Lowest descriptor number not in use. */
static int
smtp_lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Reads the SMTP settings of [mail]. */
struct smtp_conf {
	const char *host, *ca_file, *user;
	char hostport[300];
	int tls;
	long port, timeout_ms, connect_ms;
	char *password;
};

static int
smtp_conf_load(struct smtp_conf *c, const struct cl_config *cfg, struct cl_error *err)
{
	const char *tls = cl_config_get_default(cfg, "mail", "tls", "starttls");
	long t;
	int rc;

	memset(c, 0, sizeof *c);
	c->host = cl_config_get_default(cfg, "mail", "host", "localhost");
	c->ca_file = cl_config_get(cfg, "mail", "ca_file");
	c->user = cl_config_get(cfg, "mail", "user");
	if (strcmp(tls, "starttls") == 0)
		c->tls = 1;
	else if (strcmp(tls, "none") == 0)
		c->tls = 0;
	else
		return cl_error_set(err, CL_ECONFIG, "[mail] tls = '%s': use starttls or none "
		                    "(implicit TLS on port 465 is not supported)", tls);
	if (strpbrk(c->host, " \t\r\n/") != NULL)
		return cl_error_set(err, CL_ECONFIG, "[mail] host '%s' is not a host name", c->host);
	if ((rc = cl_config_get_int(cfg, "mail", "port", c->tls ? 587 : 25, 1, 65535,
	                            &c->port, err)) != 0 ||
	    (rc = cl_config_get_int(cfg, "mail", "timeout_s", 30, 1, 3600, &t, err)) != 0)
		return rc;
	c->timeout_ms = t * 1000;
	if ((rc = cl_config_get_int(cfg, "mail", "connect_timeout_s", 10, 1, 600, &t, err)) != 0)
		return rc;
	c->connect_ms = t * 1000;
	snprintf(c->hostport, sizeof c->hostport, "%s:%ld", c->host, c->port);
	if ((rc = cl_config_secret(&c->password, cfg, "mail", "password", err)) != 0)
		return rc;
	if (c->password && !(c->user && *c->user)) {
		cl_secret_free(c->password);
		c->password = NULL;
		return cl_error_set(err, CL_ECONFIG, "[mail] password given without [mail] user");
	}
	if (c->user && *c->user && c->password == NULL)
		return cl_error_set(err, CL_ECONFIG, "[mail] user '%s' needs password_file or "
		                    "password_env", c->user);
	if (c->password && !c->tls)
		return cl_error_set(err, CL_ECONFIG, "refusing to send the SMTP password in "
		                    "clear: AUTH needs tls = starttls");
	return 0;
}

/* Copies libESMTP's per-message/per-recipient statuses into our records. */
static void
smtp_collect(struct cl_mail *m, smtp_message_t sm, smtp_recipient_t *rs)
{
	const smtp_status_t *st;
	size_t j, ok = 0, rejected = 0;
	int rev = 0, data;

	st = smtp_reverse_path_status(sm);
	rev = st ? st->code : 0;
	st = smtp_message_transfer_status(sm);
	data = st ? st->code : 0;
	m->code = data ? data : rev;
	free(m->detail);
	m->detail = st && st->text ? cl_strdup(st->text) : NULL;
	for (j = 0; j < m->nrcpt; j++) {
		const smtp_status_t *r = smtp_recipient_status(rs[j]);
		int code = r ? r->code : 0;

		m->rcpt[j].code = code;
		free(m->rcpt[j].detail);
		m->rcpt[j].detail = r && r->text ? cl_strdup(r->text) : NULL;
		if (code / 100 == 5 || (rev / 100 == 5 && code == 0))
			m->rcpt[j].state = CL_MAIL_REJECTED;
		else if (code / 100 == 2 && data / 100 == 2)
			m->rcpt[j].state = CL_MAIL_SENT;
		else if (code / 100 == 2 && data / 100 == 5)
			m->rcpt[j].state = CL_MAIL_REJECTED;
		else
			m->rcpt[j].state = CL_MAIL_DEFERRED;
		if (code / 100 == 2 && data / 100 != 2) {
			/* RCPT was fine, the message was not: say why */
			m->rcpt[j].code = data;
			free(m->rcpt[j].detail);
			m->rcpt[j].detail = st && st->text ? cl_strdup(st->text) : NULL;
		}
		if (m->rcpt[j].state == CL_MAIL_SENT)
			ok++;
		else if (m->rcpt[j].state == CL_MAIL_REJECTED)
			rejected++;
	}
	if (ok == m->nrcpt)
		m->state = CL_MAIL_SENT;
	else if (ok > 0)
		m->state = CL_MAIL_PARTIAL;
	else if (rejected == m->nrcpt)
		m->state = CL_MAIL_REJECTED;
	else
		m->state = CL_MAIL_DEFERRED;
}

/* Names the first refusal for the error message. */
static void
smtp_describe(struct cl_mail **v, size_t n, int *temp, int *perm, char *buf, size_t size)
{
	size_t i, j;

	*temp = *perm = 0;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i]->nrcpt; j++) {
			struct cl_mail_rcpt *r = &v[i]->rcpt[j];
			if (r->state == CL_MAIL_SENT)
				continue;
			if (r->state == CL_MAIL_REJECTED)
				(*perm)++;
			else
				(*temp)++;
			if (buf[0] == '\0' && r->code)
				snprintf(buf, size, "%s: %d %s", r->email, r->code,
				         r->detail ? r->detail : "");
			else if (buf[0] == '\0' && v[i]->code)
				snprintf(buf, size, "%s: %d %s", r->email, v[i]->code,
				         v[i]->detail ? v[i]->detail : "");
		}
	}
	/* server text ends with a line break */
	buf[strcspn(buf, "\r\n")] = '\0';
}

int
cl_mail_send_smtp(struct cl_mail **v, size_t n, const struct cl_config *cfg, FILE *trace,
               cl_mail_done_fn done, void *done_arg, struct cl_error *err)
{
	struct smtp_conf c;
	struct smtp_run run;
	struct sigaction sa, old_alrm, old_pipe;
	smtp_session_t s = NULL;
	smtp_message_t *sm = NULL;
	smtp_recipient_t **rs = NULL;
	auth_context_t actx = NULL;
	SSL_CTX *ctx = NULL;
	char why[600], ebuf[256];
	size_t i, j;
	int rc = 0, started, serr, temp, perm, any;

	if ((rc = smtp_conf_load(&c, cfg, err)) != 0)
		goto out;
	memset(&run, 0, sizeof run);
	run.trace = trace;
	run.fd = -1;
	run.user = c.user;
	run.password = c.password;
	run.need_auth = c.password != NULL;
	if ((sm = cl_calloc(n, sizeof *sm)) == NULL || (rs = cl_calloc(n, sizeof *rs)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto out;
	}
	if ((s = smtp_create_session()) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "unable to create an SMTP session");
		goto out;
	}
	run.v = v;
	run.sm = sm;
	run.rs = rs;
	run.n = n;
	run.done = done;
	run.done_arg = done_arg;
	smtp_set_server(s, c.hostport);
	smtp_set_eventcb(s, smtp_on_event, &run);
	smtp_set_monitorcb(s, smtp_on_wire, &run, 0);
	/* libESMTP's timeouts are milliseconds, clamped to RFC 5321 minutes
	 * unless overridden */
	smtp_set_timeout(s, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, c.timeout_ms);
	smtp_set_timeout(s, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, c.timeout_ms);
	smtp_set_timeout(s, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, c.timeout_ms);
	smtp_set_timeout(s, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, c.timeout_ms);
	smtp_set_timeout(s, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, c.timeout_ms);
	if (c.tls) {
		if ((ctx = smtp_tls_ctx(c.ca_file, c.host, err)) == NULL) {
			rc = err && err->code ? err->code : CL_ERROR;
			goto out;
		}
		smtp_starttls_enable(s, Starttls_REQUIRED);
		smtp_starttls_set_ctx(s, ctx);	/* takes a reference */
		SSL_CTX_free(ctx);
		ctx = NULL;
	} else {
		smtp_starttls_enable(s, Starttls_DISABLED);
	}
	if (c.password) {
		auth_client_init();
		actx = auth_create_context();
		auth_set_mechanism_flags(actx, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(actx, smtp_on_auth, &run);
		smtp_auth_set_context(s, actx);
	}
	for (i = 0; i < n; i++) {
		if ((sm[i] = smtp_add_message(s)) == NULL ||
		    (rs[i] = cl_calloc(v[i]->nrcpt ? v[i]->nrcpt : 1, sizeof **rs)) == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto out;
		}
		smtp_set_reverse_path(sm[i], v[i]->from);
		for (j = 0; j < v[i]->nrcpt; j++)
			if ((rs[i][j] = smtp_add_recipient(sm[i], v[i]->rcpt[j].email)) == NULL) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				goto out;
			}
		/* the message text is ours, headers included; libESMTP
		 * dot-stuffs it */
		smtp_set_message_str(sm[i], v[i]->data);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = smtp_on_alarm;	/* no SA_RESTART: connect() gives EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_alrm);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	smtp_alarm_fired = 0;
	run.fd_guess = smtp_lowest_free_fd();
	smtp_connect_timer(c.connect_ms);
	started = smtp_start_session(s);
	serr = smtp_errno();
	smtp_connect_timer(0);
	sigaction(SIGALRM, &old_alrm, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	/* its return value is not success: judge by each status code */
	for (i = 0; i < n; i++)
		smtp_collect(v[i], sm[i], rs[i]);
	smtp_describe(v, n, &temp, &perm, why, sizeof why);
	any = temp + perm;
	if (run.auth_failed) {
		for (i = 0; i < n; i++)
			if (v[i]->state != CL_MAIL_SENT) {
				v[i]->state = CL_MAIL_DEFERRED;
				for (j = 0; j < v[i]->nrcpt; j++)
					v[i]->rcpt[j].state = CL_MAIL_DEFERRED;
			}
		rc = cl_error_set(err, CL_ENOPERM, "SMTP authentication as '%s' failed at %s: "
		                  "%s; nothing sent", c.user, c.hostport, run.auth_reply);
	} else if (c.password && run.connected && !run.authenticated && (any || run.auth_missing)) {
		rc = cl_error_set(err, CL_ENOPERM, "%s offers no usable AUTH mechanism for '%s' "
		                  "(AUTH is configured, so nothing was sent)", c.hostport, c.user);
	} else if (!run.connected && any) {
		rc = cl_error_set(err, CL_ETEMPFAIL, "unable to connect to SMTP server %s: %s",
		                  c.hostport, smtp_alarm_fired ? "connect timed out" :
		                  smtp_strerror(serr, ebuf, sizeof ebuf));
	} else if (c.tls && !run.tls_ok && any) {
		if (run.tls_missing)
			rc = cl_error_set(err, CL_EUNAVAIL, "SMTP server %s does not offer STARTTLS; "
			                  "refusing to send in clear (set [mail] tls = none to allow "
			                  "it)", c.hostport);
		else
			rc = cl_error_set(err, CL_EUNAVAIL, "TLS with %s failed%s: %s", c.hostport,
			                  run.tls_bad_cert ? " (certificate not trusted for this "
			                  "host)" : " (certificate not trusted, or handshake failed)",
			                  smtp_strerror(serr, ebuf, sizeof ebuf));
	} else if (temp > 0) {
		rc = cl_error_set(err, CL_ETEMPFAIL, "%d recipient%s not accepted for now at %s%s%s",
		                  temp, temp == 1 ? "" : "s", c.hostport, why[0] ? ": " : "",
		                  why[0] ? why : (started ? "" : smtp_strerror(serr, ebuf,
		                                                               sizeof ebuf)));
	} else if (perm > 0) {
		rc = cl_error_set(err, CL_EUNAVAIL, "%d recipient%s refused by %s: %s", perm,
		                  perm == 1 ? "" : "s", c.hostport, why);
	}
out:
	if (s)
		smtp_destroy_session(s);
	if (actx) {
		auth_destroy_context(actx);
		auth_client_exit();
	}
	if (ctx)
		SSL_CTX_free(ctx);
	if (rs)
		for (i = 0; i < n; i++)
			free(rs[i]);
	free(rs);
	free(sm);
	cl_secret_free(c.password);
	return rc;
}
