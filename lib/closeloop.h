/* closeloop.h — the public interface of libcloseloop.
 *
 * Conventions for every module (see docs/architecture.md):
 *  - functions are cl_<module>_<verb>(); the output parameter comes first and
 *    is named out; what is returned through out belongs to the caller;
 *  - 0 on success, a negative CL_E* code on failure, with the caller-owned
 *    struct cl_error filled (first message wins);
 *  - every *_free() accepts NULL.
 * This header includes the module headers; cmd/ includes only this one. */
#ifndef CLOSELOOP_H
#define CLOSELOOP_H

#include "error.h"
#include "util.h"
#include "dates.h"
#include "config.h"
#include "store.h"
#include "parse.h"
#include "lint.h"
#include "items.h"
#include "mail.h"
#include "report.h"
#include "recur.h"
#include "writer.h"
#include "nag.h"
#include "import.h"
#include "source.h"
#include "http.h"
#include "tracker.h"
#include "sync.h"
#include "invite.h"
#include "drill.h"
#include "run.h"
#include "team.h"
#include "status.h"

#endif
