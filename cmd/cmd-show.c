/* cmd-show.c — one item and its history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"

static int
cmd_show_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_item *it = NULL;
	struct cl_history *h = NULL;
	size_t nh = 0, i;
	int rc, json = cmd_arg(a, 'j') != NULL;

	if ((rc = cl_item_get(&it, ctx->store, a->argv[0], &ctx->err)) != 0)
		return rc == CL_ENOTFOUND ? cmd_not_found(ctx, a->argv[0], 0) : rc;
	if ((rc = cl_item_history(&h, &nh, ctx->store, it->rowid, &ctx->err)) != 0)
		goto done;
	if (json) {
		json_t *o = cl_item_to_json(it), *arr = json_array();
		for (i = 0; i < nh; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:s?}",
			        "at", h[i].at, "origin", h[i].origin, "field", h[i].field,
			        "old", h[i].old, "new", h[i].new));
		json_object_set_new(o, "history", arr);
		json_object_set_new(o, "sync_error", cl_json_str(it->sync_error));
		rc = cmd_print_json(ctx, o);
		goto done;
	}
	printf("id:          %s\n", cmd_tty(it->key));
	printf("action:      %s\n", cmd_tty(it->action));
	printf("owner:       %s", it->owner ? cmd_tty(it->owner) : "-");
	if (it->owner_raw && it->owner && strcmp(it->owner_raw, it->owner) != 0)
		printf(" (written: %s)", cmd_tty(it->owner_raw));
	printf("\ndue:         %s", it->due ? cmd_tty(it->due) : "-");
	if (it->due_raw && (!it->due || strcmp(it->due_raw, it->due) != 0))
		printf(" (written: %s)", cmd_tty(it->due_raw));
	printf("\nstatus:      %s\n", it->status);
	if (it->ticket)
		printf("ticket:      %s%s%s\n", cmd_tty(it->ticket), it->url ? "  " : "",
		       it->url ? cmd_tty(it->url) : "");
	if (*it->problems)
		printf("problems:    %s\n", cmd_tty(it->problems));
	if (it->sync_error)
		printf("sync error:  %s\n", cmd_tty(it->sync_error));
	printf("post-mortem: %s — %s\n", cmd_tty(it->pm_slug),
	       it->pm_title ? cmd_tty(cl_str_title_bare(it->pm_title)) : "(untitled)");
	printf("source:      %s:%d\n", cmd_tty(it->pm_source), it->line);
	printf("history:\n");
	for (i = 0; i < nh; i++)
		printf("  %s  %-7s  %-8s %s → %s\n", cmd_local_time(ctx, h[i].at), h[i].origin,
		       h[i].field,
		       h[i].old ? cmd_tty(h[i].old) : "-", h[i].new ? cmd_tty(h[i].new) : "-");
done:
	cl_history_free(h, nh);
	cl_item_free(it);
	return rc;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "ITEM [--json]",
	.summary = "show one item and its history",
	.opts = {
		{ .name = "json", .key = 'j', .help = "the item as in 'list --json' (sync_error "
		  "included) plus \"history\": [{at, origin, field, old, new}]" },
	},
	.args = { .lower = 1, .upper = 1, .name = "ITEM",
	          .help = "the item id, as 'closeloop list' shows it", .missing = "name one item" },
	.flags = CMD_NEEDS_DB,
	.exec = cmd_show_exec,
};
