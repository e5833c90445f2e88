#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <uv.h>

#include "buf.h"
#include "http-int.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Re-entrancy: user callbacks run only from http_check() (after
 * curl_multi_socket_action() has returned), from http_cancel() and from
 * http_pump(); never from inside a libcurl callback.  So http_free() may
 * clean the multi handle up at once, even from a callback: http_check()
 * stops when it finds it gone, and the struct http itself is freed from the
 * last close callback, so it stays valid for the rest of the loop iteration.
 */

struct http_sock {
	uv_poll_t		 poll;
	curl_socket_t		 fd;
	struct http		*http;
	struct http_sock	*prev;
	struct http_sock	*next;
};

struct http_host {
	struct http_host	*next;
	char			*key;	/* "host:port", lowercase */
	unsigned		 limit;	/* 0: the engine's default */
	unsigned		 active;
	struct http_list	 queue;
	struct http_stats	 stats;
};

static const char *http_methods[] = { "GET", "HEAD", "POST" };
static const char *http_errors[] = {
	"ok", "cancelled", "refused by policy", "name resolution failed",
	"connection failed", "TLS handshake failed",
	"certificate verification failed", "timed out", "connection reset",
	"response too large", "protocol error", "transfer failed"
};

static void	http_pump(struct http *, struct http_host *);

const char *
http_method_name(enum http_method m)
{
	return (m < HTTP_METHOD_COUNT ? http_methods[m] : "?");
}

const char *
http_error_name(enum http_error e)
{
	return (e <= HTTP_ERR_OTHER ? http_errors[e] : "?");
}

int
http_error_transient(enum http_error e)
{
	return (e == HTTP_ERR_CONNECT || e == HTTP_ERR_TIMEOUT ||
	    e == HTTP_ERR_RESET);
}

/* How CURLcodes map to the kinds the registry layer acts on. */
static const struct {
	CURLcode	 rc;
	enum http_error	 e;
} http_curl_errors[] = {
	{ CURLE_UNSUPPORTED_PROTOCOL, HTTP_ERR_POLICY },
	{ CURLE_URL_MALFORMAT, HTTP_ERR_POLICY },
	{ CURLE_COULDNT_RESOLVE_HOST, HTTP_ERR_RESOLVE },
	{ CURLE_COULDNT_RESOLVE_PROXY, HTTP_ERR_RESOLVE },
	{ CURLE_COULDNT_CONNECT, HTTP_ERR_CONNECT },
	{ CURLE_OPERATION_TIMEDOUT, HTTP_ERR_TIMEOUT },
	{ CURLE_SSL_CONNECT_ERROR, HTTP_ERR_TLS },
	{ CURLE_PEER_FAILED_VERIFICATION, HTTP_ERR_CERT },
	{ CURLE_SSL_CERTPROBLEM, HTTP_ERR_TLS },
	{ CURLE_SSL_CIPHER, HTTP_ERR_TLS },
	{ CURLE_SSL_CACERT_BADFILE, HTTP_ERR_CERT },
	{ CURLE_SSL_ISSUER_ERROR, HTTP_ERR_CERT },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, HTTP_ERR_CERT },
	{ CURLE_SEND_ERROR, HTTP_ERR_RESET },
	{ CURLE_RECV_ERROR, HTTP_ERR_RESET },
	{ CURLE_PARTIAL_FILE, HTTP_ERR_RESET },
	{ CURLE_GOT_NOTHING, HTTP_ERR_RESET },
	{ CURLE_HTTP2, HTTP_ERR_RESET },
	{ CURLE_HTTP2_STREAM, HTTP_ERR_RESET },
	{ CURLE_FILESIZE_EXCEEDED, HTTP_ERR_TOO_LARGE },
	{ CURLE_WEIRD_SERVER_REPLY, HTTP_ERR_PROTOCOL },
	{ CURLE_TOO_MANY_REDIRECTS, HTTP_ERR_PROTOCOL },
	{ CURLE_BAD_CONTENT_ENCODING, HTTP_ERR_PROTOCOL }
};

static enum http_error
http_map_error(CURLcode rc)
{
	size_t	 i;

	for (i = 0; i < sizeof http_curl_errors / sizeof *http_curl_errors;
	    i++) {
		if (http_curl_errors[i].rc == rc)
			return (http_curl_errors[i].e);
	}
	return (rc == CURLE_OK ? HTTP_OK : HTTP_ERR_OTHER);
}

static void
http_list_append(struct http_list *l, struct http_request *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

static void
http_list_remove(struct http_list *l, struct http_request *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
}

/* Find or create the entry of a "host:port" key (lowercased here). */
static struct http_host *
http_host_get(struct http *h, const char *key)
{
	struct http_host	*host;
	char			*k;
	size_t			 i;

	k = xstrdup(key);
	for (i = 0; k[i] != '\0'; i++)
		k[i] = (char)tolower((unsigned char)k[i]);
	for (host = h->hosts; host != NULL; host = host->next) {
		if (strcmp(host->key, k) == 0) {
			free(k);
			return (host);
		}
	}
	host = xcalloc(1, sizeof *host);
	host->key = k;
	host->next = h->hosts;
	h->hosts = host;
	return (host);
}

static unsigned
http_host_limit(struct http *h, struct http_host *host)
{
	return (host->limit != 0 ? host->limit : h->opts.max_per_host);
}

void
http_set_host_limit(struct http *h, const char *key, unsigned limit)
{
	struct http_host	*host;

	host = http_host_get(h, key);
	host->limit = limit;
	http_pump(h, host);
}

static void
http_stats_add(struct http_stats *to, const struct http_stats *from)
{
	int	 i;

	to->requests += from->requests;
	for (i = 0; i < HTTP_METHOD_COUNT; i++)
		to->by_method[i] += from->by_method[i];
	to->failed += from->failed;
	to->cancelled += from->cancelled;
	if (from->max_active > to->max_active)
		to->max_active = from->max_active;
}

void
http_get_stats(struct http *h, const char *key, struct http_stats *st)
{
	struct http_host	*host;

	memset(st, 0, sizeof *st);
	for (host = h->hosts; host != NULL; host = host->next) {
		if (key == NULL || strcasecmp(host->key, key) == 0)
			http_stats_add(st, &host->stats);
	}
}

/* The engine's memory goes once torn down and every handle has closed. */
static void
http_release(struct http *h)
{
	struct http_host	*host, *next;

	if (!h->torn_down || h->pending_closes > 0)
		return;
	for (host = h->hosts; host != NULL; host = next) {
		next = host->next;
		free(host->key);
		free(host);
	}
	free(h->user_agent);
	free(h);
	curl_global_cleanup();
}

static void
http_timer_closed(uv_handle_t *handle)
{
	struct http	*h = handle->data;

	h->pending_closes--;
	http_release(h);
}

static void
http_sock_closed(uv_handle_t *handle)
{
	struct http_sock	*s = handle->data;
	struct http		*h = s->http;

	free(s);
	h->pending_closes--;
	http_release(h);
}

static void
http_sock_close(struct http_sock *s)
{
	struct http	*h = s->http;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	uv_poll_stop(&s->poll);
	h->pending_closes++;
	uv_close((uv_handle_t *)&s->poll, http_sock_closed);
}

static void	http_finish(struct http_request *, CURLcode);

/* Hand every finished transfer to http_finish(). */
static void
http_check(struct http *h)
{
	CURLMsg		*m;
	char		*priv;
	int		 left;

	for (;;) {
		if (h->multi == NULL)	/* http_free() from a callback */
			break;
		m = curl_multi_info_read(h->multi, &left);
		if (m == NULL)
			break;
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		http_finish((struct http_request *)(void *)priv,
		    m->data.result);
	}
}

static void
http_poll_cb(uv_poll_t *p, int status, int events)
{
	struct http_sock	*s = p->data;
	struct http		*h = s->http;
	int			 flags = 0, running;

	if (status < 0)
		flags |= CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, s->fd, flags, &running);
	http_check(h);
}

static void
http_timer_fired(uv_timer_t *t)
{
	struct http	*h = t->data;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check(h);
}

/* CURLMOPT_TIMERFUNCTION: one non-repeating timer; -1 deletes it. */
static int
http_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct http	*h = arg;

	(void)multi;
	if (ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, http_timer_fired, (uint64_t)ms, 0);
	return (0);
}

/* CURLMOPT_SOCKETFUNCTION: keep one uv_poll per curl socket. */
static int
http_socket_cb(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct http		*h = arg;
	struct http_sock	*s = sockp;
	int			 events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			http_sock_close(s);
		return (0);
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
			free(s);
			return (-1);
		}
		s->poll.data = s;
		s->fd = fd;
		s->http = h;
		s->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = s;
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	return (uv_poll_start(&s->poll, events, http_poll_cb) == 0 ? 0 : -1);
}

struct http *
http_create(uv_loop_t *loop, const struct http_opts *opts, char **cause)
{
	struct http	*h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*cause = xstrdup("curl_global_init failed");
		return (NULL);
	}
	h = xcalloc(1, sizeof *h);
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		*cause = xstrdup("curl_multi_init failed");
		free(h);
		curl_global_cleanup();
		return (NULL);
	}
	h->loop = loop;
	if (opts != NULL)
		h->opts = *opts;
	if (h->opts.max_per_host == 0)
		h->opts.max_per_host = HTTP_DEFAULT_MAX_PER_HOST;
	if (h->opts.timeout_ms == 0)
		h->opts.timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
	if (h->opts.connect_timeout_ms == 0)
		h->opts.connect_timeout_ms = HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	if (h->opts.max_body == 0)
		h->opts.max_body = HTTP_DEFAULT_MAX_BODY;
	if (h->opts.max_header == 0)
		h->opts.max_header = HTTP_DEFAULT_MAX_HEADER;
	h->user_agent = xstrdup(h->opts.user_agent != NULL ?
	    h->opts.user_agent : PACKAGE_NAME "/" PACKAGE_VERSION);
	h->opts.user_agent = h->user_agent;
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return (h);
}

/* Stop curl and close every handle; http_release() runs from the last one. */
static void
http_teardown(struct http *h)
{
	curl_multi_cleanup(h->multi);	/* may close sockets through us */
	h->multi = NULL;
	while (h->socks != NULL)
		http_sock_close(h->socks);
	h->torn_down = 1;
	h->pending_closes++;
	uv_close((uv_handle_t *)&h->timer, http_timer_closed);
}

void
http_free(struct http *h)
{
	struct http_host	*host;

	if (h == NULL || h->freeing)
		return;
	h->freeing = 1;
	for (host = h->hosts; host != NULL; host = host->next) {
		while (host->queue.head != NULL)
			http_cancel(host->queue.head);
	}
	while (h->active.head != NULL)
		http_cancel(h->active.head);
	http_teardown(h);
}

/* Hand a request to curl; -1 if curl will not take it. */
static int
http_activate(struct http_request *req)
{
	struct http		*h = req->http;
	struct http_stats	*st = &req->host->stats;

	req->easy = http_easy(req);
	if (req->easy == NULL)
		return (-1);
	if (curl_multi_add_handle(h->multi, req->easy) != CURLM_OK) {
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
		return (-1);
	}
	req->state = HTTP_STATE_ACTIVE;
	http_list_append(&h->active, req);
	req->host->active++;
	st->requests++;
	st->by_method[req->method]++;
	if (req->host->active > st->max_active)
		st->max_active = req->host->active;
	return (0);
}

/* Take the request out of curl and free its slot on the host. */
static void
http_detach(struct http_request *req)
{
	struct http	*h = req->http;

	curl_multi_remove_handle(h->multi, req->easy);
	curl_easy_cleanup(req->easy);
	req->easy = NULL;
	http_list_remove(&h->active, req);
	req->host->active--;
}

static void
http_set_error(struct http_request *req, enum http_error e, const char *text)
{
	req->resp.error = e;
	free(req->errtext);
	req->errtext = xstrdup(text);
	req->resp.error_text = req->errtext;
	if (e == HTTP_ERR_CANCELLED)
		req->host->stats.cancelled++;
	else if (e != HTTP_OK)
		req->host->stats.failed++;
}

/* Run the callback once, then free the request and its response. */
static void
http_deliver(struct http_request *req)
{
	struct http_response	*resp = &req->resp;

	req->state = HTTP_STATE_DONE;
	resp->retry_after = http_response_header(resp, "Retry-After");
	if (resp->error == HTTP_OK)
		log_debug("http: %s %s: %ld", http_method_name(req->method),
		    req->logurl, resp->status);
	else
		log_debug("http: %s %s: %s", http_method_name(req->method),
		    req->logurl, resp->error_text);
	req->cb(resp, req->arg);
	http_request_free(req);
}

/* Start queued requests of a host while it has free slots. */
static void
http_pump(struct http *h, struct http_host *host)
{
	struct http_request	*req;

	while (!h->freeing && host->queue.head != NULL &&
	    host->active < http_host_limit(h, host)) {
		req = host->queue.head;
		http_list_remove(&host->queue, req);
		if (http_activate(req) == -1) {
			http_set_error(req, HTTP_ERR_OTHER,
			    "curl refused the transfer");
			http_deliver(req);
		}
	}
}

int
http_start(struct http *h, struct http_request *req, char **cause)
{
	struct http_host	*host;
	char			*key = NULL;
	int			 rv = -1;

	if (h->freeing) {
		*cause = xstrdup("http engine is shutting down");
		goto out;
	}
	if (http_parse_url(req, &key, cause) == -1)
		goto out;
	if (req->method == HTTP_POST)
		http_slist_add(req, "Expect:");	/* never 100-continue */
	if (req->timeout_ms == 0)
		req->timeout_ms = h->opts.timeout_ms;
	req->connect_timeout_ms = h->opts.connect_timeout_ms;
	if (req->connect_timeout_ms > req->timeout_ms)
		req->connect_timeout_ms = req->timeout_ms;
	if (req->max_body == 0)
		req->max_body = h->opts.max_body;
	if (req->max_header == 0)
		req->max_header = h->opts.max_header;
	buf_init(&req->resp.body, req->max_body);
	req->http = h;
	host = http_host_get(h, key);
	req->host = host;
	http_log_request(req);
	if (host->queue.head != NULL ||
	    host->active >= http_host_limit(h, host)) {
		req->state = HTTP_STATE_QUEUED;
		http_list_append(&host->queue, req);
	} else if (http_activate(req) == -1) {
		*cause = xstrdup("curl refused the transfer");
		goto out;
	}
	rv = 0;
out:
	if (rv == -1)
		http_request_free(req);
	free(key);
	return (rv);
}

/*
 * The kind of a failure: a timeout before any connection was ready is a
 * connect failure (no TCP connection) or a TLS one (the handshake never
 * finished), not a slow response.
 */
static enum http_error
http_timeout_kind(struct http_request *req, CURLcode rc)
{
	long	 port = 0;

	if (rc != CURLE_OPERATION_TIMEDOUT || req->connected)
		return (http_map_error(rc));
	/* Set once a TCP connection exists (CONNECT_TIME_T may stay 0). */
	curl_easy_getinfo(req->easy, CURLINFO_LOCAL_PORT, &port);
	if (port == 0)
		return (HTTP_ERR_CONNECT);
	return (strncasecmp(req->url, "https:", 6) == 0 ? HTTP_ERR_TLS :
	    HTTP_ERR_TIMEOUT);
}

/* Fill the response from a finished easy handle. */
static void
http_collect(struct http_request *req, CURLcode rc)
{
	struct http_response	*resp = &req->resp;
	char			*eff = NULL, *msg;
	long			 status = 0;
	curl_off_t		 cl = -1;

	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(req->easy, CURLINFO_EFFECTIVE_URL, &eff);
	curl_easy_getinfo(req->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	resp->status = status;
	resp->content_length = cl;
	if (eff != NULL) {
		req->effurl = xstrdup(eff);
		resp->effective_url = req->effurl;
	}
	if (rc == CURLE_OK)
		return;
	if (req->over != 0 || rc == CURLE_FILESIZE_EXCEEDED) {
		xasprintf(&msg, "response %s over the %zu-byte cap",
		    req->over == 2 ? "headers" : "body",
		    req->over == 2 ? req->max_header : req->max_body);
		http_set_error(req, HTTP_ERR_TOO_LARGE, msg);
		free(msg);
	} else
		http_set_error(req, http_timeout_kind(req, rc),
		    req->errbuf[0] != '\0' ? req->errbuf :
		    curl_easy_strerror(rc));
}

static void
http_finish(struct http_request *req, CURLcode rc)
{
	http_collect(req, rc);
	http_detach(req);
	http_pump(req->http, req->host);
	http_deliver(req);
}

void
http_cancel(struct http_request *req)
{
	if (req == NULL)
		return;
	switch (req->state) {
	case HTTP_STATE_QUEUED:
		http_list_remove(&req->host->queue, req);
		break;
	case HTTP_STATE_ACTIVE:
		http_detach(req);
		http_pump(req->http, req->host);
		break;
	default:
		return;
	}
	http_set_error(req, HTTP_ERR_CANCELLED, "cancelled");
	http_deliver(req);
}
