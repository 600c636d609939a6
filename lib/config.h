/* config.h — the INI configuration (read with inih) and [people].
 *
 * Lookup order when no file is named: $CLOSELOOP_CONFIG,
 * $XDG_CONFIG_HOME/closeloop/config (~/.config/…), /etc/closeloop/config; no
 * file at all is fine (embedded defaults). A file named with -c must exist.
 * The whole file is checked on load: every value of a known form (the
 * key_checks table in config.c) is an error "FILE:LINE: [section] key: why"
 * (CL_ECONFIG); unknown sections and keys are warnings with the nearest
 * known name (cl_config_warning), so typos never pass silently. The file is
 * read by closeloop (continuation lines joined, lines up to 4096 bytes) and
 * parsed by inih. Strings returned by getters belong to the config and live
 * until cl_config_free(). */
#ifndef CL_CONFIG_H
#define CL_CONFIG_H

#include "error.h"

struct cl_config;

struct cl_person {
	char *handle;	/* key in [people], lower case */
	char *name;	/* display name, may be NULL */
	char *email;	/* address, may be NULL */
	char *tracker;	/* handle in the tracker, may be NULL */
	char *lead;	/* handle of the escalation target, may be NULL */
	char *confluence;	/* Confluence account id / user key, may be NULL */
};

/* Loads path (explicit = named by the user) or the first file found in the
 * lookup order; *out is always a usable config on success. */
int cl_config_load(struct cl_config **out, const char *path, struct cl_error *err);
/* What the load found doubtful but not wrong (an unknown key or section),
 * as "FILE:LINE: [section] key: message (did you mean ...)". */
size_t cl_config_warning_count(const struct cl_config *cfg);
const char *cl_config_warning(const struct cl_config *cfg, size_t i);
/* An empty config: all defaults. */
struct cl_config *cl_config_new(void);
void cl_config_free(struct cl_config *cfg);
/* The file it came from, or NULL for embedded defaults. */
const char *cl_config_path(const struct cl_config *cfg);

const char *cl_config_get(const struct cl_config *cfg, const char *section,
                          const char *key);
const char *cl_config_get_default(const struct cl_config *cfg, const char *section,
                                  const char *key, const char *def);
/* Integer key with range check; a bad value is CL_ECONFIG naming file:line. */
int cl_config_get_int(const struct cl_config *cfg, const char *section,
                      const char *key, long def, long min, long max, long *out,
                      struct cl_error *err);
/* Line of a key in the file (0 when not from a file). */
int cl_config_line(const struct cl_config *cfg, const char *section, const char *key);
/* Sets or replaces a value (command-line overrides, tests). 0 or CL_ENOMEM. */
int cl_config_set(struct cl_config *cfg, const char *section, const char *key,
                  const char *value);

/* The sections whose name starts with prefix ("source \""), each once, in
 * file order; *out (caller frees the array) points at the config's strings. */
int cl_config_sections(const char ***out, size_t *n, const struct cl_config *cfg,
                       const char *prefix);

/* The keys of section and their values, in file order ([teams] rules);
 * the arrays (caller frees both) point at the config's strings. */
int cl_config_keys(const char ***out, const char ***values, size_t *n,
                   const struct cl_config *cfg, const char *section);

/* Reads a secret named by KEY (inline, only in a 0600 file), KEY_file (a
 * 0600 file, first line) or KEY_env (an environment variable). *out is NULL
 * when none is configured. Free with cl_secret_free(). */
int cl_config_secret(char **out, const struct cl_config *cfg, const char *section,
                     const char *key, struct cl_error *err);

/* [people]: lookup by handle (case-insensitive), "@handle", display name or
 * e-mail address. NULL when unknown. */
const struct cl_person *cl_config_person(const struct cl_config *cfg, const char *who);
size_t cl_config_people_count(const struct cl_config *cfg);
const struct cl_person *cl_config_person_at(const struct cl_config *cfg, size_t i);

/* The database path: -d, [closeloop] database, or
 * $XDG_DATA_HOME/closeloop/closeloop.db (~/.local/share/…). Caller frees. */
char *cl_config_database_path(const struct cl_config *cfg);
/* Hex SHA-256 over what lint depends on ([people], [lint], timezone), so
 * import can re-check documents when it changes. 0 or CL_ENOMEM. */
int cl_config_lint_fingerprint(const struct cl_config *cfg, char out[65]);
/* [closeloop] timezone, or NULL for the system zone. */
const char *cl_config_timezone(const struct cl_config *cfg);

#endif
