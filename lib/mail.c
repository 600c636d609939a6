/* mail.c — MIME messages with GMime 3 and the choice of transport. The
 * pieces: mail-addr.c (addresses), mail-file.c (outbox), mail-smtp.c
 * (libESMTP), mail-log.c (the mail log). */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "dates.h"
#include "mail.h"
#include "mail-int.h"
#include "util.h"

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
	if ((rc = cl_mail_check_header("subject", spec->subject, err)) != 0 ||
	    (rc = cl_mail_check_header("sender name", spec->from->name, err)) != 0 ||
	    (rc = cl_mail_check_address(spec->from->email, err)) != 0)
		return rc;
	for (i = 0; i < spec->nto + spec->ncc; i++) {
		const struct cl_mailbox *mb = i < spec->nto ? &spec->to[i] : &spec->cc[i - spec->nto];
		if ((rc = cl_mail_check_header("recipient name", mb->name, err)) != 0 ||
		    (rc = cl_mail_check_address(mb->email, err)) != 0)
			return rc;
	}
	return 0;
}

/* An attachment part (base64) named name. */
static GMimePart *
mail_attachment(const char *type, const char *data, size_t len, const char *name)
{
	char major[32];
	const char *slash = strchr(type, '/');
	size_t n = slash ? (size_t)(slash - type) : 0;
	GMimeContentDisposition *disp;
	GMimePart *part;

	snprintf(major, sizeof major, "%.*s", (int)(n < sizeof major ? n : sizeof major - 1), type);
	part = mail_leaf(slash ? major : "application", slash ? slash + 1 : "octet-stream", data,
	                 len, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "name", name);
	disp = g_mime_content_disposition_new();
	g_mime_content_disposition_set_disposition(disp, GMIME_DISPOSITION_ATTACHMENT);
	g_mime_content_disposition_set_parameter(disp, "filename", name);
	g_mime_object_set_content_disposition(GMIME_OBJECT(part), disp);
	g_object_unref(disp);
	return part;
}

/* The body, and spec's attachment after it (multipart/mixed). */
static GMimeObject *mail_body_parts(const struct cl_mail_spec *spec, struct cl_error *err);

static GMimeObject *
mail_body(const struct cl_mail_spec *spec, struct cl_error *err)
{
	GMimeObject *body = mail_body_parts(spec, err);
	GMimeMultipart *mixed;
	GMimePart *att;

	if (body == NULL || spec->attach == NULL)
		return body;
	att = mail_attachment(spec->attach_type ? spec->attach_type : "application/octet-stream",
	                      spec->attach, spec->attach_len,
	                      spec->attach_name ? spec->attach_name : "attachment");
	if (GMIME_IS_MULTIPART(body) && strcmp(g_mime_content_type_get_media_subtype(
	        g_mime_object_get_content_type(body)), "mixed") == 0) {
		g_mime_multipart_add(GMIME_MULTIPART(body), GMIME_OBJECT(att));
		g_object_unref(att);
		return body;
	}
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, body);
	g_mime_multipart_add(mixed, GMIME_OBJECT(att));
	g_object_unref(body);
	g_object_unref(att);
	return GMIME_OBJECT(mixed);
}

/* The mime tree: alternative(text, html?, calendar?) [+ invite.ics]. */
static GMimeObject *
mail_body_parts(const struct cl_mail_spec *spec, struct cl_error *err)
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

/* Sets the Subject to text encoded by us, whole, as RFC 2047 base64 words
 * ("=?UTF-8?B?…?="), folded: text from documents that looks like an
 * encoded word ("=?utf-8?b?…?=") stays literal text for every reader,
 * instead of being passed through and decoded into other headers. */
static int
mail_set_subject_encoded(GMimeMessage *msg, const char *text)
{
	GMimeHeader *h;
	struct cl_buf b = CL_BUF_INIT;
	size_t len = strlen(text), at = 0;
	char *raw;

	g_mime_object_set_header(GMIME_OBJECT(msg), "Subject", "", NULL);
	h = g_mime_header_list_get_header(g_mime_object_get_header_list(GMIME_OBJECT(msg)),
	                                  "Subject");
	if (h == NULL)
		return CL_ERROR;
	do {
		/* 45 octets make 60 base64 characters: each word fits in a line */
		size_t n = len - at > 45 ? 45 : len - at;
		gchar *b64;

		while (n > 0 && at + n < len && ((unsigned char)text[at + n] & 0xc0) == 0x80)
			n--;	/* never split a UTF-8 sequence */
		b64 = g_base64_encode((const guchar *)text + at, n);
		cl_buf_printf(&b, " =?UTF-8?B?%s?=\n", b64);
		g_free(b64);
		at += n;
	} while (at < len);
	if (b.oom || (raw = cl_buf_steal(&b)) == NULL) {
		cl_buf_release(&b);
		return CL_ENOMEM;
	}
	g_mime_header_set_raw_value(h, raw);
	free(raw);
	return 0;
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
	cl_mail_gmime_init();
	if ((m = cl_calloc(1, sizeof *m)) == NULL ||
	    (m->kind = cl_strdup(spec->kind ? spec->kind : "mail")) == NULL ||
	    (m->key = cl_strdup(spec->key ? spec->key : "")) == NULL ||
	    (m->from = cl_strdup(spec->from->email)) == NULL ||
	    mail_add_rcpts(m, spec) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	m->once = spec->once;
	msg = g_mime_message_new(TRUE);
	mail_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, spec->from);
	for (i = 0; i < spec->nto; i++)
		mail_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, &spec->to[i]);
	for (i = 0; i < spec->ncc; i++)
		mail_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, &spec->cc[i]);
	if (spec->subject && strstr(spec->subject, "=?") != NULL) {
		if ((rc = mail_set_subject_encoded(msg, spec->subject)) != 0) {
			rc = cl_error_set(err, rc, "unable to encode the subject");
			goto done;
		}
	} else {
		g_mime_message_set_subject(msg, spec->subject ? spec->subject : "", "UTF-8");
	}
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
		rc = CL_ENOMEM;		/* the body's one failure (mail_text_part) */
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
		return cl_mail_send_file(v, n, cfg, done, arg, err);
	if (strcmp(t, "smtp") == 0)
		return cl_mail_send_smtp(v, n, cfg, trace, done, arg, err);
	return cl_error_set(err, CL_ECONFIG, "[mail] transport = '%s': use smtp or file", t);
}

/* cl_mail_send_each's callback: each outcome goes to the mail log at once,
 * so that a process killed in a batch does not send those again. */
static void
mail_deliver_log(void *arg, struct cl_mail *m)
{
	cl_mail_log(arg, &m, 1, NULL);
}

/* Removes from m the recipients that already have a final answer for its
 * kind and key. */
static int
mail_drop_answered(struct cl_mail *m, struct cl_store *st, struct cl_error *err)
{
	size_t i, keep = 0;
	char *at = NULL;
	int rc;

	for (i = 0; i < m->nrcpt; i++) {
		if ((rc = cl_mail_log_answered(&at, st, m->kind, m->key, m->rcpt[i].email,
		                               err)) != 0)
			return rc;
		if (at != NULL) {
			free(at);
			free(m->rcpt[i].email);
			free(m->rcpt[i].detail);
			continue;
		}
		m->rcpt[keep++] = m->rcpt[i];
	}
	m->nrcpt = keep;
	return 0;
}

int
cl_mail_deliver(struct cl_store *st, struct cl_mail **v, size_t n,
                const struct cl_config *cfg, FILE *trace, struct cl_error *err)
{
	struct cl_mail **go = NULL;
	size_t i, ngo = 0;
	int rc = 0, lrc;

	if (n == 0)
		return 0;
	if ((go = cl_calloc(n, sizeof *go)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (v[i]->once && (rc = mail_drop_answered(v[i], st, err)) != 0)
			goto done;
		if (v[i]->nrcpt == 0) {
			v[i]->state = CL_MAIL_SENT;
			v[i]->logged = 1;
			continue;
		}
		go[ngo++] = v[i];
	}
	rc = cl_mail_send_each(go, ngo, cfg, trace, mail_deliver_log, st, err);
	lrc = cl_mail_log(st, go, ngo, rc == 0 ? err : NULL);
	if (rc == 0)
		rc = lrc;
done:
	free(go);
	return rc;
}
