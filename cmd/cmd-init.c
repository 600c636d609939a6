/* cmd-init.c — create or upgrade the database; write a starter config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

extern const char cl_starter_config[];

/* Writes the starter config to path, refusing to overwrite anything. */
static int
init_write_config(struct cl_ctx *ctx, const char *path)
{
	size_t len = strlen(cl_starter_config);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return cl_error_set(&ctx->err, CL_ECANTCREAT,
			        "'%s' exists; not overwriting it", path);
		return cl_error_set(&ctx->err, CL_ECANTCREAT, "unable to create '%s': %s",
		                    path, strerror(errno));
	}
	n = write(fd, cl_starter_config, len);
	if (n != (ssize_t)len || close(fd) != 0) {
		unlink(path);
		return cl_error_set(&ctx->err, CL_ECANTCREAT, "unable to write '%s'", path);
	}
	cmd_info(ctx, "wrote a starter config to %s (mode 600)\n", path);
	return 0;
}

static int
cmd_init_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	const char *config_out = cmd_arg(a, 'C');
	int rc;

	if (config_out && (rc = init_write_config(ctx, config_out)) != 0)
		return rc;
	cmd_info(ctx, "database %s ready (schema version %d)\n", cl_store_path(ctx->store),
	         cl_store_version(ctx->store));
	return 0;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "[--config PATH]",
	.summary = "create or upgrade the database; optionally write a starter config",
	.opts = {
		/* the long name hides the global --config (-c still names the config) */
		{ .name = "config", .key = 'C', .arg = "PATH", .help = "also write a commented "
		  "starter config to PATH (never overwrites an existing file)" },
	},
	.args = { .lower = 0, .upper = 0 },
	.flags = CMD_CREATES_DB | CMD_WRITES,
	.exec = cmd_init_exec,
};
