/* cmd-done.c — mark items done or open again (recorded in history). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* Sets status on every item named on the command line and says what
 * changed; --note TEXT is kept in each item's history. */
static int
set_status(struct cl_ctx *ctx, int argc, char **argv, const char *status)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	const char *note = NULL;
	struct cl_item *it = NULL;
	int c, i, rc = 0;

	while ((c = cmd_getopt(ctx, argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			note = optarg;
		else
			return CL_EUSAGE;
	}
	if (optind >= argc)
		return cmd_usage_error(ctx, "name at least one item");
	if (note != NULL && *note == '\0')
		return cmd_usage_error(ctx, "--note needs a text");
	for (i = optind; i < argc && rc == 0; i++) {
		if ((rc = cl_item_get(&it, ctx->store, argv[i], &ctx->err)) != 0) {
			if (rc == CL_ENOTFOUND)
				rc = cmd_not_found(ctx, argv[i], 0);
			break;
		}
		if (strcmp(it->status, status) == 0) {
			cmd_info(ctx, "%s: already %s, nothing changed\n", cmd_tty(it->key), status);
		} else if ((rc = cl_item_set_status(ctx->store, argv[i], status, "local",
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
	"done", "[--note TEXT] ITEM...", "mark items done (recorded in history, origin local)",
	"  --note TEXT   why (kept in each item's history, shown by 'closeloop show')\n"
	"\n"
	"Says what changed for each item (\"ID: open → done\"), or that it already\n"
	"was done.\n",
	CMD_NEEDS_DB | CMD_WRITES, cmd_done_exec
};

const struct cmd_entry cmd_reopen_entry = {
	"reopen", "[--note TEXT] ITEM...", "mark items open again (recorded in history, origin local)",
	"  --note TEXT   why (kept in each item's history, shown by 'closeloop show')\n",
	CMD_NEEDS_DB | CMD_WRITES, cmd_reopen_exec
};
