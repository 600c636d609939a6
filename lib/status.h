/* status.h — `closeloop status`: item counts, the last sync, what is due
 * next (each audience's report, reminders, drills), the last runs and the
 * post-mortems missing from their source.
 *
 * Built once (cl_status_build: one scan of the open items counts them and
 * finds the owners a reminder may be due for), written through the writer
 * (writer.h): for people in text, Markdown, HTML, and in its JSON as the
 * documented object (closeloop(1), JSON OUTPUT). Times are UTC in JSON, local time
 * with the zone's name ([closeloop] timezone) for people. */
#ifndef CL_STATUS_H
#define CL_STATUS_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "store.h"

struct cl_status;

/* Reads everything status shows. cfg must outlive the model. Free with
 * cl_status_free(). */
int cl_status_build(struct cl_status **out, struct cl_store *st, const struct cl_config *cfg,
                    struct cl_error *err);
void cl_status_free(struct cl_status *s);
/* Writes it to fp in a writer format (CL_WRITER_TEXT, _MARKDOWN, _HTML;
 * CL_WRITER_JSON: the documented object, which is not the people's view
 * in JSON). */
int cl_status_write(FILE *fp, const struct cl_status *s, int format, struct cl_error *err);

#endif
