#include "autoconf.h"

/*
 * Tests of the HTTP engine against a loopback HTTP/1.1 server that runs in
 * this process, on the same libuv loop as the client.  In-process rather than
 * a Python helper: no child process to start, wait for or leak, one loop to
 * drain and close at the end of each test, exact counters (concurrency,
 * Authorization seen) without a side channel, and byte-exact faults (a reset
 * after half a body, a reply that never comes).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <uv.h>

#include "http.h"
#include "log.h"
#include "xmalloc.h"

#define CONN_BUF	65536

struct srv;

struct conn {
	uv_tcp_t	 tcp;
	uv_timer_t	 timer;
	struct srv	*srv;
	struct conn	*next;
	char		 buf[CONN_BUF];
	size_t		 len;
	char		 method[8];
	int		 open;	/* a request awaits its response */
	int		 closing;
	int		 handles;
};

struct srv {
	uv_loop_t	*loop;
	uv_tcp_t	 listen;
	int		 port;
	int		 redirect_port;
	int		 requests;
	int		 open;
	int		 max_open;
	int		 nconns;
	int		 saw_auth;
	char		 last_body[4096];
	struct conn	*conns;
	void		(*hook)(struct srv *, void *);
	void		*hook_arg;
};

struct result {
	struct fix	*fix;
	int		 calls;
	long		 status;
	enum http_error	 error;
	char		 text[256];
	char		 body[2048];
	size_t		 bodylen;
	int64_t		 content_length;
	char		 www[256];
	char		 link[256];
	char		 retry_after[32];
	char		 effurl[256];
	char		 location[256];
	int		 free_engine;	/* http_free in the callback */
};

struct fix {
	uv_loop_t	 loop;
	uv_timer_t	 guard;
	int		 expired;
	struct srv	 srv;
	struct srv	 srv2;
	struct http	*http;
	int		 done;
	struct result	 r[64];
	struct http_request *req[64];
};

/* Server side. */

struct wreq {
	uv_write_t	 w;
	struct conn	*c;
	int		 action;	/* 0 keep open, 1 reset soon */
	char		 data[];
};

static void
conn_closed(uv_handle_t *h)
{
	struct conn	*c = h->data;

	c->handles--;
	if (c->handles == 0)
		free(c);
}

static void
conn_close(struct conn *c, int reset)
{
	struct srv	*s = c->srv;
	struct conn	**pp;

	if (c->closing)
		return;
	c->closing = 1;
	if (c->open)
		s->open--;
	for (pp = &s->conns; *pp != c; pp = &(*pp)->next)
		/* nothing */;
	*pp = c->next;
	s->nconns--;
	uv_close((uv_handle_t *)&c->timer, conn_closed);
	if (reset)
		uv_tcp_close_reset(&c->tcp, conn_closed);
	else
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

/* Reset a little after the write, so the client has read what was sent. */
static void
srv_reset_fired(uv_timer_t *t)
{
	conn_close(t->data, 1);
}

static void
srv_written(uv_write_t *w, int status)
{
	struct wreq	*wr = (struct wreq *)w;
	struct conn	*c = wr->c;

	if (status == 0 && !c->closing && c->open) {
		c->open = 0;
		c->srv->open--;
	}
	if (status == 0 && wr->action == 1 && !c->closing)
		uv_timer_start(&c->timer, srv_reset_fired, 50, 0);
	free(wr);
}

static void
srv_send(struct conn *c, const char *p, size_t len, int action)
{
	struct wreq	*wr;
	uv_buf_t	 b;

	wr = xmalloc(sizeof *wr + len);
	memcpy(wr->data, p, len);
	wr->c = c;
	wr->action = action;
	b = uv_buf_init(wr->data, (unsigned)len);
	uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, srv_written);
}

/* A complete response; HEAD gets the headers and Content-Length only. */
static void
srv_respond(struct conn *c, const char *status, const char *extra,
    const char *body, size_t len)
{
	char	*out;
	int	 n;

	n = xasprintf(&out, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n%.*s",
	    status, len, extra, strcmp(c->method, "HEAD") == 0 ? 0 : (int)len,
	    body);
	srv_send(c, out, (size_t)n, 0);
	free(out);
}

static void
srv_slow_fired(uv_timer_t *t)
{
	srv_respond(t->data, "200 OK", "", "slow", 4);
}

static void
srv_route(struct conn *c, const char *path)
{
	static char	 big[4096], fillers[4096];
	char		*extra;
	int		 i;

	memset(big, 'x', sizeof big - 1);
	for (i = 0; i < 40; i++)
		snprintf(fillers + strlen(fillers), sizeof fillers -
		    strlen(fillers), "X-Filler-%d: %.80s\r\n", i, big);
	if (strcmp(path, "/get") == 0)
		srv_respond(c, "200 OK", "Content-Type: text/plain\r\n",
		    "hello", 5);
	else if (strcmp(path, "/repeat") == 0)
		srv_respond(c, "401 Unauthorized",
		    "WWW-Authenticate: Bearer realm=\"a\"\r\n"
		    "Link: <1>; rel=\"next\"\r\n"
		    "www-authenticate: Basic realm=\"b\"\r\n"
		    "LINK: <2>; rel=\"next\"\r\n"
		    "Retry-After:   7  \r\n", "", 0);
	else if (strcmp(path, "/big") == 0)
		srv_respond(c, "200 OK", "", big, 1000);
	else if (strcmp(path, "/bighdr") == 0)
		srv_respond(c, "200 OK", fillers, "", 0);
	else if (strcmp(path, "/chunked") == 0) {
		xasprintf(&extra, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n400\r\n%.1024s\r\n0\r\n\r\n", big);
		srv_send(c, extra, strlen(extra), 0);
		free(extra);
	} else if (strcmp(path, "/reset") == 0) {
		xasprintf(&extra, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
		    "\r\n%.100s", big);
		srv_send(c, extra, strlen(extra), 1);
		free(extra);
	} else if (strcmp(path, "/slow") == 0)
		uv_timer_start(&c->timer, srv_slow_fired, 20, 0);
	else if (strcmp(path, "/redirect") == 0) {
		xasprintf(&extra, "Location: http://127.0.0.1:%d/auth\r\n",
		    c->srv->redirect_port);
		srv_respond(c, "302 Found", extra, "", 0);
		free(extra);
	} else if (strcmp(path, "/auth") == 0 || strcmp(path, "/echo") == 0)
		srv_respond(c, "200 OK", "", c->srv->last_body,
		    strlen(c->srv->last_body));
	else if (strcmp(path, "/stall") != 0)
		srv_respond(c, "404 Not Found", "", "", 0);
}

/* Parse and answer every complete request in the buffer, one at a time. */
static void
conn_process(struct conn *c)
{
	struct srv	*s = c->srv;
	char		 head[CONN_BUF + 1], path[256], *end, *p;
	size_t		 hlen, blen = 0;

	while (!c->closing && !c->open) {
		end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (end == NULL)
			return;
		hlen = (size_t)(end - c->buf) + 4;
		memcpy(head, c->buf, hlen);
		head[hlen] = '\0';
		p = strcasestr(head, "\r\nContent-Length:");
		if (p != NULL)
			blen = strtoul(p + 17, NULL, 10);
		if (blen >= sizeof s->last_body || c->len < hlen + blen)
			return;
		if (sscanf(head, "%7s %255s", c->method, path) != 2)
			return;
		if (strcasestr(head, "\r\nAuthorization:") != NULL)
			s->saw_auth++;
		memcpy(s->last_body, c->buf + hlen, blen);
		s->last_body[blen] = '\0';
		memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
		c->len -= hlen + blen;
		c->open = 1;
		s->requests++;
		s->open++;
		if (s->open > s->max_open)
			s->max_open = s->open;
		if (s->hook != NULL)
			s->hook(s, s->hook_arg);
		if (!c->closing)
			srv_route(c, path);
	}
}

static void
conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn	*c = h->data;

	(void)hint;
	*b = uv_buf_init(c->buf + c->len, (unsigned)(CONN_BUF - c->len));
}

static void
conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct conn	*c = st->data;

	(void)b;
	if (n < 0 || c->len + (size_t)n >= CONN_BUF) {
		conn_close(c, 0);
		return;
	}
	c->len += (size_t)n;
	conn_process(c);
}

static void
srv_accept(uv_stream_t *l, int status)
{
	struct srv	*s = l->data;
	struct conn	*c;

	assert_int_equal(status, 0);
	c = xcalloc(1, sizeof *c);
	c->srv = s;
	c->handles = 2;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
	uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
}

/* Bind 127.0.0.1 on a free port; with listen 0 only reserve and release. */
static int
srv_start(struct srv *s, uv_loop_t *loop, int listen)
{
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 ss;
	int			 len = sizeof ss;

	memset(s, 0, sizeof *s);
	s->loop = loop;
	uv_tcp_init(loop, &s->listen);
	s->listen.data = s;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	assert_int_equal(uv_tcp_bind(&s->listen,
	    (const struct sockaddr *)&sin, 0), 0);
	assert_int_equal(uv_tcp_getsockname(&s->listen,
	    (struct sockaddr *)&ss, &len), 0);
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (listen)
		assert_int_equal(uv_listen((uv_stream_t *)&s->listen, 64,
		    srv_accept), 0);
	else {
		uv_close((uv_handle_t *)&s->listen, NULL);
		s->loop = NULL;
	}
	return (s->port);
}

static void
srv_stop(struct srv *s)
{
	if (s->loop == NULL)
		return;
	while (s->conns != NULL)
		conn_close(s->conns, 0);
	uv_close((uv_handle_t *)&s->listen, NULL);
	s->loop = NULL;
}

/* Client side. */

static void
join_values(const struct http_response *resp, const char *name, char *out,
    size_t size)
{
	const char	*v;
	size_t		 pos = 0;

	out[0] = '\0';
	for (v = http_response_header_next(resp, name, &pos); v != NULL;
	    v = http_response_header_next(resp, name, &pos)) {
		if (out[0] != '\0')
			strncat(out, "|", size - strlen(out) - 1);
		strncat(out, v, size - strlen(out) - 1);
	}
}

static void
done_cb(struct http_response *resp, void *arg)
{
	struct result	*r = arg;

	r->calls++;
	r->fix->done++;
	r->status = resp->status;
	r->error = resp->error;
	snprintf(r->text, sizeof r->text, "%s",
	    resp->error_text != NULL ? resp->error_text : "");
	r->bodylen = resp->body.len;
	if (resp->body.len < sizeof r->body && resp->body.len > 0)
		memcpy(r->body, resp->body.data, resp->body.len);
	r->content_length = resp->content_length;
	join_values(resp, "www-authenticate", r->www, sizeof r->www);
	join_values(resp, "Link", r->link, sizeof r->link);
	join_values(resp, "location", r->location, sizeof r->location);
	snprintf(r->retry_after, sizeof r->retry_after, "%s",
	    resp->retry_after != NULL ? resp->retry_after : "");
	snprintf(r->effurl, sizeof r->effurl, "%s",
	    resp->effective_url != NULL ? resp->effective_url : "");
	if (r->free_engine)
		http_free(r->fix->http);
}

static void
guard_fired(uv_timer_t *t)
{
	struct fix	*f = t->data;

	f->expired = 1;
}

static struct fix *
fix_begin(unsigned max_per_host)
{
	struct fix		*f;
	struct http_opts	 o;
	char			*cause = NULL;
	int			 i;

	f = xcalloc(1, sizeof *f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->guard);
	f->guard.data = f;
	srv_start(&f->srv, &f->loop, 1);
	memset(&o, 0, sizeof o);
	o.max_per_host = max_per_host;
	f->http = http_create(&f->loop, &o, &cause);
	assert_non_null(f->http);
	for (i = 0; i < 64; i++)
		f->r[i].fix = f;
	return (f);
}

/* Create request i on the fixture's server (plain http allowed). */
static struct http_request *
fix_req(struct fix *f, int i, enum http_method m, const char *path, int flags)
{
	struct http_request	*req;
	char			*url;

	xasprintf(&url, "http://127.0.0.1:%d%s", f->srv.port, path);
	req = http_request_create(m, url, done_cb, &f->r[i]);
	free(url);
	http_request_set_flags(req, flags | HTTP_INSECURE_OK);
	f->req[i] = req;
	return (req);
}

static void
fix_go(struct fix *f, struct http_request *req)
{
	char	*cause = NULL;

	assert_int_equal(http_start(f->http, req, &cause), 0);
	assert_null(cause);
}

static void
fix_start(struct fix *f, int i, enum http_method m, const char *path,
    unsigned timeout_ms, size_t max_body, size_t max_header)
{
	struct http_request	*req;

	req = fix_req(f, i, m, path, 0);
	http_request_set_limits(req, timeout_ms, max_body, max_header);
	fix_go(f, req);
}

/* Run the loop until `want' callbacks, at most 10 seconds. */
static void
fix_run(struct fix *f, int want)
{
	uv_timer_start(&f->guard, guard_fired, 10000, 0);
	while (f->done < want && !f->expired)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->guard);
	assert_false(f->expired);
}

/* Free the engine, stop the servers, close every handle, close the loop. */
static void
fix_end(struct fix *f)
{
	http_free(f->http);
	srv_stop(&f->srv);
	srv_stop(&f->srv2);
	uv_close((uv_handle_t *)&f->guard, NULL);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
}

/* Run the loop until the server has no connection left, at most 10 s. */
static void
fix_run_closed(struct fix *f)
{
	uv_timer_start(&f->guard, guard_fired, 10000, 0);
	while (f->srv.nconns > 0 && !f->expired)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->guard);
	assert_false(f->expired);
}

static char *
host_key(struct fix *f)
{
	char	*key;

	xasprintf(&key, "127.0.0.1:%d", f->srv.port);
	return (key);
}

static void
test_http_get_and_head(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_stats	 st;
	char			*key = host_key(f), *url;

	(void)state;
	fix_start(f, 0, HTTP_GET, "/get", 0, 0, 0);
	fix_start(f, 1, HTTP_HEAD, "/get", 0, 0, 0);
	fix_start(f, 2, HTTP_GET, "/nope", 0, 0, 0);
	assert_int_equal(f->done, 0);	/* never from inside http_start */
	fix_run(f, 3);
	assert_int_equal(f->r[0].calls, 1);
	assert_int_equal(f->r[0].error, HTTP_OK);
	assert_int_equal(f->r[0].status, 200);
	assert_int_equal(f->r[0].bodylen, 5);
	assert_string_equal(f->r[0].body, "hello");
	assert_int_equal(f->r[0].content_length, 5);
	xasprintf(&url, "http://127.0.0.1:%d/get", f->srv.port);
	assert_string_equal(f->r[0].effurl, url);
	assert_int_equal(f->r[1].error, HTTP_OK);
	assert_int_equal(f->r[1].status, 200);
	assert_int_equal(f->r[1].bodylen, 0);
	assert_int_equal(f->r[1].content_length, 5);
	assert_int_equal(f->r[2].error, HTTP_OK);
	assert_int_equal(f->r[2].status, 404);
	http_get_stats(f->http, key, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.by_method[HTTP_GET], 2);
	assert_int_equal(st.by_method[HTTP_HEAD], 1);
	assert_int_equal(st.failed, 0);
	free(url);
	free(key);
	fix_end(f);
}

static void
test_http_repeated_headers(void **state)
{
	struct fix	*f = fix_begin(0);

	(void)state;
	fix_start(f, 0, HTTP_GET, "/repeat", 0, 0, 0);
	fix_run(f, 1);
	assert_int_equal(f->r[0].status, 401);
	assert_string_equal(f->r[0].www,
	    "Bearer realm=\"a\"|Basic realm=\"b\"");
	assert_string_equal(f->r[0].link,
	    "<1>; rel=\"next\"|<2>; rel=\"next\"");
	assert_string_equal(f->r[0].retry_after, "7");
	fix_end(f);
}

static void
test_http_size_caps(void **state)
{
	struct fix	*f = fix_begin(0);

	(void)state;
	fix_start(f, 0, HTTP_GET, "/big", 0, 100, 0);
	fix_start(f, 1, HTTP_GET, "/chunked", 0, 100, 0);
	fix_start(f, 2, HTTP_GET, "/big", 0, 1000, 0);
	fix_start(f, 3, HTTP_GET, "/bighdr", 0, 0, 1024);
	fix_start(f, 4, HTTP_HEAD, "/big", 0, 100, 0);
	fix_run(f, 5);
	assert_int_equal(f->r[0].error, HTTP_ERR_TOO_LARGE);
	assert_non_null(strstr(f->r[0].text, "body over the 100-byte cap"));
	assert_int_equal(f->r[1].error, HTTP_ERR_TOO_LARGE);
	assert_non_null(strstr(f->r[1].text, "body"));
	assert_true(f->r[1].bodylen <= 100);
	assert_int_equal(f->r[2].error, HTTP_OK);
	assert_int_equal(f->r[2].bodylen, 1000);
	assert_int_equal(f->r[3].error, HTTP_ERR_TOO_LARGE);
	assert_non_null(strstr(f->r[3].text, "headers over the 1024-byte"));
	/* A HEAD announcing a large body is no error. */
	assert_int_equal(f->r[4].error, HTTP_OK);
	assert_int_equal(f->r[4].content_length, 1000);
	assert_false(http_error_transient(HTTP_ERR_TOO_LARGE));
	fix_end(f);
}

static void
test_http_timeout(void **state)
{
	struct fix	*f = fix_begin(0);
	uint64_t	 t0, ms;

	(void)state;
	t0 = uv_hrtime();
	fix_start(f, 0, HTTP_GET, "/stall", 300, 0, 0);
	fix_run(f, 1);
	ms = (uv_hrtime() - t0) / 1000000;
	assert_int_equal(f->r[0].error, HTTP_ERR_TIMEOUT);
	assert_true(http_error_transient(f->r[0].error));
	assert_true(f->r[0].text[0] != '\0');
	assert_true(ms >= 250);
	assert_true(ms < 2000);
	fix_end(f);
}

static void
test_http_connection_refused(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_request	*req;
	char			*url;

	(void)state;
	xasprintf(&url, "http://127.0.0.1:%d/get",
	    srv_start(&f->srv2, &f->loop, 0));
	req = http_request_create(HTTP_GET, url, done_cb, &f->r[0]);
	http_request_set_flags(req, HTTP_INSECURE_OK);
	fix_go(f, req);
	fix_run(f, 1);
	assert_int_equal(f->r[0].error, HTTP_ERR_CONNECT);
	assert_int_equal(f->r[0].status, 0);
	assert_true(f->r[0].text[0] != '\0');
	free(url);
	fix_end(f);
}

/*
 * https:// to a server that speaks plain HTTP: a failed handshake
 * (HTTP_ERR_TLS), not a certificate failure, and not worth a retry.
 */
static void
test_http_tls_to_plain(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_request	*req;
	char			*url;

	(void)state;
	xasprintf(&url, "https://127.0.0.1:%d/get", f->srv.port);
	req = http_request_create(HTTP_GET, url, done_cb, &f->r[0]);
	http_request_set_limits(req, 2000, 0, 0);
	fix_go(f, req);
	fix_run(f, 1);
	assert_int_equal(f->r[0].error, HTTP_ERR_TLS);
	assert_int_equal(f->r[0].status, 0);
	assert_false(http_error_transient(HTTP_ERR_TLS));
	assert_false(http_error_transient(HTTP_ERR_CERT));
	assert_false(http_error_transient(HTTP_ERR_RESOLVE));
	assert_true(http_error_transient(HTTP_ERR_CONNECT));
	assert_string_equal(http_error_name(HTTP_ERR_CERT),
	    "certificate verification failed");
	free(url);
	fix_end(f);
}

/*
 * A listener whose accept queue is full drops new SYNs: the connect
 * timeout (not the transfer's) ends the request, as a connect failure.
 */
static void
test_http_connect_timeout(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_opts	 o;
	struct http		*h;
	struct http_request	*req;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	uint64_t		 t0, ms;
	char			*url;
	int			 lfd, cfd;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd != -1 && cfd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(lfd, 0), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	/* This one fills the queue. */
	assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof sin), 0);

	memset(&o, 0, sizeof o);
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 300;
	h = http_create(&f->loop, &o, NULL);
	assert_non_null(h);
	xasprintf(&url, "http://127.0.0.1:%d/", ntohs(sin.sin_port));
	req = http_request_create(HTTP_GET, url, done_cb, &f->r[0]);
	http_request_set_flags(req, HTTP_INSECURE_OK);
	t0 = uv_hrtime();
	assert_int_equal(http_start(h, req, NULL), 0);
	fix_run(f, 1);
	ms = (uv_hrtime() - t0) / 1000000;
	assert_int_equal(f->r[0].error, HTTP_ERR_CONNECT);
	assert_true(ms >= 250);
	assert_true(ms < 2500);
	http_free(h);
	close(cfd);
	close(lfd);
	free(url);
	fix_end(f);
}

static void
test_http_reset_mid_body(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_stats	 st;

	(void)state;
	fix_start(f, 0, HTTP_GET, "/reset", 0, 0, 0);
	fix_run(f, 1);
	assert_int_equal(f->r[0].error, HTTP_ERR_RESET);
	assert_int_equal(f->r[0].status, 200);
	assert_true(f->r[0].bodylen < 1000);
	assert_true(f->r[0].text[0] != '\0');
	http_get_stats(f->http, NULL, &st);
	assert_int_equal(st.failed, 1);
	fix_end(f);
}

static void
test_http_per_host_limit(void **state)
{
	struct fix		*f = fix_begin(4);
	struct http_stats	 st;
	char			*key = host_key(f);
	int			 i;

	(void)state;
	for (i = 0; i < 50; i++)
		fix_start(f, i, i % 2 ? HTTP_HEAD : HTTP_GET, "/slow", 0, 0, 0);
	fix_run(f, 50);
	for (i = 0; i < 50; i++) {
		assert_int_equal(f->r[i].calls, 1);
		assert_int_equal(f->r[i].status, 200);
	}
	assert_int_equal(f->srv.requests, 50);
	assert_int_equal(f->srv.max_open, 4);
	http_get_stats(f->http, key, &st);
	assert_int_equal(st.requests, 50);
	assert_int_equal(st.by_method[HTTP_GET], 25);
	assert_int_equal(st.by_method[HTTP_HEAD], 25);
	assert_int_equal(st.max_active, 4);

	/* A per-host override. */
	http_set_host_limit(f->http, key, 2);
	f->srv.max_open = 0;
	f->done = 0;
	for (i = 0; i < 10; i++)
		fix_start(f, i, HTTP_GET, "/slow", 0, 0, 0);
	fix_run(f, 10);
	assert_int_equal(f->srv.max_open, 2);
	free(key);
	fix_end(f);
}

static void
cancel_hook(struct srv *s, void *arg)
{
	struct fix	*f = arg;

	(void)s;
	http_cancel(f->req[1]);		/* queued */
	http_cancel(f->req[0]);		/* in flight */
}

static void
test_http_cancel(void **state)
{
	struct fix		*f = fix_begin(1);
	struct http_stats	 st;

	(void)state;
	f->srv.hook = cancel_hook;
	f->srv.hook_arg = f;
	fix_start(f, 0, HTTP_GET, "/stall", 0, 0, 0);
	fix_start(f, 1, HTTP_GET, "/stall", 0, 0, 0);
	fix_run(f, 2);
	assert_int_equal(f->r[0].calls, 1);
	assert_int_equal(f->r[0].error, HTTP_ERR_CANCELLED);
	assert_int_equal(f->r[1].calls, 1);
	assert_int_equal(f->r[1].error, HTTP_ERR_CANCELLED);
	assert_int_equal(f->srv.requests, 1);
	/* The in-flight transfer really stopped: its connection is gone. */
	fix_run_closed(f);
	/* And its slot is free again. */
	f->srv.hook = NULL;
	fix_start(f, 2, HTTP_GET, "/get", 0, 0, 0);
	fix_run(f, 3);
	assert_int_equal(f->r[2].status, 200);
	assert_int_equal(f->r[0].calls, 1);
	assert_int_equal(f->r[1].calls, 1);
	http_get_stats(f->http, NULL, &st);
	assert_int_equal(st.cancelled, 2);
	assert_int_equal(st.failed, 0);
	fix_end(f);
}

static void
free_hook(struct srv *s, void *arg)
{
	struct fix		*f = arg;
	struct http_request	*req;
	char			*cause = NULL;

	if (s->requests != 2)
		return;
	http_free(f->http);
	req = http_request_create(HTTP_GET, "http://127.0.0.1:1/", done_cb,
	    &f->r[9]);
	http_request_set_flags(req, HTTP_INSECURE_OK);
	assert_int_equal(http_start(f->http, req, &cause), -1);
	assert_non_null(strstr(cause, "shutting down"));
	free(cause);
	f->http = NULL;
}

static void
test_http_free_in_flight(void **state)
{
	struct fix	*f = fix_begin(2);
	int		 i;

	(void)state;
	f->srv.hook = free_hook;
	f->srv.hook_arg = f;
	for (i = 0; i < 4; i++)
		fix_start(f, i, HTTP_GET, "/stall", 0, 0, 0);
	fix_run(f, 4);
	assert_null(f->http);
	for (i = 0; i < 4; i++) {
		assert_int_equal(f->r[i].calls, 1);
		assert_int_equal(f->r[i].error, HTTP_ERR_CANCELLED);
	}
	assert_int_equal(f->r[9].calls, 0);
	assert_int_equal(f->srv.requests, 2);
	fix_run_closed(f);
	fix_end(f);
}

static void
test_http_free_from_callback(void **state)
{
	struct fix	*f = fix_begin(0);

	(void)state;
	f->r[0].free_engine = 1;
	fix_start(f, 1, HTTP_GET, "/stall", 0, 0, 0);
	fix_start(f, 0, HTTP_GET, "/get", 0, 0, 0);
	fix_run(f, 2);
	f->http = NULL;
	assert_int_equal(f->r[0].calls, 1);
	assert_int_equal(f->r[0].status, 200);
	assert_int_equal(f->r[1].calls, 1);
	assert_int_equal(f->r[1].error, HTTP_ERR_CANCELLED);
	fix_end(f);
}

static void
test_http_free_from_cancel_callback(void **state)
{
	struct fix	*f = fix_begin(0);

	(void)state;
	f->r[0].free_engine = 1;
	fix_start(f, 0, HTTP_GET, "/stall", 0, 0, 0);
	fix_start(f, 1, HTTP_GET, "/stall", 0, 0, 0);
	fix_start(f, 2, HTTP_GET, "/stall", 0, 0, 0);
	http_cancel(f->req[0]);		/* its callback frees the engine */
	f->http = NULL;
	assert_int_equal(f->done, 3);
	assert_int_equal(f->r[1].error, HTTP_ERR_CANCELLED);
	assert_int_equal(f->r[2].calls, 1);
	fix_run_closed(f);
	assert_int_equal(f->done, 3);
	fix_end(f);
}

static void
test_http_plain_http_refused(void **state)
{
	static const char	*bad[] = {
		"http://127.0.0.1:1/v2/", "HTTP://example.org/", "ftp://x/y",
		"not a url", "", "//example.org/", "file:///etc/passwd"
	};
	struct fix		*f = fix_begin(0);
	struct http_request	*req;
	char			*cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		req = http_request_create(HTTP_GET, bad[i], done_cb, &f->r[0]);
		assert_int_equal(http_start(f->http, req, &cause), -1);
		assert_non_null(cause);
		if (i < 2)
			assert_non_null(strstr(cause, "plain http"));
		free(cause);
	}
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->r[0].calls, 0);
	assert_int_equal(f->srv.requests, 0);
	fix_end(f);
}

static void
test_http_redirects(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_request	*req;
	char			 port[32];

	(void)state;
	srv_start(&f->srv2, &f->loop, 1);
	f->srv.redirect_port = f->srv2.port;
	req = fix_req(f, 0, HTTP_GET, "/redirect", 0);
	assert_int_equal(http_request_add_header(req, "Authorization",
	    "Bearer s3cr3t"), 0);
	fix_go(f, req);
	fix_run(f, 1);
	assert_int_equal(f->r[0].status, 302);
	assert_non_null(strstr(f->r[0].location, "/auth"));
	assert_int_equal(f->srv2.requests, 0);
	req = fix_req(f, 1, HTTP_GET, "/redirect", HTTP_FOLLOW_REDIRECTS);
	assert_int_equal(http_request_add_header(req, "Authorization",
	    "Bearer s3cr3t"), 0);
	fix_go(f, req);
	fix_run(f, 2);
	assert_int_equal(f->r[1].status, 200);
	/* Only the final response's headers are kept. */
	assert_string_equal(f->r[1].location, "");
	snprintf(port, sizeof port, ":%d/auth", f->srv2.port);
	assert_non_null(strstr(f->r[1].effurl, port));
	assert_int_equal(f->srv.saw_auth, 2);
	assert_int_equal(f->srv2.requests, 1);
	/* Authorization is not sent on to another host. */
	assert_int_equal(f->srv2.saw_auth, 0);
	fix_end(f);
}

static void
test_http_post(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_request	*req;
	struct http_stats	 st;
	char			 big[2000];

	(void)state;
	req = fix_req(f, 0, HTTP_POST, "/echo", 0);
	assert_int_equal(http_request_add_header(req, "Content-Type",
	    "application/json"), 0);
	http_request_set_body(req, "{\"a\":1}", 7);
	fix_go(f, req);
	fix_run(f, 1);
	assert_int_equal(f->r[0].status, 200);
	assert_string_equal(f->srv.last_body, "{\"a\":1}");
	assert_string_equal(f->r[0].body, "{\"a\":1}");
	/* A 2000-byte body arrives whole. */
	memset(big, 'b', sizeof big);
	req = fix_req(f, 1, HTTP_POST, "/echo", 0);
	http_request_set_body(req, big, sizeof big);
	http_request_set_limits(req, 800, 0, 0);
	fix_go(f, req);
	fix_run(f, 2);
	assert_int_equal(f->r[1].error, HTTP_OK);
	assert_int_equal(f->r[1].bodylen, sizeof big);
	http_get_stats(f->http, NULL, &st);
	assert_int_equal(st.by_method[HTTP_POST], 2);
	fix_end(f);
}

static void
test_http_authorization_not_logged(void **state)
{
	struct fix		*f = fix_begin(0);
	struct http_request	*req;
	char			 path[] = "/tmp/test_http.XXXXXX";
	char			 text[8192];
	int			 fd, saved;
	ssize_t			 n;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_init("test_http", LOG_LEVEL_DEBUG, 0);
	req = fix_req(f, 0, HTTP_GET, "/get", 0);
	assert_int_equal(http_request_add_header(req, "authorization",
	    "Bearer s3cr3t"), 0);
	assert_int_equal(http_request_add_header(req, "X-Visible", "yes"), 0);
	fix_go(f, req);
	fix_run(f, 1);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_init("test_http", LOG_LEVEL_WARN, 0);
	n = pread(fd, text, sizeof text - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	text[n] = '\0';
	assert_int_equal(f->srv.saw_auth, 1);
	assert_null(strstr(text, "s3cr3t"));
	assert_non_null(strstr(text, "authorization: <redacted>"));
	assert_non_null(strstr(text, "X-Visible: yes"));
	fix_end(f);
}

static void
test_http_header_validation(void **state)
{
	struct http_request	*req;

	(void)state;
	req = http_request_create(HTTP_GET, "https://example.org/", done_cb,
	    NULL);
	assert_int_equal(http_request_add_header(req, "Accept", "a/b"), 0);
	assert_int_equal(http_request_add_header(req, "X-Empty", ""), 0);
	assert_int_equal(http_request_add_header(req, "X\r\nEvil", "1"), -1);
	assert_int_equal(http_request_add_header(req, "X-A", "1\r\nEvil: 2"),
	    -1);
	assert_int_equal(http_request_add_header(req, "X-A", "1\nEvil: 2"),
	    -1);
	assert_int_equal(http_request_add_header(req, "Bad:Name", "1"), -1);
	assert_int_equal(http_request_add_header(req, "", "1"), -1);
	http_request_free(req);
	http_request_free(NULL);
	http_free(NULL);
	assert_string_equal(http_method_name(HTTP_HEAD), "HEAD");
	assert_string_equal(http_error_name(HTTP_ERR_TIMEOUT), "timed out");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get_and_head),
		cmocka_unit_test(test_http_repeated_headers),
		cmocka_unit_test(test_http_size_caps),
		cmocka_unit_test(test_http_timeout),
		cmocka_unit_test(test_http_connection_refused),
		cmocka_unit_test(test_http_tls_to_plain),
		cmocka_unit_test(test_http_connect_timeout),
		cmocka_unit_test(test_http_reset_mid_body),
		cmocka_unit_test(test_http_per_host_limit),
		cmocka_unit_test(test_http_cancel),
		cmocka_unit_test(test_http_free_in_flight),
		cmocka_unit_test(test_http_free_from_callback),
		cmocka_unit_test(test_http_free_from_cancel_callback),
		cmocka_unit_test(test_http_plain_http_refused),
		cmocka_unit_test(test_http_redirects),
		cmocka_unit_test(test_http_post),
		cmocka_unit_test(test_http_authorization_not_logged),
		cmocka_unit_test(test_http_header_validation),
	};

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
