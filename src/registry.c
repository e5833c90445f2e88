/*
 * The registry client: requests with retries and authentication, digest
 * resolution, index fetching and tag listing (see registry.h).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "http-header.h"
#include "log.h"
#include "ref.h"
#include "registry.h"
#include "store.h"
#include "xmalloc.h"

#define REGISTRY_ACCEPT \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"
#define REGISTRY_HUB_BASE	"https://registry-1.docker.io"
#define REGISTRY_RETRY_AFTER_MAX 60	/* seconds worth waiting in a poll */

enum registry_kind {
	REQ_HEAD,		/* HEAD manifest by tag */
	REQ_MANIFEST,		/* GET manifest by tag: HEAD had no digest */
	REQ_INDEX,		/* GET index by digest */
	REQ_TAGS,		/* GET tags/list, page by page */
	REQ_HUB			/* then GET one page of the Hub tag API */
};

/*
 * The gate: while a loopback registry's HTTPS is unproven (probing), or
 * once a request has failed to connect, one request at a time (the gate)
 * goes out and the others wait in the parked list; its outcome decides
 * for all of them: the server answered (go on), the fallback to http://
 * (tls_base is rewritten to base in their URLs), or the registry is
 * unreachable (every request of the object fails at once, for good).
 */
struct registry {
	uv_loop_t		*loop;
	struct http		*http;
	struct auth		*auth;
	struct store		*store;
	char			*name;
	char			*base;
	int			 plain;		/* http:// allowed */
	int			 probing;	/* https first, maybe http */
	char			*tls_base;	/* https://name, fallen back */
	unsigned		 concurrency;	/* 0: the engine's default */
	char			*ca_file;	/* NULL: the system's CAs */
	char			*hub_api;	/* NULL: no push times */
	int			 hub_plain;	/* hub_api is http:// */
	char			*username;
	char			*password;
	struct registry_counts	 counts;
	int			 inflight;
	struct registry_req	*gate;		/* the request deciding */
	struct registry_req	*parked;	/* waiting for the gate */
	struct registry_req	*parked_tail;
	struct registry_req	*reqs;		/* live ones, oldest first */
	struct registry_req	*reqs_tail;
	char			*unreachable;	/* why, once it is for good */
};

struct registry_req {
	struct registry		*reg;
	enum registry_kind	 kind;
	char			*repo;
	char			*ref;		/* tag or digest */
	char			*url;
	char			*authorization;
	int			 attempts;
	int			 auth_tried;
	int			 parked;
	int			 in_auth;	/* auth_challenge pending */
	struct registry_req	*park_next;
	struct registry_req	*prev;		/* in reg->reqs */
	struct registry_req	*next;
	struct http_request	*hr;		/* attempt in flight */
	uv_timer_t		 timer;
	registry_cb		*cb;
	void			*arg;
	/* tag listing */
	struct registry_tags	 tags;
	int			 pages;
};

static void	registry_send(struct registry_req *);

/* Whether the host part of "host[:port]" is a loopback name or address. */
static int
registry_is_loopback(const char *name)
{
	char		 host[256];
	const char	*end;
	size_t		 len;
	struct in_addr	 a4;

	if (name[0] == '[') {
		end = strchr(name, ']');
		if (end == NULL)
			return (0);
		return ((size_t)(end - name) == 4 &&
		    strncmp(name, "[::1]", 5) == 0);
	}
	end = strchr(name, ':');
	len = end != NULL ? (size_t)(end - name) : strlen(name);
	if (len == 0 || len >= sizeof host)
		return (0);
	memcpy(host, name, len);
	host[len] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	return (0);
}

/* The "host:port" key of a URL for http_set_host_limit; NULL if bad. */
static char *
registry_host_key(const char *url)
{
	CURLU	*u;
	char	*host = NULL, *port = NULL, *key = NULL;

	u = curl_url();
	if (u == NULL)
		fatalx("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK)
		xasprintf(&key, "%s:%s", host, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return (key);
}

/* Read a password file's first line; NULL if unreadable. */
static char *
registry_read_password(const char *path)
{
	FILE	*f;
	char	 line[1024];
	char	*p = NULL;

	f = fopen(path, "r");
	if (f == NULL) {
		log_warn("%s", path);
		return (NULL);
	}
	if (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		p = xstrdup(line);
	}
	fclose(f);
	return (p);
}

/* Pick the base URL: mirror, Hub host, plain http where allowed. */
static int
registry_set_base(struct registry *reg, const struct registry_conf *conf,
    char **cause)
{
	size_t	 len;
	int	 insecure = conf != NULL && conf->insecure;

	if (conf != NULL && conf->mirror != NULL) {
		reg->base = xstrdup(conf->mirror);
		len = strlen(reg->base);
		while (len > 0 && reg->base[len - 1] == '/')
			reg->base[--len] = '\0';
		reg->plain = insecure;
	} else if (strcmp(reg->name, "docker.io") == 0)
		reg->base = xstrdup(REGISTRY_HUB_BASE);
	else if (insecure) {
		xasprintf(&reg->base, "http://%s", reg->name);
		reg->plain = 1;
	} else {
		xasprintf(&reg->base, "https://%s", reg->name);
		reg->probing = registry_is_loopback(reg->name);
	}
	if (strncmp(reg->base, "https://", 8) != 0 &&
	    strncmp(reg->base, "http://", 7) != 0) {
		xasprintf(cause, "%s: base URL %s is not http(s)", reg->name,
		    reg->base);
		return (-1);
	}
	return (0);
}

/*
 * The Hub API asked for push times: hub_api, else Docker Hub's own for
 * docker.io; "none" for none.  Plain http:// only when insecure.
 */
static int
registry_set_hub(struct registry *reg, const struct registry_conf *conf,
    char **cause)
{
	const char	*hub = conf != NULL ? conf->hub_api : NULL;
	size_t		 len;

	if (hub == NULL && strcmp(reg->name, "docker.io") == 0)
		hub = CONFIG_HUB_API;
	if (hub == NULL || strcmp(hub, "none") == 0)
		return (0);
	reg->hub_plain = strncmp(hub, "http://", 7) == 0;
	if ((reg->hub_plain && (conf == NULL || !conf->insecure)) ||
	    (!reg->hub_plain && strncmp(hub, "https://", 8) != 0)) {
		xasprintf(cause, "%s: hub_api %s: not https:// (or http:// "
		    "with insecure)", reg->name, hub);
		return (-1);
	}
	reg->hub_api = xstrdup(hub);
	len = strlen(reg->hub_api);
	while (len > 0 && reg->hub_api[len - 1] == '/')
		reg->hub_api[--len] = '\0';
	return (0);
}

struct registry *
registry_create(uv_loop_t *loop, struct http *http, struct auth *auth,
    struct store *store, const char *name, const struct registry_conf *conf,
    char **cause)
{
	struct registry	*reg;
	char		*key;

	reg = xcalloc(1, sizeof *reg);
	reg->loop = loop;
	reg->http = http;
	reg->auth = auth;
	reg->store = store;
	reg->name = xstrdup(name);
	reg->counts.ratelimit_remaining = -1;
	if (registry_set_base(reg, conf, cause) != 0) {
		registry_free(reg);
		return (NULL);
	}
	key = registry_host_key(reg->base);
	if (key == NULL) {
		xasprintf(cause, "%s: bad base URL %s", name, reg->base);
		registry_free(reg);
		return (NULL);
	}
	if (conf != NULL && conf->concurrency > 0) {
		reg->concurrency = (unsigned)conf->concurrency;
		http_set_host_limit(http, key, reg->concurrency);
	}
	free(key);
	if (conf != NULL && conf->ca_file != NULL)
		reg->ca_file = xstrdup(conf->ca_file);
	if (registry_set_hub(reg, conf, cause) != 0) {
		registry_free(reg);
		return (NULL);
	}
	if (conf != NULL && conf->username != NULL) {
		reg->username = xstrdup(conf->username);
		if (conf->password_file != NULL)
			reg->password =
			    registry_read_password(conf->password_file);
	}
	return (reg);
}

void
registry_free(struct registry *reg)
{
	if (reg == NULL)
		return;
	if (reg->inflight != 0)
		fatalx("registry_free: %d operations in flight",
		    reg->inflight);
	free(reg->name);
	free(reg->base);
	free(reg->tls_base);
	free(reg->unreachable);
	free(reg->ca_file);
	free(reg->hub_api);
	free(reg->username);
	if (reg->password != NULL)
		explicit_bzero(reg->password, strlen(reg->password));
	free(reg->password);
	free(reg);
}

const char *
registry_name(const struct registry *reg)
{
	return (reg->name);
}

const char *
registry_base(const struct registry *reg)
{
	return (reg->base);
}

void
registry_get_counts(const struct registry *reg, struct registry_counts *c)
{
	*c = reg->counts;
}

static void
registry_req_closed(uv_handle_t *h)
{
	struct registry_req	*req = h->data;

	registry_tags_clear(&req->tags);
	free(req->repo);
	free(req->ref);
	free(req->url);
	if (req->authorization != NULL)
		explicit_bzero(req->authorization,
		    strlen(req->authorization));
	free(req->authorization);
	free(req);
}

/* Wait for the gate's verdict. */
static void
registry_park(struct registry_req *req)
{
	struct registry	*reg = req->reg;

	req->parked = 1;
	req->park_next = NULL;
	if (reg->parked_tail != NULL)
		reg->parked_tail->park_next = req;
	else
		reg->parked = req;
	reg->parked_tail = req;
}

/* Take req out of the parked list (it is in it). */
static void
registry_unpark(struct registry_req *req)
{
	struct registry		*reg = req->reg;
	struct registry_req	**pp, *prev = NULL;

	for (pp = &reg->parked; *pp != req; pp = &(*pp)->park_next)
		prev = *pp;
	*pp = req->park_next;
	if (reg->parked_tail == req)
		reg->parked_tail = prev;
	req->parked = 0;
	req->park_next = NULL;
}

/*
 * The gate has decided: send the parked requests, in order (the first
 * may become the next gate and park the others again).
 */
static void
registry_release(struct registry *reg)
{
	struct registry_req	*req, *next;

	req = reg->parked;
	reg->parked = reg->parked_tail = NULL;
	for (; req != NULL; req = next) {
		next = req->park_next;
		req->parked = 0;
		req->park_next = NULL;
		registry_send(req);
	}
}

/*
 * Deliver the result and free the request (from its close callback).  A
 * gate that ends releases the parked requests first: they count as in
 * flight, so the callback cannot have freed the registry before.
 */
static void
registry_finish(struct registry_req *req, struct registry_result *res)
{
	struct registry	*reg = req->reg;

	if (req->parked)
		registry_unpark(req);
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		reg->reqs = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	else
		reg->reqs_tail = req->prev;
	if (res->status != REGISTRY_OK)
		reg->counts.errors++;
	reg->inflight--;
	if (reg->gate == req) {
		reg->gate = NULL;
		registry_release(reg);
	}
	req->cb(res, req->arg);
	uv_close((uv_handle_t *)&req->timer, registry_req_closed);
}

/* Finish with a status and a formatted message. */
static void
registry_fail(struct registry_req *req, enum registry_status st,
    int answered, long http_status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
registry_fail(struct registry_req *req, enum registry_status st,
    int answered, long http_status, const char *fmt, ...)
{
	struct registry_result	 res;
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	memset(&res, 0, sizeof res);
	res.status = st;
	res.answered = answered;
	res.http_status = http_status;
	res.error = msg;
	registry_finish(req, &res);
	free(msg);
}

static void
registry_timer_fired(uv_timer_t *t)
{
	registry_send(t->data);
}

/*
 * Whether a repository, tag or digest is safe to put in a URL path: the
 * reference grammar's characters, and no segment starting with a dot or
 * empty (so no "." or ".." for the URL parser to fold).
 */
static int
registry_safe(const char *s)
{
	if (*s == '\0' || strlen(s) > 512 || *s == '.' || *s == '/')
		return (0);
	if (strstr(s, "/.") != NULL || strstr(s, "//") != NULL ||
	    s[strlen(s) - 1] == '/')
		return (0);
	return (strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:") == strlen(s));
}

/* Queue a new operation; its first request leaves from the loop. */
static int
registry_submit(struct registry *reg, enum registry_kind kind,
    const char *repo, const char *ref, registry_cb *cb, void *arg)
{
	struct registry_req	*req;

	if (!registry_safe(repo) || (ref != NULL && !registry_safe(ref)))
		return (-1);
	req = xcalloc(1, sizeof *req);
	req->reg = reg;
	req->kind = kind;
	req->repo = xstrdup(repo);
	req->ref = ref != NULL ? xstrdup(ref) : NULL;
	if (kind == REQ_TAGS)
		xasprintf(&req->url, "%s/v2/%s/tags/list", reg->base, repo);
	else
		xasprintf(&req->url, "%s/v2/%s/manifests/%s", reg->base, repo,
		    ref);
	req->cb = cb;
	req->arg = arg;
	uv_timer_init(reg->loop, &req->timer);
	req->timer.data = req;
	req->prev = reg->reqs_tail;
	if (reg->reqs_tail != NULL)
		reg->reqs_tail->next = req;
	else
		reg->reqs = req;
	reg->reqs_tail = req;
	reg->inflight++;
	uv_timer_start(&req->timer, registry_timer_fired, 0, 0);
	return (0);
}

int
registry_head_digest(struct registry *reg, const char *repo, const char *tag,
    registry_cb *cb, void *arg)
{
	return (registry_submit(reg, REQ_HEAD, repo, tag, cb, arg));
}

int
registry_get_index(struct registry *reg, const char *repo, const char *digest,
    registry_cb *cb, void *arg)
{
	return (registry_submit(reg, REQ_INDEX, repo, digest, cb, arg));
}

int
registry_list_tags(struct registry *reg, const char *repo, registry_cb *cb,
    void *arg)
{
	return (registry_submit(reg, REQ_TAGS, repo, NULL, cb, arg));
}

/* A random number for backoff jitter, so clients do not retry in step. */
static uint64_t
registry_jitter(void)
{
	uint32_t	 r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (uint32_t)uv_hrtime();
	return (r);
}

/* Wait before the next attempt: Retry-After, else backoff with jitter. */
static void
registry_retry(struct registry_req *req, long retry_after)
{
	uint64_t	 ms;

	if (retry_after >= 0)
		ms = (uint64_t)retry_after * 1000;
	else {
		ms = (uint64_t)REGISTRY_BACKOFF_MS << (req->attempts - 1);
		if (ms > REGISTRY_BACKOFF_MAX_MS)
			ms = REGISTRY_BACKOFF_MAX_MS;
		ms += registry_jitter() % (ms / 2 + 1);
	}
	log_debug("%s: retrying %s in %llu ms", req->reg->name, req->url,
	    (unsigned long long)ms);
	uv_timer_start(&req->timer, registry_timer_fired, ms, 0);
}

/* Record the rate-limit headers of a response. */
static void
registry_ratelimit(struct registry *reg, const struct http_response *resp)
{
	struct http_header_ratelimit	 rl;
	char				*cause = NULL;
	size_t				 i;
	time_t				 now = time(NULL);

	http_header_ratelimit_init(&rl);
	for (i = 0; i < resp->nheaders; i++) {
		const struct http_field	*f = &resp->headers[i];

		if (http_header_ratelimit_add(&rl, f->name, strlen(f->name),
		    f->value, strlen(f->value), now, &cause) == -1) {
			log_debug("%s: %s: %s", reg->name, f->name, cause);
			free(cause);
			cause = NULL;
		}
	}
	if (rl.remaining >= 0 && (reg->counts.ratelimit_remaining < 0 ||
	    rl.remaining < reg->counts.ratelimit_remaining))
		reg->counts.ratelimit_remaining = rl.remaining;
}

/* The Retry-After of a response in seconds, -1 when absent or bad. */
static long
registry_retry_after(const struct http_response *resp)
{
	long	 delay;
	char	*cause = NULL;

	if (resp->retry_after == NULL)
		return (-1);
	if (http_header_retry_after(resp->retry_after,
	    strlen(resp->retry_after), time(NULL), &delay, &cause) != 0) {
		free(cause);
		return (-1);
	}
	return (delay);
}

/*
 * What a transport error says (allocated).  A certificate that does not
 * verify is never a reason for plain HTTP: say what would fix it.
 */
static char *
registry_transport_text(struct registry *reg, struct http_response *resp)
{
	const char	*why;
	char		*s;

	why = resp->error_text != NULL ? resp->error_text :
	    http_error_name(resp->error);
	if (resp->error == HTTP_ERR_CERT)
		xasprintf(&s, "TLS certificate verification failed: %s (trust "
		    "a private CA with ca_file in [registry %s], or allow "
		    "plain HTTP with insecure = yes)", why, reg->name);
	else
		s = xstrdup(why);
	return (s);
}

static void
registry_transport_fail(struct registry_req *req, struct http_response *resp)
{
	char	*why;

	why = registry_transport_text(req->reg, resp);
	registry_fail(req, REGISTRY_FAILED, 0, 0, "%s: %s", req->url, why);
	free(why);
}

/*
 * Transport errors, 429 and 5xx: retry when worth it; returns 1 when the
 * request was retried or finished, 0 when the response is for the caller.
 */
static int
registry_transient(struct registry_req *req, struct http_response *resp)
{
	long	 after = -1;
	int	 retryable;

	if (resp->error != HTTP_OK) {
		retryable = http_error_transient(resp->error);
	} else if (resp->status == 429 || resp->status == 500 ||
	    resp->status == 502 || resp->status == 503 ||
	    resp->status == 504) {
		if (resp->status == 429)
			req->reg->counts.throttled++;
		after = registry_retry_after(resp);
		retryable = after <= REGISTRY_RETRY_AFTER_MAX;
	} else
		return (0);
	if (retryable && req->attempts < REGISTRY_MAX_ATTEMPTS) {
		registry_retry(req, after);
		return (1);
	}
	if (resp->error != HTTP_OK)
		registry_transport_fail(req, resp);
	else
		registry_fail(req, REGISTRY_FAILED, 1, resp->status,
		    "%s: HTTP %ld after %d attempts", req->url, resp->status,
		    req->attempts);
	return (1);
}

static void
registry_auth_done(const char *authorization, const char *error, void *arg)
{
	struct registry_req	*req = arg;

	req->in_auth = 0;
	if (authorization == NULL) {
		registry_fail(req, REGISTRY_DENIED, 1, 401, "%s: %s",
		    req->url, error != NULL ? error : "unauthorized");
		return;
	}
	free(req->authorization);
	req->authorization = xstrdup(authorization);
	req->attempts = 0;
	registry_send(req);
}

/* A 401: get a credential and retry once; a second 401 ends it. */
static void
registry_unauthorized(struct registry_req *req, struct http_response *resp)
{
	struct registry		*reg = req->reg;
	struct auth_cred	 cred;
	char			*scope, *cause = NULL;
	int			 rv;

	if (req->auth_tried) {
		registry_fail(req, REGISTRY_NOT_FOUND, 1, 401, "%s: denied "
		    "with a fresh credential: not found or private",
		    req->url);
		return;
	}
	if (reg->auth == NULL) {
		registry_fail(req, REGISTRY_DENIED, 1, 401, "%s: "
		    "unauthorized", req->url);
		return;
	}
	req->auth_tried = 1;
	cred.username = reg->username;
	cred.password = reg->password;
	xasprintf(&scope, "repository:%s:pull", req->repo);
	req->in_auth = 1;
	rv = auth_challenge(reg->auth, resp, req->url, scope,
	    req->authorization, &cred, reg->plain ? AUTH_INSECURE : 0,
	    registry_auth_done, req, &cause);
	free(scope);
	if (rv != 0) {
		req->in_auth = 0;
		registry_fail(req, REGISTRY_DENIED, 1, 401, "%s: %s",
		    req->url, cause);
		free(cause);
	}
}

/* The Docker-Content-Digest of a response; -1 if bad or conflicting. */
static int
registry_header_digest(struct http_response *resp, char **digest,
    char **cause)
{
	const char	*v;
	char		*d;
	size_t		 pos = 0;

	*digest = NULL;
	for (;;) {
		v = http_response_header_next(resp, "Docker-Content-Digest",
		    &pos);
		if (v == NULL)
			break;
		if (http_header_digest(v, strlen(v), &d, cause) != 0)
			goto fail;
		if (*digest != NULL && strcmp(*digest, d) != 0) {
			free(d);
			*cause = xstrdup("conflicting Docker-Content-Digest "
			    "headers");
			goto fail;
		}
		free(*digest);
		*digest = d;
	}
	return (0);
fail:
	free(*digest);
	*digest = NULL;
	return (-1);
}

/* The response's Content-Type without parameters, or NULL. */
static char *
registry_content_type(struct http_response *resp)
{
	const char	*v;

	v = http_response_header(resp, "Content-Type");
	if (v == NULL)
		return (NULL);
	return (http_header_content_type(v, strlen(v)));
}

/* HEAD 200: the digest, or a GET when the HEAD did not say. */
static void
registry_head_ok(struct registry_req *req, struct http_response *resp)
{
	struct registry_result	 res;
	char			*digest, *type, *cause = NULL;

	if (registry_header_digest(resp, &digest, &cause) != 0) {
		registry_fail(req, REGISTRY_INVALID, 1, resp->status,
		    "%s: %s", req->url, cause);
		free(cause);
		return;
	}
	if (digest == NULL) {
		log_debug("%s: no digest on HEAD, trying GET", req->url);
		req->kind = REQ_MANIFEST;
		req->attempts = 0;
		registry_send(req);
		return;
	}
	type = registry_content_type(resp);
	memset(&res, 0, sizeof res);
	res.answered = 1;
	res.http_status = resp->status;
	res.digest = digest;
	res.media_type = type;
	registry_finish(req, &res);
	free(type);
	free(digest);
}

/* GET of a manifest by tag: the digest is the hash of the exact body. */
static void
registry_manifest_ok(struct registry_req *req, struct http_response *resp)
{
	struct registry_result	 res;
	char			*header, *digest, *type, *cause = NULL;

	if (registry_header_digest(resp, &header, &cause) != 0) {
		registry_fail(req, REGISTRY_INVALID, 1, resp->status,
		    "%s: %s", req->url, cause);
		free(cause);
		return;
	}
	digest = registry_digest_of(header != NULL && strncmp(header,
	    "sha512:", 7) == 0 ? "sha512" : "sha256", resp->body.data,
	    resp->body.len);
	if (header != NULL && strcmp(header, digest) != 0) {
		registry_fail(req, REGISTRY_INVALID, 1, resp->status,
		    "%s: body hashes to %s, not %s", req->url, digest, header);
		goto out;
	}
	type = registry_content_type(resp);
	memset(&res, 0, sizeof res);
	res.answered = 1;
	res.http_status = resp->status;
	res.digest = digest;
	res.media_type = type;
	registry_finish(req, &res);
	free(type);
out:
	free(header);
	free(digest);
}

/* Parse an index body and store its platforms; -1 and *cause if bad. */
static int
registry_store_index(struct registry_req *req, struct http_response *resp,
    size_t *count, char **cause)
{
	struct registry_index	 idx;
	char			*type, *why = NULL;
	int			 rv = -1;

	type = registry_content_type(resp);
	if (registry_parse_index(resp->body.data, resp->body.len, type, &idx,
	    &why) != 0) {
		xasprintf(cause, "%s: %s", req->url, why);
		free(why);
		goto out;
	}
	*count = idx.n;
	if (req->reg->store == NULL)
		rv = 0;
	else
		rv = store_record_index(req->reg->store, req->ref, type,
		    idx.platforms, idx.n, time(NULL), cause);
	registry_index_clear(&idx);
out:
	free(type);
	return (rv);
}

/* GET of an index by digest: verify, parse, store. */
static void
registry_index_ok(struct registry_req *req, struct http_response *resp)
{
	struct registry_result	 res;
	char			*alg, *digest, *cause = NULL;
	size_t			 count = 0;

	alg = xstrndup(req->ref, strcspn(req->ref, ":"));
	digest = registry_digest_of(alg, resp->body.data, resp->body.len);
	free(alg);
	if (digest == NULL || strcmp(digest, req->ref) != 0) {
		registry_fail(req, REGISTRY_INVALID, 1, resp->status,
		    "%s: body hashes to %s", req->url,
		    digest != NULL ? digest : "an unknown algorithm");
		goto out;
	}
	if (registry_store_index(req, resp, &count, &cause) != 0) {
		registry_fail(req, REGISTRY_INVALID, 1, resp->status, "%s",
		    cause);
		free(cause);
		goto out;
	}
	memset(&res, 0, sizeof res);
	res.answered = 1;
	res.http_status = resp->status;
	res.digest = req->ref;
	res.count = count;
	registry_finish(req, &res);
out:
	free(digest);
}

/* Append one page's tags; -1 and *cause if the page is malformed. */
static int
registry_tags_page(struct registry_req *req, struct http_response *resp,
    char **cause)
{
	char	*why = NULL;

	if (registry_parse_tags(resp->body.data, resp->body.len, &req->tags,
	    &why) != 0) {
		xasprintf(cause, "%s: %s", req->url, why);
		free(why);
		return (-1);
	}
	return (0);
}

/* The next page's URL from Link, or NULL at the end. */
static int
registry_tags_next(struct registry_req *req, struct http_response *resp,
    char **next, char **cause)
{
	const char	*v;

	*next = NULL;
	v = http_response_header(resp, "Link");
	if (v == NULL)
		return (0);
	return (http_header_link_next(req->url, v, strlen(v),
	    req->reg->plain ? HTTP_HEADER_INSECURE : 0, next, cause));
}

/*
 * Record the whole list under the registry's identity, with the push
 * times of pushed (NULL: none known), and end the operation.
 */
static void
registry_tags_done(struct registry_req *req, const time_t *pushed)
{
	struct registry_result	 res;
	char			*id, *cause = NULL;
	int			 rv = 0;

	if (req->reg->store != NULL) {
		xasprintf(&id, "%s/%s", req->reg->name, req->repo);
		rv = store_record_tags(req->reg->store, id,
		    (const char *const *)req->tags.list, pushed, req->tags.n,
		    time(NULL), &cause);
		free(id);
	}
	if (rv != 0) {
		registry_fail(req, REGISTRY_INVALID, 1, 200, "%s", cause);
		free(cause);
		return;
	}
	memset(&res, 0, sizeof res);
	res.answered = 1;
	res.http_status = 200;
	res.count = req->tags.n;
	registry_finish(req, &res);
}

static int
registry_hub_cmp(const void *a0, const void *b0)
{
	const struct registry_hub_tag	*a = a0, *b = b0;

	return (strcmp(a->name, b->name));
}

/* The push time of each listed tag from a Hub page (allocated). */
static time_t *
registry_hub_times(struct registry_req *req, struct registry_hub_page *pg)
{
	struct registry_hub_tag	 key, *hit;
	time_t			*pushed;
	size_t			 i, found = 0;

	pushed = xcalloc(req->tags.n + 1, sizeof *pushed);
	qsort(pg->list, pg->n, sizeof *pg->list, registry_hub_cmp);
	for (i = 0; i < req->tags.n; i++) {
		key.name = req->tags.list[i];
		hit = bsearch(&key, pg->list, pg->n, sizeof *pg->list,
		    registry_hub_cmp);
		if (hit != NULL) {
			pushed[i] = hit->pushed;
			found++;
		}
	}
	log_debug("%s: push times of %zu of %zu tags of %s from %s",
	    req->reg->name, found, req->tags.n, req->repo, req->url);
	return (pushed);
}

/*
 * The Hub's answer: push times when it is a tag page; anything else is
 * counted as an error and leaves them unknown, never failing the list.
 */
static void
registry_hub_done(struct http_response *resp, void *arg)
{
	struct registry_req	*req = arg;
	struct registry_hub_page pg;
	char			*why = NULL;
	time_t			*pushed = NULL;

	req->hr = NULL;
	memset(&pg, 0, sizeof pg);
	if (resp->error != HTTP_OK)
		why = xstrdup(resp->error_text != NULL ? resp->error_text :
		    http_error_name(resp->error));
	else if (resp->status != 200)
		xasprintf(&why, "HTTP %ld", resp->status);
	else if (registry_parse_hub_tags(resp->body.data, resp->body.len,
	    &pg, &why) == 0)
		pushed = registry_hub_times(req, &pg);
	if (why != NULL) {
		req->reg->counts.errors++;
		log_debug("%s: %s: %s; push times unknown", req->reg->name,
		    req->url, why);
		free(why);
	}
	registry_hub_page_clear(&pg);
	registry_tags_done(req, pushed);
	free(pushed);
}

/* {hub_api}/v2/namespaces/NS/repositories/NAME/tags?...; NULL: not NS/NAME. */
static char *
registry_hub_url(struct registry *reg, const char *repo)
{
	const char	*slash = strchr(repo, '/');
	char		*url;

	if (slash == NULL || strchr(slash + 1, '/') != NULL)
		return (NULL);
	xasprintf(&url, "%s/v2/namespaces/%.*s/repositories/%s/tags?"
	    "page_size=%d&ordering=last_updated", reg->hub_api,
	    (int)(slash - repo), repo, slash + 1, REGISTRY_HUB_PAGE_SIZE);
	return (url);
}

/*
 * After the last tags/list page: one page of the Hub's tag API, newest
 * pushes first, outside the registry's gate and retries (another host;
 * at worst the push times stay unknown), or the list as it is.
 */
static void
registry_hub_send(struct registry_req *req)
{
	struct registry		*reg = req->reg;
	struct http_request	*hr;
	char			*url, *cause = NULL;

	url = reg->hub_api != NULL ? registry_hub_url(reg, req->repo) : NULL;
	if (url == NULL) {
		registry_tags_done(req, NULL);
		return;
	}
	free(req->url);
	req->url = url;
	req->kind = REQ_HUB;
	reg->counts.requests++;
	reg->counts.gets++;
	hr = http_request_create(HTTP_GET, req->url, registry_hub_done, req);
	http_request_add_header(hr, "Accept", "application/json");
	http_request_set_limits(hr, 0, REGISTRY_MAX_HUB_PAGE, 0);
	http_request_set_flags(hr, HTTP_FOLLOW_REDIRECTS |
	    (reg->hub_plain ? HTTP_INSECURE_OK : 0));
	req->hr = hr;
	if (http_start(reg->http, hr, &cause) != 0) {
		req->hr = NULL;
		reg->counts.errors++;
		log_debug("%s: %s: %s; push times unknown", reg->name,
		    req->url, cause);
		free(cause);
		registry_tags_done(req, NULL);
	}
}

/* GET tags/list: one page; follow Link or record the whole list. */
static void
registry_tags_ok(struct registry_req *req, struct http_response *resp)
{
	char			*next = NULL, *cause = NULL;

	if (registry_tags_page(req, resp, &cause) != 0 ||
	    registry_tags_next(req, resp, &next, &cause) != 0)
		goto fail;
	if (next != NULL && ++req->pages >= REGISTRY_MAX_PAGES) {
		free(next);
		xasprintf(&cause, "%s: more than %d pages of tags", req->url,
		    REGISTRY_MAX_PAGES);
		goto fail;
	}
	if (next != NULL) {
		free(req->url);
		req->url = next;
		req->attempts = 0;
		registry_send(req);
		return;
	}
	registry_hub_send(req);
	return;
fail:
	registry_fail(req, REGISTRY_INVALID, 1, resp->status, "%s", cause);
	free(cause);
}

/*
 * No TLS on a loopback registry's https://: use http:// from now on, for
 * this request (sent again at once, still the gate) and every later one.
 * The handshake carried no request, so it is not counted as one.
 */
static void
registry_fallback(struct registry_req *req, struct http_response *resp)
{
	struct registry	*reg = req->reg;
	char		*key;

	log_info("%s: no TLS at %s (%s); using plain http:// as for any "
	    "loopback registry", reg->name, reg->base, resp->error_text);
	reg->tls_base = reg->base;
	xasprintf(&reg->base, "http://%s", reg->name);
	reg->plain = 1;
	reg->probing = 0;
	key = registry_host_key(reg->base);
	if (key != NULL && reg->concurrency > 0)
		http_set_host_limit(reg->http, key, reg->concurrency);
	free(key);
	reg->counts.requests--;
	if (resp->method == HTTP_HEAD)
		reg->counts.heads--;
	else
		reg->counts.gets--;
	req->attempts--;
	registry_send(req);
}

/* Whether an error means no connection could be made at all. */
static int
registry_conn_error(enum http_error e)
{
	return (e == HTTP_ERR_RESOLVE || e == HTTP_ERR_CONNECT ||
	    e == HTTP_ERR_TLS || e == HTTP_ERR_CERT);
}

/*
 * Fail every live request but those waiting for auth (they fail when
 * they come back to registry_send) or asking the Hub API (another host,
 * and its failure never fails the tag list), oldest first: each iteration
 * finishes at least one of the n there were (requests their callbacks
 * submit come after them, and fail when their timer fires).
 */
static void
registry_sweep(struct registry *reg)
{
	struct registry_req	*r;
	size_t			 n = 0;

	for (r = reg->reqs; r != NULL; r = r->next)
		n += !r->in_auth && r->kind != REQ_HUB;
	for (; n > 0; n--) {
		for (r = reg->reqs; r != NULL && (r->in_auth ||
		    r->kind == REQ_HUB); r = r->next)
			/* nothing */;
		if (r == NULL)
			break;
		if (r->hr != NULL)
			http_cancel(r->hr);	/* registry_done fails it */
		else {
			uv_timer_stop(&r->timer);
			registry_send(r);	/* fails it */
		}
	}
}

void
registry_cancel(struct registry *reg)
{
	if (reg->unreachable == NULL)
		xasprintf(&reg->unreachable, "%s: cancelled", reg->name);
	registry_sweep(reg);
}

/*
 * The registry cannot be reached: req (whose attempt just failed) and
 * every other request of the object, now or later, fail with one message.
 */
static void
registry_unreachable(struct registry_req *req, struct http_response *resp)
{
	struct registry	*reg = req->reg;
	char		*why;

	why = registry_transport_text(reg, resp);
	xasprintf(&reg->unreachable, "%s: registry unreachable: %s",
	    reg->name, why);
	free(why);
	log_info("%s", reg->unreachable);
	registry_sweep(reg);
}

/*
 * The gate's part in an answer; 1 when it dealt with the request.  A
 * probed https:// with no TLS falls back to http://.  A failed connection
 * makes the request the gate (or parks it behind the gate), retried with
 * backoff; after the retries (none for a name that does not resolve or a
 * failed TLS handshake) the registry is unreachable.  Anything else
 * proves the server is there: the gate opens.
 */
static int
registry_gate(struct registry_req *req, struct http_response *resp)
{
	struct registry	*reg = req->reg;
	int		 mine = reg->gate == NULL || reg->gate == req;

	if (reg->gate == req && reg->probing && (resp->error == HTTP_ERR_TLS ||
	    resp->error == HTTP_ERR_CONNECT)) {
		registry_fallback(req, resp);
		return (1);
	}
	if (!registry_conn_error(resp->error)) {
		if (reg->gate == req) {
			reg->probing = 0;
			reg->gate = NULL;
			registry_release(reg);
		}
		return (0);
	}
	if (!http_error_transient(resp->error) ||
	    (mine && req->attempts >= REGISTRY_MAX_ATTEMPTS)) {
		registry_unreachable(req, resp);
		return (1);
	}
	if (mine) {
		reg->gate = req;
		registry_retry(req, -1);
	} else
		registry_park(req);
	return (1);
}

static void	registry_ok(struct registry_req *, struct http_response *);

static void
registry_done(struct http_response *resp, void *arg)
{
	struct registry_req	*req = arg;

	req->hr = NULL;
	registry_ratelimit(req->reg, resp);
	if (resp->error == HTTP_ERR_CANCELLED) {
		if (req->reg->unreachable != NULL)
			registry_fail(req, REGISTRY_FAILED, 0, 0, "%s",
			    req->reg->unreachable);
		else
			registry_fail(req, REGISTRY_FAILED, 0, 0,
			    "%s: cancelled", req->url);
		return;
	}
	if (registry_gate(req, resp) || registry_transient(req, resp))
		return;
	if (resp->status == 401) {
		registry_unauthorized(req, resp);
		return;
	}
	if (resp->status == 404 || resp->status == 403) {
		registry_fail(req, resp->status == 404 ? REGISTRY_NOT_FOUND :
		    REGISTRY_DENIED, 1, resp->status, "%s: %s", req->url,
		    resp->status == 404 ? "not found" : "denied");
		return;
	}
	if (resp->status == 405 && req->kind == REQ_HEAD) {
		req->kind = REQ_MANIFEST;	/* HEAD not allowed: GET */
		req->attempts = 0;
		registry_send(req);
		return;
	}
	if (resp->status != 200) {
		registry_fail(req, REGISTRY_INVALID, 1, resp->status,
		    "%s: unexpected HTTP %ld", req->url, resp->status);
		return;
	}
	registry_ok(req, resp);
}

/* A 200: what it means depends on the request. */
static void
registry_ok(struct registry_req *req, struct http_response *resp)
{
	switch (req->kind) {
	case REQ_HEAD:
		registry_head_ok(req, resp);
		break;
	case REQ_MANIFEST:
		registry_manifest_ok(req, resp);
		break;
	case REQ_INDEX:
		registry_index_ok(req, resp);
		break;
	case REQ_TAGS:
		registry_tags_ok(req, resp);
		break;
	case REQ_HUB:	/* registry_hub_done */
		break;
	}
}

/* Carry a cached token for the request's scope before any 401. */
static void
registry_preauth(struct registry_req *req)
{
	const char	*hit;
	char		*scope;

	if (req->authorization != NULL || req->reg->auth == NULL)
		return;
	xasprintf(&scope, "repository:%s:pull", req->repo);
	hit = auth_lookup_url(req->reg->auth, req->url, scope, time(NULL));
	if (hit != NULL)
		req->authorization = xstrdup(hit);
	free(scope);
}

/* After the fallback, a URL still on https://name goes to http://name. */
static void
registry_rebase(struct registry_req *req)
{
	struct registry	*reg = req->reg;
	size_t		 n;
	char		*url;

	if (reg->tls_base == NULL)
		return;
	n = strlen(reg->tls_base);
	if (strncmp(req->url, reg->tls_base, n) != 0 ||
	    (req->url[n] != '/' && req->url[n] != '\0'))
		return;
	xasprintf(&url, "%s%s", reg->base, req->url + n);
	free(req->url);
	req->url = url;
}

/*
 * Send (or resend) the request's next attempt; park it while another
 * request is the gate, and make it the gate of a registry being probed.
 */
static void
registry_send(struct registry_req *req)
{
	struct registry		*reg = req->reg;
	struct http_request	*hr;
	enum http_method	 m;
	char			*cause = NULL;

	if (reg->unreachable != NULL) {
		registry_fail(req, REGISTRY_FAILED, 0, 0, "%s",
		    reg->unreachable);
		return;
	}
	if (reg->gate != NULL && reg->gate != req) {
		registry_park(req);
		return;
	}
	if (reg->probing)
		reg->gate = req;
	registry_rebase(req);
	m = req->kind == REQ_HEAD ? HTTP_HEAD : HTTP_GET;
	req->attempts++;
	reg->counts.requests++;
	if (m == HTTP_HEAD)
		reg->counts.heads++;
	else
		reg->counts.gets++;
	registry_preauth(req);
	hr = http_request_create(m, req->url, registry_done, req);
	if (req->kind != REQ_TAGS)
		http_request_add_header(hr, "Accept", REGISTRY_ACCEPT);
	if (req->authorization != NULL)
		http_request_add_header(hr, "Authorization",
		    req->authorization);
	http_request_set_limits(hr, 0, req->kind == REQ_TAGS ?
	    REGISTRY_MAX_TAGLIST : REGISTRY_MAX_MANIFEST, 0);
	http_request_set_flags(hr, HTTP_FOLLOW_REDIRECTS |
	    (reg->plain ? HTTP_INSECURE_OK : 0));
	http_request_set_ca_file(hr, reg->ca_file);
	req->hr = hr;
	if (http_start(reg->http, hr, &cause) != 0) {
		req->hr = NULL;
		registry_fail(req, REGISTRY_FAILED, 0, 0, "%s: %s", req->url,
		    cause);
		free(cause);
	}
}
