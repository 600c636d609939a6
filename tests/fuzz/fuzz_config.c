/* fuzz_config.c — libFuzzer harness: any bytes as a configuration file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closeloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct cl_config *cfg = NULL;
	struct cl_error err = { 0 };
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof path, "/tmp/clfuzz-config.%d", (int)getpid());
	if ((f = fopen(path, "wb")) == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	chmod(path, 0600);
	if (cl_config_load(&cfg, path, &err) == 0) {
		long n;
		size_t i;
		char *dbp = cl_config_database_path(cfg);
		cl_config_get_int(cfg, "nag", "every_days", 7, 1, 365, &n, &err);
		for (i = 0; i < cl_config_people_count(cfg); i++)
			(void)cl_config_person(cfg, cl_config_person_at(cfg, i)->handle);
		free(dbp);
		cl_config_free(cfg);
	}
	return 0;
}
