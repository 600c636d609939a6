/* fuzz_tracker.c — libFuzzer harness: a tracker's answers (status line,
 * headers and JSON body, as the server would send them) through the HTTP
 * layer and each backend's response handling.
 *
 * Input: byte 0 picks the backend, byte 1 the operation, bytes 2-3 the HTTP
 * status; the rest is "header lines\n\nbody". Every request of the operation
 * gets that answer (at most 8 requests, then the "network" fails). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "closeloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct answer {
	long status;
	const char *head, *body;
	size_t head_len, body_len;
	int calls;
};

static int
respond(void *arg, const char *method, const char *url, const char *body, long *status,
        const char **head, size_t *head_len, const char **resp_body, size_t *resp_len)
{
	struct answer *a = arg;

	(void)method;
	(void)url;
	(void)body;
	if (++a->calls > 8)
		return -1;
	*status = a->status;
	*head = a->head;
	*head_len = a->head_len;
	*resp_body = a->body;
	*resp_len = a->body_len;
	return 0;
}

static const struct {
	const char *kind, *project, *flavor;
} backends[] = {
	{ "github", "acme/ops", NULL }, { "redmine", "ops", NULL },
	{ "gitlab", "acme/ops", NULL }, { "gitea", "acme/ops", NULL },
	{ "jira", "OPS", "cloud" }, { "jira", "OPS", "datacenter" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_config *cfg;
	struct cl_tracker *t = NULL;
	struct cl_error err = { 0 };
	struct answer a = { 0 };
	struct cl_ticket tk;
	struct cl_ticket_list list = { 0 };
	struct cl_tracker_cursor in = { 0 }, next = { 0 };
	const char *rest, *sep;
	size_t b, op, rlen;
	long gone = 0;
	int nm = 0;

	if (size < 4)
		return 0;
	b = data[0] % (sizeof backends / sizeof backends[0]);
	op = data[1] % 6;
	a.status = 100 + ((data[2] << 8) | data[3]) % 500;
	rest = (const char *)data + 4;
	rlen = size - 4;
	sep = memmem(rest, rlen, "\n\n", 2);
	a.head = rest;
	a.head_len = sep ? (size_t)(sep - rest) : 0;
	a.body = sep ? sep + 2 : rest;
	a.body_len = sep ? rlen - a.head_len - 2 : rlen;

	cfg = cl_config_new();
	cl_config_set(cfg, "tracker", "kind", backends[b].kind);
	cl_config_set(cfg, "tracker", "url", "http://127.0.0.1:9");
	cl_config_set(cfg, "tracker", "project", backends[b].project);
	cl_config_set(cfg, "tracker", "token", "fuzz-token");
	cl_config_set(cfg, "tracker", "max_wait_s", "0");
	cl_config_set(cfg, "tracker", "retries", "0");
	cl_config_set(cfg, "tracker", "min_interval_ms", "0");
	if (backends[b].flavor) {
		cl_config_set(cfg, "tracker", "flavor", backends[b].flavor);
		cl_config_set(cfg, "tracker", "user", "fuzz@example.com");
		cl_config_set(cfg, "tracker", "search_wait_ms", "0");
		cl_config_set(cfg, "tracker", "timezone", "UTC");
	}
	cl_config_set(cfg, "people", "alice", "Alice <alice@example.com>");
	cl_config_set(cfg, "people", "alice.tracker", "alice-t");
	cl_http_set_responder(respond, &a);
	if (cl_tracker_open(&t, cfg, 0, &err) == 0) {
		memset(&tk, 0, sizeof tk);
		switch (op) {
		case 0:
			t->ops->get(t, &tk, "42", &gone, &err);
			break;
		case 1:
			in.since = "2024-03-20T09:00:00Z";
			in.etag = "\"abc\"";
			t->ops->changes(t, &list, &in, &next, &nm, &err);
			break;
		case 2:
			t->ops->changes(t, &list, &in, &next, &nm, &err);
			break;
		case 3: {
			static const char *const labels[] = { "postmortem", "action-item" };
			struct cl_ticket_spec spec = { "Fix the pool", "body\ncloseloop:pm.1\n",
				"alice-t", "2024-04-01", labels, 2 };
			cl_tracker_create(t, &tk, &spec, &err);
			break;
		}
		case 4:
			t->ops->find_markers(t, &list, "2024-03-20T09:00:00Z", &err);
			break;
		default:
			t->ops->set_state(t, "42", 1, CL_CLOSE_NOT_PLANNED, "withdrawn", "body",
			                  &gone, &err);
			break;
		}
		cl_ticket_release(&tk);
		cl_ticket_list_release(&list);
		cl_tracker_cursor_release(&next);
	}
	cl_tracker_free(t);
	cl_http_set_responder(NULL, NULL);
	cl_config_free(cfg);
	return 0;
}
