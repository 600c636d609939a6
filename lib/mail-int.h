/* mail-int.h — what the mail-*.c files share; not part of the library API. */
#ifndef CL_MAIL_INT_H
#define CL_MAIL_INT_H

#include "mail.h"

/* One g_mime_init() per process. */
void cl_mail_gmime_init(void);
/* 0 when v (may be NULL) is UTF-8 without CR, LF or NUL; what names it. */
int cl_mail_check_header(const char *what, const char *v, struct cl_error *err);
/* The transports behind cl_mail_send_each(). */
int cl_mail_send_file(struct cl_mail **v, size_t n, const struct cl_config *cfg,
                      cl_mail_done_fn done, void *done_arg, struct cl_error *err);
int cl_mail_send_smtp(struct cl_mail **v, size_t n, const struct cl_config *cfg,
                      FILE *trace, cl_mail_done_fn done, void *done_arg,
                      struct cl_error *err);

#endif
