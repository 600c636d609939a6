/* cmd.h — the command table entry and the context a command runs in.
 * Each cmd/cmd-<verb>.c exports one struct cmd_entry; cmd/closeloop.c owns
 * the table, the global options, opening what a command needs, and the exit
 * status (through cl_exitcode()). */
#ifndef CL_CMD_H
#define CL_CMD_H

#include <getopt.h>
#include <stdio.h>

#include "closeloop.h"

enum {
	CMD_NEEDS_DB = 1,	/* open the database (must exist, migrated) */
	CMD_CREATES_DB = 2,	/* open the database, creating it */
	CMD_NO_CONFIG = 4,	/* do not read a config file */
	/* writers take the run lock (flock on DATABASE.lock) before the
	 * database is opened, so that no two of them write the tracker, send
	 * mail or write the database at once; readers take none */
	CMD_WRITES = 8,		/* a writer unless -n/--dry-run was given */
	CMD_WRITES_SEND = 16,	/* a writer when --send was given */
};

struct cl_ctx {
	struct cl_config *cfg;
	struct cl_store *store;
	const char *db_path;	/* -d */
	const char *config_path;	/* -c */
	int color;		/* --color: 1 always, 0 never, -1 auto */
	int verbosity;		/* -1 quiet, 0 normal, 1+ verbose */
	struct cl_error err;
	const struct cmd_entry *cmd;
	int opt_rc;		/* why cmd_getopt() returned -2 (the command returns
				 * CL_EUSAGE; the dispatcher returns this) */
	int writes;		/* set by a command that writes whatever its flags say */
	int lock_fd;		/* the run lock while held, else -1 */
	unsigned char seen[128];	/* the options parsed, by their getopt value */
};

struct cmd_entry {
	const char *name;
	const char *usage;	/* after "closeloop NAME " */
	const char *summary;	/* one line for the command list */
	const char *help;	/* the options, one per line */
	int flags;
	int (*exec)(struct cl_ctx *ctx, int argc, char **argv);
};

/* Parses a command's options with getopt_long (argv[0] is the command).
 * Returns the option, -1 at the end — having then opened the database the
 * command's flags ask for — or -2 on a usage error or when the database
 * cannot be opened (ctx->err says which). Call it until it returns -1. */
struct option;
int cmd_getopt(struct cl_ctx *ctx, int argc, char **argv, const char *shortopts,
               const struct option *longopts, int *index);
int cmd_usage_error(struct cl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cmd_print_help(const struct cmd_entry *cmd, FILE *f);
/* The usage error for an unknown sub-command of cmd ("drill lst"), naming
 * the nearest of names (NULL-terminated) or all of them. */
int cmd_unknown_sub(struct cl_ctx *ctx, const char *sub, const char *const *names);
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
