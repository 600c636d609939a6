/* github.c — GitHub (and GitHub Enterprise) REST issues backend, as a
 * dialect of the engine (lib/tracker.c).
 * url is the API root (https://api.github.com, https://host/api/v3),
 * project is owner/repo. No due-date field: sync keeps the date in the body.
 * The spec closeloop is validated against (Prism) has no comments endpoint,
 * so a closing comment goes into the body. Pull requests are listed with
 * the issues and skipped; a transferred issue (301) is gone. */
#include "../tracker.h"

static const struct cl_tracker_dialect gh_dialect = {
	.name = "GitHub",
	.auth = "Authorization: Bearer ",
	.accept = "Accept: application/vnd.github+json, application/json",
	.header = "X-GitHub-Api-Version: 2022-11-28",
	.base = "{url}/repos/{owner}/{repo}",
	.owner_repo = 1,
	.need = "state",
	.id = "number",
	.web = "html_url",
	.title = "title",
	.body = "body",
	.state = "state",
	.closed_word = "closed",
	.assignee = { "assignee.login", "assignees.0.login" },
	.updated = "updated_at",
	.closed = "closed_at",
	.creator = "user.login",
	.skip = "pull_request",
	.w_title = "title",
	.w_body = "body",
	.w_labels = "labels",
	.labels_form = CL_FORM_ARRAY,
	.w_assignee = "assignees",
	.assignee_form = CL_FORM_ARRAY,
	.create_url = "{base}/issues",
	.issue_url = "{base}/issues/{id}",
	.list_url = "{base}/issues?state=all&sort=updated&direction=desc&per_page=100",
	.since_param = "&since=",
	.update_method = "PATCH",
	.moved_is_gone = 1,
	.missing = "repository",
	.state_key = "state",
	.close_word = "closed",
	.open_word = "open",
	.reason_key = "state_reason",
	.reason_words = { "completed", "not_planned", "reopened" },
	.list = { .what = "listing issues", .paging = CL_PAGING_LINK },
	.pull = CL_PULL_DATE,
	.skew_s = 3600,
	.whoami_url = "{url}/user",
	.whoami = "login",
	.ref_any_host = 1,	/* the web host is not the API's */
};

const struct cl_tracker_ops cl_tracker_github = {
	.kind = "github",
	.caps = CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE | CL_TRACKER_CAP_CLOSE_REASON,
	.dialect = &gh_dialect,
};
