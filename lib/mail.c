/* mail.c — MIME messages with GMime 3; delivery through libESMTP or a file
 * outbox; the mail log. See mail.h and /work/shared/mail/README.md for the
 * libESMTP traps each piece of code here works around. */
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

#include "dates.h"
#include "mail.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------- */

/* GMime needs one g_mime_init() per process. */
static void
mail_gmime_init(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

/* A value that becomes a header must be UTF-8 without CR, LF or NUL. */
static int
mail_check_header_value(const char *what, const char *v, struct cl_error *err)
{
	if (v == NULL)
		return 0;
	if (strpbrk(v, "\r\n") != NULL)
		return cl_error_set(err, CL_EDATA, "%s contains a line break: refusing it "
		                    "(header injection)", what);
	if (!g_utf8_validate(v, -1, NULL))
		return cl_error_set(err, CL_EDATA, "%s is not valid UTF-8", what);
	return 0;
}

int
cl_mail_check_address(const char *email, struct cl_error *err)
{
	const char *at, *p;

	if (email == NULL || *email == '\0')
		return cl_error_set(err, CL_EDATA, "empty e-mail address");
	if (strlen(email) > 254)
		return cl_error_set(err, CL_EDATA, "e-mail address too long");
	at = strrchr(email, '@');
	if (at == NULL || at == email || at[1] == '\0' || strchr(email, '@') != at)
		goto bad;
	for (p = email; p < at; p++)
		if (!(g_ascii_isalnum(*p) || strchr("!#$%&'*+/=?^_`{|}~.-", *p)))
			goto bad;
	for (p = at + 1; *p; p++)
		if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
			goto bad;
	if (email[0] == '.' || at[-1] == '.' || strstr(email, "..") || at[1] == '.' ||
	    at[1] == '-')
		goto bad;
	return 0;
bad:
	/* do not echo control characters back */
	for (p = email; *p; p++)
		if ((unsigned char)*p < 0x20)
			return cl_error_set(err, CL_EDATA, "bad e-mail address (control character)");
	return cl_error_set(err, CL_EDATA, "bad e-mail address '%s'", email);
}

void
cl_mailboxes_free(struct cl_mailbox *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].email);
	}
	free(v);
}

int
cl_mailbox_parse_list(struct cl_mailbox **out, size_t *n, const char *s,
                      struct cl_error *err)
{
	InternetAddressList *list = NULL;
	struct cl_mailbox *v = NULL;
	int i, len, rc = 0;

	*out = NULL;
	*n = 0;
	if ((rc = mail_check_header_value("address list", s, err)) != 0)
		return rc;
	mail_gmime_init();
	if (s == NULL || (list = internet_address_list_parse(NULL, s)) == NULL ||
	    (len = internet_address_list_length(list)) == 0) {
		rc = cl_error_set(err, CL_EDATA, "no e-mail address in '%s'", s ? s : "");
		goto done;
	}
	if ((v = cl_calloc((size_t)len, sizeof *v)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < len; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *name, *addr;

		if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			rc = cl_error_set(err, CL_EDATA, "address groups are not supported: '%s'", s);
			goto done;
		}
		addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		name = internet_address_get_name(ia);
		if ((rc = cl_mail_check_address(addr, err)) != 0)
			goto done;
		v[*n].email = cl_strdup(addr);
		v[*n].name = name && *name ? cl_strdup(name) : NULL;
		(*n)++;
		if (v[*n - 1].email == NULL || (name && *name && v[*n - 1].name == NULL)) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
	}
done:
	if (list != NULL)
		g_object_unref(list);
	if (rc != 0) {
		cl_mailboxes_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

const char *
cl_mail_state_name(int state)
{
	switch (state) {
	case CL_MAIL_SENT:	return "sent";
	case CL_MAIL_PARTIAL:	return "partial";
	case CL_MAIL_REJECTED:	return "rejected";
	case CL_MAIL_DEFERRED:	return "deferred";
	default:		return "pending";
	}
}

void
cl_mail_free(struct cl_mail *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrcpt; i++) {
		free(m->rcpt[i].email);
		free(m->rcpt[i].detail);
	}
	free(m->rcpt);
	free(m->kind);
	free(m->key);
	free(m->message_id);
	free(m->from);
	free(m->data);
	free(m->detail);
	free(m);
}

void
cl_mails_free(struct cl_mail **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		cl_mail_free(v[i]);
	free(v);
}

/* ---- building --------------------------------------------------------- */

/* Text with LF line ends only: GMime's DOS newline filter makes them CRLF. */
static char *
mail_unix_lines(const char *s)
{
	char *d = cl_malloc(strlen(s) + 2), *p = d;

	if (d == NULL)
		return NULL;
	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		*p++ = *s == '\r' ? '\n' : *s;
	}
	if (p == d || p[-1] != '\n')
		*p++ = '\n';
	*p = '\0';
	return d;
}

/* A leaf part holding bytes, with the given transfer encoding. */
static GMimePart *
mail_leaf(const char *type, const char *subtype, const char *data, size_t len,
          GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(stream,
	                                                           GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, w);
	g_mime_part_set_content_encoding(part, enc);
	g_object_unref(w);
	g_object_unref(stream);
	return part;
}

/* A UTF-8 text part, quoted-printable. */
static GMimePart *
mail_text_part(const char *subtype, const char *text, struct cl_error *err)
{
	char *unix_text = mail_unix_lines(text);
	GMimePart *part;

	if (unix_text == NULL) {
		cl_error_set(err, CL_ENOMEM, "out of memory");
		return NULL;
	}
	part = mail_leaf("text", subtype, unix_text, strlen(unix_text),
	                 GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "UTF-8");
	free(unix_text);
	return part;
}

/* Checks every value of spec that ends up in a header or the envelope. */
static int
mail_check_spec(const struct cl_mail_spec *spec, struct cl_error *err)
{
	size_t i;
	int rc;

	if (spec->from == NULL)
		return cl_error_set(err, CL_ECONFIG, "no sender: set [mail] from");
	if (spec->nto + spec->ncc == 0)
		return cl_error_set(err, CL_EDATA, "message without recipients");
	if (spec->text == NULL || !g_utf8_validate(spec->text, -1, NULL) ||
	    (spec->html && !g_utf8_validate(spec->html, -1, NULL)))
		return cl_error_set(err, CL_EDATA, "message text missing or not UTF-8");
	if ((spec->calendar == NULL) != (spec->method == NULL))
		return cl_error_set(err, CL_EDATA, "a calendar part needs its method and vice versa");
	if (spec->method) {
		const char *p;
		for (p = spec->method; *p; p++)
			if (!g_ascii_isupper(*p) && *p != '-')
				return cl_error_set(err, CL_EDATA, "bad calendar method");
	}
	if ((rc = mail_check_header_value("subject", spec->subject, err)) != 0 ||
	    (rc = mail_check_header_value("sender name", spec->from->name, err)) != 0 ||
	    (rc = cl_mail_check_address(spec->from->email, err)) != 0)
		return rc;
	for (i = 0; i < spec->nto + spec->ncc; i++) {
		const struct cl_mailbox *mb = i < spec->nto ? &spec->to[i] : &spec->cc[i - spec->nto];
		if ((rc = mail_check_header_value("recipient name", mb->name, err)) != 0 ||
		    (rc = cl_mail_check_address(mb->email, err)) != 0)
			return rc;
	}
	return 0;
}

/* The mime tree: alternative(text, html?, calendar?) [+ invite.ics]. */
static GMimeObject *
mail_body(const struct cl_mail_spec *spec, struct cl_error *err)
{
	GMimeMultipart *alt, *mixed;
	GMimePart *text, *html = NULL, *cal, *ics;
	GMimeContentDisposition *disp;

	if ((text = mail_text_part("plain", spec->text, err)) == NULL)
		return NULL;
	if (spec->html && (html = mail_text_part("html", spec->html, err)) == NULL) {
		g_object_unref(text);
		return NULL;
	}
	if (html == NULL && spec->calendar == NULL)
		return GMIME_OBJECT(text);
	alt = g_mime_multipart_new_with_subtype("alternative");
	g_mime_multipart_add(alt, GMIME_OBJECT(text));
	g_object_unref(text);
	if (html) {
		g_mime_multipart_add(alt, GMIME_OBJECT(html));
		g_object_unref(html);
	}
	if (spec->calendar == NULL)
		return GMIME_OBJECT(alt);
	/* inline calendar: what calendar clients show as an invitation */
	cal = mail_leaf("text", "calendar", spec->calendar, strlen(spec->calendar),
	                GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(cal), "charset", "UTF-8");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(cal), "method", spec->method);
	g_mime_multipart_add(alt, GMIME_OBJECT(cal));
	g_object_unref(cal);
	/* the same as an attachment, for clients that only offer files */
	ics = mail_leaf("application", "ics", spec->calendar, strlen(spec->calendar),
	                GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(ics), "name", "invite.ics");
	disp = g_mime_content_disposition_new();
	g_mime_content_disposition_set_disposition(disp, GMIME_DISPOSITION_ATTACHMENT);
	g_mime_content_disposition_set_parameter(disp, "filename", "invite.ics");
	g_mime_object_set_content_disposition(GMIME_OBJECT(ics), disp);
	g_object_unref(disp);
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
	g_mime_multipart_add(mixed, GMIME_OBJECT(ics));
	g_object_unref(alt);
	g_object_unref(ics);
	return GMIME_OBJECT(mixed);
}

/* Adds a mailbox whose name is encoded in UTF-8 (GMime would otherwise
 * pick the smallest charset that fits, e.g. ISO-8859-1). */
static void
mail_add_mailbox(GMimeMessage *msg, GMimeAddressType type, const struct cl_mailbox *mb)
{
	InternetAddress *ia = internet_address_mailbox_new(mb->name, mb->email);

	internet_address_set_charset(ia, "UTF-8");
	internet_address_list_add(g_mime_message_get_addresses(msg, type), ia);
	g_object_unref(ia);
}

/* Serialises msg with CRLF line ends into m->data. */
static int
mail_serialise(struct cl_mail *m, GMimeMessage *msg, struct cl_error *err)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *ba;
	int rc = 0;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, out) < 0) {
		rc = cl_error_set(err, CL_ERROR, "unable to write the MIME message");
		goto done;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	if ((m->data = cl_malloc(ba->len + 1)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(m->data, ba->data, ba->len);
	m->data[ba->len] = '\0';
	m->len = ba->len;
done:
	g_object_unref(out);
	g_mime_format_options_free(fo);
	return rc;
}

/* Collects the envelope recipients (To + Cc, each address once). */
static int
mail_add_rcpts(struct cl_mail *m, const struct cl_mail_spec *spec)
{
	size_t i, j, total = spec->nto + spec->ncc;

	if ((m->rcpt = cl_calloc(total, sizeof *m->rcpt)) == NULL)
		return CL_ENOMEM;
	for (i = 0; i < total; i++) {
		const char *e = i < spec->nto ? spec->to[i].email : spec->cc[i - spec->nto].email;
		for (j = 0; j < m->nrcpt; j++)
			if (cl_str_ieq(m->rcpt[j].email, e))
				break;
		if (j < m->nrcpt)
			continue;
		if ((m->rcpt[m->nrcpt].email = cl_strdup(e)) == NULL)
			return CL_ENOMEM;
		m->nrcpt++;
	}
	return 0;
}

int
cl_mail_build(struct cl_mail **out, const struct cl_mail_spec *spec, struct cl_error *err)
{
	GMimeMessage *msg = NULL;
	GMimeObject *body = NULL;
	GDateTime *date = NULL;
	struct cl_mail *m = NULL;
	const char *domain;
	char *id = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = mail_check_spec(spec, err)) != 0)
		return rc;
	mail_gmime_init();
	if ((m = cl_calloc(1, sizeof *m)) == NULL ||
	    (m->kind = cl_strdup(spec->kind ? spec->kind : "mail")) == NULL ||
	    (m->key = cl_strdup(spec->key ? spec->key : "")) == NULL ||
	    (m->from = cl_strdup(spec->from->email)) == NULL ||
	    mail_add_rcpts(m, spec) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	msg = g_mime_message_new(TRUE);
	mail_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, spec->from);
	for (i = 0; i < spec->nto; i++)
		mail_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, &spec->to[i]);
	for (i = 0; i < spec->ncc; i++)
		mail_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, &spec->cc[i]);
	g_mime_message_set_subject(msg, spec->subject ? spec->subject : "", "UTF-8");
	date = g_date_time_new_from_unix_utc((gint64)cl_now());
	g_mime_message_set_date(msg, date);
	domain = strrchr(spec->from->email, '@') + 1;
	id = g_mime_utils_generate_message_id(domain);
	g_mime_message_set_message_id(msg, id);
	if ((m->message_id = cl_strdup(id)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);
	if ((body = mail_body(spec, err)) == NULL) {
		rc = err && err->code ? err->code : CL_ERROR;
		goto done;
	}
	g_mime_message_set_mime_part(msg, body);
	if ((rc = mail_serialise(m, msg, err)) != 0)
		goto done;
done:
	if (body)
		g_object_unref(body);
	if (msg)
		g_object_unref(msg);
	if (date)
		g_date_time_unref(date);
	g_free(id);
	if (rc != 0) {
		cl_mail_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int
cl_mail_build_cfg(struct cl_mail **out, const struct cl_mail_spec *spec,
                  const struct cl_config *cfg, struct cl_error *err)
{
	struct cl_mail_spec s = *spec;
	struct cl_mailbox *from = NULL;
	size_t n = 0;
	const char *v;
	int rc;

	if (s.from == NULL) {
		v = cl_config_get(cfg, "mail", "from");
		if (v == NULL || *v == '\0')
			return cl_error_set(err, CL_ECONFIG, "no sender: set [mail] from");
		if ((rc = cl_mailbox_parse_list(&from, &n, v, err)) != 0 || n != 1) {
			cl_mailboxes_free(from, n);
			if (rc == 0)
				cl_error_set(err, CL_ECONFIG, "[mail] from must be one address");
			cl_error_prefix(err, "[mail] from");
			return CL_ECONFIG;
		}
		s.from = from;
	}
	rc = cl_mail_build(out, &s, err);
	cl_mailboxes_free(from, n);
	return rc;
}

/* ---- file transport --------------------------------------------------- */

/* Writes each message to outbox/<time>-<kind>-<n>.eml (atomically). */
static int
mail_send_file(struct cl_mail **v, size_t n, const struct cl_config *cfg,
               cl_mail_done_fn done, void *done_arg, struct cl_error *err)
{
	const char *dir = cl_config_get(cfg, "mail", "outbox");
	char stamp[21], *path = NULL, *tmp = NULL;
	size_t i, j;
	int rc = 0, fd, k;

	if (dir == NULL || *dir == '\0')
		return cl_error_set(err, CL_ECONFIG, "[mail] transport = file needs [mail] outbox");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cl_error_set(err, CL_ECANTCREAT, "unable to create outbox '%s': %s", dir,
		                    strerror(errno));
	cl_time_format_utc(cl_now(), stamp);
	for (i = 0; i < n; i++) {
		struct cl_mail *m = v[i];
		ssize_t w;

		for (k = 0; k < 1000; k++) {
			free(path);
			path = cl_asprintf("%s/%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s-%zu%s%.0d.eml", dir,
			                   stamp, stamp + 5, stamp + 8, stamp + 11, stamp + 14,
			                   stamp + 17, m->kind, i + 1, k ? "-" : "", k);
			if (path == NULL || access(path, F_OK) != 0)
				break;
		}
		free(tmp);
		tmp = path ? cl_asprintf("%s.tmp", path) : NULL;
		if (tmp == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = cl_error_set(err, CL_ECANTCREAT, "unable to create '%s': %s", tmp,
			                  strerror(errno));
			break;
		}
		w = write(fd, m->data, m->len);
		if (w != (ssize_t)m->len || fsync(fd) != 0 || close(fd) != 0 ||
		    rename(tmp, path) != 0) {
			rc = cl_error_set(err, CL_ECANTCREAT, "unable to write '%s': %s", path,
			                  strerror(errno));
			unlink(tmp);
			break;
		}
		m->state = CL_MAIL_SENT;
		m->code = 250;
		for (j = 0; j < m->nrcpt; j++) {
			m->rcpt[j].state = CL_MAIL_SENT;
			m->rcpt[j].code = 250;
		}
		free(m->detail);
		m->detail = cl_strdup(path);
		if (done != NULL)
			done(done_arg, m);
	}
	free(path);
	free(tmp);
	return rc;
}

/* ---- SMTP transport --------------------------------------------------- */

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

static int
mail_send_smtp(struct cl_mail **v, size_t n, const struct cl_config *cfg, FILE *trace,
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

int
cl_mail_send(struct cl_mail **v, size_t n, const struct cl_config *cfg, FILE *trace,
             struct cl_error *err)
{
	return cl_mail_send_each(v, n, cfg, trace, NULL, NULL, err);
}

int
cl_mail_send_each(struct cl_mail **v, size_t n, const struct cl_config *cfg, FILE *trace,
                  cl_mail_done_fn done, void *arg, struct cl_error *err)
{
	const char *t = cl_config_get(cfg, "mail", "transport");

	if (n == 0)
		return 0;
	if (t == NULL || *t == '\0')
		t = cl_config_get(cfg, "mail", "host") == NULL &&
		    cl_config_get(cfg, "mail", "outbox") != NULL ? "file" : "smtp";
	if (strcmp(t, "file") == 0)
		return mail_send_file(v, n, cfg, done, arg, err);
	if (strcmp(t, "smtp") == 0)
		return mail_send_smtp(v, n, cfg, trace, done, arg, err);
	return cl_error_set(err, CL_ECONFIG, "[mail] transport = '%s': use smtp or file", t);
}

/* ---- mail log ----------------------------------------------------------- */

int
cl_mail_log(struct cl_store *st, struct cl_mail *const *v, size_t n, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char now[21];
	size_t i, j;
	int rc;

	cl_time_format_utc(cl_now(), now);
	if ((rc = cl_store_begin(st, err)) != 0)
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
	if ((rc = cl_store_commit(st, err)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		v[i]->logged = 1;
	return 0;
fail:
	sqlite3_finalize(s);
	cl_store_rollback(st);
	return rc;
}

int
cl_mail_log_last(char **out, struct cl_store *st, const char *kind, const char *key,
                 const char *recipient, struct cl_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cl_store_prepare(st, &s, "SELECT max(at) FROM mail_log WHERE kind = ? AND "
	                           "status = 'sent' AND (?2 IS NULL OR key = ?2) AND "
	                           "(?3 IS NULL OR recipient = lower(?3))", err)) != 0)
		return rc;
	cl_bind_text(s, 1, kind);
	cl_bind_text(s, 2, key);
	cl_bind_text(s, 3, recipient);
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
