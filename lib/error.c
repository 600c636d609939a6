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

/* Maps a CL_E* code to sysexits(3). */
int
cl_exitcode(int code)
{
	switch (code) {
	case CL_OK:		return EX_OK;
	case CL_EPROBLEMS:	return 1;
	case CL_EUSAGE:		return EX_USAGE;
	case CL_EDATA:		return EX_DATAERR;
	case CL_ENOTFOUND:
	case CL_ENOINPUT:	return EX_NOINPUT;
	case CL_EUNAVAIL:	return EX_UNAVAILABLE;
	case CL_ETEMPFAIL:	return EX_TEMPFAIL;
	case CL_ENOPERM:	return EX_NOPERM;
	case CL_ECONFIG:	return EX_CONFIG;
	case CL_ECANTCREAT:	return EX_CANTCREAT;
	case CL_ENOMEM:		return EX_OSERR;
	default:		return EX_SOFTWARE;
	}
}

/* Severity order used when several steps fail: the larger wins. */
static int
error_rank(int code)
{
	switch (code) {
	case CL_OK:		return 0;
	case CL_EPROBLEMS:	return 1;
	case CL_EDATA:		return 2;
	case CL_ENOINPUT:
	case CL_ENOTFOUND:	return 3;
	case CL_ETEMPFAIL:	return 4;
	case CL_EUNAVAIL:	return 5;
	case CL_ECANTCREAT:	return 6;
	case CL_ENOPERM:	return 7;
	case CL_ECONFIG:	return 8;
	case CL_EUSAGE:		return 9;
	default:		return 10;
	}
}

/* Returns the more serious of two codes. */
int
cl_error_worse(int a, int b)
{
	return error_rank(b) > error_rank(a) ? b : a;
}

/* Stable short names, used in run records and JSON output. */
const char *
cl_error_name(int code)
{
	switch (code) {
	case CL_OK:		return "ok";
	case CL_EPROBLEMS:	return "problems";
	case CL_EUSAGE:		return "usage";
	case CL_EDATA:		return "data";
	case CL_ENOTFOUND:	return "not-found";
	case CL_ENOINPUT:	return "no-input";
	case CL_EUNAVAIL:	return "unavailable";
	case CL_ETEMPFAIL:	return "temporary";
	case CL_ENOPERM:	return "permission";
	case CL_ECONFIG:	return "config";
	case CL_ECANTCREAT:	return "cant-create";
	case CL_ENOMEM:		return "no-memory";
	default:		return "internal";
	}
}
