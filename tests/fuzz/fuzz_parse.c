/* fuzz_parse.c — libFuzzer harness: any bytes as a post-mortem document,
 * through the parser, lint and the normaliser; the parse that leaves out
 * sections md4c need not read must equal the one that reads everything. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "closeloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cl_config *cfg;
	struct cl_pm_doc *doc = NULL, *all = NULL;
	struct cl_problems probs = { 0 };
	struct cl_error err = { 0 }, err_all = { 0 };
	size_t i;
	int rc, rc_all;

	if (cfg == NULL) {
		cfg = cl_config_new();
		cl_config_set(cfg, "people", "alice", "Alice <alice@example.com>");
	}
	rc = cl_parse_document(&doc, (const char *)data, size, cl_days_from_civil(2024, 1, 1), &err);
	rc_all = cl_parse_document_read_all(&all, (const char *)data, size,
	                                    cl_days_from_civil(2024, 1, 1), NULL, &err_all);
	if (rc != rc_all || strcmp(err.msg, err_all.msg) != 0 || !cl_pm_doc_same(doc, all))
		abort();	/* skipping sections changed the result */
	cl_pm_doc_free(all);
	if (rc != 0)
		return 0;
	cl_lint_document(&probs, doc, cl_days_from_civil(2024, 2, 1), cfg);
	for (i = 0; i < doc->nitems; i++) {
		char *n = cl_parse_normalise(doc->items[i].action);
		cl_lint_item(&probs, &doc->items[i], cfg);
		free(n);
	}
	free(cl_lint_codes(&probs, 0));
	cl_problems_release(&probs);
	cl_pm_doc_free(doc);
	return 0;
}
