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
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <gmime/gmime.h>
/* order matters: ssl.h declares smtp_starttls_set_ctx, auth-client.h
 * smtp_auth_set_context */
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
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
	char tls_why[300];	/* OpenSSL's verdict on the certificate, or "" */
	int need_auth;		/* AUTH configured: never MAIL without it */
	int auth_missing;	/* MAIL was about to go out unauthenticated */
	char auth_reply[256];
	const char *user, *password;
	const char *host;	/* as configured: what the certificate must name */
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

/* 1 when host is an IPv4 or IPv6 address literal. */
static int
smtp_is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* libESMTP event callback: connection, TLS outcome. Never overrides a
 * refusal (the int *ok arguments are left alone), but for its DNS-only
 * name check on an IP literal that OpenSSL has verified. */
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
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		/* libESMTP's own name check knows DNS names only; for an IP
		 * literal OpenSSL has already matched the IP SANs during the
		 * handshake (SSL_VERIFY_PEER, set1_ip_asc), so only here is its
		 * verdict overruled */
		va_list ap;
		int *ok;

		va_start(ap, arg);
		ok = va_arg(ap, int *);
		va_end(ap);
		if (smtp_is_ip(run->host))
			*ok = 1;
		else
			run->tls_bad_cert = 1;
		break;
	}
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
	case SMTP_EV_NO_PEER_CERTIFICATE:
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

/* The names a certificate is for (DNS and IP subjectAltNames, else its
 * CN), comma separated, into buf. */
static void
smtp_cert_names(X509 *cert, char *buf, size_t size)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; sans && i < sk_GENERAL_NAME_num(sans) && used + 1 < size; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		char ip[INET6_ADDRSTRLEN] = "";

		if (g->type == GEN_DNS)
			used += (size_t)snprintf(buf + used, size - used, "%s%.*s", used ? ", " : "",
			                         ASN1_STRING_length(g->d.dNSName),
			                         (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress),
			          ip, sizeof ip);
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", ip);
		}
	}
	GENERAL_NAMES_free(sans);
	if (buf[0] == '\0')
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf,
		                          (int)size);
	/* names come from the server: no control characters in messages */
	for (used = 0; buf[used]; used++)
		if ((unsigned char)buf[used] < 0x20 || buf[used] == 0x7f)
			buf[used] = '?';
}

/* OpenSSL's verify callback: keeps its verdict on the first failure, in
 * words, for the error message (the handshake then fails, and libESMTP only
 * says "handshake failed"). Never turns a failure into success. */
static int
smtp_on_verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct smtp_run *run = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	int e = X509_STORE_CTX_get_error(x);
	X509 *cert = X509_STORE_CTX_get_current_cert(x);
	char names[200];

	if (ok || run == NULL || run->tls_why[0] != '\0')
		return ok;
	run->tls_bad_cert = 1;
	switch (e) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		smtp_cert_names(cert ? cert : X509_STORE_CTX_get0_cert(x), names, sizeof names);
		snprintf(run->tls_why, sizeof run->tls_why, "certificate is for %s, not %s",
		         names, run->host);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		snprintf(run->tls_why, sizeof run->tls_why, "certificate not trusted (%s; "
		         "check [mail] ca_file)", X509_verify_cert_error_string(e));
		break;
	default:
		snprintf(run->tls_why, sizeof run->tls_why, "certificate not accepted: %s",
		         X509_verify_cert_error_string(e));
		break;
	}
	return ok;
}

/* One TLS context per session: libESMTP's shared default context crashes
 * on a second STARTTLS session and TLS 1.3 session
 * tickets can stall it, so: TLS <= 1.2, our CA file, and the host checked
 * as RFC 6125 says: a DNS name against DNS names, an IP literal against
 * the certificate's IP addresses. */
static int
smtp_tls_ctx(SSL_CTX **out, struct smtp_run *run, const char *ca_file, const char *host,
             struct cl_error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_VERIFY_PARAM *param;

	*out = NULL;
	if (ctx == NULL)
		return cl_error_set(err, CL_ERROR, "unable to create a TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (ca_file && *ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			SSL_CTX_free(ctx);
			return cl_error_set(err, CL_ECONFIG, "[mail] ca_file '%s' cannot be read as "
			                    "PEM certificates", ca_file);
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		return cl_error_set(err, CL_ECONFIG, "no system CA certificates; set [mail] ca_file");
	}
	SSL_CTX_set_app_data(ctx, run);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, smtp_on_verify);
	param = SSL_CTX_get0_param(ctx);
	if (smtp_is_ip(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 :
	    X509_VERIFY_PARAM_set1_host(param, host, 0) != 1) {
		SSL_CTX_free(ctx);
		return cl_error_set(err, CL_ECONFIG, "[mail] host '%s' cannot be checked against a "
		                    "certificate", host);
	}
	*out = ctx;
	return 0;
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

/* The SMTP settings of [mail]. */
struct smtp_conf {
	const char *host, *ca_file, *user;
	char hostport[300];
	char helo[300];		/* the EHLO name: FQDN or address literal */
	int tls;
	long port, timeout_ms, connect_ms;
	char *password;
};

/* 1 when s is a domain name fit for EHLO: dotted labels of letters,
 * digits and hyphens. */
static int
smtp_is_fqdn(const char *s)
{
	const char *p;
	size_t label = 0;

	if (s == NULL || strchr(s, '.') == NULL || strlen(s) > 253)
		return 0;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
		} else if (g_ascii_isalnum(*p) || (*p == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && p[-1] != '-';
}

/* The EHLO name RFC 5321 asks for when none is configured: this machine's
 * fully qualified name, else the address literal of the local end of a
 * route to the server ("[192.0.2.1]", "[IPv6:::1]"), never a bare name. */
static void
smtp_default_helo(char *buf, size_t size, const char *host, long port)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char name[256], addr[INET6_ADDRSTRLEN], sport[16];
	int fd;

	if (gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = '\0';
		if (smtp_is_fqdn(name)) {
			snprintf(buf, size, "%s", name);
			return;
		}
		memset(&hints, 0, sizeof hints);
		hints.ai_flags = AI_CANONNAME;
		if (getaddrinfo(name, NULL, &hints, &ai) == 0 && ai->ai_canonname &&
		    smtp_is_fqdn(ai->ai_canonname) &&
		    strcmp(ai->ai_canonname, "localhost.localdomain") != 0) {
			snprintf(buf, size, "%s", ai->ai_canonname);
			freeaddrinfo(ai);
			return;
		}
		if (ai)
			freeaddrinfo(ai);
		ai = NULL;
	}
	/* a UDP "connection" sends nothing; it only picks the local address */
	snprintf(buf, size, "[127.0.0.1]");
	snprintf(sport, sizeof sport, "%ld", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, sport, &hints, &ai) != 0)
		return;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
		if (sa.ss_family == AF_INET6 &&
		    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, addr, sizeof addr))
			snprintf(buf, size, "[IPv6:%s]", addr);
		else if (sa.ss_family == AF_INET &&
		         inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, addr, sizeof addr))
			snprintf(buf, size, "[%s]", addr);
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
}

/* [mail] helo: a domain name or an address literal ("[192.0.2.1]"). */
static int
smtp_helo_load(struct smtp_conf *c, const struct cl_config *cfg, struct cl_error *err)
{
	const char *h = cl_config_get(cfg, "mail", "helo");
	char inner[300];
	size_t len;

	if (h == NULL || *h == '\0') {
		smtp_default_helo(c->helo, sizeof c->helo, c->host, c->port);
		return 0;
	}
	len = strlen(h);
	if (len > 2 && len < sizeof inner && h[0] == '[' && h[len - 1] == ']') {
		snprintf(inner, sizeof inner, "%.*s", (int)(len - 2), h + 1);
		if (smtp_is_ip(strncmp(inner, "IPv6:", 5) == 0 ? inner + 5 : inner)) {
			snprintf(c->helo, sizeof c->helo, "%s", h);
			return 0;
		}
	} else if (smtp_is_fqdn(h)) {
		snprintf(c->helo, sizeof c->helo, "%s", h);
		return 0;
	}
	return cl_error_set(err, CL_ECONFIG, "%s:%d: [mail] helo = '%s': use a fully "
	                    "qualified domain name or an address literal such as [192.0.2.1]",
	                    cl_config_path(cfg) ? cl_config_path(cfg) : "config",
	                    cl_config_line(cfg, "mail", "helo"), h);
}

/* Reads the SMTP settings of [mail]. */
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
	if ((rc = smtp_helo_load(c, cfg, err)) != 0)
		return rc;
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
	run.host = c.host;
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
	smtp_set_hostname(s, c.helo);
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
		if ((rc = smtp_tls_ctx(&ctx, &run, c.ca_file, c.host, err)) != 0)
			goto out;
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
	/* in the order the session goes: connection, TLS, AUTH, envelope */
	if (!run.connected && any) {
		rc = cl_error_set(err, CL_ETEMPFAIL, "unable to connect to SMTP server %s: %s",
		                  c.hostport, smtp_alarm_fired ? "connect timed out" :
		                  smtp_strerror(serr, ebuf, sizeof ebuf));
	} else if (c.tls && !run.tls_ok && (any || run.auth_missing)) {
		if (run.tls_missing)
			rc = cl_error_set(err, CL_EUNAVAIL, "SMTP server %s does not offer STARTTLS; "
			                  "refusing to send in clear (set [mail] tls = none to allow "
			                  "it)", c.hostport);
		else if (run.tls_why[0])
			rc = cl_error_set(err, CL_EUNAVAIL, "TLS with %s failed: %s", c.hostport,
			                  run.tls_why);
		else
			rc = cl_error_set(err, CL_EUNAVAIL, "TLS with %s failed (handshake): %s",
			                  c.hostport, smtp_strerror(serr, ebuf, sizeof ebuf));
	} else if (run.auth_failed) {
		for (i = 0; i < n; i++)
			if (v[i]->state != CL_MAIL_SENT) {
				v[i]->state = CL_MAIL_DEFERRED;
				for (j = 0; j < v[i]->nrcpt; j++)
					v[i]->rcpt[j].state = CL_MAIL_DEFERRED;
			}
		rc = cl_error_set(err, CL_ENOPERM, "SMTP authentication as '%s' failed at %s: "
		                  "%s; nothing sent", c.user, c.hostport, run.auth_reply);
	} else if (c.password && !run.authenticated && (any || run.auth_missing)) {
		rc = cl_error_set(err, CL_ENOPERM, "%s offers no usable AUTH mechanism for '%s' "
		                  "(AUTH is configured, so nothing was sent)", c.hostport, c.user);
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
