/* cmd-complete.c — `closeloop __complete WHAT [CMD [SUB] [NAME]]`: the
 * words the shell completions (contrib/completion) offer, one per line:
 * ids read from the database and the config, and the options, their
 * values and the sub-commands read from the command table (so that a
 * command's declaration is the one list of its options). Never creates or
 * changes anything; prints nothing (exit 0) when there is nothing to
 * offer. Not in the help. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

extern const struct cmd_entry *const *cmd_entries(void);
extern const struct cmd_entry *cmd_globals(void);

/* The sub-command SUB of cmd, or NULL. */
static const struct cmd_entry *
find_sub(const struct cmd_entry *cmd, const char *sub)
{
	const struct cmd_entry *const *s;

	for (s = sub ? cmd->subs : NULL; s && *s; s++)
		if (strcmp((*s)->name, sub) == 0)
			return *s;
	return NULL;
}

/* The option --name of e (name without the dashes), or NULL. */
static const struct cmd_opt *
find_opt(const struct cmd_entry *e, const char *name)
{
	size_t i;

	for (i = 0; e && i < CMD_MAXOPTS && e->opts[i].name; i++)
		if (strcmp(e->opts[i].name, name) == 0)
			return &e->opts[i];
	return NULL;
}

/* Prints --NAME for each option of e, but for those the command or its
 * sub-command (over1, over2) already has and those only valid before the
 * command. */
static void
print_opts(const struct cmd_entry *e, const struct cmd_entry *over1,
           const struct cmd_entry *over2)
{
	size_t i;

	for (i = 0; e && i < CMD_MAXOPTS && e->opts[i].name; i++) {
		const struct cmd_opt *o = &e->opts[i];
		if ((o->flags & CMD_OPT_FIRST) || (over1 && over1 != e && find_opt(over1, o->name)) ||
		    (over2 && over2 != e && find_opt(over2, o->name)))
			continue;
		printf("--%s\n", o->name);
	}
}

/* Prints each value o allows ("text|json|csv"), if any. */
static void
print_values(const struct cmd_opt *o)
{
	const char *v;

	for (v = o ? o->values : NULL; v && *v; v += strcspn(v, "|"), v += *v == '|')
		printf("%.*s\n", (int)strcspn(v, "|"), v);
}

/* `options [CMD [SUB]]`, `values [CMD [SUB]] NAME` (the option's name
 * without the dashes: getopt would read --format as an option),
 * `subcommands CMD`: what the command table declares. An unknown command
 * or sub-command offers nothing. */
static void
print_declared(const char *what, const struct cmd_args *a)
{
	const struct cmd_entry *cmd, *sub = NULL, *const *s;
	struct cl_error err = { 0 };
	const struct cmd_opt *o = NULL;
	const char *opt = NULL;
	int argi = 1;

	if (a->argc < 2 || (strcmp(what, "values") == 0 && a->argc == 2)) {
		/* before the command: the global options */
		if (strcmp(what, "options") == 0)
			print_opts(cmd_globals(), NULL, NULL);
		else if (a->argc == 2)
			print_values(find_opt(cmd_globals(), a->argv[1]));
		return;
	}
	if ((cmd = cmd_find(a->argv[argi++], &err)) == NULL)
		return;
	if (argi < a->argc && (sub = find_sub(cmd, a->argv[argi])) != NULL)
		argi++;
	if (strcmp(what, "subcommands") == 0) {
		for (s = cmd->subs; s && *s; s++)
			printf("%s\n", (*s)->name);
	} else if (strcmp(what, "options") == 0) {
		print_opts(sub, NULL, NULL);
		print_opts(cmd, sub, NULL);
		print_opts(cmd_globals(), cmd, sub);
	} else if (argi < a->argc) {
		for (opt = a->argv[argi]; *opt == '-'; opt++)
			;
		if ((o = find_opt(sub, opt)) == NULL && (o = find_opt(cmd, opt)) == NULL)
			o = find_opt(cmd_globals(), opt);
		print_values(o);
	}
}

/* Prints item ids (all = every status), post-mortem and runbook ids
 * (postmortems 1) or drill ids (postmortems 2). */
static void
print_ids(struct cl_ctx *ctx, int postmortems, int all)
{
	struct cl_item_filter f = { .status = all ? CL_ITEMS_ALL : 0 };
	struct cl_item *items = NULL;
	struct cl_store *st = NULL;
	char *path = cl_config_database_path(ctx->cfg), **slugs = NULL, **sources = NULL;
	struct cl_drill *drills = NULL;
	size_t n = 0, np = 0, nd = 0, i;

	if (path && access(path, R_OK) == 0 && cl_store_open(&st, path, CL_STORE_READONLY,
	                                                     NULL) == 0) {
		if (postmortems == 1 && cl_postmortem_ids(&slugs, &sources, &np, st, NULL) == 0)
			for (i = 0; i < np; i++)
				printf("%s\n", cmd_tty(slugs[i]));
		if (postmortems == 2 && cl_drill_list(&drills, &nd, st, NULL, NULL) == 0)
			for (i = 0; i < nd; i++)
				printf("%lld\n", drills[i].id);
		if (!postmortems && cl_items_list(&items, &n, st, &f, NULL) == 0)
			for (i = 0; i < n; i++)
				printf("%s\n", cmd_tty(items[i].key));
	}
	cl_postmortem_ids_free(slugs, sources, np);
	cl_drills_free(drills, nd);
	cl_items_free(items, n);
	cl_store_close(st);
	free(path);
}

/* Time zone names under dir (the system's zoneinfo), Area/City form, but for UTC
 * and skip (printed first). */
static void
print_zones(const char *dir, const char *prefix, int depth, const char *skip)
{
	struct dirent *de;
	struct stat sb;
	char path[1024], name[512];
	DIR *d;

	if (depth > 2 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || de->d_name[0] < 'A' || de->d_name[0] > 'Z' ||
		    strcmp(de->d_name, "SystemV") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		snprintf(name, sizeof name, "%s%s", prefix, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			char sub[520];
			snprintf(sub, sizeof sub, "%s/", name);
			print_zones(path, sub, depth + 1, skip);
		} else if (strcmp(name, "UTC") != 0 && !(skip && strcmp(name, skip) == 0) &&
		           cl_tz_valid(name)) {
			printf("%s\n", name);
		}
	}
	closedir(d);
}

static int
cmd_complete_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	const char *what = a->argv[0];
	size_t i;

	if (strcmp(what, "options") == 0 || strcmp(what, "values") == 0 ||
	    strcmp(what, "subcommands") == 0) {
		print_declared(what, a);
	} else if (a->argc > 1) {
		return cmd_usage_error(ctx, "'%s' takes no command", what);
	} else if (strcmp(what, "commands") == 0) {
		const struct cmd_entry *const *t = cmd_entries();
		for (i = 0; t[i]; i++)
			if (t[i]->name[0] != '_')
				printf("%s\n", t[i]->name);
	} else if (strcmp(what, "items") == 0 || strcmp(what, "all-items") == 0) {
		print_ids(ctx, 0, strcmp(what, "all-items") == 0);
	} else if (strcmp(what, "postmortems") == 0) {
		print_ids(ctx, 1, 1);
	} else if (strcmp(what, "people") == 0) {
		for (i = 0; i < cl_config_people_count(ctx->cfg); i++)
			printf("%s\n", cmd_tty(cl_config_person_at(ctx->cfg, i)->handle));
	} else if (strcmp(what, "zones") == 0) {
		const char *tz = cl_config_timezone(ctx->cfg);
		if (tz)
			printf("%s\n", tz);
		printf("UTC\n");
		print_zones("/usr/share/zoneinfo", "", 0, tz);
	} else if (strcmp(what, "drills") == 0) {
		print_ids(ctx, 2, 1);
	} else if (strcmp(what, "every") == 0) {
		/* each form drill schedule --every takes (cl_invite_rrule), N as an example */
		fputs("week\nmonth\nquarter\n2 weeks\n3 months\n2 quarters\n", stdout);
	} else {
		return cmd_usage_error(ctx, "cannot complete '%s' (commands, items, all-items, "
		                       "postmortems, drills, people, zones, every, options, values, "
		                       "subcommands)", what);
	}
	return 0;
}

const struct cmd_entry cmd_complete_entry = {
	.name = "__complete",
	.usage = "commands|items|all-items|postmortems|drills|people|zones|every "
	         "| options [CMD [SUB]] | values [CMD [SUB]] NAME | subcommands CMD",
	.summary = "words for the shell completions (contrib/completion)",
	.args = { .lower = 1, .upper = 4, .missing = "name what to complete" },
	.exec = cmd_complete_exec,
};
