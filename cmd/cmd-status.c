/* cmd-status.c — last runs, what is due next, counts, last sync. */
#include <stdio.h>

#include "cmd.h"

static int
cmd_status_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_status *s = NULL;
	int rc, format = CL_WRITER_TEXT;

	if (cmd_arg_last(a, "jf") == 'j')
		format = CL_WRITER_JSON;
	else if (cmd_arg_last(a, "jf") == 'f')
		cl_writer_format_parse(cmd_arg(a, 'f'), &format);
	if ((rc = cl_status_build(&s, ctx->store, ctx->cfg, &ctx->err)) == 0)
		rc = cl_status_write(stdout, s, format, &ctx->err);
	cl_status_free(s);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json | --format text|markdown|html|json]",
	.summary = "last runs, what is due next, item counts, last successful sync",
	.opts = {
		{ .name = "json", .key = 'j', .help = "one JSON document {items, sync, next: {report, "
		  "reports, reminders, drills}, runs, missing} (see closeloop(1))" },
		{ .name = "format", .key = 'f', .arg = "F", .values = "text|markdown|html|json",
		  .help = "text (default), markdown, html, or json (as --json)" },
	},
	.args = { .lower = 0, .upper = 0 },
	.flags = CMD_NEEDS_DB,
	.exec = cmd_status_exec,
};
