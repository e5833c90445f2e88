/*
 * Registry authentication: the bearer token flow with a token cache, and
 * basic auth (see auth.h).
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "auth.h"
#include "http.h"
#include "http-header.h"
#include "log.h"
#include "xmalloc.h"

#define AUTH_MAX_TOKEN		8192	/* bytes of one token */
#define AUTH_MAX_LIFETIME	86400	/* seconds believed at most */
#define AUTH_MAX_URL		65536	/* bytes of a token request URL */
#define AUTH_MAX_DOCKER		(1024 * 1024)	/* bytes of config.json */

struct auth_token {
	char	*key;		/* origin, realm, service, scope; "\n" apart */
	char	*header;	/* "Bearer ..." */
	time_t	 expires;
};

/* The last Bearer challenge of a registry, by its URL before "/v2/". */
struct auth_hint {
	char	*origin;
	char	*prefix;	/* the key up to the scope */
};

/* The credentials of one registry in Docker's config.json. */
struct auth_docker {
	char	*host;		/* as auth_docker_host gives it */
	char	*username;
	char	*password;
};

struct auth {
	uv_loop_t		*loop;
	struct http		*http;
	struct auth_token	*cache;
	size_t			 ncache;
	struct auth_hint	*hints;
	size_t			 nhints;
	struct auth_job		*fetching;	/* token requests in flight */
	struct auth_docker	*docker;
	size_t			 ndocker;
	int			 docker_loaded;
};

/*
 * One pending answer: a deferred one or a token request.  A token request
 * is on the auth's fetching list until it ends; challenges for the same
 * key meanwhile wait on it (its waiters list) instead of asking again.
 */
struct auth_job {
	struct auth	*a;
	uv_timer_t	 timer;
	char		*key;
	char		*header;	/* the answer, or NULL */
	char		*error;
	auth_cb		*cb;
	void		*arg;
	struct auth_job	*next;		/* on a fetching or waiters list */
	struct auth_job	*waiters;	/* answered when this fetch ends */
};

struct auth *
auth_create(uv_loop_t *loop, struct http *http)
{
	struct auth	*a;

	a = xcalloc(1, sizeof *a);
	a->loop = loop;
	a->http = http;
	return (a);
}

static void
auth_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
auth_free(struct auth *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->ncache; i++) {
		free(a->cache[i].key);
		auth_secret_free(a->cache[i].header);
	}
	free(a->cache);
	for (i = 0; i < a->nhints; i++) {
		free(a->hints[i].origin);
		free(a->hints[i].prefix);
	}
	free(a->hints);
	for (i = 0; i < a->ndocker; i++) {
		free(a->docker[i].host);
		auth_secret_free(a->docker[i].username);
		auth_secret_free(a->docker[i].password);
	}
	free(a->docker);
	free(a);
}

size_t
auth_cached(struct auth *a, time_t now)
{
	size_t	 i, n = 0;

	for (i = 0; i < a->ncache; i++) {
		if (a->cache[i].expires > now)
			n++;
	}
	return (n);
}

static const char *
auth_lookup(struct auth *a, const char *key, time_t now)
{
	size_t	 i;

	for (i = 0; i < a->ncache; i++) {
		if (strcmp(a->cache[i].key, key) == 0 &&
		    a->cache[i].expires > now)
			return (a->cache[i].header);
	}
	return (NULL);
}

/* Drop the cached token of key if it is the one sent. */
static void
auth_drop(struct auth *a, const char *key, const char *sent)
{
	size_t	 i;

	if (sent == NULL)
		return;
	for (i = 0; i < a->ncache; i++) {
		if (strcmp(a->cache[i].key, key) == 0 &&
		    strcmp(a->cache[i].header, sent) == 0)
			a->cache[i].expires = 0;
	}
}

/* The URL of a request up to "/v2/", allocated; NULL if none. */
static char *
auth_origin(const char *url)
{
	const char	*v2;

	v2 = strstr(url, "/v2/");
	if (v2 == NULL)
		return (NULL);
	return (xstrndup(url, (size_t)(v2 - url)));
}

/* Remember the realm and service a registry challenged with. */
static void
auth_hint(struct auth *a, const char *url, const char *prefix)
{
	struct auth_hint	*h = NULL;
	char			*origin;
	size_t			 i;

	origin = auth_origin(url);
	if (origin == NULL)
		return;
	for (i = 0; i < a->nhints && h == NULL; i++) {
		if (strcmp(a->hints[i].origin, origin) == 0)
			h = &a->hints[i];
	}
	if (h == NULL && a->nhints >= AUTH_MAX_CACHE)
		h = &a->hints[0];
	if (h == NULL) {
		a->hints = xreallocarray(a->hints, a->nhints + 1,
		    sizeof *a->hints);
		h = &a->hints[a->nhints++];
		memset(h, 0, sizeof *h);
	}
	free(h->origin);
	free(h->prefix);
	h->origin = origin;
	h->prefix = xstrdup(prefix);
}

const char *
auth_lookup_url(struct auth *a, const char *url, const char *scope,
    time_t now)
{
	const char	*hit = NULL;
	char		*origin, *key;
	size_t		 i;

	origin = auth_origin(url);
	if (origin == NULL)
		return (NULL);
	for (i = 0; i < a->nhints && hit == NULL; i++) {
		if (strcmp(a->hints[i].origin, origin) != 0)
			continue;
		xasprintf(&key, "%s%s", a->hints[i].prefix, scope);
		hit = auth_lookup(a, key, now);
		free(key);
	}
	free(origin);
	return (hit);
}

/* Cache a token, replacing the key's entry or the one expiring first. */
static void
auth_store(struct auth *a, const char *key, const char *header,
    time_t expires)
{
	struct auth_token	*t = NULL;
	size_t			 i;

	for (i = 0; i < a->ncache && t == NULL; i++) {
		if (strcmp(a->cache[i].key, key) == 0)
			t = &a->cache[i];
	}
	if (t == NULL && a->ncache >= AUTH_MAX_CACHE) {
		t = &a->cache[0];
		for (i = 1; i < a->ncache; i++) {
			if (a->cache[i].expires < t->expires)
				t = &a->cache[i];
		}
	}
	if (t == NULL) {
		a->cache = xreallocarray(a->cache, a->ncache + 1,
		    sizeof *a->cache);
		t = &a->cache[a->ncache++];
		memset(t, 0, sizeof *t);
	}
	free(t->key);
	auth_secret_free(t->header);
	t->key = xstrdup(key);
	t->header = xstrdup(header);
	t->expires = expires;
}

static void
auth_job_closed(uv_handle_t *h)
{
	struct auth_job	*job = h->data;

	free(job->key);
	auth_secret_free(job->header);
	free(job->error);
	free(job);
}

static void
auth_job_finish(struct auth_job *job)
{
	job->cb(job->header, job->error, job->arg);
	uv_close((uv_handle_t *)&job->timer, auth_job_closed);
}

static void
auth_job_fired(uv_timer_t *t)
{
	auth_job_finish(t->data);
}

static struct auth_job *
auth_job_create(struct auth *a, auth_cb *cb, void *arg)
{
	struct auth_job	*job;

	job = xcalloc(1, sizeof *job);
	job->a = a;
	job->cb = cb;
	job->arg = arg;
	uv_timer_init(a->loop, &job->timer);
	job->timer.data = job;
	return (job);
}

/* "Basic base64(user:password)"; the caller frees it. */
static char *
auth_basic(const struct auth_cred *cred)
{
	char		*plain, *out;
	size_t		 len;

	xasprintf(&plain, "%s:%s", cred->username, cred->password);
	len = strlen(plain);
	out = xmalloc(6 + 4 * ((len + 2) / 3) + 1);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (unsigned char *)plain,
	    (int)len);
	auth_secret_free(plain);
	return (out);
}

/* Percent-encode a query value into b. */
static void
auth_query_add(struct buf *b, const char *name, const char *value)
{
	const char	*p;

	buf_printf(b, "%c%s=", strchr(b->data, '?') == NULL ? '?' : '&',
	    name);
	for (p = value; *p != '\0'; p++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", *p) != NULL)
			buf_addc(b, *p);
		else
			buf_printf(b, "%%%02X", (unsigned char)*p);
	}
}

/* The seconds east of UTC of an RFC 3339 "+hh:mm" or "-hh:mm" suffix. */
static long
auth_utc_offset(const char *s)
{
	long	 off;

	if ((s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || s[3] != ':' ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]))
		return (0);
	off = ((s[1] - '0') * 10 + (s[2] - '0')) * 3600L +
	    ((s[4] - '0') * 10 + (s[5] - '0')) * 60L;
	return (s[0] == '-' ? -off : off);
}

/* When the token was issued: issued_at if sane, else now. */
static time_t
auth_issued(const char *s, time_t now)
{
	struct tm	 tm;
	const char	*end;
	time_t		 t;

	if (s == NULL)
		return (now);
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return (now);
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	t = timegm(&tm);
	if (t != (time_t)-1)
		t -= auth_utc_offset(end);
	if (t == (time_t)-1 || t > now || t < now - AUTH_MAX_LIFETIME)
		return (now);
	return (t);
}

int
auth_parse_token(const char *buf, size_t len, time_t now, char **header,
    time_t *expires, char **cause)
{
	json_t		*root;
	const char	*tok;
	json_int_t	 life;
	int		 rv = -1;

	root = json_loadb(buf, len, 0, NULL);
	tok = json_string_value(json_object_get(root, "access_token"));
	if (tok == NULL || *tok == '\0')
		tok = json_string_value(json_object_get(root, "token"));
	if (tok == NULL || *tok == '\0' || strlen(tok) > AUTH_MAX_TOKEN ||
	    strpbrk(tok, "\r\n") != NULL) {
		*cause = xstrdup("token response without a usable token");
		goto out;
	}
	life = json_integer_value(json_object_get(root, "expires_in"));
	if (life < AUTH_MIN_LIFETIME)
		life = AUTH_MIN_LIFETIME;
	if (life > AUTH_MAX_LIFETIME)
		life = AUTH_MAX_LIFETIME;
	*expires = auth_issued(json_string_value(json_object_get(root,
	    "issued_at")), now) + (time_t)life - AUTH_EXPIRY_MARGIN;
	xasprintf(header, "Bearer %s", tok);
	rv = 0;
out:
	json_decref(root);
	return (rv);
}

/* Take the fetch job off the fetching list and answer its waiters. */
static void
auth_fetch_end(struct auth_job *job)
{
	struct auth_job	**pp, *w;

	for (pp = &job->a->fetching; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == job) {
			*pp = job->next;
			break;
		}
	}
	while (job->waiters != NULL) {
		w = job->waiters;
		job->waiters = w->next;
		if (job->header != NULL)
			w->header = xstrdup(job->header);
		if (job->error != NULL)
			w->error = xstrdup(job->error);
		uv_timer_start(&w->timer, auth_job_fired, 0, 0);
	}
}

/* The token request in flight for key, or NULL. */
static struct auth_job *
auth_fetching(struct auth *a, const char *key)
{
	struct auth_job	*f;

	for (f = a->fetching; f != NULL; f = f->next) {
		if (strcmp(f->key, key) == 0)
			return (f);
	}
	return (NULL);
}

static void
auth_token_done(struct http_response *resp, void *arg)
{
	struct auth_job	*job = arg;
	time_t		 expires;
	char		*cause = NULL;

	if (resp->error != HTTP_OK)
		xasprintf(&job->error, "token request: %s",
		    http_error_name(resp->error));
	else if (resp->status != 200)
		xasprintf(&job->error, "token request: HTTP %ld",
		    resp->status);
	else if (auth_parse_token(resp->body.data, resp->body.len, time(NULL),
	    &job->header, &expires, &cause) != 0)
		job->error = cause;
	else
		auth_store(job->a, job->key, job->header, expires);
	auth_fetch_end(job);
	auth_job_finish(job);
}

/*
 * Ask the realm (resolved against request_url) for a token; -1 and *cause
 * if it may not be asked.
 */
static int
auth_fetch(struct auth_job *job, const char *request_url, const char *realm,
    const struct http_header_challenge *ch, const char *scope,
    const struct auth_cred *cred, int flags, char **cause)
{
	struct http_request	*hr;
	struct buf		 url;
	char			*basic;
	int			 rv = -1;

	buf_init(&url, AUTH_MAX_URL);
	if (http_header_realm_check(realm, request_url,
	    (flags & AUTH_INSECURE) ? HTTP_HEADER_INSECURE : 0, cause) != 0)
		goto out;
	if (strlen(realm) + 3 * (strlen(scope) + (ch->service != NULL ?
	    strlen(ch->service) : 0)) + 32 > AUTH_MAX_URL) {
		*cause = xstrdup("token URL too long");
		goto out;
	}
	buf_adds(&url, realm);
	if (ch->service != NULL)
		auth_query_add(&url, "service", ch->service);
	auth_query_add(&url, "scope", scope);
	hr = http_request_create(HTTP_GET, url.data, auth_token_done, job);
	http_request_set_limits(hr, 0, AUTH_MAX_TOKEN_BODY, 0);
	http_request_set_flags(hr, strncmp(realm, "http://", 7) == 0 ?
	    HTTP_INSECURE_OK : 0);
	if (cred->username != NULL && cred->password != NULL) {
		basic = auth_basic(cred);
		http_request_add_header(hr, "Authorization", basic);
		auth_secret_free(basic);
	}
	rv = http_start(job->a->http, hr, cause);
out:
	buf_deinit(&url);
	return (rv);
}

/*
 * The registry host of a config.json key or a request URL, allocated: no
 * scheme, no path, lowercase; Docker Hub's names all become
 * "index.docker.io" (docker login's key is https://index.docker.io/v1/).
 */
static char *
auth_docker_host(const char *s)
{
	char	*host;
	size_t	 i;

	if (strncasecmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		s += 7;
	host = xstrndup(s, strcspn(s, "/"));
	for (i = 0; host[i] != '\0'; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	if (strcmp(host, "docker.io") == 0 ||
	    strcmp(host, "registry-1.docker.io") == 0) {
		free(host);
		host = xstrdup("index.docker.io");
	}
	return (host);
}

/* Decode an "auth" value, base64 "user:password", into d; 0 or -1. */
static int
auth_docker_decode(const char *b64, struct auth_docker *d)
{
	unsigned char	*plain;
	char		*colon;
	size_t		 len = strlen(b64), size, n;
	int		 got, rv = -1;

	if (len < 4 || len % 4 != 0 || len > AUTH_MAX_TOKEN)
		return (-1);
	size = len / 4 * 3 + 1;
	plain = xmalloc(size);
	got = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)len);
	if (got < 0)
		goto out;
	n = (size_t)got;
	if (b64[len - 1] == '=')
		n--;
	if (b64[len - 2] == '=')
		n--;
	plain[n] = '\0';
	colon = strchr((char *)plain, ':');
	if (colon == NULL || colon == (char *)plain ||
	    strlen((char *)plain) != n)
		goto out;
	d->username = xstrndup((char *)plain, (size_t)(colon - (char *)plain));
	d->password = xstrdup(colon + 1);
	rv = 0;
out:
	explicit_bzero(plain, size);
	free(plain);
	return (rv);
}

/* Add the credentials of one "auths" entry, if it has usable ones. */
static void
auth_docker_add(struct auth *a, const char *key, json_t *v)
{
	struct auth_docker	 d;
	const char		*b64, *user, *pass;

	memset(&d, 0, sizeof d);
	b64 = json_string_value(json_object_get(v, "auth"));
	user = json_string_value(json_object_get(v, "username"));
	pass = json_string_value(json_object_get(v, "password"));
	if (b64 != NULL && *b64 != '\0') {
		if (auth_docker_decode(b64, &d) != 0) {
			log_warnx("docker config.json: %s: auth is not "
			    "base64 user:password", key);
			return;
		}
	} else if (user != NULL && *user != '\0' && pass != NULL) {
		d.username = xstrdup(user);
		d.password = xstrdup(pass);
	} else
		return;
	if (a->ndocker >= AUTH_MAX_CACHE) {
		auth_secret_free(d.username);
		auth_secret_free(d.password);
		return;
	}
	d.host = auth_docker_host(key);
	a->docker = xreallocarray(a->docker, a->ndocker + 1,
	    sizeof *a->docker);
	a->docker[a->ndocker++] = d;
}

/* Where Docker keeps config.json, allocated; NULL without a home. */
static char *
auth_docker_path(void)
{
	const char	*dir;
	char		*path;

	dir = getenv("DOCKER_CONFIG");
	if (dir != NULL && *dir != '\0') {
		xasprintf(&path, "%s/config.json", dir);
		return (path);
	}
	dir = getenv("HOME");
	if (dir == NULL || *dir == '\0')
		return (NULL);
	xasprintf(&path, "%s/.docker/config.json", dir);
	return (path);
}

/*
 * Read the "auths" of Docker's config.json into a, once.  No file is no
 * credentials; a bad one is warned about (never quoting it) and ignored.
 * Credential helpers (credsStore, credHelpers) are not run.
 */
static void
auth_docker_load(struct auth *a)
{
	json_t		*root = NULL, *v;
	json_error_t	 err;
	struct buf	 b;
	FILE		*f = NULL;
	const char	*key;
	char		*path, chunk[4096];
	size_t		 n;

	if (a->docker_loaded)
		return;
	a->docker_loaded = 1;
	path = auth_docker_path();
	if (path == NULL)
		return;
	buf_init(&b, AUTH_MAX_DOCKER);
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno != ENOENT && errno != ENOTDIR)
			log_warn("%s", path);
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_add(&b, chunk, n) != 0) {
			log_warnx("%s: larger than %d bytes", path,
			    AUTH_MAX_DOCKER);
			goto out;
		}
	}
	if (ferror(f)) {
		log_warn("%s", path);
		goto out;
	}
	root = json_loadb(b.data, b.len, 0, &err);
	if (root == NULL) {
		log_warnx("%s:%d: not valid JSON", path, err.line);
		goto out;
	}
	json_object_foreach(json_object_get(root, "auths"), key, v)
		auth_docker_add(a, key, v);
out:
	if (f != NULL)
		fclose(f);
	json_decref(root);
	explicit_bzero(chunk, sizeof chunk);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_deinit(&b);
	free(path);
}

/*
 * Without configured credentials, use config.json's for the registry of
 * request_url; cred then borrows them from a.
 */
static void
auth_docker_cred(struct auth *a, const char *request_url,
    struct auth_cred *cred)
{
	char	*origin, *host;
	size_t	 i;

	if (cred->username != NULL)
		return;
	origin = auth_origin(request_url);
	if (origin == NULL)
		return;
	auth_docker_load(a);
	host = auth_docker_host(origin);
	for (i = 0; i < a->ndocker; i++) {
		if (strcmp(a->docker[i].host, host) == 0) {
			cred->username = a->docker[i].username;
			cred->password = a->docker[i].password;
			break;
		}
	}
	free(host);
	free(origin);
}

/* Parse every WWW-Authenticate line of a response. */
static int
auth_parse(const struct http_response *resp, struct http_header_auth *ha,
    char **cause)
{
	const char	*v;
	char		*why = NULL;
	size_t		 pos = 0;

	for (;;) {
		v = http_response_header_next(resp, "WWW-Authenticate", &pos);
		if (v == NULL)
			break;
		if (http_header_auth_add(ha, v, strlen(v), &why) != 0) {
			log_debug("WWW-Authenticate: %s", why);
			free(why);
			why = NULL;
		}
	}
	if (ha->n == 0) {
		*cause = xstrdup("401 without a usable WWW-Authenticate");
		return (-1);
	}
	return (0);
}

/* Answer a Basic challenge with the configured credentials. */
static int
auth_answer_basic(struct auth *a, const struct auth_cred *cred, auth_cb *cb,
    void *arg, char **cause)
{
	struct auth_job	*job;

	if (cred->username == NULL || cred->password == NULL) {
		*cause = xstrdup("basic authentication needs credentials");
		return (-1);
	}
	job = auth_job_create(a, cb, arg);
	job->header = auth_basic(cred);
	uv_timer_start(&job->timer, auth_job_fired, 0, 0);
	return (0);
}

/*
 * Answer a Bearer challenge from the cache, a token request in flight for
 * the same key, or the realm.  Tokens are keyed by the registry too, so a
 * token fetched for one registry (with its credentials) is never handed to
 * another that names the same realm.  insufficient_scope for the token
 * just cached is an answer: a fresh one would grant no more.
 */
static int
auth_answer_bearer(struct auth *a, const struct http_header_challenge *ch,
    const char *request_url, const char *scope, const char *sent,
    const struct auth_cred *cred, int flags, auth_cb *cb, void *arg,
    char **cause)
{
	struct auth_job	*job, *f;
	const char	*hit;
	char		*prefix, *realm = NULL, *origin;
	int		 rv = 0;

	origin = auth_origin(request_url);
	if (origin == NULL || http_header_realm_resolve(request_url,
	    ch->realm, &realm, cause) != 0) {
		if (origin == NULL)
			*cause = xstrdup("not a registry URL");
		free(origin);
		return (-1);
	}
	xasprintf(&prefix, "%s\n%s\n%s\n", origin, realm,
	    ch->service != NULL ? ch->service : "");
	free(origin);
	auth_hint(a, request_url, prefix);
	job = auth_job_create(a, cb, arg);
	xasprintf(&job->key, "%s%s", prefix, scope);
	free(prefix);
	if (ch->error == NULL || strcmp(ch->error, "insufficient_scope") != 0)
		auth_drop(a, job->key, sent);
	hit = auth_lookup(a, job->key, time(NULL));
	f = auth_fetching(a, job->key);
	if (hit != NULL && sent != NULL && strcmp(hit, sent) == 0) {
		job->error = xstrdup("insufficient_scope: not found or "
		    "access denied");
		uv_timer_start(&job->timer, auth_job_fired, 0, 0);
	} else if (hit != NULL) {
		job->header = xstrdup(hit);
		uv_timer_start(&job->timer, auth_job_fired, 0, 0);
	} else if (f != NULL) {
		job->next = f->waiters;
		f->waiters = job;
	} else if (auth_fetch(job, request_url, realm, ch, scope, cred,
	    flags, cause) != 0) {
		uv_close((uv_handle_t *)&job->timer, auth_job_closed);
		rv = -1;
	} else {
		job->next = a->fetching;
		a->fetching = job;
	}
	free(realm);
	return (rv);
}

int
auth_challenge(struct auth *a, const struct http_response *resp,
    const char *request_url, const char *scope, const char *sent,
    const struct auth_cred *cred, int flags, auth_cb *cb, void *arg,
    char **cause)
{
	struct http_header_auth			 ha;
	const struct http_header_challenge	*ch;
	struct auth_cred			 use = *cred;
	int					 rv = -1;

	http_header_auth_init(&ha);
	if (auth_parse(resp, &ha, cause) != 0)
		goto out;
	auth_docker_cred(a, request_url, &use);
	cred = &use;
	ch = http_header_auth_find(&ha, "bearer");
	if (ch != NULL && ch->realm != NULL)
		rv = auth_answer_bearer(a, ch, request_url, scope, sent, cred,
		    flags, cb, arg, cause);
	else if (http_header_auth_find(&ha, "basic") != NULL)
		rv = auth_answer_basic(a, cred, cb, arg, cause);
	else
		*cause = xstrdup("no Bearer or Basic challenge");
out:
	http_header_auth_deinit(&ha);
	return (rv);
}
