/* cmd.h — the command table entry and the context a command runs in.
 * Each cmd/cmd-<verb>.c exports one struct cmd_entry; cmd/closeloop.c owns
 * the table, the global options, opening what a command needs, and the exit
 * status (through cl_exitcode()). */
#ifndef CL_CMD_H
#define CL_CMD_H

#include <stdio.h>

#include "closeloop.h"

enum {
	CMD_NEEDS_DB = 1,	/* open the database (must exist, migrated) */
	CMD_CREATES_DB = 2,	/* open the database, creating it */
	CMD_NO_CONFIG = 4,	/* do not read a config file */
	/* writers take the run lock (flock on DATABASE.lock) before the
	 * database is opened, so that no two of them write the tracker, send
	 * mail or write the database at once; readers take none */
	CMD_WRITES = 8,		/* a writer (unless an option says CMD_OPT_DRY_RUN) */
};

/* What an option changes about the run lock (struct cmd_opt flags). */
enum {
	CMD_OPT_DRY_RUN = 1,	/* given: the command writes nothing (-n) */
	CMD_OPT_WRITES = 2,	/* given: the command is a writer (--send) */
	CMD_OPT_FIRST = 4,	/* a global option only before the command (-h, -V) */
};

struct cl_ctx;
struct cmd_args;

/* One option a command declares. The parser, the command's --help and the
 * usage errors are all made from it, so they cannot disagree. */
struct cmd_opt {
	const char *name;	/* the long name, --NAME */
	int key;		/* what the command looks it up by (cmd_arg) */
	int shrt;		/* -KEY works too */
	const char *arg;	/* its argument in the help ("WHO"); NULL: none */
	const char *values;	/* "text|json|csv": the argument is one of them */
	/* refuses a bad argument with a usage error, before anything is opened */
	int (*check)(struct cl_ctx *ctx, const char *arg);
	int flags;		/* CMD_OPT_* */
	const char *help;	/* one paragraph: the help wraps it */
};

/* The operands (positional arguments) a command takes. */
struct cmd_operands {
	int lower, upper;	/* how many: upper -1 for no limit */
	const char *name;	/* in the help ("ITEM"); NULL: not listed */
	const char *help;
	const char *missing;	/* the usage error with fewer than lower */
};

#define CMD_MAXOPTS 10

/* A command (or a sub-command such as `drill schedule`): cmd/cmd-<verb>.c
 * exports one, cmd/closeloop.c lists them. Designated initialisers. */
struct cmd_entry {
	const char *name;
	const char *usage;	/* after "closeloop NAME " */
	const char *summary;	/* one line for the command list */
	struct cmd_opt opts[CMD_MAXOPTS];	/* ended by a name of NULL */
	struct cmd_operands args;
	const char *text;	/* --help after the options */
	int flags;		/* CMD_* */
	const struct cmd_entry *const *subs;	/* sub-commands, NULL-terminated */
	/* checks that need the config or several options, before the database
	 * opens (usage errors never depend on the database) */
	int (*check)(struct cl_ctx *ctx, const struct cmd_args *a);
	int (*exec)(struct cl_ctx *ctx, const struct cmd_args *a);
};

/* What the parser read from a command line: the options given, in order,
 * and the operands. */
struct cmd_args {
	int argc;		/* the operands */
	char **argv;
	size_t n;
	struct cmd_given { int key, global; const char *value; } *given;
};

struct cl_ctx {
	struct cl_config *cfg;
	struct cl_store *store;
	const char *db_path;	/* -d */
	const char *config_path;	/* -c */
	int color;		/* --color: 1 always, 0 never, -1 auto */
	int verbosity;		/* -1 quiet, 0 normal, 1+ verbose */
	struct cl_error err;
	const struct cmd_entry *cmd;	/* the command */
	const struct cmd_entry *sub;	/* its sub-command, or NULL */
	int dry_run;		/* an option with CMD_OPT_DRY_RUN was given */
	int writes;		/* an option with CMD_OPT_WRITES was given */
	int lock_fd;		/* the run lock while held, else -1 */
};

/* Parses argv (argv[0] is the command) as cmd declares it, the global
 * options merged in (first: the options before the command, stopping at
 * it). Fills out (caller-owned, cmd_args_release) or returns CL_EUSAGE
 * with ctx->err saying why. */
int cmd_args_parse(struct cmd_args *out, struct cl_ctx *ctx, const struct cmd_entry *cmd,
                   const struct cmd_entry *global, int argc, char **argv, int first);
void cmd_args_release(struct cmd_args *a);
/* The last argument of option key ("" for an option without one), or
 * NULL when it was not given. */
const char *cmd_arg(const struct cmd_args *a, int key);
/* Which of the options keys was given last (0: none). */
int cmd_arg_last(const struct cmd_args *a, const char *keys);
/* Every argument given to option key, in order, NULL-terminated, into out
 * (room for a->n + 1). Returns how many. */
size_t cmd_arg_all(const char **out, const struct cmd_args *a, int key);
/* The help of a command (or sub-command) made from its entry. */
void cmd_print_help(const struct cmd_entry *cmd, const struct cmd_entry *sub, FILE *f);
/* The option list of a help (the global options' too). */
void cmd_print_options(const struct cmd_entry *cmd, FILE *f);
/* The "usage: closeloop ..." lines of the command ctx runs (or the global
 * one without a command). */
void cmd_print_usage(const struct cl_ctx *ctx, FILE *f);
/* A usage error (CL_EUSAGE): the message, then the usage lines. */
/* The command named NAME (exact, or a unique prefix); NULL with err set. */
const struct cmd_entry *cmd_find(const char *name, struct cl_error *err);
int cmd_usage_error(struct cl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A "no item 'X'" (pm: "no post-mortem 'X'") error with "did you mean"
 * from the database; returns the code (CL_ENOTFOUND). */
int cmd_not_found(struct cl_ctx *ctx, const char *what, int pm);
/* After an empty list --owner WHO: names the nearest [people] handle or
 * owner the database knows, when one is close ("did you mean"). */
void cmd_owner_hint(struct cl_ctx *ctx, const char *owner);
/* Prints to stderr unless -q. */
void cmd_info(struct cl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints to stderr with -v. */
void cmd_verbose(struct cl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with control characters escaped for a terminal (see closeloop.c);
 * every text from a document, a tracker or a file name goes through it. */
const char *cmd_tty(const char *s);
const char *cmd_tty_lines(const char *s);	/* the same, newlines kept */
/* Colours: on for a terminal unless NO_COLOR is set (or TERM=dumb);
 * --color=always|never decides instead. cmd_paint() gives the escape
 * sequence for what, or "" without colours. */
enum { CMD_PAINT_OFF, CMD_PAINT_BOLD, CMD_PAINT_BAD, CMD_PAINT_GOOD, CMD_PAINT_WARN,
       CMD_PAINT_DIM };
int cmd_color(const struct cl_ctx *ctx);
const char *cmd_paint(const struct cl_ctx *ctx, int what);
/* Columns of the terminal ($COLUMNS first), 0 when not a terminal. */
int cmd_width(void);
/* Prints at most width display columns of s, escaped for the terminal
 * (UTF-8 aware; width < 0: all of it), padded when pad; a cut is marked
 * with an ellipsis. */
void cmd_print_cell(const char *s, int width, int pad);
/* A UTC time (RFC 3339) as a person reads it: in [closeloop] timezone,
 * with the zone ("2024-03-25 10:00 Europe/Berlin"). Valid for 8 calls. */
const char *cmd_local_time(const struct cl_ctx *ctx, const char *utc);
/* Prints one JSON value (jansson) to stdout, indented, and frees it. */
int cmd_print_json(struct cl_ctx *ctx, void *json);

#endif
