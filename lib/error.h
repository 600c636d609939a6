/* error.h — error codes, the error record and the one map to exit statuses.
 *
 * Every fallible function returns 0 on success or a negative CL_E* code and,
 * on failure only, fills the caller-owned struct cl_error (which may be NULL).
 * The first message set is kept: callers add context with cl_error_prefix(). */
#ifndef CL_ERROR_H
#define CL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum {
	CL_OK = 0,
	CL_ERROR = -1,       /* internal / unexpected            → 70 */
	CL_ENOTFOUND = -2,   /* the thing asked for is not there → 66 */
	CL_EUSAGE = -3,      /* bad command line                 → 64 */
	CL_EDATA = -4,       /* bad input data                   → 65 */
	CL_ENOINPUT = -5,    /* input missing or unreadable      → 66 */
	CL_EUNAVAIL = -6,    /* service unavailable (permanent)  → 69 */
	CL_ETEMPFAIL = -7,   /* try again later                  → 75 */
	CL_ENOPERM = -8,     /* authentication / permission      → 77 */
	CL_ECONFIG = -9,     /* bad configuration                → 78 */
	CL_ECANTCREAT = -10, /* cannot write output / database   → 73 */
	CL_EPROBLEMS = -11,  /* ran fine, found problems         → 1  */
	CL_ENOMEM = -12,     /* out of memory                    → 71 */
};

struct cl_error {
	int code;
	char msg[1024];
};

/* Sets err (when non-NULL and not yet set) and returns code. */
int cl_error_set(struct cl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "prefix: " in front of an error already set. */
void cl_error_prefix(struct cl_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cl_error_clear(struct cl_error *err);
/* One row of the error table (lib/error.c): the only place that maps a
 * code to its exit status, its name and its rank. */
struct cl_error_kind {
	int code;
	const char *name;	/* stable, for run records and JSON */
	int exit;		/* sysexits(3) */
	int rank;		/* when several steps fail, the larger wins */
	const char *help;	/* for the help's exit-status list; NULL: not listed */
};

/* The whole table, in the order the help lists it. */
const struct cl_error_kind *cl_error_kinds(size_t *n);
/* The sysexits(3) status for a CL_E* code; the only place that picks one. */
int cl_exitcode(int code);
/* The more serious of two CL_E* codes, for commands that go on after errors. */
int cl_error_worse(int a, int b);
/* A short name for a code, for run records and JSON. */
const char *cl_error_name(int code);

#endif
