/* cmd-done.c — mark items done or open again (recorded in history). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* Sets status on every item named on the command line and says what
 * changed; --note TEXT is kept in each item's history. */
static int
set_status(struct cl_ctx *ctx, const struct cmd_args *a, const char *status)
{
	const char *note = cmd_arg(a, 'm');
	struct cl_item *it = NULL;
	int i, rc = 0;

	for (i = 0; i < a->argc && rc == 0; i++) {
		if ((rc = cl_item_get(&it, ctx->store, a->argv[i], &ctx->err)) != 0) {
			if (rc == CL_ENOTFOUND)
				rc = cmd_not_found(ctx, a->argv[i], 0);
			break;
		}
		if (strcmp(it->status, status) == 0) {
			cmd_info(ctx, "%s: already %s, nothing changed\n", cmd_tty(it->key), status);
		} else if ((rc = cl_item_set_status(ctx->store, a->argv[i], status, "local",
		                                    &ctx->err)) == 0) {
			cmd_info(ctx, "%s: %s → %s\n", cmd_tty(it->key), it->status, status);
		}
		if (rc == 0 && note != NULL)
			rc = cl_item_note(ctx->store, it->rowid, "local", note, &ctx->err);
		cl_item_free(it);
		it = NULL;
	}
	return rc;
}

static int
cmd_done_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	return set_status(ctx, a, "done");
}

static int
cmd_reopen_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	return set_status(ctx, a, "open");
}

/* --note needs a text (before anything is opened). */
static int
note_check(struct cl_ctx *ctx, const char *arg)
{
	return *arg ? 0 : cmd_usage_error(ctx, "--note needs a text");
}

#define DONE_NOTE { .name = "note", .key = 'm', .arg = "TEXT", .check = note_check, \
	            .help = "why (kept in each item's history, shown by 'closeloop show')" }
#define DONE_ITEMS { 1, -1, "ITEM", NULL, "name at least one item" }

const struct cmd_entry cmd_done_entry = {
	.name = "done",
	.usage = "[--note TEXT] ITEM...",
	.summary = "mark items done (recorded in history, origin local)",
	.opts = { DONE_NOTE },
	.args = DONE_ITEMS,
	.text = "Says what changed for each item (\"ID: open → done\"), or that it already\n"
	        "was done.\n",
	.flags = CMD_NEEDS_DB | CMD_WRITES,
	.exec = cmd_done_exec,
};

const struct cmd_entry cmd_reopen_entry = {
	.name = "reopen",
	.usage = "[--note TEXT] ITEM...",
	.summary = "mark items open again (recorded in history, origin local)",
	.opts = { DONE_NOTE },
	.args = DONE_ITEMS,
	.flags = CMD_NEEDS_DB | CMD_WRITES,
	.exec = cmd_reopen_exec,
};
