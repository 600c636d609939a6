/* issues.c — post-mortems written as tracker issues: every issue of a
 * project carrying a label (default "postmortem") is a post-mortem, its
 * body the Markdown document under the issue's title.
 *  - GitHub: GET /repos/{project}/issues?labels=&state=all&sort=updated&
 *    direction=asc[&since=] (pull requests skipped), Link paging, Bearer.
 *  - GitLab: GET /api/v4/projects/{path-encoded}/issues?labels=&scope=all&
 *    order_by=updated_at&sort=asc[&updated_after=], Link paging,
 *    PRIVATE-TOKEN.
 * The listing holds the bodies; since / updated_after (the newest update
 * seen by the last import) keeps it short. The version is the update time
 * in milliseconds. An incremental listing omits unchanged issues, so only
 * a listing without since (the first, then one every full_listing_hours)
 * is complete: an issue it lacks is gone (deleted, transferred, label
 * removed). A closed issue is still a post-mortem (state=all). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "source/kind.h"
#include "tracker.h"
#include "util.h"

static int
issues_init(struct cl_source *src, struct cl_error *err)
{
	const char *path = cl_config_path(src->cfg) ? cl_config_path(src->cfg) : "config";
	int gh = src->kind == &cl_source_kind_github;
	char *hdr;
	int rc;

	if (cl_source_get(src, "project") == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] project is required "
		                    "(%s)", path, src->name, gh ? "owner/repo" : "group/project");
	if (src->token == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] needs a token: token_file "
		                    "(mode 600) or token_env", path, src->name);
	if (src->url == NULL) {
		if (!gh)
			return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] url is required for "
			                    "gitlab", path, src->name);
		if ((src->url = cl_strdup("https://api.github.com")) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	hdr = gh ? cl_asprintf("Authorization: Bearer %s", src->token) :
	           cl_asprintf("PRIVATE-TOKEN: %s", src->token);
	if (hdr == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_add_header(src->http, hdr, 1, err);
	cl_secret_free(hdr);
	if (rc == 0 && gh)
		rc = cl_http_add_header(src->http, "Accept: application/vnd.github+json", 0, err);
	return rc;
}

/* The document: "# TITLE" over the issue's body. */
static int
issue_add(struct cl_source *src, json_t *it, int gh)
{
	const char *title = json_string_value(json_object_get(it, "title"));
	const char *body = json_string_value(json_object_get(it, gh ? "body" : "description"));
	const char *url = json_string_value(json_object_get(it, "web_url"));
	const char *updated = json_string_value(json_object_get(it, "updated_at"));
	json_int_t num = json_integer_value(json_object_get(it, gh ? "number" : "iid"));
	struct cl_source_doc *d;
	long long v = cl_source_time_ms(updated);
	char ref[32];
	int rc;

	if (gh) {
		if (json_object_get(it, "pull_request") != NULL)
			return 0;
		url = json_string_value(json_object_get(it, "html_url"));
	}
	if (url == NULL || num <= 0)
		return 0;
	if (body != NULL) {
		/* an issue closeloop created for an action item (its marker) is
		 * never a post-mortem, whatever its labels */
		char *marker = cl_tracker_marker_find(body);
		int created_by_us = marker != NULL;
		free(marker);
		if (created_by_us)
			return 0;
	}
	snprintf(ref, sizeof ref, "%lld", (long long)num);
	if ((rc = cl_source_add(src, &d, url, NULL, title, ref, v,
	                        cl_source_day(json_string_value(json_object_get(it, "created_at"))))) != 0)
		return rc;
	if (d->version != v)
		return 0;	/* an older copy of one seen already */
	free(d->body);
	cl_source_sections_free(d->sections, d->nlines);
	d->sections = NULL;
	d->nlines = 0;
	{
		struct cl_buf b = CL_BUF_INIT;
		cl_buf_printf(&b, "# %s\n\n", title ? title : "");
		cl_buf_puts(&b, body ? body : "");
		cl_buf_putc(&b, '\n');
		d->body_len = b.len;
		if ((d->body = cl_buf_steal(&b)) == NULL)
			return CL_ENOMEM;
	}
	if ((rc = cl_source_md_sections(d)) != 0)
		return rc;
	/* the cursor: the newest update seen */
	if (updated && (src->since_new == NULL ||
	                cl_source_time_ms(src->since_new) < v)) {
		char *s = cl_strdup(updated);
		if (s == NULL)
			return CL_ENOMEM;
		free(src->since_new);
		src->since_new = s;
	}
	return 0;
}

static int
issues_list(struct cl_source *src, struct cl_error *err)
{
	int gh = src->kind == &cl_source_kind_github, rc = 0, pages = 0, cut = 0;
	const char *label = cl_source_get(src, "label") ? cl_source_get(src, "label") : "postmortem";
	char *proj = NULL, *lab = NULL, *since = NULL, *url = NULL;
	struct cl_http_response *r = NULL;
	json_t *j = NULL;

	if ((lab = cl_http_escape(label)) == NULL ||
	    (src->since && (since = cl_http_escape(src->since)) == NULL))
		goto oom;
	if (gh) {
		url = cl_asprintf("%s/repos/%s/issues?labels=%s&state=all&sort=updated&direction=asc"
		                  "&per_page=%ld%s%s", src->url, cl_source_get(src, "project"), lab,
		                  src->limit, since ? "&since=" : "", since ? since : "");
	} else {
		if ((proj = cl_http_escape(cl_source_get(src, "project"))) == NULL)
			goto oom;
		url = cl_asprintf("%s/api/v4/projects/%s/issues?labels=%s&scope=all&state=all"
		                  "&order_by=updated_at&sort=asc&per_page=%ld%s%s", src->url, proj, lab,
		                  src->limit, since ? "&updated_after=" : "", since ? since : "");
	}
	if (url == NULL)
		goto oom;
	while (url != NULL && rc == 0) {
		json_t *it;
		size_t i;

		if (++pages > 10000) {
			rc = cl_error_set(err, CL_EDATA, "source '%s': listing does not end", src->name);
			break;
		}
		if ((rc = cl_source_get_json(src, (void **)&j, &r, url, "listing issues", err)) != 0)
			break;
		if (!json_is_array(j)) {
			rc = cl_error_set(err, CL_EDATA, "source '%s': listing issues: not a list",
			                  src->name);
			break;
		}
		json_array_foreach(j, i, it)
			if (issue_add(src, it, gh) != 0) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				break;
			}
		free(url);
		url = NULL;
		/* the next page only on the same server: the token goes with it;
		 * a listing cut short there is not complete */
		if (rc == 0 && r->next_url && !cl_source_same_server(r->next_url, src->url))
			cut = 1;
		else if (rc == 0 && r->next_url && (url = cl_strdup(r->next_url)) == NULL)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		json_decref(j);
		j = NULL;
		cl_http_response_free(r);
		r = NULL;
	}
	/* without since every labelled issue is listed: one that is not has
	 * vanished (deleted, moved, or its label removed) */
	src->complete = rc == 0 && !cut && src->since == NULL;
	goto done;
oom:
	rc = cl_error_set(err, CL_ENOMEM, "out of memory");
done:
	json_decref(j);
	cl_http_response_free(r);
	free(url);
	free(proj);
	free(lab);
	free(since);
	return rc;
}

/* Bodies come with the listing. */
static int
issues_fetch(struct cl_source *src, struct cl_source_doc *doc, struct cl_error *err)
{
	return cl_error_set(err, CL_ERROR, "source '%s': issue %s has no body", src->name,
	                    doc->ref);
}

const struct source_kind cl_source_kind_github = {
	.name = "github",
	.init = issues_init,
	.list = issues_list,
	.fetch = issues_fetch,
};

const struct source_kind cl_source_kind_gitlab = {
	.name = "gitlab",
	.init = issues_init,
	.list = issues_list,
	.fetch = issues_fetch,
};
