/* cmd-done.c — mark items done or open again (recorded in history). */
#include <stdio.h>

#include "cmd.h"

/* Sets status on every item named on the command line. */
static int
set_status(struct cl_ctx *ctx, int argc, char **argv, const char *status)
{
	int c, i, rc = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "", NULL, NULL)) != -1)
		return CL_EUSAGE;
	if (optind >= argc)
		return cmd_usage_error(ctx, "name at least one item");
	for (i = optind; i < argc && rc == 0; i++) {
		rc = cl_item_set_status(ctx->store, argv[i], status, "local", &ctx->err);
		if (rc == 0)
			cmd_verbose(ctx, "%s: %s\n", argv[i], status);
	}
	return rc;
}

static int
cmd_done_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	return set_status(ctx, argc, argv, "done");
}

static int
cmd_reopen_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	return set_status(ctx, argc, argv, "open");
}

const struct cmd_entry cmd_done_entry = {
	"done", "ITEM...", "mark items done (recorded in history, origin local)", "",
	CMD_NEEDS_DB | CMD_WRITES, cmd_done_exec
};

const struct cmd_entry cmd_reopen_entry = {
	"reopen", "ITEM...", "mark items open again (recorded in history, origin local)", "",
	CMD_NEEDS_DB | CMD_WRITES, cmd_reopen_exec
};
