/* cmd-status.c — last runs, what is due next, counts, last sync. */
#include <stdio.h>

#include "cmd.h"

static int
cmd_status_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct cl_status *s = NULL;
	int c, rc, format = CL_WRITER_TEXT;

	while ((c = cmd_getopt(ctx, argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': format = CL_WRITER_JSON; break;
		case 'f':
			if (cl_writer_format_parse(optarg, &format) != 0 || format == CL_WRITER_CSV)
				return cmd_usage_error(ctx, "--format '%s': use text, markdown, html or "
				                       "json", optarg);
			break;
		default: return CL_EUSAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if ((rc = cl_status_build(&s, ctx->store, ctx->cfg, &ctx->err)) == 0)
		rc = cl_status_write(stdout, s, format, &ctx->err);
	cl_status_free(s);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	"status", "[--json | --format text|markdown|html|json]",
	"last runs, what is due next, item counts, last successful sync",
	"  --json     one JSON document {items, sync, next: {report, reports,\n"
	"             reminders, drills}, runs, missing} (see closeloop(1))\n"
	"  --format F text (default), markdown, html, or json (as --json)\n",
	CMD_NEEDS_DB, cmd_status_exec
};
