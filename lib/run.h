/* run.h — `closeloop run`: everything that is due, in order, for cron.
 *
 * Steps: import the configured sources; sync with the tracker (when one is
 * configured); propose drills and send their invites; send reminders; send
 * the weekly report when it is due. A failing step does not stop the
 * independent steps after it; the result is the most serious code. Every
 * run is recorded in the runs table. One run at a time: cl_run_lock(). */
#ifndef CL_RUN_H
#define CL_RUN_H

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "store.h"

enum { CL_RUN_IMPORT, CL_RUN_SYNC, CL_RUN_DRILLS, CL_RUN_NAG, CL_RUN_REPORT, CL_RUN_NSTEPS };

struct cl_run_step {
	const char *name;	/* import, sync, drills, nag, report */
	int ran;		/* 0: not due or not configured (detail says which) */
	int rc;			/* 0 or a CL_E* code */
	char detail[1100];	/* one line: what it did, or the error */
};

struct cl_run_result {
	struct cl_run_step steps[CL_RUN_NSTEPS];
	int rc;			/* the most serious step code */
	long long run_id;	/* row in runs (0 for a dry run) */
};

struct cl_run_opts {
	int dry_run;		/* decide and say, change nothing anywhere */
	FILE *out;		/* lint problems and the dry-run plan (may be NULL) */
	FILE *trace;		/* HTTP/SMTP traces (may be NULL) */
};

/* Takes the run lock (DATABASE.lock); CL_ETEMPFAIL naming the holder when
 * another run has it. *fd is released by cl_run_unlock or process exit. */
int cl_run_lock(int *fd, const char *dbpath, struct cl_error *err);
void cl_run_unlock(int fd);

int cl_run(struct cl_run_result *out, struct cl_store *st, const struct cl_config *cfg,
           const struct cl_run_opts *opts, struct cl_error *err);

/* The weekly report of audience name (NULL: the plain [report]; see
 * cl_report_build_for) that is due at now: *year and *week give its ISO week when one
 * is due and not sent (this week's once [report] weekday/hour has passed,
 * else a missed previous week, never a week that ended before the database
 * was created), 0/0 when none is. next gets the next due point either way.
 * Returns 0 or an error code (the return value never means "due"). */
int cl_run_report_due(int *year, int *week, time_t *next, struct cl_store *st,
                      const struct cl_config *cfg, const char *name, time_t now,
                      struct cl_error *err);
/* True when [mail] names a transport (smtp host or file outbox). */
int cl_run_mail_configured(const struct cl_config *cfg);

#endif
