/* mail.h — building MIME messages and sending them, with the mail log.
 *
 * Messages are built with GMime 3 (multipart/alternative text + HTML, UTF-8,
 * quoted-printable, RFC 2047 names and subjects, optional iCalendar invite)
 * and written out whole, headers included, with CRLF line ends. Transports:
 *   smtp  libESMTP for the envelope and the wire only, STARTTLS required
 *         unless tls = none, own SSL_CTX per session (TLS <= 1.2), AUTH,
 *         every message of a batch in one session;
 *   file  one .eml file per message in [mail] outbox.
 *
 * Config ([mail]): transport = smtp|file (default smtp, or file when only
 * outbox is set), host (localhost), port (587; 25 with tls = none),
 * tls = starttls|none (default starttls, then required), ca_file, user,
 * password / password_file / password_env (via cl_config_secret),
 * from (required: "Name <addr>"), outbox (file transport directory),
 * timeout_s (per SMTP reply, default 30), connect_timeout_s (default 10).
 *
 * Ownership: everything returned through out belongs to the caller; free
 * with the matching *_free(), which accept NULL.
 * Errors: CL_ECONFIG (bad [mail] settings), CL_EDATA (a header value with
 * CR/LF/NUL, a bad address), CL_ETEMPFAIL (server down, timeout, 4xx),
 * CL_ENOPERM (AUTH failed or not offered although configured: nothing
 * sent), CL_EUNAVAIL (no STARTTLS, bad
 * certificate, a permanent 5xx), CL_ECANTCREAT (outbox not writable). */
#ifndef CL_MAIL_H
#define CL_MAIL_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "error.h"
#include "store.h"

struct cl_mailbox {
	char *name;	/* display name (UTF-8), may be NULL */
	char *email;	/* ASCII addr-spec */
};

/* Parses an address list as written in the config ("A <a@x>, b@y", RFC 5322
 * quoting allowed). Free with cl_mailboxes_free(). CL_EDATA on a bad one. */
int cl_mailbox_parse_list(struct cl_mailbox **out, size_t *n, const char *s,
                          struct cl_error *err);
void cl_mailboxes_free(struct cl_mailbox *v, size_t n);
/* `config check`: connects to the [mail] SMTP server, EHLO, STARTTLS
 * (verified), AUTH when configured, QUIT; never MAIL. what gets a line
 * saying what answered. Codes as for sending (lib/mail-probe.c). */
int cl_mail_probe(const struct cl_config *cfg, char *what, size_t size, struct cl_error *err);
/* 0 when email is a plain ASCII addr-spec fit for an SMTP envelope. */
int cl_mail_check_address(const char *email, struct cl_error *err);

/* What a message says; strings are UTF-8 and copied by cl_mail_build(). */
struct cl_mail_spec {
	const struct cl_mailbox *from;	/* NULL: [mail] from via cl_mail_build_cfg */
	const struct cl_mailbox *to;
	size_t nto;
	const struct cl_mailbox *cc;
	size_t ncc;
	const char *subject;
	const char *text;		/* required; LF or CRLF line ends */
	const char *html;		/* optional second alternative */
	const char *calendar;		/* optional iCalendar object (CRLF) … */
	const char *method;		/* … and its METHOD (REQUEST, CANCEL …) */
	const char *attach;		/* optional file attached (not inline) … */
	size_t attach_len;
	const char *attach_name;	/* … its file name (ASCII) … */
	const char *attach_type;	/* … and MIME type, e.g. "text/csv" */
	const char *kind;		/* mail log: report, nag, escalation, invite … */
	const char *key;		/* mail log: ISO week, owner, drill uid … */
	int once;			/* each recipient once per kind + key */
};

enum cl_mail_state {
	CL_MAIL_PENDING = 0,	/* not tried (yet) */
	CL_MAIL_SENT,		/* accepted for every recipient */
	CL_MAIL_PARTIAL,	/* accepted for some, refused for others */
	CL_MAIL_REJECTED,	/* permanently refused (5xx) */
	CL_MAIL_DEFERRED,	/* temporarily refused or not reached (4xx, down) */
};

struct cl_mail_rcpt {
	char *email;
	int state;	/* CL_MAIL_SENT, CL_MAIL_REJECTED, CL_MAIL_DEFERRED */
	int code;	/* SMTP reply code, 0 when never asked */
	char *detail;	/* server text, may be NULL */
};

/* A built message and, after sending, what became of it. */
struct cl_mail {
	char *kind, *key;
	char *message_id;	/* without angle brackets */
	char *from;		/* envelope sender */
	struct cl_mail_rcpt *rcpt;
	size_t nrcpt;
	char *data;		/* the whole message, CRLF line ends */
	size_t len;
	int state;		/* enum cl_mail_state */
	int logged;		/* written to the mail log (cl_mail_log skips it) */
	int once;		/* spec.once: cl_mail_deliver skips answered recipients */
	int code;		/* message-level SMTP code (end of DATA) */
	char *detail;
};

/* Builds a message. from must be set in spec. */
int cl_mail_build(struct cl_mail **out, const struct cl_mail_spec *spec,
                  struct cl_error *err);
/* Same, taking From from [mail] from when spec->from is NULL. */
int cl_mail_build_cfg(struct cl_mail **out, const struct cl_mail_spec *spec,
                      const struct cl_config *cfg, struct cl_error *err);
void cl_mail_free(struct cl_mail *m);
void cl_mails_free(struct cl_mail **v, size_t n);

/* Sends n messages with the configured transport, all SMTP messages in one
 * session, and fills each message's and recipient's state. Returns 0 when
 * every recipient accepted every message, else the most serious CL_E* code
 * with a message (the states say which messages went out). trace (may be
 * NULL) receives the SMTP dialogue with AUTH redacted. */
int cl_mail_send(struct cl_mail **v, size_t n, const struct cl_config *cfg,
                 FILE *trace, struct cl_error *err);
/* Like cl_mail_send, and calls done for each message as soon as its outcome
 * is known (the server answered its data, or its file was written), while
 * the session goes on: callers log it right away, so that a process killed
 * in the middle of a batch does not send the accepted messages again. */
typedef void (*cl_mail_done_fn)(void *arg, struct cl_mail *m);
int cl_mail_send_each(struct cl_mail **v, size_t n, const struct cl_config *cfg,
                      FILE *trace, cl_mail_done_fn done, void *arg, struct cl_error *err);

/* The one delivery path for the report, reminders and invites: sends the
 * n messages (all SMTP messages in one session) and writes each message's
 * outcome to the mail log of st as soon as the server answered it (inside
 * the caller's transaction, if any), the rest at the end. A message built
 * with once goes only to its recipients that the mail log has no final
 * answer (sent, rejected) for under its kind and key; with none left it is
 * not sent and counts as CL_MAIL_SENT. Returns what cl_mail_send_each
 * returns, else the mail log's error. */
int cl_mail_deliver(struct cl_store *st, struct cl_mail **v, size_t n,
                    const struct cl_config *cfg, FILE *trace, struct cl_error *err);

/* Mail log: one row per recipient of each message that was tried; status
 * sent (accepted), rejected (5xx) or deferred (not accepted, try again). */
int cl_mail_log(struct cl_store *st, struct cl_mail *const *v, size_t n,
                struct cl_error *err);
/* Latest time (UTC RFC 3339, caller frees) a message of kind was accepted,
 * restricted to key and/or recipient when given; *out NULL when never. */
int cl_mail_log_last(char **out, struct cl_store *st, const char *kind,
                     const char *key, const char *recipient, struct cl_error *err);

/* Same, counting a permanent refusal (rejected) as an answer too. */
int cl_mail_log_answered(char **out, struct cl_store *st, const char *kind,
                         const char *key, const char *recipient, struct cl_error *err);
/* How many of the n mailboxes have no final answer (sent or rejected) for
 * kind and key in the mail log: who a once-per-key message still goes to. */
int cl_mail_log_pending(size_t *out, struct cl_store *st, const char *kind,
                        const char *key, const struct cl_mailbox *v, size_t n,
                        struct cl_error *err);

/* Short names of enum cl_mail_state: pending, sent, partial, rejected, deferred. */
const char *cl_mail_state_name(int state);

#endif
