/* team.h — which team a post-mortem belongs to.
 *
 * In order: what the document says (front matter "team:", else a "Team:"
 * line; stored by import as postmortems.team_doc), else the first [teams]
 * rule whose glob matches its source (the path relative to its import
 * root, a file's name, or its URL) or the path it was read from, else,
 * with [teams] from_directory = yes, the first directory of its source.
 * Rules: "[teams] NAME = GLOB, GLOB…" (fnmatch(3) without flags: "*"
 * crosses "/"); rules are tried in file order. Team names are stored in
 * lower case; a post-mortem of no team has NULL. */
#ifndef CL_TEAM_H
#define CL_TEAM_H

#include "config.h"
#include "error.h"
#include "store.h"

/* The team of one post-mortem (doc_team may be NULL; source, path too) into
 * out (size bytes, "" for none). 0, or CL_ENOMEM. */
int cl_team_of(char *out, size_t size, const struct cl_config *cfg, const char *doc_team,
               const char *source, const char *path);
/* [teams] read once for many look-ups (cl_team_rules_of, the same answer
 * as cl_team_of); 0, or CL_ENOMEM. Free with cl_team_rules_free (NULL
 * too). */
struct cl_team_rules;
int cl_team_rules_load(struct cl_team_rules **out, const struct cl_config *cfg);
void cl_team_rules_of(char *out, size_t size, const struct cl_team_rules *t,
                      const char *doc_team, const char *source, const char *path);
void cl_team_rules_free(struct cl_team_rules *t);
/* Records [teams] as applied (meta teams_fingerprint), for a caller that
 * gave every post-mortem row its team itself (a first import, as it
 * inserts them): what cl_team_assign_changed would then leave. */
int cl_team_assign_done(struct cl_store *st, const struct cl_config *cfg,
                        struct cl_error *err);
/* Sets postmortems.team of every post-mortem whose team changed (inside
 * the caller's transaction, if any), but only when it can change
 * something: when [teams] differs from the last time (a fingerprint in meta
 * teams_fingerprint) or rows_changed (the caller wrote post-mortem rows
 * since). */
int cl_team_assign_changed(struct cl_store *st, const struct cl_config *cfg, int rows_changed,
                           struct cl_error *err);

#endif
