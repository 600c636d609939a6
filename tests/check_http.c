/* check_http.c — the HTTP client against a canned server in a child process. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <jansson.h>

#include "testutil.h"

/* One canned answer per connection, in order; the child exits after all. */
static pid_t srv_pid;
static int srv_port;
static char srv_log[256];

/* Serves answers[i] to the i-th request and logs each request's head. */
static void
serve(const char *const *answers, int n)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, pipefd[2];

	ck_assert_int_ge(s, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	getsockname(s, (struct sockaddr *)&a, &alen);
	srv_port = ntohs(a.sin_port);
	snprintf(srv_log, sizeof srv_log, "/tmp/cltest-http-%d.log", (int)getpid());
	unlink(srv_log);
	ck_assert_int_eq(pipe(pipefd), 0);
	srv_pid = fork();
	if (srv_pid == 0) {
		int i;
		FILE *log = fopen(srv_log, "w");
		close(pipefd[0]);
		close(pipefd[1]);
		alarm(20);
		for (i = 0; i < n; i++) {
			char buf[65536];
			ssize_t got = 0, r;
			int c = accept(s, NULL, NULL);
			if (c < 0)
				_exit(1);
			/* read the head and a body of Content-Length bytes */
			for (;;) {
				char *end, *cl;
				r = read(c, buf + got, sizeof buf - 1 - (size_t)got);
				if (r <= 0)
					break;
				got += r;
				buf[got] = '\0';
				if ((end = strstr(buf, "\r\n\r\n")) == NULL)
					continue;
				cl = strcasestr(buf, "Content-Length:");
				if (cl == NULL || got - (end + 4 - buf) >= atol(cl + 15))
					break;
			}
			fprintf(log, "%s\n----\n", buf);
			fflush(log);
			if (strcmp(answers[i], "STALL") == 0) {
				sleep(5);
			} else if (write(c, answers[i], strlen(answers[i])) < 0) {
				_exit(1);
			}
			close(c);
		}
		fclose(log);
		_exit(0);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	close(s);
}

static void
serve_end(void)
{
	int st;
	if (srv_pid > 0) {
		kill(srv_pid, SIGKILL);
		waitpid(srv_pid, &st, 0);
		srv_pid = 0;
	}
}

static char *
log_text(void)
{
	char *t = NULL;
	struct cl_error err = { 0 };
	cl_read_file(&t, NULL, srv_log, 1 << 20, &err);
	return t;
}

static struct cl_http *
client(long max_wait_s, int verbose)
{
	struct cl_http_opts o = { 0 };
	struct cl_http *h = NULL;
	struct cl_error err = { 0 };

	o.retries = 3;
	o.backoff_ms = 10;
	o.max_wait_s = max_wait_s;
	o.timeout_ms = 1500;
	o.connect_timeout_ms = 1000;
	o.max_response = 4096;
	o.verbose = verbose;
	ck_assert_int_eq(cl_http_new(&h, &o, &err), 0);
	ck_assert_int_eq(cl_http_add_header(h, "Authorization: Bearer s3cr3t-token", 1, &err), 0);
	return h;
}

static char url[256];

static const char *
u(const char *path)
{
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv_port, path);
	return url;
}

START_TEST(link_next)
{
	char *n = cl_http_link_next("<https://x/issues?page=2>; rel=\"next\", "
	                            "<https://x/issues?page=9>; rel=\"last\"");
	ck_assert_str_eq(n, "https://x/issues?page=2");
	free(n);
	n = cl_http_link_next("<https://x/a?page=1>; rel=\"prev first\", <https://x/a?page=3>; rel=\"next\"");
	ck_assert_str_eq(n, "https://x/a?page=3");
	free(n);
	ck_assert_ptr_null(cl_http_link_next("<https://x/a?page=1>; rel=\"prev\""));
	ck_assert_ptr_null(cl_http_link_next(""));
	ck_assert_ptr_null(cl_http_link_next("garbage <"));
}
END_TEST

START_TEST(same_origin)
{
	ck_assert_int_eq(cl_http_same_origin("https://h.example/api", "https://H.EXAMPLE:443/x?p=2"), 1);
	ck_assert_int_eq(cl_http_same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080/a"), 1);
	ck_assert_int_eq(cl_http_same_origin("https://h.example", "http://h.example/x"), 0);
	ck_assert_int_eq(cl_http_same_origin("https://h.example", "https://h.example:8443/x"), 0);
	ck_assert_int_eq(cl_http_same_origin("http://127.0.0.1:1", "http://127.0.0.1:2/"), 0);
	ck_assert_int_eq(cl_http_same_origin("https://h.example", "https://h.example.evil/x"), 0);
	/* userinfo is not the host */
	ck_assert_int_eq(cl_http_same_origin("https://h.example", "https://h.example@evil/x"), 0);
	ck_assert_int_eq(cl_http_same_origin("http://[::1]:80/", "http://[::1]/a"), 1);
	ck_assert_int_eq(cl_http_same_origin("https://h.example", "ftp://h.example/"), 0);
	ck_assert_int_eq(cl_http_same_origin("https://h.example", "https://h.example:x/"), 0);
}
END_TEST

START_TEST(rate_wait)
{
	ck_assert_int_eq(cl_http_rate_wait("7", NULL, 1000), 7);
	ck_assert_int_eq(cl_http_rate_wait(NULL, "1030", 1000), 31);
	ck_assert_int_eq(cl_http_rate_wait(NULL, "900", 1000), 1);
	ck_assert_int_eq(cl_http_rate_wait(NULL, NULL, 1000), -1);
	ck_assert_int_eq(cl_http_rate_wait("Thu, 01 Jan 1970 00:20:00 GMT", NULL, 1000), 200);
}
END_TEST

START_TEST(escape)
{
	char *e = cl_http_escape("a b/c+d:é");
	ck_assert_str_eq(e, "a%20b%2Fc%2Bd%3A%C3%A9");
	free(e);
}
END_TEST

START_TEST(retry_5xx_then_ok_with_etag_and_link)
{
	static const char *const ans[] = {
		"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		("HTTP/1.1 200 OK\r\nETag: W/\"abc\"\r\nLink: <http://127.0.0.1:1/n?page=2>; rel=\"next\"\r\n"
		 "Content-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"a\": 1}\n"),
	};
	struct cl_http *h;
	struct cl_http_response *r = NULL;
	struct cl_error err = { 0 };
	json_t *j = NULL;

	serve(ans, 3);
	h = client(10, 0);
	ck_assert_int_eq(cl_http_json(h, &r, (void **)&j, "GET", u("/x"), NULL, "W/\"old\"", &err), 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->etag, "W/\"abc\"");
	ck_assert_str_eq(r->next_url, "http://127.0.0.1:1/n?page=2");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 1);
	ck_assert_int_eq(cl_http_requests(h), 3);
	json_decref(j);
	cl_http_response_free(r);
	cl_http_free(h);
	serve_end();
	{
		char *t = log_text();
		ck_assert_ptr_nonnull(strstr(t, "If-None-Match: W/\"old\""));
		ck_assert_ptr_nonnull(strstr(t, "User-Agent: closeloop/"));
		free(t);
	}
}
END_TEST

START_TEST(post_not_retried_on_5xx)
{
	static const char *const ans[] = {
		"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
	};
	struct cl_http *h;
	struct cl_http_response *r = NULL;
	struct cl_error err = { 0 };

	serve(ans, 2);
	h = client(10, 0);
	ck_assert_int_eq(cl_http_request(h, &r, "POST", u("/c"), "{\"title\":\"t\"}", NULL, &err), 0);
	ck_assert_int_eq(r->status, 502);
	ck_assert_int_eq(cl_http_requests(h), 1);
	cl_http_response_free(r);
	cl_http_free(h);
	serve_end();
	{
		char *t = log_text();
		ck_assert_ptr_nonnull(strstr(t, "{\"title\":\"t\"}"));
		ck_assert_ptr_nonnull(strstr(t, "Content-Type: application/json"));
		free(t);
	}
}
END_TEST

START_TEST(rate_limit_waits_then_gives_up)
{
	static const char *const ans[] = {
		"HTTP/1.1 429 Too Many\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
		("HTTP/1.1 403 Forbidden\r\nx-ratelimit-remaining: 0\r\nx-ratelimit-reset: 4102444800\r\n"
		 "Content-Length: 0\r\nConnection: close\r\n\r\n"),
	};
	struct cl_http *h;
	struct cl_http_response *r = NULL;
	struct cl_error err = { 0 };

	serve(ans, 3);
	h = client(5, 0);
	ck_assert_int_eq(cl_http_request(h, &r, "POST", u("/a"), "{}", NULL, &err), 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_ge(cl_http_waited_ms(h), 1000);
	cl_http_response_free(r);
	r = NULL;
	ck_assert_int_eq(cl_http_request(h, &r, "GET", u("/b"), NULL, NULL, &err), CL_ETEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "rate limited"));
	ck_assert_int_eq(cl_exitcode(err.code), 75);
	cl_http_free(h);
	serve_end();
}
END_TEST

START_TEST(timeout_and_size_limit)
{
	static const char *const ans[] = {
		"STALL",
		"STALL",
	};
	struct cl_http *h;
	struct cl_http_response *r = NULL;
	struct cl_error err = { 0 };
	struct cl_http_opts o = { 0 };

	serve(ans, 2);
	o.retries = 0;
	o.timeout_ms = 300;
	ck_assert_int_eq(cl_http_new(&h, &o, &err), 0);
	ck_assert_int_eq(cl_http_request(h, &r, "GET", u("/slow"), NULL, NULL, &err), CL_ETEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "/slow"));
	cl_http_free(h);
	serve_end();
}
END_TEST

START_TEST(size_limit)
{
	static char big[8192];
	const char *ans[1];
	struct cl_http *h;
	struct cl_http_response *r = NULL;
	struct cl_error err = { 0 };
	size_t n;

	n = (size_t)snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n"
	                     "Connection: close\r\n\r\n");
	memset(big + n, 'x', 6000);
	big[n + 6000] = '\0';
	ans[0] = big;
	serve(ans, 1);
	h = client(5, 0);
	ck_assert_int_eq(cl_http_request(h, &r, "GET", u("/big"), NULL, NULL, &err), CL_EDATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than"));
	cl_http_free(h);
	serve_end();
}
END_TEST

START_TEST(schemes_and_get)
{
	static const char *const ans[] = {
		"HTTP/1.1 301 Moved\r\nLocation: /doc2.md\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n# Doc\n",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	};
	struct cl_error err = { 0 };
	char *body = NULL;
	size_t len = 0;

	ck_assert_int_eq(cl_http_get(&body, &len, "file:///etc/passwd", 1000, NULL, &err), CL_EUSAGE);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_http_get(&body, &len, "ftp://x/y", 1000, NULL, &err), CL_EUSAGE);
	cl_error_clear(&err);
	serve(ans, 3);
	ck_assert_int_eq(cl_http_get(&body, &len, u("/doc.md"), 1000, NULL, &err), 0);
	ck_assert_str_eq(body, "# Doc\n");
	ck_assert_int_eq(len, 6);
	free(body);
	ck_assert_int_eq(cl_http_get(&body, &len, u("/gone.md"), 1000, NULL, &err), CL_ENOINPUT);
	serve_end();
}
END_TEST

START_TEST(trace_redacts_token)
{
	static const char *const ans[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
	};
	struct cl_http *h;
	struct cl_http_response *r = NULL;
	struct cl_error err = { 0 };
	char path[256], *t = NULL;
	int saved, fd;

	serve(ans, 1);
	snprintf(path, sizeof path, "/tmp/cltest-trace-%d", (int)getpid());
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	h = client(5, 2);
	ck_assert_int_eq(cl_http_request(h, &r, "GET", u("/t"), NULL, NULL, &err), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(fd);
	close(saved);
	cl_http_response_free(r);
	cl_http_free(h);
	serve_end();
	ck_assert_int_eq(cl_read_file(&t, NULL, path, 1 << 20, &err), 0);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(t, "> GET /t"));
	ck_assert_ptr_nonnull(strstr(t, "Authorization: ***"));
	ck_assert_ptr_null(strstr(t, "s3cr3t"));
	free(t);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, link_next);
	tcase_add_test(tc, same_origin);
	tcase_add_test(tc, rate_wait);
	tcase_add_test(tc, escape);
	tcase_add_test(tc, retry_5xx_then_ok_with_etag_and_link);
	tcase_add_test(tc, post_not_retried_on_5xx);
	tcase_add_test(tc, rate_limit_waits_then_gives_up);
	tcase_add_test(tc, timeout_and_size_limit);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, schemes_and_get);
	tcase_add_test(tc, trace_redacts_token);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(http_suite());
}
