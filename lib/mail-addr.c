/* mail-addr.c — e-mail addresses: parsing address lists, checking an
 * addr-spec for the envelope, and header values. */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mail.h"
#include "mail-int.h"
#include "util.h"

/* GMime needs one g_mime_init() per process. */
void
cl_mail_gmime_init(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

/* A value that becomes a header must be UTF-8 without CR, LF or NUL. */
int
cl_mail_check_header(const char *what, const char *v, struct cl_error *err)
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
	if ((rc = cl_mail_check_header("address list", s, err)) != 0)
		return rc;
	cl_mail_gmime_init();
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
