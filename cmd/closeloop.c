/* closeloop.c — global options, the command table, dispatch, exit status. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"

extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_lint_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_sync_entry;
extern const struct cmd_entry cmd_done_entry;
extern const struct cmd_entry cmd_reopen_entry;
extern const struct cmd_entry cmd_forget_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_nag_entry;
extern const struct cmd_entry cmd_drill_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_complete_entry;
extern const struct cmd_entry cmd_help_entry;

/* The command table, in the order `closeloop --help` lists them. */
static const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry,
	&cmd_import_entry,
	&cmd_lint_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_done_entry,
	&cmd_reopen_entry,
	&cmd_forget_entry,
	&cmd_sync_entry,
	&cmd_report_entry,
	&cmd_nag_entry,
	&cmd_drill_entry,
	&cmd_run_entry,
	&cmd_status_entry,
	&cmd_config_entry,
	&cmd_complete_entry,
	&cmd_help_entry,
	NULL
};

static const char *global_help =
	"usage: closeloop [-c CONFIG] [-d DATABASE] [-q | -v] COMMAND [ARGS]\n"
	"\n"
	"closeloop makes post-mortem action items get done: it imports them from\n"
	"Markdown post-mortems, lints them, syncs them with the issue tracker,\n"
	"reports and nags, and schedules the DR drill that verifies the fix.\n"
	"\n"
	"global options (before or after the command):\n"
	"  -c, --config FILE    configuration file (default: $CLOSELOOP_CONFIG,\n"
	"                       $XDG_CONFIG_HOME/closeloop/config (~/.config/...),\n"
	"                       /etc/closeloop/config)\n"
	"  -d, --database FILE  database (default: [closeloop] database, else\n"
	"                       $XDG_DATA_HOME/closeloop/closeloop.db)\n"
	"  -q, --quiet          only errors\n"
	"  -v, --verbose        say more (repeat for HTTP/SMTP traces, secrets redacted)\n"
	"      --color=WHEN     auto (a terminal without NO_COLOR), always, never\n"
	"  -h, --help           this help; 'closeloop help COMMAND' for a command\n"
	"  -V, --version        print the version\n"
	"\n"
	"commands:\n";

static const char *env_help =
	"environment: CLOSELOOP_NOW=2024-03-20T09:00:00Z fixes the clock.\n"
	"See closeloop(1) and closeloop.conf(5).\n";

/* The exit-status list, from the error table (lib/error.c), wrapped. */
static void
print_exit_help(FILE *f)
{
	const struct cl_error_kind *k = NULL;
	size_t n, i, col;
	char word[128];

	k = cl_error_kinds(&n);
	fputs("\nexit status:", f);
	col = strlen("exit status:");
	for (i = 0; i < n; i++) {
		if (k[i].help == NULL)
			continue;
		snprintf(word, sizeof word, " %d %s%s", k[i].exit, k[i].help, i + 1 < n ? "," : ".");
		if (col + strlen(word) > 78) {
			fputc('\n', f);
			col = 0;
		}
		fputs(col == 0 ? word + 1 : word, f);
		col += strlen(col == 0 ? word + 1 : word);
	}
	fputc('\n', f);
}

/* The command table, for the completions (cmd-complete.c). */
const struct cmd_entry *const *cmd_entries(void);
const struct cmd_entry *const *
cmd_entries(void)
{
	return cmd_table;
}

/* Prints the global help with the command list (not the hidden __ ones). */
static void
print_global_help(FILE *f)
{
	size_t i;

	fputs(global_help, f);
	for (i = 0; cmd_table[i]; i++)
		if (cmd_table[i]->name[0] != '_')
			fprintf(f, "  %-10s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	print_exit_help(f);
	fputs(env_help, f);
}

void
cmd_print_help(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: closeloop %s%s%s\n\n%s\n", cmd->name, *cmd->usage ? " " : "",
	        cmd->usage, cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

/* Finds a command by exact name or unique prefix (tmux style). */
static const struct cmd_entry *
cmd_find(const char *name, struct cl_error *err)
{
	const struct cmd_entry *found = NULL;
	char list[512] = "";
	size_t i, len = strlen(name);
	int matches = 0;

	for (i = 0; cmd_table[i]; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
		if (cmd_table[i]->name[0] != '_' && strncmp(cmd_table[i]->name, name, len) == 0) {
			found = cmd_table[i];
			matches++;
			if (*list)
				strncat(list, ", ", sizeof list - strlen(list) - 1);
			strncat(list, cmd_table[i]->name, sizeof list - strlen(list) - 1);
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1) {
		cl_error_set(err, CL_EUSAGE, "ambiguous command: %s, could be: %s", name, list);
	} else {
		const char *names[64], *near;
		for (i = 0; cmd_table[i] && i < 64; i++)
			names[i] = cmd_table[i]->name[0] == '_' ? NULL : cmd_table[i]->name;
		if ((near = cl_str_nearest(name, names, i)) != NULL)
			cl_error_set(err, CL_EUSAGE, "unknown command: %s (did you mean '%s'?)", name,
			             near);
		else
			cl_error_set(err, CL_EUSAGE, "unknown command: %s (see 'closeloop --help')",
			             name);
	}
	return NULL;
}

int
cmd_usage_error(struct cl_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cl_error_set(&ctx->err, CL_EUSAGE, "%s\nusage: closeloop %s %s", msg,
	                    ctx->cmd->name, ctx->cmd->usage);
}

int
cmd_unknown_sub(struct cl_ctx *ctx, const char *sub, const char *const *names)
{
	char list[256] = "";
	const char *near;
	size_t n;

	for (n = 0; names[n]; n++) {
		if (n)
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, names[n], sizeof list - strlen(list) - 1);
	}
	if (sub == NULL)
		return cmd_usage_error(ctx, "name a %s command (%s)", ctx->cmd->name, list);
	if ((near = cl_str_nearest(sub, names, n)) != NULL)
		return cmd_usage_error(ctx, "unknown %s command '%s' (did you mean '%s'?)",
		                       ctx->cmd->name, sub, near);
	return cmd_usage_error(ctx, "unknown %s command '%s' (one of: %s)", ctx->cmd->name, sub,
	                       list);
}

static int ctx_prepare(struct cl_ctx *ctx);
static int ctx_open_store(struct cl_ctx *ctx);

/* The global options, accepted after the command too (getopt values above
 * any option character). */
enum { GOPT_CONFIG = 0x1001, GOPT_DATABASE, GOPT_QUIET, GOPT_VERBOSE, GOPT_COLOR };
static const struct option global_opts[] = {
	{ "config", required_argument, NULL, GOPT_CONFIG },
	{ "database", required_argument, NULL, GOPT_DATABASE },
	{ "quiet", no_argument, NULL, GOPT_QUIET },
	{ "verbose", no_argument, NULL, GOPT_VERBOSE },
	{ "color", required_argument, NULL, GOPT_COLOR },
	{ NULL, 0, NULL, 0 }
};

/* Applies one global option; 0, or a usage error. */
static int
global_option(struct cl_ctx *ctx, int c, const char *arg)
{
	switch (c) {
	case 'c': case GOPT_CONFIG: ctx->config_path = arg; break;
	case 'd': case GOPT_DATABASE: ctx->db_path = arg; break;
	case 'q': case GOPT_QUIET: ctx->verbosity = -1; break;
	case 'v': case GOPT_VERBOSE:
		ctx->verbosity = ctx->verbosity < 0 ? 1 : ctx->verbosity + 1;
		break;
	case GOPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			ctx->color = -1;
		else if (strcmp(arg, "always") == 0)
			ctx->color = 1;
		else if (strcmp(arg, "never") == 0)
			ctx->color = 0;
		else
			return CL_EUSAGE;
		break;
	}
	return 0;
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

/* True when opts defines the long option name. */
static int
has_long(const struct option *opts, const char *name)
{
	for (; opts && opts->name; opts++)
		if (strcmp(opts->name, name) == 0)
			return 1;
	return 0;
}

int
cmd_getopt(struct cl_ctx *ctx, int argc, char **argv, const char *shortopts,
           const struct option *longopts, int *index)
{
	static const char *const gshort[] = { "c:", "d:", "q", "v" };
	struct option merged[64];
	char shorts[64];
	size_t n = 0, i;
	int c, idx;

	/* the command's options, then the global ones it does not define */
	for (i = 0; longopts && longopts[i].name && n < 56; i++)
		merged[n++] = longopts[i];
	for (i = 0; global_opts[i].name; i++)
		if (!has_long(longopts, global_opts[i].name))
			merged[n++] = global_opts[i];
	memset(&merged[n], 0, sizeof merged[n]);
	snprintf(shorts, sizeof shorts, ":%s", shortopts);
	for (i = 0; i < 4; i++)
		if (strchr(shortopts, gshort[i][0]) == NULL)
			strncat(shorts, gshort[i], sizeof shorts - strlen(shorts) - 1);
	opterr = 0;
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, shorts, merged, &idx);
		if (c == '?' || c == ':') {
			/* getopt has just passed the argument it refused */
			ctx->opt_rc = option_error(ctx, c, argv[optind - 1], merged);
			return -2;
		}
		/* a global option (long, or a short one the command lacks) */
		if (c >= GOPT_CONFIG || (c > 0 && idx < 0 && strchr("cdqv", c) &&
		                         strchr(shortopts, c) == NULL)) {
			if (global_option(ctx, c, optarg) != 0) {
				ctx->opt_rc = cmd_usage_error(ctx, "--color '%s': use auto, always "
				                              "or never", optarg);
				return -2;
			}
			continue;
		}
		break;
	}
	if (index)
		*index = idx;
	if (c > 0 && c < (int)sizeof ctx->seen)
		ctx->seen[c] = 1;
	/* options parsed without a usage error: now read the config and open
	 * what the command needs */
	if (c == -1 && ((ctx->opt_rc = ctx_prepare(ctx)) != 0 ||
	                (ctx->opt_rc = ctx_open_store(ctx)) != 0))
		return -2;
	return c;
}

/* Rewrites a "no such item / post-mortem" error with the nearest id the
 * database knows: pm set looks among post-mortem ids, else item ids.
 * Returns the error's code. */
int
cmd_not_found(struct cl_ctx *ctx, const char *what, int pm)
{
	char *near = NULL;
	int code = ctx->err.code ? ctx->err.code : CL_ENOTFOUND;
	struct cl_error ignored = { 0 };

	if (ctx->store)
		(void)(pm ? cl_postmortem_nearest(&near, ctx->store, what, &ignored)
		          : cl_item_nearest(&near, ctx->store, what, &ignored));
	cl_error_clear(&ignored);
	cl_error_clear(&ctx->err);
	if (near)
		cl_error_set(&ctx->err, code, "no %s '%s' (did you mean '%s'?)",
		             pm ? "post-mortem" : "item", what, near);
	else
		cl_error_set(&ctx->err, code, "no %s '%s' (see 'closeloop list --all' for ids)",
		             pm ? "post-mortem" : "item", what);
	free(near);
	return code;
}

void
cmd_owner_hint(struct cl_ctx *ctx, const char *owner)
{
	struct cl_item_filter f = { .status = CL_ITEMS_ALL };
	struct cl_item *items = NULL;
	const char **cands = NULL, *near = NULL;
	size_t n = 0, np = cl_config_people_count(ctx->cfg), k = 0, i;
	struct cl_error ignored = { 0 };

	if (ctx->store && cl_items_list(&items, &n, ctx->store, &f, &ignored) != 0)
		n = 0;
	if ((cands = calloc(np + n + 1, sizeof *cands)) != NULL) {
		for (i = 0; i < np; i++)
			cands[k++] = cl_config_person_at(ctx->cfg, i)->handle;
		for (i = 0; i < n; i++)
			cands[k++] = items[i].owner ? items[i].owner : items[i].owner_raw;
		near = cl_str_nearest(owner, cands, k);
	}
	if (near != NULL && strcasecmp(near, owner) != 0)
		cmd_info(ctx, "closeloop: no items of '%s' (did you mean '%s'?)\n", cmd_tty(owner),
		         cmd_tty(near));
	free(cands);
	cl_items_free(items, n);
}

int
cmd_color(const struct cl_ctx *ctx)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (ctx->color >= 0)
		return ctx->color;
	if (nc != NULL && *nc)	/* https://no-color.org: set and not empty */
		return 0;
	return isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

const char *
cmd_paint(const struct cl_ctx *ctx, int what)
{
	static const char *const codes[] = {
		[CMD_PAINT_OFF] = "\033[0m", [CMD_PAINT_BOLD] = "\033[1m",
		[CMD_PAINT_BAD] = "\033[31m", [CMD_PAINT_GOOD] = "\033[32m",
		[CMD_PAINT_WARN] = "\033[33m", [CMD_PAINT_DIM] = "\033[2m",
	};

	return cmd_color(ctx) && what >= 0 && what <= CMD_PAINT_DIM ? codes[what] : "";
}

int
cmd_width(void)
{
	const char *cols = getenv("COLUMNS");
	struct winsize ws;
	long n;

	if (cols != NULL && (n = strtol(cols, NULL, 10)) >= 20 && n <= 10000)
		return (int)n;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 0;
}

const char *
cmd_local_time(const struct cl_ctx *ctx, const char *utc)
{
	static char ring[8][64];
	static size_t next;
	char *out = ring[next];
	time_t t;

	if (utc == NULL)
		return "-";
	if (cl_time_parse(utc, &t) != 0 ||
	    cl_time_format_local(t, cl_config_timezone(ctx->cfg), out) != 0)
		return utc;
	next = (next + 1) % 8;
	return out;
}

/* Prints at most width display columns of s (UTF-8 aware; width < 0:
 * all of it), padded; a cut is marked with an ellipsis. */
void
cmd_print_cell(const char *s, int width, int pad)
{
	const unsigned char *p = (const unsigned char *)(s ? cmd_tty(s) : "-");
	int cols = 0;

	while (*p && (width < 0 || cols < width)) {
		const unsigned char *start = p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		if (width >= 0 && cols == width - 1 && *p) {
			fputs("\u2026", stdout);	/* truncated */
			cols++;
			break;
		}
		fwrite(start, 1, (size_t)(p - start), stdout);
		cols++;
	}
	if (pad && width > cols)
		printf("%*s", width - cols, "");
}

/* The last escaped strings cmd_tty() handed out, freed when reused. */
static char *tty_ring[16];
static size_t tty_next;

/* Text from documents, trackers or file names made safe for a terminal:
 * C0 controls (ESC, BEL, BS, CR, LF, TAB...), DEL and C1 controls become
 * visible \xNN escapes, so that nothing printed can move the cursor, set a
 * title or the clipboard, or forge an output line. The result stays valid
 * until 16 more calls; s itself when nothing needs escaping. */
static const char *
tty_escape(const char *s, int keep_lf)
{
	const unsigned char *p;
	size_t n = 0;
	char *out, *o;

	if (s == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(keep_lf && *p == '\n')) || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			n++;
	if (n == 0)
		return s;
	if ((out = malloc(strlen(s) + n * 4 + 1)) == NULL)
		return "(unprintable)";
	for (p = (const unsigned char *)s, o = out; *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			o += sprintf(o, "\\x%02x", *++p);
		else if ((*p < 0x20 && !(keep_lf && *p == '\n')) || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	free(tty_ring[tty_next]);
	tty_ring[tty_next] = out;
	tty_next = (tty_next + 1) % (sizeof tty_ring / sizeof *tty_ring);
	return out;
}

const char *
cmd_tty(const char *s)
{
	return tty_escape(s, 0);
}

/* cmd_tty() for text of several lines: newlines stay. */
const char *
cmd_tty_lines(const char *s)
{
	return tty_escape(s, 1);
}

/* Frees what cmd_tty() still holds. */
static void
cmd_tty_free(void)
{
	size_t i;

	for (i = 0; i < sizeof tty_ring / sizeof *tty_ring; i++) {
		free(tty_ring[i]);
		tty_ring[i] = NULL;
	}
}

void
cmd_info(struct cl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbosity < 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void
cmd_verbose(struct cl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbosity < 1)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int
cmd_print_json(struct cl_ctx *ctx, void *json)
{
	int rc;

	if (json == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory building JSON");
	rc = json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(json);
	fputc('\n', stdout);
	return rc == 0 ? 0 : cl_error_set(&ctx->err, CL_ECANTCREAT, "unable to write output");
}

/* help [COMMAND] */
static int
cmd_help_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *cmd;

	if (argc < 2) {
		print_global_help(stdout);
		return 0;
	}
	if ((cmd = cmd_find(argv[1], &ctx->err)) == NULL)
		return ctx->err.code;
	cmd_print_help(cmd, stdout);
	return 0;
}

const struct cmd_entry cmd_help_entry = {
	"help", "[COMMAND]", "show the help of closeloop or of one command", "", CMD_NO_CONFIG,
	cmd_help_exec
};

/* [closeloop] today (tests and demos): fixes the clock unless CLOSELOOP_NOW
 * does already; a bare date means noon UTC. */
static int
config_clock(struct cl_ctx *ctx)
{
	const char *today = cl_config_get(ctx->cfg, "closeloop", "today");
	const char *env = getenv("CLOSELOOP_NOW");
	char buf[64];
	time_t t;

	if (today == NULL || *today == '\0' || (env != NULL && *env))
		return 0;
	snprintf(buf, sizeof buf, strlen(today) == 10 ? "%sT12:00:00Z" : "%s", today);
	if (cl_time_parse(buf, &t) != 0)
		return cl_error_set(&ctx->err, CL_ECONFIG, "%s:%d: [closeloop] today = '%s' is not "
		                    "a date like 2024-03-20", cl_config_path(ctx->cfg),
		                    cl_config_line(ctx->cfg, "closeloop", "today"), today);
	setenv("CLOSELOOP_NOW", buf, 1);
	return 0;
}

/* Loads the config (once), when the options are parsed: -c may come after
 * the command. The database is opened next. */
static int
ctx_prepare(struct cl_ctx *ctx)
{
	const char *config_path = ctx->config_path;
	size_t i;
	int rc;

	if (ctx->cfg != NULL)
		return 0;
	if ((rc = cl_clock_check(&ctx->err)) != 0)
		return rc;
	if (ctx->cmd->flags & CMD_NO_CONFIG)
		ctx->cfg = cl_config_new();
	else if ((rc = cl_config_load(&ctx->cfg, config_path, &ctx->err)) != 0)
		return rc;
	if (ctx->cfg == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	for (i = 0; i < cl_config_warning_count(ctx->cfg); i++)
		cmd_info(ctx, "closeloop: warning: %s\n", cmd_tty(cl_config_warning(ctx->cfg, i)));
	/* the config may hold a secret, and the token and password are read
	 * from here on: no core dump, no ptrace by the same user from now */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		cmd_verbose(ctx, "closeloop: warning: core dumps stay possible\n");
	if ((rc = config_clock(ctx)) != 0)
		return rc;
	if (ctx->db_path && (rc = cl_config_set(ctx->cfg, "closeloop", "database", ctx->db_path)) != 0)
		return cl_error_set(&ctx->err, rc, "out of memory");
	return 0;
}

/* Whether this invocation writes (tracker, mail or database): the
 * command's flags and the options it was given say. */
static int
ctx_writes(const struct cl_ctx *ctx)
{
	int flags = ctx->cmd->flags;

	if (ctx->writes)
		return 1;
	if ((flags & CMD_WRITES) && !ctx->seen['n'])
		return 1;
	return (flags & CMD_WRITES_SEND) && ctx->seen['s'];
}

/* Opens the database as the command's flags ask (once), a writer taking
 * the run lock first. */
static int
ctx_open_store(struct cl_ctx *ctx)
{
	char *dbpath;
	int rc = 0;

	if (ctx->store != NULL || !(ctx->cmd->flags & (CMD_NEEDS_DB | CMD_CREATES_DB)))
		return 0;
	if ((dbpath = cl_config_database_path(ctx->cfg)) == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	/* without a database to open, cl_store_open says what to do */
	if (ctx->lock_fd < 0 && ctx_writes(ctx) &&
	    ((ctx->cmd->flags & CMD_CREATES_DB) || access(dbpath, F_OK) == 0)) {
		if ((rc = cl_store_make_dirs(dbpath, &ctx->err)) == 0)
			rc = cl_run_lock(&ctx->lock_fd, dbpath, &ctx->err);
	}
	if (rc == 0)
		rc = cl_store_open(&ctx->store, dbpath,
		                   (ctx->cmd->flags & CMD_CREATES_DB) ? CL_STORE_CREATE : 0,
		                   &ctx->err);
	free(dbpath);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "color", required_argument, NULL, GOPT_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *usage =
		"usage: closeloop [-c CONFIG] [-d DATABASE] [-q | -v] COMMAND [ARGS]\n";
	struct cl_ctx ctx;
	const struct option *o;
	const char *near;
	int c, rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.lock_fd = -1;
	ctx.color = -1;
	opterr = 0;
	/* "+": stop at the command name; the global options may follow it too */
	while ((c = getopt_long(argc, argv, "+:c:d:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'h': print_global_help(stdout); return 0;
		case 'V': printf("closeloop %s\n", CL_VERSION); return 0;
		case ':':
			if ((o = long_option_named(opts, argv[optind - 1])) != NULL)
				fprintf(stderr, "closeloop: option '--%s' needs an argument\n%s", o->name,
				        usage);
			else
				fprintf(stderr, "closeloop: option '-%c' needs an argument\n%s", optopt,
				        usage);
			return cl_exitcode(CL_EUSAGE);
		case '?':
			near = NULL;
			if (strncmp(argv[optind - 1], "--", 2) == 0) {
				const char *names[16];
				size_t n = 0;
				char word[64];
				for (o = opts; o->name && n < 16; o++)
					names[n++] = o->name;
				snprintf(word, sizeof word, "%.*s",
				         (int)strcspn(argv[optind - 1] + 2, "="), argv[optind - 1] + 2);
				near = cl_str_nearest(word, names, n);
			}
			if (near)
				fprintf(stderr, "closeloop: unknown option '%s' (did you mean '--%s'?)\n%s",
				        argv[optind - 1], near, usage);
			else
				fprintf(stderr, "closeloop: unknown option '%s'\n%s", argv[optind - 1],
				        usage);
			return cl_exitcode(CL_EUSAGE);
		default:
			if (global_option(&ctx, c, optarg) != 0) {
				fprintf(stderr, "closeloop: --color '%s': use auto, always or never\n",
				        optarg);
				return cl_exitcode(CL_EUSAGE);
			}
		}
	}
	if (optind >= argc) {
		print_global_help(stderr);
		return cl_exitcode(CL_EUSAGE);
	}
	if ((ctx.cmd = cmd_find(argv[optind], &ctx.err)) == NULL) {
		fprintf(stderr, "closeloop: %s\n", ctx.err.msg);
		return cl_exitcode(ctx.err.code);
	}
	argc -= optind;
	argv += optind;
	/* COMMAND --help works everywhere, without config or database */
	for (c = 1; c < argc && strcmp(argv[c], "--") != 0; c++) {
		if (strcmp(argv[c], "--help") == 0 || strcmp(argv[c], "-h") == 0) {
			cmd_print_help(ctx.cmd, stdout);
			return 0;
		}
	}
	optind = 0;	/* reset getopt for the command's own options */
	rc = ctx.cmd->exec(&ctx, argc, argv);
	/* a command stops on cmd_getopt()'s -2; the dispatcher knows why */
	if (ctx.opt_rc != 0)
		rc = ctx.opt_rc;
	/* commands that never parsed options still get their config and database */
	if (rc == 0 && (rc = ctx_prepare(&ctx)) == 0 && ctx.store == NULL)
		rc = ctx_open_store(&ctx);
	/* the return value decides; the message only explains it */
	if (rc != 0 && ctx.err.msg[0])
		fprintf(stderr, "closeloop: %s\n", ctx.err.msg);
	fflush(stdout);
	cl_store_close(ctx.store);
	cl_run_unlock(ctx.lock_fd);
	cl_config_free(ctx.cfg);
	cmd_tty_free();
	if (rc == 0 && ferror(stdout))
		return cl_exitcode(CL_ECANTCREAT);
	return cl_exitcode(rc);
}
