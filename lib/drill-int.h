/* drill-int.h — what the drill*.c files share; not part of the library API. */
#ifndef CL_DRILL_INT_H
#define CL_DRILL_INT_H

#include "drill.h"

/* drill.c: the store. */
/* Appends an attendee unless its address is already there; CL_ENOMEM. */
int cl_drill_attendee_add(struct cl_drill *d, const char *handle, const char *name,
                          const char *email);
/* Drills (with attendees) of DRILL_FROM plus where, which may use one text
 * or one int64 parameter (?1). */
int cl_drill_query(struct cl_drill **out, size_t *n, struct cl_store *st, const char *where,
                   const char *text_arg, long long int_arg, struct cl_error *err);
/* Sets d->id and d->uid to the next drill's. */
int cl_drill_next_id_uid(struct cl_drill *d, struct cl_store *st, struct cl_error *err);

/* drill-prepare.c: a new drill. */
/* Splits "Name <addr>" or "addr" (name may come back NULL); CL_EUSAGE. */
int cl_drill_split_address(const char *s, char **name, char **email);
/* A drill's length: given (> 0) or [drill] duration_minutes. */
int cl_drill_duration(int *out, const struct cl_config *cfg, int given, struct cl_error *err);
/* A new drill (not stored) for post-mortem row pm_rowid, default attendees. */
int cl_drill_new_for(struct cl_drill **out, struct cl_store *st, const struct cl_config *cfg,
                     long long pm_rowid, struct cl_error *err);

/* drill-ical.c: times. */
/* The drill timezone: override, [drill] timezone, [closeloop] timezone, UTC. */
const char *cl_drill_tz(const struct cl_config *cfg, const char *override);
/* "YYYY-MM-DD HH:MM[:SS]" as wall clock in tz; CL_EUSAGE. */
int cl_drill_parse_at(const char *at, const char *tz, time_t *out, struct cl_error *err);

#endif
