/* mail-file.c — the file transport: one .eml per message in [mail] outbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dates.h"
#include "mail.h"
#include "mail-int.h"
#include "util.h"

/* Writes each message to outbox/<time>-<kind>-<n>.eml (atomically). */
int
cl_mail_send_file(struct cl_mail **v, size_t n, const struct cl_config *cfg,
               cl_mail_done_fn done, void *done_arg, struct cl_error *err)
{
	const char *dir = cl_config_get(cfg, "mail", "outbox");
	char stamp[21], *path = NULL, *tmp = NULL;
	size_t i, j;
	int rc = 0, fd, k, ok;

	if (dir == NULL || *dir == '\0')
		return cl_error_set(err, CL_ECONFIG, "[mail] transport = file needs [mail] outbox");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cl_error_set(err, CL_ECANTCREAT, "unable to create outbox '%s': %s", dir,
		                    strerror(errno));
	cl_time_format_utc(cl_now(), stamp);
	for (i = 0; i < n; i++) {
		struct cl_mail *m = v[i];
		ssize_t w;

		/* never through a name that exists: a symlink planted in a shared
		 * outbox (under either name) must not make us write its target */
		fd = -1;
		for (k = 0; k < 1000 && fd < 0; k++) {
			struct stat lst;

			free(path);
			free(tmp);
			tmp = NULL;
			path = cl_asprintf("%s/%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s-%zu%s%.0d.eml", dir,
			                   stamp, stamp + 5, stamp + 8, stamp + 11, stamp + 14,
			                   stamp + 17, m->kind, i + 1, k ? "-" : "", k);
			if (path == NULL || (tmp = cl_asprintf("%s.tmp", path)) == NULL)
				break;
			if (lstat(path, &lst) == 0)
				continue;
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0 && errno != EEXIST && errno != ELOOP) {
				rc = cl_error_set(err, CL_ECANTCREAT, "unable to create '%s': %s", tmp,
				                  strerror(errno));
				break;
			}
		}
		if (rc != 0)
			break;
		if (path == NULL || tmp == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
		if (fd < 0) {
			rc = cl_error_set(err, CL_ECANTCREAT, "unable to create a file in '%s': "
			                  "every name is taken", dir);
			break;
		}
		w = write(fd, m->data, m->len);
		ok = w == (ssize_t)m->len && fsync(fd) == 0;
		ok = close(fd) == 0 && ok;
		/* link, not rename: never replaces what appeared under path since */
		if (!ok || link(tmp, path) != 0) {
			rc = cl_error_set(err, CL_ECANTCREAT, "unable to write '%s': %s", path,
			                  strerror(errno));
			unlink(tmp);
			break;
		}
		unlink(tmp);
		m->state = CL_MAIL_SENT;
		m->code = 250;
		for (j = 0; j < m->nrcpt; j++) {
			m->rcpt[j].state = CL_MAIL_SENT;
			m->rcpt[j].code = 250;
		}
		free(m->detail);
		m->detail = cl_strdup(path);
		if (done != NULL)
			done(done_arg, m);
	}
	free(path);
	free(tmp);
	return rc;
}
