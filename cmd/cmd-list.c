/* cmd-list.c — list action items as a table or as the JSON contract. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"

/* Prints at most width display columns of s (UTF-8 aware), padded. */
static void
print_cell(const char *s, int width, int pad)
{
	const unsigned char *p = (const unsigned char *)(s ? cmd_tty(s) : "-");
	int cols = 0;

	while (*p && cols < width) {
		const unsigned char *start = p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		if (cols == width - 1 && *p) {
			fputs("~", stdout);	/* truncated */
			cols++;
			break;
		}
		fwrite(start, 1, (size_t)(p - start), stdout);
		cols++;
	}
	if (pad)
		printf("%*s", width - cols, "");
}

static int
cmd_list_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "open", no_argument, NULL, 'o' },
		{ "overdue", no_argument, NULL, 'O' },
		{ "all", no_argument, NULL, 'a' },
		{ "owner", required_argument, NULL, 'w' },
		{ "postmortem", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "exit-status", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	struct cl_item_filter f = { 0 };
	struct cl_item *items = NULL;
	size_t n = 0, i;
	int c, rc, json = 0, exit_status = 0, idw = 2;

	while ((c = cmd_getopt(ctx, argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': f.status = CL_ITEMS_OPEN; break;
		case 'O': f.overdue = 1; f.status = CL_ITEMS_OPEN; break;
		case 'a': f.status = CL_ITEMS_ALL; break;
		case 'w': f.owner = optarg; break;
		case 'p': f.postmortem = optarg; break;
		case 'j': json = 1; break;
		case 'e': exit_status = 1; break;
		default: return CL_EUSAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	f.today = cl_today(cl_config_timezone(ctx->cfg));
	if (f.owner != NULL) {
		/* a name or address from [people] means that person's handle */
		const struct cl_person *p = cl_config_person(ctx->cfg, f.owner);
		if (p != NULL)
			f.owner_handle = p->handle;
	}
	if (f.postmortem != NULL) {
		/* an unknown post-mortem is missing input (66), with a near miss named */
		long long id;
		if ((rc = cl_postmortem_find(&id, ctx->store, f.postmortem, &ctx->err)) != 0)
			return rc;
	}
	if ((rc = cl_items_list(&items, &n, ctx->store, &f, &ctx->err)) != 0)
		return rc;
	if (n == 0 && f.postmortem != NULL) {
		/* nothing listed: is there such a post-mortem at all? */
		struct cl_item_filter any = { .status = CL_ITEMS_ALL, .postmortem = f.postmortem };
		struct cl_item *v = NULL;
		size_t nv = 0;
		if ((rc = cl_items_list(&v, &nv, ctx->store, &any, &ctx->err)) != 0)
			return rc;
		cl_items_free(v, nv);
		if (nv == 0)
			return cmd_not_found(ctx, f.postmortem, 1);
	}
	if (json) {
		json_t *root = json_object(), *arr = json_array();
		for (i = 0; i < n; i++) {
			json_t *o = cl_item_to_json(&items[i]);
			char *serr = cl_sync_item_error(ctx->store, items[i].rowid);
			json_object_set_new(o, "sync_error", serr ? json_string(serr) : json_null());
			free(serr);
			json_array_append_new(arr, o);
		}
		json_object_set_new(root, "items", arr);
		rc = cmd_print_json(ctx, root);
	} else if (n == 0) {
		if (ctx->verbosity >= 0)
			printf("no %sitems\n", f.overdue ? "overdue " : f.status == CL_ITEMS_ALL ? ""
			       : "open ");
	} else {
		for (i = 0; i < n; i++)
			if ((int)strlen(items[i].key) > idw)
				idw = (int)strlen(items[i].key);
		printf("%-*s  %-10s  %-14s  %-10s  %s\n", idw, "ID", "DUE", "OWNER", "STATUS", "ACTION");
		for (i = 0; i < n; i++) {
			const struct cl_item *it = &items[i];
			int late = cl_item_days_overdue(it, f.today);
			char status[24];
			printf("%-*s  ", idw, cmd_tty(it->key));
			print_cell(it->due ? it->due : it->due_raw, 10, 1);
			fputs("  ", stdout);
			print_cell(it->owner ? it->owner : it->owner_raw, 14, 1);
			if (late > 0)
				snprintf(status, sizeof status, "%dd late", late);
			else
				snprintf(status, sizeof status, "%s", it->status);
			printf("  %-10s  ", status);
			print_cell(it->action, 70, 0);
			if (it->ticket)
				printf(" [%s]", cmd_tty(it->ticket));
			{
				char *serr = cl_sync_item_error(ctx->store, it->rowid);
				if (serr)
					printf(" (sync: %s)", cmd_tty(serr));
				free(serr);
			}
			fputc('\n', stdout);
		}
	}
	cl_items_free(items, n);
	if (rc == 0 && exit_status && n > 0)
		rc = CL_EPROBLEMS;
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	"list", "[--open|--overdue|--all] [--owner WHO] [--postmortem ID] [--json] [--exit-status]",
	"list action items",
	"  --open             open items (the default)\n"
	"  --overdue          open items whose due date has passed\n"
	"  --all              open, done and withdrawn items\n"
	"  --owner WHO        only items of this owner: the handle or the owner as\n"
	"                     written, or a [people] name or address\n"
	"  --postmortem ID    only items of this post-mortem (id or source)\n"
	"  --json             one JSON document {\"items\": [...]} (see closeloop(1))\n"
	"  --exit-status      exit 1 when the list is not empty (for monitoring)\n"
	"\n"
	"\"Today\" is the date in [closeloop] timezone (CLOSELOOP_NOW overrides).\n",
	CMD_NEEDS_DB, cmd_list_exec
};
