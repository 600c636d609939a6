/* error.c — the error record and the single code → exit status map. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "error.h"

/* Fills err with a formatted message unless a message is already there. */
int
cl_error_set(struct cl_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != 0)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

/* Adds context in front of an existing message. */
void
cl_error_prefix(struct cl_error *err, const char *fmt, ...)
{
	char pre[512], old[sizeof err->msg];
	va_list ap;

	if (err == NULL || err->code == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	if (snprintf(err->msg, sizeof err->msg, "%s: %s", pre, old) >= (int)sizeof err->msg)
		err->msg[sizeof err->msg - 1] = '\0';	/* truncated, still terminated */
}

/* Resets err so that it can be used again. */
void
cl_error_clear(struct cl_error *err)
{
	if (err != NULL) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

/* The one table of error codes: name, exit status, rank (when several
 * steps fail the larger wins) and the words of the help's exit-status
 * list, in the order that list shows them. */
static const struct cl_error_kind kinds[] = {
	{ CL_OK,	"ok",		EX_OK,		0,  "ok" },
	{ CL_EPROBLEMS,	"problems",	1,		1,  "problems found" },
	{ CL_EUSAGE,	"usage",	EX_USAGE,	9,  "usage" },
	{ CL_EDATA,	"data",		EX_DATAERR,	2,  "bad input data" },
	{ CL_ENOINPUT,	"no-input",	EX_NOINPUT,	3,  "missing input" },
	{ CL_ENOTFOUND,	"not-found",	EX_NOINPUT,	3,  NULL },
	{ CL_EUNAVAIL,	"unavailable",	EX_UNAVAILABLE,	5,  "service unavailable" },
	{ CL_ERROR,	"internal",	EX_SOFTWARE,	10, "internal error" },
	{ CL_ENOMEM,	"no-memory",	EX_OSERR,	10, "out of memory" },
	{ CL_ECANTCREAT, "cant-create",	EX_CANTCREAT,	6,  "cannot write" },
	{ CL_ETEMPFAIL,	"temporary",	EX_TEMPFAIL,	4,  "temporary failure (retry later)" },
	{ CL_ENOPERM,	"permission",	EX_NOPERM,	7,  "permission denied (authentication)" },
	{ CL_ECONFIG,	"config",	EX_CONFIG,	8,  "configuration error" },
};

/* The table entry of a code; unknown codes are internal errors. */
static const struct cl_error_kind *
error_kind(int code)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (kinds[i].code == code)
			return &kinds[i];
	return error_kind(CL_ERROR);
}

/* The table itself, for the help's exit-status list. */
const struct cl_error_kind *
cl_error_kinds(size_t *n)
{
	*n = sizeof kinds / sizeof *kinds;
	return kinds;
}

/* Maps a CL_E* code to sysexits(3). */
int
cl_exitcode(int code)
{
	return error_kind(code)->exit;
}

/* Returns the more serious of two codes. */
int
cl_error_worse(int a, int b)
{
	return error_kind(b)->rank > error_kind(a)->rank ? b : a;
}

/* Stable short names, used in run records and JSON output. */
const char *
cl_error_name(int code)
{
	return error_kind(code)->name;
}
