/* closeloop.c — global options, the command table, dispatch, exit status. */
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
	"\n"
	"closeloop makes post-mortem action items get done: it imports them from\n"
	"Markdown post-mortems, lints them, syncs them with the issue tracker,\n"
	"reports and nags, and schedules the DR drill that verifies the fix.\n"
	"\n"
	"global options (before or after the command):\n";

static const char *commands_help =
	"\n"
	"commands:\n";

static const char *env_help =
	"environment: CLOSELOOP_NOW=2024-03-20T09:00:00Z fixes the clock.\n"
	"See closeloop(1) and closeloop.conf(5).\n";

static const struct cmd_entry global_entry;

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

/* The global options, for the completions (cmd-complete.c). */
const struct cmd_entry *cmd_globals(void);
const struct cmd_entry *
cmd_globals(void)
{
	return &global_entry;
}

/* Prints the global help with the command list (not the hidden __ ones). */
static void
print_global_help(FILE *f)
{
	struct cl_ctx none = { .cmd = NULL };
	size_t i;

	cmd_print_usage(&none, f);
	fputs(global_help, f);
	cmd_print_options(&global_entry, f);
	fputs(commands_help, f);
	for (i = 0; cmd_table[i]; i++)
		if (cmd_table[i]->name[0] != '_')
			fprintf(f, "  %-10s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	print_exit_help(f);
	fputs(env_help, f);
}

/* Finds a command by exact name or unique prefix (tmux style). */
const struct cmd_entry *
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

/* The global options: before the command, and after it unless the command
 * defines the same name or letter (-h and -V only before it). */
static const struct cmd_entry global_entry = {
	.name = "",
	.opts = {
		{ .name = "config", .key = 'c', .shrt = 1, .arg = "FILE", .help = "configuration "
		  "file (default: $CLOSELOOP_CONFIG, $XDG_CONFIG_HOME/closeloop/config "
		  "(~/.config/...), /etc/closeloop/config)" },
		{ .name = "database", .key = 'd', .shrt = 1, .arg = "FILE", .help = "database "
		  "(default: [closeloop] database, else $XDG_DATA_HOME/closeloop/closeloop.db)" },
		{ .name = "quiet", .key = 'q', .shrt = 1, .help = "only errors" },
		{ .name = "verbose", .key = 'v', .shrt = 1,
		  .help = "say more (repeat for HTTP/SMTP traces, secrets redacted)" },
		{ .name = "color", .key = 'C', .arg = "WHEN", .values = "auto|always|never",
		  .help = "auto (a terminal without NO_COLOR), always, never" },
		{ .name = "help", .key = 'h', .shrt = 1, .flags = CMD_OPT_FIRST,
		  .help = "this help; 'closeloop help COMMAND' for a command" },
		{ .name = "version", .key = 'V', .shrt = 1, .flags = CMD_OPT_FIRST,
		  .help = "print the version" },
	},
	.args = { .lower = 0, .upper = -1 },
};

/* The usage error for an unknown sub-command of ctx->cmd ("drill lst"),
 * naming the nearest of names (NULL-terminated) or all of them. */
static int
unknown_sub(struct cl_ctx *ctx, const char *sub, const char *const *names)
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

/* Applies the global options among those a parse read (--color's value
 * was checked by the parser). */
static void
global_apply(struct cl_ctx *ctx, const struct cmd_args *a)
{
	const char *arg;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (!a->given[i].global)
			continue;
		arg = a->given[i].value;
		switch (a->given[i].key) {
		case 'c': ctx->config_path = arg; break;
		case 'd': ctx->db_path = arg; break;
		case 'q': ctx->verbosity = -1; break;
		case 'v': ctx->verbosity = ctx->verbosity < 0 ? 1 : ctx->verbosity + 1; break;
		case 'C': ctx->color = strcmp(arg, "always") == 0 ? 1 : strcmp(arg, "never") == 0
		                       ? 0 : -1;
			break;
		}
	}
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

static const struct cmd_entry *sub_find(struct cl_ctx *ctx, const struct cmd_entry *cmd,
                                        const char *name);

/* help [COMMAND [SUB-COMMAND]] */
static int
cmd_help_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	const struct cmd_entry *cmd, *sub = NULL;

	if (a->argc == 0) {
		print_global_help(stdout);
		return 0;
	}
	if ((cmd = cmd_find(a->argv[0], &ctx->err)) == NULL)
		return ctx->err.code;
	if (a->argc > 1 && cmd->subs == NULL) {
		ctx->cmd = cmd;
		return cmd_usage_error(ctx, "'%s' has no sub-commands: unexpected argument '%s'",
		                       cmd->name, a->argv[1]);
	}
	if (a->argc > 1 && (sub = sub_find(ctx, cmd, a->argv[1])) == NULL)
		return CL_EUSAGE;
	cmd_print_help(cmd, sub, stdout);
	return 0;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND [SUB-COMMAND]]",
	.summary = "show the help of closeloop or of one command",
	.args = { .lower = 0, .upper = 2 },
	.flags = CMD_NO_CONFIG,
	.exec = cmd_help_exec,
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

/* Loads the config once the options are parsed (-c may come after the
 * command); the database is opened next, as a step of its own. */
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
	if (((ctx->sub ? ctx->sub : ctx->cmd)->flags) & CMD_NO_CONFIG)
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
	const struct cmd_entry *leaf = ctx->sub ? ctx->sub : ctx->cmd;

	return ctx->writes || ((leaf->flags & CMD_WRITES) && !ctx->dry_run);
}

/* Opens the database as the command's flags ask (once), a writer taking
 * the run lock first. */
static int
ctx_open_store(struct cl_ctx *ctx)
{
	char *dbpath;
	int rc = 0;

	const struct cmd_entry *leaf = ctx->sub ? ctx->sub : ctx->cmd;

	if (ctx->store != NULL || !(leaf->flags & (CMD_NEEDS_DB | CMD_CREATES_DB)))
		return 0;
	if ((dbpath = cl_config_database_path(ctx->cfg)) == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	/* without a database to open, cl_store_open says what to do */
	if (ctx->lock_fd < 0 && ctx_writes(ctx) &&
	    ((leaf->flags & CMD_CREATES_DB) || access(dbpath, F_OK) == 0)) {
		if ((rc = cl_store_make_dirs(dbpath, &ctx->err)) == 0)
			rc = cl_run_lock(&ctx->lock_fd, dbpath, &ctx->err);
	}
	if (rc == 0)
		rc = cl_store_open(&ctx->store, dbpath,
		                   (leaf->flags & CMD_CREATES_DB) ? CL_STORE_CREATE : 0,
		                   &ctx->err);
	free(dbpath);
	return rc;
}

/* Finds cmd's sub-command name (exact), else a usage error. */
static const struct cmd_entry *
sub_find(struct cl_ctx *ctx, const struct cmd_entry *cmd, const char *name)
{
	const char *names[16];
	size_t n;

	for (n = 0; cmd->subs != NULL && cmd->subs[n] && n < 15; n++) {
		if (name && strcmp(cmd->subs[n]->name, name) == 0)
			return cmd->subs[n];
		names[n] = cmd->subs[n]->name;
	}
	names[n] = NULL;
	ctx->cmd = cmd;
	unknown_sub(ctx, name, names);
	return NULL;
}

/* Runs the command line: the global options, the command (and its
 * sub-command), its options, the config, its checks, the database, the
 * command itself. */
static int
dispatch(struct cl_ctx *ctx, int argc, char **argv)
{
	struct cmd_args a;
	const struct cmd_entry *leaf;
	int rc, i;

	if ((rc = cmd_args_parse(&a, ctx, &global_entry, &global_entry, argc, argv, 1)) != 0)
		goto done;
	global_apply(ctx, &a);
	for (i = 0; i < (int)a.n; i++)	/* -h or -V: the first one given */
		if (a.given[i].key == 'h' || a.given[i].key == 'V')
			break;
	if (i < (int)a.n || a.argc == 0) {
		if (i < (int)a.n && a.given[i].key == 'V')
			printf("closeloop %s\n", CL_VERSION);
		else
			print_global_help(i < (int)a.n ? stdout : stderr);
		rc = i < (int)a.n ? 0 : CL_EUSAGE;
		goto done;
	}
	argc = a.argc;
	argv = a.argv;
	cmd_args_release(&a);
	if ((ctx->cmd = cmd_find(argv[0], &ctx->err)) == NULL)
		return ctx->err.code;
	/* COMMAND [SUB] --help works everywhere, without config or database */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			if (ctx->cmd->subs != NULL && i > 1 &&
			    (ctx->sub = sub_find(ctx, ctx->cmd, argv[1])) == NULL)
				return CL_EUSAGE;
			cmd_print_help(ctx->cmd, ctx->sub, stdout);
			return 0;
		}
	}
	if (ctx->cmd->subs != NULL) {
		if ((ctx->sub = sub_find(ctx, ctx->cmd, argc > 1 ? argv[1] : NULL)) == NULL)
			return CL_EUSAGE;
		argc--;
		argv++;
	}
	leaf = ctx->sub ? ctx->sub : ctx->cmd;
	if ((rc = cmd_args_parse(&a, ctx, leaf, &global_entry, argc, argv, 0)) != 0)
		goto done;
	global_apply(ctx, &a);
	/* the steps in order: config, the command's checks, the database */
	if ((rc = ctx_prepare(ctx)) == 0 && (!leaf->check || (rc = leaf->check(ctx, &a)) == 0) &&
	    (rc = ctx_open_store(ctx)) == 0)
		rc = leaf->exec(ctx, &a);
done:
	cmd_args_release(&a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cl_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.lock_fd = -1;
	ctx.color = -1;
	rc = dispatch(&ctx, argc, argv);
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
