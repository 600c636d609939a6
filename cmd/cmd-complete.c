/* cmd-complete.c — `closeloop __complete WHAT`: the words the shell
 * completions (contrib/completion) offer, one per line, read from the
 * database and the config. Never creates or changes anything; prints
 * nothing (exit 0) when there is nothing to offer. Not in the help. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

extern const struct cmd_entry *const *cmd_entries(void);

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

	if (strcmp(what, "commands") == 0) {
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
		                       "postmortems, drills, people, zones, every)", what);
	}
	return 0;
}

const struct cmd_entry cmd_complete_entry = {
	.name = "__complete",
	.usage = "commands|items|all-items|postmortems|drills|people|zones|every",
	.summary = "words for the shell completions (contrib/completion)",
	.args = { .lower = 1, .upper = 1, .missing = "name what to complete" },
	.exec = cmd_complete_exec,
};
