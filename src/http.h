/*
 * A generic HTTP client engine: libcurl's multi interface driven by a libuv
 * loop (uv_poll per socket, one uv_timer), no thread per request.  It knows
 * nothing about registries: no retries, no authentication flows.  It bounds
 * concurrency per host:port, caps every response, refuses plain http:// unless
 * a request allows it, never disables TLS verification and never logs the
 * value of an Authorization header.
 *
 * Lifecycle of a request: http_request_create(), the setters, http_start().
 * From http_start() on, the engine owns the request.  Its callback runs
 * exactly once, from the loop (never from inside http_start()), with either a
 * response or an error; cancelled requests (http_cancel(), http_free()) get
 * the callback too, with HTTP_ERR_CANCELLED, synchronously from the call that
 * cancelled them.  The request and the response are freed when the callback
 * returns.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"

enum http_method {
	HTTP_GET = 0,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_METHOD_COUNT
};

/*
 * How a transfer ended.  HTTP_OK means an HTTP response arrived whole, whatever
 * its status; the other values mean there is no usable response.
 */
enum http_error {
	HTTP_OK = 0,
	HTTP_ERR_CANCELLED,	/* http_cancel() or http_free() */
	HTTP_ERR_POLICY,	/* plain http:// or redirect refused, bad URL */
	HTTP_ERR_RESOLVE,	/* host name did not resolve */
	HTTP_ERR_CONNECT,	/* refused, unreachable, or connect timeout */
	HTTP_ERR_TLS,		/* handshake failed: may not speak TLS */
	HTTP_ERR_CERT,		/* certificate verification failed */
	HTTP_ERR_TIMEOUT,	/* the request's timeout passed */
	HTTP_ERR_RESET,		/* reset or closed early: truncated */
	HTTP_ERR_TOO_LARGE,	/* body or headers over the request's caps */
	HTTP_ERR_PROTOCOL,	/* malformed reply, too many redirects */
	HTTP_ERR_OTHER
};

/* Request flags. */
#define HTTP_INSECURE_OK	0x1	/* allow plain http:// */
#define HTTP_FOLLOW_REDIRECTS	0x2	/* follow up to 5 redirects */

/*
 * Engine options; zero fields take the defaults below.  max_per_host bounds
 * concurrent transfers per host:port; timeout_ms covers a whole transfer
 * from the moment it leaves the queue; connect_timeout_ms bounds the
 * connection phase (TCP and TLS handshake; never more than the transfer's
 * timeout); max_header caps all header bytes of a response, redirects
 * included.
 */
struct http_opts {
	unsigned	 max_per_host;
	unsigned	 timeout_ms;
	unsigned	 connect_timeout_ms;
	size_t		 max_body;
	size_t		 max_header;
	const char	*user_agent;	/* NULL: "tagdrift/VERSION" */
};

#define HTTP_DEFAULT_MAX_PER_HOST	4
#define HTTP_DEFAULT_TIMEOUT_MS		30000
#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS	10000
#define HTTP_DEFAULT_MAX_BODY		(8 * 1024 * 1024)
#define HTTP_DEFAULT_MAX_HEADER		(64 * 1024)

struct http_field {
	char	*name;
	char	*value;
};

/*
 * What the callback gets.  Everything is owned by the engine and freed when
 * the callback returns; the callback may keep the body with buf_take(&body).
 * status is 0 when no status line arrived; with an error it may still hold
 * the status of a response cut short.  headers are those of the final
 * response (after redirects), in order, repeats kept.  content_length is -1
 * when not announced; retry_after is the raw Retry-After value or NULL
 * (http-header.h parses it); the body is empty for HEAD.
 */
struct http_response {
	enum http_method	 method;
	const char		*url;		/* as requested */
	const char		*effective_url;	/* or NULL */
	long			 status;
	enum http_error		 error;
	const char		*error_text;	/* NULL when HTTP_OK */
	struct http_field	*headers;
	size_t			 nheaders;
	int64_t			 content_length;
	const char		*retry_after;
	struct buf		 body;
};

/* Per host:port counters for the poll summary. */
struct http_stats {
	unsigned long	 requests;	/* transfers started */
	unsigned long	 by_method[HTTP_METHOD_COUNT];
	unsigned long	 failed;	/* transport errors */
	unsigned long	 cancelled;
	unsigned	 max_active;	/* highest concurrency reached */
};

struct http;
struct http_request;

typedef void	 http_done_cb(struct http_response *, void *);

/*
 * Create the engine on a loop; NULL (and *cause) if curl cannot start.  Each
 * engine holds a reference on curl_global_init() until it is freed.
 */
struct http	*http_create(uv_loop_t *, const struct http_opts *, char **);
/*
 * Cancel every request (each callback runs once, with HTTP_ERR_CANCELLED),
 * then close the handles; the memory goes in the last close callback, so run
 * the loop afterwards.  Safe from inside a callback.  http_free(NULL) is a
 * no-op.
 */
void		 http_free(struct http *);
/*
 * Set the concurrency of one "host:port" (port always given, as in
 * "registry-1.docker.io:443"), 0 = the default; may start queued requests.
 * Redirects count against the first host only.
 */
void		 http_set_host_limit(struct http *, const char *, unsigned);
/* Counters for one "host:port", or summed over all hosts when NULL. */
void		 http_get_stats(struct http *, const char *,
		    struct http_stats *);

/* A new request; url is copied. */
struct http_request *http_request_create(enum http_method, const char *,
		    http_done_cb *, void *);
/* Free a request that was never started. */
void		 http_request_free(struct http_request *);
/*
 * Add a header; -1 if the name is empty or holds a colon, semicolon, space,
 * tab, CR or LF, or the value holds CR or LF (header injection).
 */
int		 http_request_add_header(struct http_request *, const char *,
		    const char *);
/* The POST body, copied. */
void		 http_request_set_body(struct http_request *, const void *,
		    size_t);
/* Timeout (ms), body cap, header cap; 0 keeps the engine default. */
void		 http_request_set_limits(struct http_request *, unsigned,
		    size_t, size_t);
void		 http_request_set_flags(struct http_request *, int);
/*
 * Trust only the CAs of the PEM file path (copied) for this request's TLS
 * peers, instead of the system's store; NULL restores the system's.
 * Verification stays on either way.
 */
void		 http_request_set_ca_file(struct http_request *, const char *);

/*
 * Queue or start the request; the engine owns it from now on, even on
 * failure.  -1 with *cause (and no callback) for a URL that is malformed,
 * not http(s), plain http without HTTP_INSECURE_OK, or when shutting down.
 */
int		 http_start(struct http *, struct http_request *, char **);
/*
 * Stop a started request whose callback has not run yet: its callback runs
 * now with HTTP_ERR_CANCELLED.  A no-op from inside its own callback.
 */
void		 http_cancel(struct http_request *);

/* First value of a header (name compared case-insensitively), or NULL. */
const char	*http_response_header(const struct http_response *,
		    const char *);
/*
 * Iterate over the values of a repeated header: start with *pos = 0; returns
 * NULL after the last one.
 */
const char	*http_response_header_next(const struct http_response *,
		    const char *, size_t *);
const char	*http_method_name(enum http_method);
const char	*http_error_name(enum http_error);
/*
 * Whether trying again later may help: connect, timeout, reset.  A name
 * that did not resolve, a failed TLS handshake or certificate are not.
 */
int		 http_error_transient(enum http_error);

#endif
