/* cmd-forget.c — retire a post-mortem on purpose (nothing is deleted). */
#include <stdio.h>

#include "cmd.h"

static int
cmd_forget_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	int c, i, rc = 0, n;

	while ((c = cmd_getopt(ctx, argc, argv, "", NULL, NULL)) != -1)
		return CL_EUSAGE;
	if (optind >= argc)
		return cmd_usage_error(ctx, "name at least one post-mortem");
	for (i = optind; i < argc && rc == 0; i++) {
		rc = cl_import_forget(&n, ctx->store, argv[i], &ctx->err);
		if (rc == 0)
			cmd_info(ctx, "%s: forgotten, %d open item%s withdrawn\n", argv[i], n,
			         n == 1 ? "" : "s");
	}
	return rc;
}

const struct cmd_entry cmd_forget_entry = {
	"forget", "POSTMORTEM...",
	"retire a post-mortem: its open items are withdrawn, it is not imported again",
	"  POSTMORTEM    its id (as list shows it) or its source\n"
	"\n"
	"The open items become withdrawn (history: origin local); the next sync\n"
	"closes their tickets as not planned. Nothing is deleted: list --all and\n"
	"show still show them. The document is left out of later imports.\n",
	CMD_NEEDS_DB | CMD_WRITES, cmd_forget_exec
};
