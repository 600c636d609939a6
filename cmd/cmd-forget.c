/* cmd-forget.c — retire a post-mortem on purpose (nothing is deleted). */
#include <stdio.h>

#include "cmd.h"

static int
cmd_forget_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	int i, rc = 0, n;

	for (i = 0; i < a->argc && rc == 0; i++) {
		rc = cl_import_forget(&n, ctx->store, a->argv[i], &ctx->err);
		if (rc == 0)
			cmd_info(ctx, "%s: forgotten, %d open item%s withdrawn\n", a->argv[i], n,
			         n == 1 ? "" : "s");
	}
	return rc;
}

const struct cmd_entry cmd_forget_entry = {
	.name = "forget",
	.usage = "POSTMORTEM...",
	.summary = "retire a post-mortem: its open items are withdrawn, it is not imported again",
	.args = { .lower = 1, .upper = -1, .name = "POSTMORTEM",
	          .help = "its id (as list shows it) or its source",
	          .missing = "name at least one post-mortem" },
	.text = "The open items become withdrawn (history: origin local); the next sync\n"
	        "closes their tickets as not planned. Nothing is deleted: list --all and\n"
	        "show still show them. The document is left out of later imports.\n",
	.flags = CMD_NEEDS_DB | CMD_WRITES,
	.exec = cmd_forget_exec,
};
