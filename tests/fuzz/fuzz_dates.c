/* fuzz_dates.c — libFuzzer harness: the date, time and ISO-week parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "closeloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int day, y, w;
	time_t t;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cl_date_parse(s, cl_days_from_civil(2024, 6, 1), &day) == 0) {
		char buf[11];
		cl_date_format(day, buf);
	}
	cl_date_parse_iso(s, &day);
	cl_time_parse(s, &t);
	cl_iso_week_parse(s, &y, &w);
	free(s);
	return 0;
}
