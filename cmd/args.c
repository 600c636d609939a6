/* args.c — declared arguments: one parser (getopt_long) for every command
 * from its struct cmd_entry, the usage errors it gives, and the --help made
 * from the same declaration. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* getopt values of long options: above any option character */
#define LONG_BASE 256

static const char *global_usage = "[-c CONFIG] [-d DATABASE] [-q | -v] COMMAND [ARGS]";

void
cmd_print_usage(const struct cl_ctx *ctx, FILE *f)
{
	const struct cmd_entry *cmd = ctx->cmd, *const *s;

	if (cmd == NULL) {
		fprintf(f, "usage: closeloop %s\n", global_usage);
	} else if (ctx->sub != NULL) {
		fprintf(f, "usage: closeloop %s %s%s%s\n", cmd->name, ctx->sub->name,
		        *ctx->sub->usage ? " " : "", ctx->sub->usage);
	} else if (cmd->subs != NULL) {
		for (s = cmd->subs; *s; s++)
			fprintf(f, "%s closeloop %s %s%s%s\n", s == cmd->subs ? "usage:" : "      ",
			        cmd->name, (*s)->name, *(*s)->usage ? " " : "", (*s)->usage);
	} else {
		fprintf(f, "usage: closeloop %s%s%s\n", cmd->name, *cmd->usage ? " " : "", cmd->usage);
	}
}

int
cmd_usage_error(struct cl_ctx *ctx, const char *fmt, ...)
{
	char msg[512], *usage = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if ((f = open_memstream(&usage, &len)) != NULL) {
		cmd_print_usage(ctx, f);
		fclose(f);
	}
	/* the message, then the usage lines (their last newline left out) */
	if (usage && len && usage[len - 1] == '\n')
		usage[len - 1] = '\0';
	cl_error_set(&ctx->err, CL_EUSAGE, "%s\n%s", msg, usage ? usage : "");
	free(usage);
	return CL_EUSAGE;
}

/* The long option an argument names ("--own" → "owner"), or NULL. */
static const struct option *
long_option_named(const struct option *opts, const char *arg)
{
	const struct option *found = NULL;
	size_t len;

	if (arg == NULL || strncmp(arg, "--", 2) != 0)
		return NULL;
	arg += 2;
	len = strcspn(arg, "=");
	for (; opts && opts->name; opts++) {
		if (strlen(opts->name) == len && strncmp(opts->name, arg, len) == 0)
			return opts;
		if (strncmp(opts->name, arg, len) == 0)
			found = found ? found : opts;
	}
	return found;
}

/* The usage error for an option getopt refused, naming it as typed. */
static int
option_error(struct cl_ctx *ctx, int c, const char *arg, const struct option *opts)
{
	const struct option *o = long_option_named(opts, arg);
	const char *names[128], *near;
	char word[64];
	size_t n = 0;

	if (c == ':' && o != NULL)
		return cmd_usage_error(ctx, "option '--%s' needs an argument", o->name);
	if (c == ':')
		return cmd_usage_error(ctx, "option '-%c' needs an argument", optopt);
	if (optopt && arg && strncmp(arg, "--", 2) != 0)
		return cmd_usage_error(ctx, "unknown option '-%c'", optopt);
	if (o != NULL && o->has_arg == no_argument && strchr(arg, '='))
		return cmd_usage_error(ctx, "option '--%s' takes no argument", o->name);
	if (o != NULL) {	/* getopt found it ambiguous: name the candidates */
		char could[256] = "";
		size_t len = strcspn(arg + 2, "=");
		for (; opts && opts->name; opts++) {
			if (strncmp(opts->name, arg + 2, len) != 0)
				continue;
			strncat(could, *could ? ", --" : "--", sizeof could - strlen(could) - 1);
			strncat(could, opts->name, sizeof could - strlen(could) - 1);
		}
		return cmd_usage_error(ctx, "option '%s' is ambiguous, could be: %s", arg, could);
	}
	for (; opts && opts->name && n < 128; opts++)
		names[n++] = opts->name;
	snprintf(word, sizeof word, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	if ((near = cl_str_nearest(word, names, n)) != NULL)
		return cmd_usage_error(ctx, "unknown option '%s' (did you mean '--%s'?)", arg, near);
	return cmd_usage_error(ctx, "unknown option '%s'", arg);
}

/* The declared option of cmd with this long name or short letter. */
static const struct cmd_opt *
opt_find(const struct cmd_entry *cmd, const char *name, int letter)
{
	const struct cmd_opt *o;

	for (o = cmd ? cmd->opts : NULL; o && o < cmd->opts + CMD_MAXOPTS && o->name; o++)
		if ((name && strcmp(o->name, name) == 0) || (letter && o->shrt && o->key == letter))
			return o;
	return NULL;
}

/* Refuses an argument that is not one of opt's values ("use a, b or c"). */
static int
opt_check_value(struct cl_ctx *ctx, const struct cmd_opt *o, const char *arg)
{
	const char *v = o->values, *bar;
	char words[256] = "";
	size_t len;

	for (; v && *v; v = bar ? bar + 1 : v + len) {
		bar = strchr(v, '|');
		len = bar ? (size_t)(bar - v) : strlen(v);
		if (strlen(arg) == len && strncmp(arg, v, len) == 0)
			return 0;
		snprintf(words + strlen(words), sizeof words - strlen(words), "%s%.*s",
		         *words == '\0' ? "" : bar ? ", " : " or ", (int)len, v);
	}
	if (o->values)
		return cmd_usage_error(ctx, "--%s '%s': use %s", o->name, arg, words);
	return o->check ? o->check(ctx, arg) : 0;
}

/* The getopt tables for cmd with the global options it does not define
 * (decl[i] is what merged[i] and shorts' letters stand for). */
static void
opts_merge(struct option *merged, const struct cmd_opt **decl, char *shorts,
           const struct cmd_entry *cmd, const struct cmd_entry *global, int first)
{
	const struct cmd_entry *from[2] = { cmd, global };
	const struct cmd_opt *o;
	size_t n = 0, k, i;
	char *sp = shorts;

	*sp++ = first ? '+' : ':';	/* "+": stop at the command name */
	if (first)
		*sp++ = ':';
	for (k = 0; k < 2; k++) {
		for (i = 0; from[k] && i < CMD_MAXOPTS && from[k]->opts[i].name; i++) {
			o = &from[k]->opts[i];
			if (k == 1 && (o->flags & CMD_OPT_FIRST) && from[0] != from[1])
				continue;
			/* a global short letter stays when the command has the long name */
			if (o->shrt && (k == 0 || from[0] == from[1] || !opt_find(from[0], NULL, o->key))) {
				*sp++ = (char)o->key;
				if (o->arg)
					*sp++ = ':';
			}
			if (k == 1 && from[0] != from[1] && opt_find(from[0], o->name, 0))
				continue;
			merged[n] = (struct option){ o->name, o->arg ? required_argument : no_argument,
			                             NULL, LONG_BASE + (int)n };
			decl[n++] = o;
		}
		if (from[0] == from[1])
			break;
	}
	merged[n] = (struct option){ NULL, 0, NULL, 0 };
	*sp = '\0';
}

int
cmd_args_parse(struct cmd_args *out, struct cl_ctx *ctx, const struct cmd_entry *cmd,
               const struct cmd_entry *global, int argc, char **argv, int first)
{
	struct option merged[2 * CMD_MAXOPTS + 1];
	const struct cmd_opt *decl[2 * CMD_MAXOPTS], *o;
	char shorts[4 * CMD_MAXOPTS + 4];
	int c, idx, rc, nargs;

	memset(out, 0, sizeof *out);
	if ((out->given = cl_calloc((size_t)argc + 1, sizeof *out->given)) == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	opts_merge(merged, decl, shorts, cmd, global, first);
	opterr = 0;
	optind = 0;	/* a fresh scan (GNU getopt) */
	while ((c = getopt_long(argc, argv, shorts, merged, &idx)) != -1) {
		if (c == '?' || c == ':')	/* getopt has just passed what it refused */
			return option_error(ctx, c, argv[optind - 1], merged);
		o = c >= LONG_BASE ? decl[c - LONG_BASE] : opt_find(cmd, NULL, c);
		if (o == NULL)
			o = opt_find(global, NULL, c);
		if (o->arg && (rc = opt_check_value(ctx, o, optarg)) != 0)
			return rc;
		if (o->flags & CMD_OPT_DRY_RUN)
			ctx->dry_run = 1;
		if (o->flags & CMD_OPT_WRITES)
			ctx->writes = 1;
		out->given[out->n].key = o->key;
		out->given[out->n].global = !(cmd != global && o >= cmd->opts &&
		                              o < cmd->opts + CMD_MAXOPTS);
		out->given[out->n++].value = o->arg ? optarg : "";
	}
	out->argc = argc - optind;
	out->argv = argv + optind;
	nargs = out->argc;
	if (first)
		return 0;
	if (nargs < cmd->args.lower)
		return cmd->args.missing ? cmd_usage_error(ctx, "%s", cmd->args.missing)
		                         : cmd_usage_error(ctx, "missing argument");
	if (cmd->args.upper >= 0 && nargs > cmd->args.upper)
		return cmd_usage_error(ctx, "unexpected argument '%s'", out->argv[cmd->args.upper]);
	return 0;
}

void
cmd_args_release(struct cmd_args *a)
{
	if (a == NULL)
		return;
	free(a->given);
	memset(a, 0, sizeof *a);
}

const char *
cmd_arg(const struct cmd_args *a, int key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->given[i].key == key && !a->given[i].global)
			v = a->given[i].value;
	return v;
}

int
cmd_arg_last(const struct cmd_args *a, const char *keys)
{
	int key = 0;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!a->given[i].global && strchr(keys, a->given[i].key))
			key = a->given[i].key;
	return key;
}

size_t
cmd_arg_all(const char **out, const struct cmd_args *a, int key)
{
	size_t i, k = 0;

	for (i = 0; i < a->n; i++)
		if (a->given[i].key == key && !a->given[i].global)
			out[k++] = a->given[i].value;
	out[k] = NULL;
	return k;
}

static void help_options(FILE *f, const struct cmd_entry *cmd, size_t indent);

/* Prints words from text wrapped to 79 columns, continuing at column col;
 * the cursor is at column at. */
static void
help_wrap(FILE *f, const char *text, size_t at, size_t col)
{
	size_t len;

	while (*text) {
		text += strspn(text, " ");
		len = strcspn(text, " ");
		if (len == 0)
			break;
		if (at > col && at + 1 + len > 79) {
			fprintf(f, "\n%*s", (int)col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fprintf(f, "%.*s", (int)len, text);
		at += len;
		text += len;
	}
	fputc('\n', f);
}

/* One line of the option list: "  LABEL   help", the help at column col. */
static void
help_line(FILE *f, size_t indent, const char *label, const char *help, size_t col)
{
	size_t at = indent + strlen(label);

	fprintf(f, "%*s%s", (int)indent, "", label);
	if (at + 2 > col) {
		fprintf(f, "\n%*s", (int)col, "");
	} else {
		fprintf(f, "%*s", (int)(col - at), "");
	}
	help_wrap(f, help ? help : "", col, col);
}

/* An option's label in the help: "-n, --dry-run", "--owner WHO". */
static void
opt_label(char *buf, size_t size, const struct cmd_opt *o)
{
	if (o->shrt)
		snprintf(buf, size, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
	else
		snprintf(buf, size, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void
cmd_print_options(const struct cmd_entry *cmd, FILE *f)
{
	help_options(f, cmd, 2);
}

/* The operand and the options of cmd, indented. */
static void
help_options(FILE *f, const struct cmd_entry *cmd, size_t indent)
{
	char label[128];
	size_t col = 0, i;

	if (cmd->args.name && cmd->args.help)
		col = strlen(cmd->args.name);
	for (i = 0; i < CMD_MAXOPTS && cmd->opts[i].name; i++) {
		opt_label(label, sizeof label, &cmd->opts[i]);
		col = strlen(label) > col ? strlen(label) : col;
	}
	col = indent + (col > 18 ? 18 : col) + 3;
	if (cmd->args.name && cmd->args.help)
		help_line(f, indent, cmd->args.name, cmd->args.help, col);
	for (i = 0; i < CMD_MAXOPTS && cmd->opts[i].name; i++) {
		opt_label(label, sizeof label, &cmd->opts[i]);
		help_line(f, indent, label, cmd->opts[i].help, col);
	}
}

void
cmd_print_help(const struct cmd_entry *cmd, const struct cmd_entry *sub, FILE *f)
{
	struct cl_ctx ctx = { .cmd = cmd, .sub = sub };
	const struct cmd_entry *leaf = sub ? sub : cmd, *const *s;

	cmd_print_usage(&ctx, f);
	fputc('\n', f);
	help_wrap(f, leaf->summary, 0, 0);
	if (leaf->opts[0].name || (leaf->args.name && leaf->args.help)) {
		fputc('\n', f);
		help_options(f, leaf, 2);
	}
	for (s = sub ? NULL : cmd->subs; s && *s; s++) {
		fprintf(f, "\n  %s%s%s\n", (*s)->name, *(*s)->usage ? " " : "", (*s)->usage);
		fprintf(f, "    ");
		help_wrap(f, (*s)->summary, 4, 4);
		help_options(f, *s, 6);
	}
	if (leaf->text && *leaf->text)
		fprintf(f, "\n%s", leaf->text);
}
