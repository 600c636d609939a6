/* mail-probe.c — `closeloop config check`'s SMTP check: connect, EHLO,
 * STARTTLS (verified as for sending), EHLO, AUTH when configured, QUIT. No
 * MAIL command is ever sent. A plain socket and OpenSSL: libESMTP only
 * opens a session to send messages. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "mail.h"
#include "util.h"

struct probe {
	int fd;
	SSL *ssl;
	long timeout_ms;
	char buf[4096];		/* the last reply, all its lines */
};

/* Connects to host:port within timeout_ms; the descriptor or -1. */
static int
probe_connect(const char *host, long port, long timeout_ms, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char service[16];
	int fd = -1, rc, soerr;
	socklen_t len = sizeof soerr;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof service, "%ld", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		snprintf(why, size, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                 ai->ai_protocol)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
				break;
			errno = soerr ? soerr : ETIMEDOUT;
		}
		snprintf(why, size, "connect to %s:%ld: %s", host, port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Waits until fd is readable (or writable); 0, or -1 on timeout. */
static int
probe_wait(struct probe *p, short events)
{
	struct pollfd pfd = { .fd = p->fd, .events = events };

	return poll(&pfd, 1, (int)p->timeout_ms) == 1 ? 0 : -1;
}

/* Sends one command line (CRLF added). */
static int
probe_send(struct probe *p, const char *line)
{
	char out[1024];
	size_t n = (size_t)snprintf(out, sizeof out, "%s\r\n", line), off = 0;
	ssize_t w;

	while (off < n) {
		if (probe_wait(p, POLLOUT) != 0)
			return -1;
		w = p->ssl ? SSL_write(p->ssl, out + off, (int)(n - off))
		           : write(p->fd, out + off, n - off);
		if (w <= 0) {
			if (p->ssl && SSL_get_error(p->ssl, (int)w) == SSL_ERROR_WANT_WRITE)
				continue;
			if (!p->ssl && (errno == EAGAIN || errno == EINTR))
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	explicit_bzero(out, sizeof out);
	return 0;
}

/* Reads one reply (every line of it) into p->buf; its code, or -1. */
static int
probe_reply(struct probe *p)
{
	size_t len = 0;
	ssize_t r;
	char *line;

	p->buf[0] = '\0';
	for (;;) {
		/* a complete reply ends with a line "NNN text" (a blank after the code) */
		for (line = p->buf; line && *line;) {
			char *eol = strstr(line, "\r\n");
			if (eol == NULL)
				break;
			if (eol - line >= 3 && (line[3] == ' ' || eol - line == 3))
				return atoi(line);
			line = eol + 2;
		}
		if (len + 1 >= sizeof p->buf)
			return -1;
		if ((!p->ssl || SSL_pending(p->ssl) == 0) && probe_wait(p, POLLIN) != 0)
			return -1;
		r = p->ssl ? SSL_read(p->ssl, p->buf + len, (int)(sizeof p->buf - len - 1))
		           : read(p->fd, p->buf + len, sizeof p->buf - len - 1);
		if (r <= 0) {
			if (p->ssl && SSL_get_error(p->ssl, (int)r) == SSL_ERROR_WANT_READ)
				continue;
			if (!p->ssl && r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			return -1;
		}
		len += (size_t)r;
		p->buf[len] = '\0';
	}
}

/* True when the last EHLO reply lists the extension word. */
static int
probe_offers(const struct probe *p, const char *word)
{
	const char *l;
	size_t n = strlen(word);

	for (l = p->buf; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
		if (strlen(l) > 4 + n && strncasecmp(l + 4, word, n) == 0 &&
		    (l[4 + n] == ' ' || l[4 + n] == '\r'))
			return 1;
	return 0;
}

/* The first line of the last reply, for messages. */
static const char *
probe_text(struct probe *p)
{
	p->buf[strcspn(p->buf, "\r\n")] = '\0';
	return p->buf;
}

/* TLS over the connection, verified as for sending (system CAs and
 * [mail] ca_file, the host name or address of [mail] host). */
static int
probe_tls(struct probe *p, SSL_CTX **ctxp, const char *host, const char *ca_file,
          char *why, size_t size)
{
	SSL_CTX *ctx;
	int rc;

	if ((ctx = *ctxp = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1 ||
	    (ca_file && *ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)) {
		snprintf(why, size, "unable to load the CA file '%s'", ca_file ? ca_file : "");
		return -1;
	}
	if ((p->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(p->ssl, p->fd) != 1)
		return -1;
	{
		X509_VERIFY_PARAM *vp = SSL_get0_param(p->ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1) {
			SSL_set1_host(p->ssl, host);
			SSL_set_tlsext_host_name(p->ssl, host);
		}
	}
	for (;;) {
		if ((rc = SSL_connect(p->ssl)) == 1)
			return 0;
		rc = SSL_get_error(p->ssl, rc);
		if ((rc == SSL_ERROR_WANT_READ && probe_wait(p, POLLIN) == 0) ||
		    (rc == SSL_ERROR_WANT_WRITE && probe_wait(p, POLLOUT) == 0))
			continue;
		break;
	}
	rc = (int)SSL_get_verify_result(p->ssl);
	snprintf(why, size, "TLS with %s failed: %s", host,
	         rc != X509_V_OK ? X509_verify_cert_error_string(rc) : "handshake");
	SSL_free(p->ssl);
	p->ssl = NULL;
	return -1;
}

int
cl_mail_probe(const struct cl_config *cfg, char *what, size_t size, struct cl_error *err)
{
	const char *host = cl_config_get_default(cfg, "mail", "host", "localhost");
	const char *tls = cl_config_get_default(cfg, "mail", "tls", "starttls");
	const char *user = cl_config_get(cfg, "mail", "user");
	const char *ca = cl_config_get(cfg, "mail", "ca_file");
	const char *helo = cl_config_get_default(cfg, "mail", "helo", "[127.0.0.1]");
	struct probe p = { .fd = -1 };
	SSL_CTX *ctx = NULL;
	char *password = NULL, line[600], why[512] = "";
	int starttls = strcmp(tls, "none") != 0, code, rc = 0;
	long port, t;

	if ((rc = cl_config_get_int(cfg, "mail", "port", starttls ? 587 : 25, 1, 65535, &port,
	                            err)) != 0 ||
	    (rc = cl_config_get_int(cfg, "mail", "timeout_s", 30, 1, 3600, &t, err)) != 0 ||
	    (rc = cl_config_secret(&password, cfg, "mail", "password", err)) != 0)
		return rc;
	p.timeout_ms = t * 1000;
	if ((p.fd = probe_connect(host, port, p.timeout_ms, why, sizeof why)) < 0) {
		rc = cl_error_set(err, CL_ETEMPFAIL, "%s", why);
		goto done;
	}
	if ((code = probe_reply(&p)) != 220) {
		rc = cl_error_set(err, CL_ETEMPFAIL, "%s:%ld did not greet (%s)", host, port,
		                  code < 0 ? "no answer" : probe_text(&p));
		goto done;
	}
	snprintf(line, sizeof line, "EHLO %s", helo);
	if (probe_send(&p, line) != 0 || (code = probe_reply(&p)) != 250) {
		rc = cl_error_set(err, CL_EUNAVAIL, "EHLO refused: %s", probe_text(&p));
		goto done;
	}
	if (starttls) {
		if (!probe_offers(&p, "STARTTLS")) {
			rc = cl_error_set(err, CL_EUNAVAIL, "%s:%ld does not offer STARTTLS "
			                  "([mail] tls = starttls)", host, port);
			goto done;
		}
		if (probe_send(&p, "STARTTLS") != 0 || (code = probe_reply(&p)) != 220) {
			rc = cl_error_set(err, CL_EUNAVAIL, "STARTTLS refused: %s", probe_text(&p));
			goto done;
		}
		if (probe_tls(&p, &ctx, host, ca, why, sizeof why) != 0) {
			rc = cl_error_set(err, CL_EUNAVAIL, "%s", why[0] ? why : "TLS failed");
			goto done;
		}
		if (probe_send(&p, line) != 0 || (code = probe_reply(&p)) != 250) {
			rc = cl_error_set(err, CL_EUNAVAIL, "EHLO after STARTTLS refused");
			goto done;
		}
	}
	if (password != NULL) {
		unsigned char plain[600], b64[820];
		size_t ul = user ? strlen(user) : 0, pl = strlen(password);
		int n;
		if (!probe_offers(&p, "AUTH")) {
			rc = cl_error_set(err, CL_ENOPERM, "%s:%ld does not offer AUTH", host, port);
			goto done;
		}
		if (2 * ul + pl + 2 > sizeof plain) {
			rc = cl_error_set(err, CL_ECONFIG, "[mail] user or password too long");
			goto done;
		}
		/* PLAIN: authzid NUL authcid NUL password */
		plain[0] = '\0';
		memcpy(plain + 1, user ? user : "", ul);
		plain[1 + ul] = '\0';
		memcpy(plain + 2 + ul, password, pl);
		n = EVP_EncodeBlock(b64, plain, (int)(2 + ul + pl));
		snprintf(line, sizeof line, "AUTH PLAIN %.*s", n, b64);
		explicit_bzero(plain, sizeof plain);
		explicit_bzero(b64, sizeof b64);
		code = probe_send(&p, line) == 0 ? probe_reply(&p) : -1;
		explicit_bzero(line, sizeof line);
		if (code != 235) {
			rc = cl_error_set(err, CL_ENOPERM, "AUTH as %s refused: %s", user ? user : "",
			                  code < 0 ? "no answer" : probe_text(&p));
			goto done;
		}
	}
	snprintf(what, size, "%s:%ld answers%s%s%s; nothing sent", host, port,
	         starttls ? ", STARTTLS verified" : " (tls = none)", password ? ", AUTH as " : "",
	         password ? (user ? user : "") : "");
	if (probe_send(&p, "QUIT") == 0)
		probe_reply(&p);
done:
	cl_secret_free(password);
	if (p.ssl) {
		SSL_shutdown(p.ssl);
		SSL_free(p.ssl);
	}
	SSL_CTX_free(ctx);
	if (p.fd >= 0)
		close(p.fd);
	return rc;
}
