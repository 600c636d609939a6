/* fuzz_storage.c — libFuzzer harness: any bytes as a Confluence page body
 * (storage format) through the XHTML reader, then the Markdown it wrote
 * through the parser and lint, as an import does. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "closeloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cl_config *cfg;
	struct cl_error err = { 0 };
	struct cl_pm_doc *doc = NULL;
	struct cl_problems probs = { 0 };
	char *md = NULL, **sec = NULL;
	size_t len = 0, nl = 0, i;

	if (cfg == NULL) {
		cfg = cl_config_new();
		cl_config_set(cfg, "people", "alice", "Alice <alice@example.com>");
		cl_config_set(cfg, "people", "alice.confluence", "557058:aaaa");
	}
	if (cl_storage_to_markdown(&md, &len, &sec, &nl, (const char *)data, size, "Fuzz page",
	                           cfg, &err) != 0)
		return 0;
	if (cl_parse_document(&doc, md, len, cl_days_from_civil(2024, 1, 1), &err) == 0) {
		cl_lint_document(&probs, doc, cl_days_from_civil(2024, 2, 1), cfg);
		for (i = 0; i < doc->nitems; i++) {
			struct cl_source_doc sd = { 0 };
			char *where;
			sd.id = (char *)"https://wiki.example.invalid/p/1";
			sd.title = (char *)"Fuzz page";
			sd.sections = sec;
			sd.nlines = nl;
			where = cl_source_where(&sd, doc->items[i].line);
			free(where);
			cl_lint_item(&probs, &doc->items[i], cfg);
		}
		cl_problems_release(&probs);
		cl_pm_doc_free(doc);
	}
	cl_source_sections_free(sec, nl);
	free(md);
	return 0;
}
