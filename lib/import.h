/* import.h — sources (files, directories of *.md, http(s) URLs) → store,
 * and lint over the same sources.
 *
 * A post-mortem is identified by its source: the path relative to the
 * directory given (a file given alone: its file name), or the URL. A file
 * that cannot be read, is not UTF-8 or is over the size limit is reported
 * and skipped; the others are still imported and the result is CL_EDATA. */
#ifndef CL_IMPORT_H
#define CL_IMPORT_H

#include "config.h"
#include "lint.h"
#include "store.h"

struct cl_import_stats {
	int files_seen, files_parsed, files_unchanged, files_failed;
	int items_new, items_updated, items_withdrawn;
	int problems;
};

/* Called for each lint problem and each file-level error (problem NULL,
 * message in msg). path is what the user gave, joined with the file. */
typedef void (*cl_import_report_fn)(void *arg, const char *path,
                                    const struct cl_problem *problem, const char *msg);

struct cl_import_opts {
	int dry_run;			/* parse and compare, write nothing */
	int force;			/* re-parse unchanged files */
	size_t max_size;		/* 0: [closeloop] max_file_size or 16 MiB */
	int verbose;			/* >= 2: trace the HTTP of [source] sections */
	cl_import_report_fn report;
	void *report_arg;
};

/* Imports sources (NULL/0: [closeloop] sources from the config). */
int cl_import_sources(struct cl_store *st, const struct cl_config *cfg,
                      char *const *sources, int nsources,
                      const struct cl_import_opts *opts,
                      struct cl_import_stats *stats, struct cl_error *err);
/* Lints sources without writing; st may be NULL (then first-seen dates are
 * unknown). Returns CL_EPROBLEMS when problems were found. */
int cl_lint_sources(struct cl_store *st, const struct cl_config *cfg,
                    char *const *sources, int nsources,
                    const struct cl_import_opts *opts,
                    struct cl_import_stats *stats, struct cl_error *err);

#endif
