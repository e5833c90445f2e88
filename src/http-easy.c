#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "http-int.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Requests: building them, their curl easy handles with the body and
 * header callbacks, the URL policy, redacted debug logs, and lookups in
 * the response headers.
 */

struct http_request *
http_request_create(enum http_method method, const char *url,
    http_done_cb *cb, void *arg)
{
	struct http_request	*req;

	req = xcalloc(1, sizeof *req);
	req->method = method < HTTP_METHOD_COUNT ? method : HTTP_GET;
	req->url = xstrdup(url);
	req->cb = cb;
	req->arg = arg;
	req->resp.method = req->method;
	req->resp.url = req->url;
	req->resp.content_length = -1;
	return (req);
}

static void
http_headers_clear(struct http_response *resp)
{
	size_t	 i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	resp->nheaders = 0;
}

void
http_request_free(struct http_request *req)
{
	if (req == NULL)
		return;
	if (req->easy != NULL)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->headers);
	http_headers_clear(&req->resp);
	free(req->resp.headers);
	buf_deinit(&req->resp.body);
	free(req->url);
	free(req->logurl);
	free(req->effurl);
	free(req->errtext);
	free(req->body);
	free(req->ca_file);
	free(req);
}

void
http_slist_add(struct http_request *req, const char *line)
{
	struct curl_slist	*l;

	l = curl_slist_append(req->headers, line);
	if (l == NULL)
		fatalx("curl_slist_append: out of memory");
	req->headers = l;
}

int
http_request_add_header(struct http_request *req, const char *name,
    const char *value)
{
	char	*line;

	if (*name == '\0' || strpbrk(name, ":;\r\n \t") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		return (-1);
	/* "Name;" is how curl sends a header with an empty value. */
	if (*value == '\0')
		xasprintf(&line, "%s;", name);
	else
		xasprintf(&line, "%s: %s", name, value);
	http_slist_add(req, line);
	free(line);
	return (0);
}

void
http_request_set_body(struct http_request *req, const void *p, size_t len)
{
	free(req->body);
	req->body = xmalloc(len + 1);
	if (len > 0)
		memcpy(req->body, p, len);
	req->body[len] = '\0';
	req->bodylen = len;
}

void
http_request_set_limits(struct http_request *req, unsigned timeout_ms,
    size_t max_body, size_t max_header)
{
	req->timeout_ms = timeout_ms;
	req->max_body = max_body;
	req->max_header = max_header;
}

void
http_request_set_flags(struct http_request *req, int flags)
{
	req->flags = flags;
}

void
http_request_set_ca_file(struct http_request *req, const char *path)
{
	free(req->ca_file);
	req->ca_file = path != NULL ? xstrdup(path) : NULL;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/* CURLOPT_PREREQFUNCTION: the connection (and TLS) is ready. */
static int
http_prereq_cb(void *arg, char *conn_primary_ip, char *conn_local_ip,
    int conn_primary_port, int conn_local_port)
{
	struct http_request	*req = arg;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	req->connected = 1;
	return (CURL_PREREQFUNC_OK);
}
#endif

/* TLS and connection settings: verification on, the request's CAs. */
static void
http_easy_tls(struct http_request *req, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL) {
		curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)req->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075000
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, http_prereq_cb);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, req);
#else
	req->connected = 1;	/* unknown: never call a timeout a connect */
#endif
}

/* CURLOPT_WRITEFUNCTION: append to the capped body or stop the transfer. */
static size_t
http_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_request	*req = arg;

	(void)size;	/* always 1 */
	if (buf_add(&req->resp.body, p, n) == -1) {
		req->over = 1;
		return (0);
	}
	return (n);
}

/* Store one "Name: value" line, trimmed; obsolete folded lines are dropped. */
static void
http_header_store(struct http_request *req, const char *p, size_t len)
{
	struct http_response	*resp = &req->resp;
	const char		*colon, *v, *end = p + len;

	while (end > p && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == p || *p == ' ' || *p == '\t')
		return;
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon == NULL || colon == p)
		return;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		/* nothing */;
	if (resp->nheaders == req->hdralloc) {
		req->hdralloc = req->hdralloc == 0 ? 16 : req->hdralloc * 2;
		resp->headers = xreallocarray(resp->headers, req->hdralloc,
		    sizeof *resp->headers);
	}
	resp->headers[resp->nheaders].name = xstrndup(p, (size_t)(colon - p));
	resp->headers[resp->nheaders].value = xstrndup(v, (size_t)(end - v));
	resp->nheaders++;
}

/*
 * CURLOPT_HEADERFUNCTION: count bytes against the cap; a status line starts
 * a new header block (redirects, 100 Continue), so only the final one stays.
 */
static size_t
http_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_request	*req = arg;

	(void)size;	/* always 1 */
	req->header_bytes += n;
	if (req->header_bytes > req->max_header) {
		req->over = 2;
		return (0);
	}
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		http_headers_clear(&req->resp);
	else
		http_header_store(req, p, n);
	return (n);
}

static void
http_easy_method(struct http_request *req, CURL *e)
{
	switch (req->method) {
	case HTTP_HEAD:
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		break;
	case HTTP_POST:
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->bodylen);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
		break;
	default:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	}
	if (req->method != HTTP_HEAD)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)req->max_body);
}

/* A configured easy handle, or NULL. */
CURL *
http_easy(struct http_request *req)
{
	CURL		*e;
	long		 follow = (req->flags & HTTP_FOLLOW_REDIRECTS) != 0;
	int		 plain = (req->flags & HTTP_INSECURE_OK) != 0;

	e = curl_easy_init();
	if (e == NULL)
		return (NULL);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, req->http->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	http_easy_tls(req, e);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, plain ? "http,https" :
	    "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, plain ? "http,https" :
	    "https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTPS |
	    (plain ? CURLPROTO_HTTP : 0L));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTPS |
	    (plain ? CURLPROTO_HTTP : 0L));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, follow);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	http_easy_method(req, e);
	return (e);
}

static int
http_is_secret(const char *line)
{
	static const char	*names[] = {
		"authorization", "proxy-authorization", "cookie"
	};
	size_t			 i, n = strcspn(line, ":;");

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (n == strlen(names[i]) &&
		    strncasecmp(line, names[i], n) == 0)
			return (1);
	}
	return (0);
}

/* Debug log of a request; credentials are replaced, never printed. */
void
http_log_request(struct http_request *req)
{
	struct curl_slist	*l;

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	log_debug("http: %s %s", http_method_name(req->method), req->logurl);
	for (l = req->headers; l != NULL; l = l->next) {
		if (http_is_secret(l->data))
			log_debug("http:   %.*s: <redacted>",
			    (int)strcspn(l->data, ":;"), l->data);
		else
			log_debug("http:   %s", l->data);
	}
}

/*
 * Check the URL against policy and derive the "host:port" key and the URL
 * fit for logs (no user:password@).
 */
int
http_parse_url(struct http_request *req, char **key, char **cause)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *port = NULL, *clean = NULL;
	int	 rv = -1;

	u = curl_url();
	if (u == NULL)
		fatalx("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, req->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		*cause = xstrdup("invalid URL");
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 &&
	    strcasecmp(scheme, "http") != 0) {
		xasprintf(cause, "unsupported URL scheme %s", scheme);
		goto out;
	}
	if (strcasecmp(scheme, "http") == 0 &&
	    (req->flags & HTTP_INSECURE_OK) == 0) {
		xasprintf(cause, "plain http:// refused for %s:%s (not marked "
		    "insecure)", host, port);
		goto out;
	}
	xasprintf(key, "%s:%s", host, port);
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &clean, 0) != CURLUE_OK)
		clean = NULL;
	free(req->logurl);
	req->logurl = xstrdup(clean != NULL ? clean : "?");
	rv = 0;
out:
	curl_free(clean);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return (rv);
}

const char *
http_response_header_next(const struct http_response *resp,
    const char *name, size_t *pos)
{
	for (; *pos < resp->nheaders; (*pos)++) {
		if (strcasecmp(resp->headers[*pos].name, name) == 0)
			return (resp->headers[(*pos)++].value);
	}
	return (NULL);
}

const char *
http_response_header(const struct http_response *resp, const char *name)
{
	size_t	 pos = 0;

	return (http_response_header_next(resp, name, &pos));
}
