/* import.h — sources (files, directories of Markdown, http(s) URLs) →
 * store, and lint over the same sources.
 *
 * A post-mortem is identified by its file, not by the path it was imported
 * through: the file's real path (or the URL), and a document that moved is
 * recognised by its content (see docs/architecture.md, "Post-mortem
 * identity"). Its display name (`source`) is the path relative to the
 * directory given, longer when another post-mortem has that name already.
 * A file that cannot be read, is not UTF-8 or is over the size limit is
 * reported and skipped; the others are still imported and the result is
 * CL_EDATA. */
#ifndef CL_IMPORT_H
#define CL_IMPORT_H

#include "config.h"
#include "lint.h"
#include "store.h"

struct cl_import_stats {
	int files_seen, files_parsed, files_unchanged, files_failed;
	int items_new, items_updated, items_withdrawn;
	int problems;
	/* what a walk left out, and why */
	int left_out_name;	/* name not selected by [import] include */
	int left_out_excluded;	/* matched by [import] exclude */
	int left_out_link;	/* symbolic link not followed (follow_symlinks = no, dangling) */
	int left_out_outside;	/* symbolic link leading out of its root */
	int left_out_loop;	/* directory walked already (a link loop) */
	int left_out_dup;	/* file found already by another path */
	int left_out_special;	/* not a regular file (FIFO, socket, device) */
	int left_out_forgotten;	/* post-mortem retired with closeloop forget */
	int files_unsettled;	/* changing while read: skipped this time */
	int pm_moved;		/* known post-mortems found under a new name */
	int pm_missing;		/* gone from their directory (missing_since set) */
	int pm_retired;		/* missing for [import] missing_days: items withdrawn */
};

/* Called for each lint problem and each file-level error (problem NULL,
 * message in msg). path is what the user gave, joined with the file. */
typedef void (*cl_import_report_fn)(void *arg, const char *path,
                                    const struct cl_problem *problem, const char *msg);

/* Called by lint for each document read (`lint --items`). */
typedef void (*cl_import_doc_fn)(void *arg, const char *path, const struct cl_pm_doc *doc);

struct cl_import_opts {
	int dry_run;			/* parse and compare, write nothing */
	int force;			/* re-parse unchanged files */
	size_t max_size;		/* 0: [closeloop] max_file_size or 16 MiB */
	int verbose;			/* >= 2: trace the HTTP of [source] sections */
	cl_import_report_fn report;
	void *report_arg;
	cl_import_doc_fn doc;		/* lint only; NULL: none (report_arg is its arg) */
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

/* A post-mortem that is no longer found in the directory it came from.
 * retired_at is set once its open items were withdrawn. */
struct cl_pm_missing {
	char *slug, *source, *missing_since, *retired_at;
};

/* The post-mortems missing from their source (forgotten ones not
 * included), oldest first; free with cl_pm_missing_free. The same facts are
 * the columns postmortems.missing_since / retired_at / forgotten_at. */
int cl_import_missing(struct cl_pm_missing **out, size_t *n, struct cl_store *st,
                      struct cl_error *err);
void cl_pm_missing_free(struct cl_pm_missing *v, size_t n);

/* Finds a post-mortem by id (slug) or source; CL_ENOINPUT naming the
 * closest known id ("did you mean") when there is none. */
int cl_postmortem_find(long long *out, struct cl_store *st, const char *name,
                       struct cl_error *err);
/* The known post-mortem id closest to name (cl_str_nearest over ids, then
 * sources), caller-owned, or NULL in *out when none is close. */
int cl_postmortem_nearest(char **out, struct cl_store *st, const char *name,
                          struct cl_error *err);
/* Every post-mortem and runbook id (slug) with its source, by id; free
 * both with cl_postmortem_ids_free. */
int cl_postmortem_ids(char ***slugs, char ***sources, size_t *n, struct cl_store *st,
                      struct cl_error *err);
void cl_postmortem_ids_free(char **slugs, char **sources, size_t n);

/* Retires a post-mortem on purpose: its open items become withdrawn (their
 * tickets are closed as not planned by the next sync), history records it,
 * the document is not imported again. Nothing is deleted. *withdrawn gets
 * the number of items withdrawn. CL_ENOINPUT when unknown. */
int cl_import_forget(int *withdrawn, struct cl_store *st, const char *name,
                     struct cl_error *err);

#endif
