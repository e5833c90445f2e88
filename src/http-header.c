#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http-header-int.h"
#include "log.h"
#include "ref.h"
#include "xmalloc.h"

#define HTTP_HEADER_DATE_MAX	64	/* longest date handed to curl */
#define HTTP_HEADER_NUMBER_MAX	1000000000000000LL /* saturation */
#define HTTP_HEADER_EPOCH_MIN	1000000000LL	/* X-RateLimit-Reset */

enum http_header_rl_field {
	HTTP_HEADER_RL_LIMIT,
	HTTP_HEADER_RL_REMAINING,
	HTTP_HEADER_RL_RESET,
	HTTP_HEADER_RL_XRESET
};

static const struct {
	const char			*name;
	enum http_header_rl_field	 field;
} http_header_rl_names[] = {
	{ "ratelimit-limit", HTTP_HEADER_RL_LIMIT },
	{ "ratelimit-remaining", HTTP_HEADER_RL_REMAINING },
	{ "ratelimit-reset", HTTP_HEADER_RL_RESET },
	{ "x-ratelimit-limit", HTTP_HEADER_RL_LIMIT },
	{ "x-ratelimit-remaining", HTTP_HEADER_RL_REMAINING },
	{ "x-ratelimit-reset", HTTP_HEADER_RL_XRESET },
};

int
http_header_ows(int c)
{
	return (c == ' ' || c == '\t');
}

static int
http_header_digit(int c)
{
	return (c >= '0' && c <= '9');
}

static int
http_header_alnum(int c)
{
	return (http_header_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

/* tchar of RFC 9110 section 5.6.2. */
static int
http_header_tchar(int c)
{
	return (http_header_alnum(c) ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL));
}

/* The characters of token68 (RFC 7235 section 2.1) before the '='s. */
int
http_header_t68char(int c)
{
	return (http_header_alnum(c) ||
	    (c != '\0' && strchr("-._~+/", c) != NULL));
}

static int
http_header_lower(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A' + 'a');
	return (c);
}

/* Do n bytes at s equal the lowercase NUL-terminated word, in any case? */
static int
http_header_eq(const char *s, size_t n, const char *word)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (word[i] == '\0' ||
		    http_header_lower((unsigned char)s[i]) != word[i])
			return (0);
	}
	return (word[n] == '\0');
}

char *
http_header_lowerdup(const char *s, size_t n)
{
	char	*copy;
	size_t	 i;

	copy = xstrndup(s, n);
	for (i = 0; i < n; i++)
		copy[i] = http_header_lower((unsigned char)copy[i]);
	return (copy);
}

/* Fill cause (when not NULL) with "what: error (at byte N)". */
void
http_header_cause(char **cause, const char *what, const char *error,
    const struct http_header_scan *s)
{
	if (cause == NULL)
		return;
	if (s != NULL)
		xasprintf(cause, "%s: %s (at byte %zu)", what, error, s->i);
	else
		xasprintf(cause, "%s: %s", what, error);
}

/*
 * Bound, trim and check a value: spaces and tabs at both ends and a
 * trailing CR LF go, and no other control byte may remain.
 */
const char *
http_header_prepare(struct http_header_scan *s, const char *v, size_t len)
{
	size_t	 i;
	int	 c;

	s->p = "";
	s->n = s->i = 0;
	if (v == NULL || len == 0)
		return (NULL);
	if (len > HTTP_HEADER_VALUE_MAX)
		return ("value too long");
	while (len > 0 && (http_header_ows(v[len - 1]) || v[len - 1] == '\r' ||
	    v[len - 1] == '\n'))
		len--;
	while (len > 0 && http_header_ows(v[0])) {
		v++;
		len--;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			s->i = i;
			return ("control character in value");
		}
	}
	if (len > 0)
		s->p = v;
	s->n = len;
	return (NULL);
}

int
http_header_peek(const struct http_header_scan *s)
{
	return (s->i < s->n ? (unsigned char)s->p[s->i] : -1);
}

void
http_header_skip_ows(struct http_header_scan *s)
{
	while (s->i < s->n && http_header_ows(s->p[s->i]))
		s->i++;
}

/* Skip spaces and the empty elements of a list: ", ,". */
void
http_header_skip_list(struct http_header_scan *s)
{
	while (s->i < s->n && (http_header_ows(s->p[s->i]) ||
	    s->p[s->i] == ','))
		s->i++;
}

/* After an element: spaces, then the end or a ','. */
const char *
http_header_element_end(struct http_header_scan *s)
{
	http_header_skip_ows(s);
	if (s->i < s->n && s->p[s->i] != ',')
		return ("expected ',' or the end");
	return (NULL);
}

size_t
http_header_token(struct http_header_scan *s, const char **start)
{
	size_t	 from = s->i;

	*start = s->p + s->i;
	while (s->i < s->n && http_header_tchar((unsigned char)s->p[s->i]))
		s->i++;
	return (s->i - from);
}

/* A quoted-string at s->i, unescaped into an allocated string. */
static char *
http_header_quoted(struct http_header_scan *s, const char **error)
{
	size_t	 j, len = 0, k = 0;
	char	*out;

	for (j = s->i + 1; j < s->n && s->p[j] != '"'; j++) {
		if (s->p[j] == '\\')
			j++;
		len++;
	}
	if (j >= s->n) {
		*error = "unterminated quoted string";
		return (NULL);
	}
	out = xmalloc(len + 1);
	for (j = s->i + 1; s->p[j] != '"'; j++) {
		if (s->p[j] == '\\')
			j++;
		out[k++] = s->p[j];
	}
	out[k] = '\0';
	s->i = j + 1;
	return (out);
}

/*
 * A parameter value: a quoted-string, or (more lenient than a token) a run
 * of visible ASCII without '"' and the bytes in stops.
 */
char *
http_header_value(struct http_header_scan *s, const char *stops,
    const char **error)
{
	size_t	 from = s->i;
	int	 c;

	if (http_header_peek(s) == '"')
		return (http_header_quoted(s, error));
	while (s->i < s->n) {
		c = (unsigned char)s->p[s->i];
		if (c <= 0x20 || c >= 0x7f || c == '"' ||
		    strchr(stops, c) != NULL)
			break;
		s->i++;
	}
	if (s->i == from) {
		*error = "missing value";
		return (NULL);
	}
	return (xstrndup(s->p + from, s->i - from));
}

/*
 * Digits at s->i, saturating at HTTP_HEADER_NUMBER_MAX; -1 when there are
 * none.
 */
static long long
http_header_number(struct http_header_scan *s)
{
	long long	 v = 0;
	size_t		 from = s->i;

	while (s->i < s->n && http_header_digit(s->p[s->i])) {
		if (v < HTTP_HEADER_NUMBER_MAX)
			v = v * 10 + (s->p[s->i] - '0');
		s->i++;
	}
	if (s->i == from)
		return (-1);
	return (v > HTTP_HEADER_NUMBER_MAX ? HTTP_HEADER_NUMBER_MAX : v);
}

/* t - now in seconds, clamped to 0..max, without overflow. */
static long
http_header_until(long long t, long long now, long max)
{
	unsigned long long	 d;

	if (t <= now)
		return (0);
	d = (unsigned long long)t - (unsigned long long)now;
	return (d > (unsigned long long)max ? max : (long)d);
}

/* An allocated copy of one part of u, or NULL when it has none. */
static char *
http_header_url_part(CURLU *u, CURLUPart what, unsigned int flags)
{
	char	*s = NULL, *copy;

	if (curl_url_get(u, what, &s, flags) != CURLUE_OK || s == NULL)
		return (NULL);
	copy = xstrdup(s);
	curl_free(s);
	return (copy);
}

/* Check that u holds an http(s) URL with a host and no userinfo. */
static const char *
http_header_url_check(CURLU *u)
{
	char		*scheme, *host, *user, *password;
	const char	*error = NULL;

	scheme = http_header_url_part(u, CURLUPART_SCHEME, 0);
	host = http_header_url_part(u, CURLUPART_HOST, 0);
	user = http_header_url_part(u, CURLUPART_USER, 0);
	password = http_header_url_part(u, CURLUPART_PASSWORD, 0);
	if (scheme == NULL || (strcmp(scheme, "https") != 0 &&
	    strcmp(scheme, "http") != 0))
		error = "not an http or https URL";
	else if (host == NULL || *host == '\0')
		error = "URL without a host";
	else if (user != NULL || password != NULL)
		error = "URL with userinfo";
	free(password);
	free(user);
	free(host);
	free(scheme);
	return (error);
}

/* Load an absolute http(s) URL into a new handle; NULL and error if bad. */
CURLU *
http_header_url_load(const char *url, const char **error)
{
	CURLU	*u;

	u = curl_url();
	if (u == NULL)
		fatalx("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		*error = "not a valid absolute URL";
		curl_url_cleanup(u);
		return (NULL);
	}
	*error = http_header_url_check(u);
	if (*error != NULL) {
		curl_url_cleanup(u);
		return (NULL);
	}
	return (u);
}

/* Resolve ref against the absolute base; the resolved URL stays in *u. */
static const char *
http_header_url_join(const char *base, const char *ref, CURLU **u)
{
	const char	*error;
	size_t		 i;

	*u = NULL;
	if (*ref == '\0')
		return ("empty URL");
	for (i = 0; ref[i] != '\0'; i++) {
		if ((unsigned char)ref[i] <= 0x20 ||
		    (unsigned char)ref[i] >= 0x7f)
			return ("space, control or non-ASCII byte in URL");
	}
	*u = http_header_url_load(base, &error);
	if (*u == NULL)
		return ("request URL is not an absolute http(s) URL");
	if (curl_url_set(*u, CURLUPART_URL, ref, 0) != CURLUE_OK)
		return ("not a valid URL");
	error = http_header_url_check(*u);
	if (error == NULL &&
	    curl_url_set(*u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
		error = "cannot remove the fragment";
	return (error);
}

/* As http_header_url_resolve, naming what in cause. */
int
http_header_resolve(const char *what, const char *base, const char *ref,
    char **out, char **cause)
{
	CURLU		*u;
	const char	*error;

	*out = NULL;
	error = http_header_url_join(base, ref, &u);
	if (error == NULL) {
		*out = http_header_url_part(u, CURLUPART_URL, 0);
		if (*out == NULL)
			error = "cannot rebuild the URL";
	}
	curl_url_cleanup(u);
	if (error == NULL)
		return (0);
	http_header_cause(cause, what, error, NULL);
	return (-1);
}

int
http_header_url_resolve(const char *base, const char *ref, char **out,
    char **cause)
{
	return (http_header_resolve("URL", base, ref, out, cause));
}

void
http_header_origin_get(CURLU *u, struct http_header_origin *o)
{
	o->scheme = http_header_url_part(u, CURLUPART_SCHEME, 0);
	o->host = http_header_url_part(u, CURLUPART_HOST, 0);
	o->port = http_header_url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	if (o->scheme == NULL)
		o->scheme = xstrdup("");
	if (o->host == NULL)
		o->host = xstrdup("");
	if (o->port == NULL)
		o->port = xstrdup("");
}

void
http_header_origin_free(struct http_header_origin *o)
{
	free(o->scheme);
	free(o->host);
	free(o->port);
}

static int
http_header_origin_same(const struct http_header_origin *a,
    const struct http_header_origin *b)
{
	return (strcmp(a->scheme, b->scheme) == 0 &&
	    strcasecmp(a->host, b->host) == 0 && strcmp(a->port, b->port) == 0);
}

/* Does the space-separated list of relation types hold rel (any case)? */
static int
http_header_rel_has(const char *list, const char *rel)
{
	size_t	 n, len = strlen(rel);

	for (;;) {
		list += strspn(list, " \t");
		if (*list == '\0')
			return (0);
		n = strcspn(list, " \t");
		if (n == len && strncasecmp(list, rel, n) == 0)
			return (1);
		list += n;
	}
}

/*
 * The next ";name[=value]" parameter at s: 1 with *name, *len and *value
 * (NULL when it has no '=', else the caller frees it), 0 when no ';'
 * follows, -1 with *error.  *count counts them against the cap; link picks
 * the wording of the messages.
 */
static int
http_header_param(struct http_header_scan *s, size_t *count, int link,
    const char **name, size_t *len, char **value, const char **error)
{
	*value = NULL;
	http_header_skip_ows(s);
	if (http_header_peek(s) != ';')
		return (0);
	s->i++;
	http_header_skip_ows(s);
	if (++*count > HTTP_HEADER_PARAMS_MAX) {
		*error = link ? "too many link parameters" :
		    "too many parameters";
		return (-1);
	}
	*len = http_header_token(s, name);
	if (*len == 0) {
		*error = link ? "expected a link parameter" :
		    "expected a parameter";
		return (-1);
	}
	http_header_skip_ows(s);
	if (http_header_peek(s) != '=')
		return (1);
	s->i++;
	http_header_skip_ows(s);
	*value = http_header_value(s, ",;", error);
	return (*value == NULL ? -1 : 1);
}

/* The link-params after a target; *match when its first rel holds rel. */
static const char *
http_header_link_params(struct http_header_scan *s, const char *rel,
    int *match)
{
	const char	*name, *error = NULL;
	char		*value;
	size_t		 len, n = 0;
	int		 rc, seen_rel = 0;

	*match = 0;
	for (;;) {
		rc = http_header_param(s, &n, 1, &name, &len, &value, &error);
		if (rc <= 0)
			return (rc == 0 ? NULL : error);
		if (value != NULL && !seen_rel &&
		    http_header_eq(name, len, "rel")) {
			seen_rel = 1;
			*match = http_header_rel_has(value, rel);
		}
		free(value);
	}
}

/* The target (in the value) of the first link whose rel holds rel. */
static const char *
http_header_link_scan(struct http_header_scan *s, const char *rel,
    const char **target, size_t *targetlen)
{
	const char	*error, *gt, *t;
	size_t		 links = 0, len, i;
	int		 match;

	*target = NULL;
	*targetlen = 0;
	for (;;) {
		http_header_skip_list(s);
		if (s->i == s->n)
			return (NULL);
		if (++links > HTTP_HEADER_LINKS_MAX)
			return ("too many links");
		if (s->p[s->i] != '<')
			return ("expected '<'");
		gt = memchr(s->p + s->i, '>', s->n - s->i);
		if (gt == NULL)
			return ("unterminated '<'");
		t = s->p + s->i + 1;
		len = gt - t;
		for (i = 0; i < len; i++) {
			if ((unsigned char)t[i] <= 0x20 ||
			    (unsigned char)t[i] >= 0x7f)
				return ("space or non-ASCII byte in a target");
		}
		s->i = gt - s->p + 1;
		error = http_header_link_params(s, rel, &match);
		if (error == NULL)
			error = http_header_element_end(s);
		if (error != NULL)
			return (error);
		if (match && *target == NULL) {
			*target = t;
			*targetlen = len;
		}
	}
}

int
http_header_link_find(const char *v, size_t len, const char *rel,
    char **target, char **cause)
{
	struct http_header_scan	 s;
	const char		*error, *t;
	size_t			 tlen;

	*target = NULL;
	error = http_header_prepare(&s, v, len);
	if (error == NULL)
		error = http_header_link_scan(&s, rel, &t, &tlen);
	if (error != NULL) {
		http_header_cause(cause, "Link", error, &s);
		return (-1);
	}
	if (t != NULL)
		*target = xstrndup(t, tlen);
	return (0);
}

/* May the next link u be followed from the request URL base? */
static const char *
http_header_next_rules(const char *base, CURLU *u, int flags)
{
	struct http_header_origin	 from, to;
	CURLU				*b;
	const char			*error = NULL;

	b = http_header_url_load(base, &error);
	if (b == NULL)
		return ("request URL is not an absolute http(s) URL");
	http_header_origin_get(b, &from);
	http_header_origin_get(u, &to);
	if (strcmp(from.scheme, "https") == 0 &&
	    strcmp(to.scheme, "https") != 0)
		error = "next link goes from https to http";
	else if (!http_header_origin_same(&from, &to) &&
	    (flags & HTTP_HEADER_CROSS_ORIGIN) == 0)
		error = "next link leaves the registry's origin";
	http_header_origin_free(&to);
	http_header_origin_free(&from);
	curl_url_cleanup(b);
	return (error);
}

int
http_header_link_next(const char *request_url, const char *v, size_t len,
    int flags, char **next, char **cause)
{
	CURLU		*u = NULL;
	char		*target = NULL;
	const char	*error;

	*next = NULL;
	if (http_header_link_find(v, len, "next", &target, cause) != 0)
		return (-1);
	if (target == NULL)
		return (0);
	error = http_header_url_join(request_url, target, &u);
	if (error == NULL)
		error = http_header_next_rules(request_url, u, flags);
	if (error == NULL) {
		*next = http_header_url_part(u, CURLUPART_URL, 0);
		if (*next == NULL)
			error = "cannot rebuild the URL";
	}
	curl_url_cleanup(u);
	free(target);
	if (error == NULL)
		return (0);
	http_header_cause(cause, "Link", error, NULL);
	return (-1);
}

/* Could the value be an HTTP-date?  Only the bytes those are made of. */
static int
http_header_datelike(const struct http_header_scan *s)
{
	size_t	 i;
	int	 c;

	if (s->n > HTTP_HEADER_DATE_MAX)
		return (0);
	for (i = 0; i < s->n; i++) {
		c = (unsigned char)s->p[i];
		if (!http_header_alnum(c) && strchr(" ,:-+", c) == NULL)
			return (0);
	}
	return (1);
}

int
http_header_retry_after(const char *v, size_t len, time_t now, long *delay,
    char **cause)
{
	struct http_header_scan	 s;
	const char		*error;
	char			 date[HTTP_HEADER_DATE_MAX + 1];
	long long		 n;
	time_t			 t;
	int			 negative;

	*delay = 0;
	error = http_header_prepare(&s, v, len);
	if (error != NULL)
		goto out;
	negative = http_header_peek(&s) == '-';
	s.i += negative;
	n = http_header_number(&s);
	if (n >= 0 && s.i == s.n) {
		*delay = negative ? 0 : http_header_until(n, 0,
		    HTTP_HEADER_RETRY_MAX);
		return (0);
	}
	s.i = 0;
	error = "neither delta-seconds nor an HTTP-date";
	if (s.n == 0 || !http_header_datelike(&s))
		goto out;
	memcpy(date, s.p, s.n);
	date[s.n] = '\0';
	t = curl_getdate(date, NULL);
	if (t == -1)
		goto out;
	*delay = http_header_until(t, now, HTTP_HEADER_RETRY_MAX);
	return (0);
out:
	http_header_cause(cause, "Retry-After", error, NULL);
	return (-1);
}

int
http_header_x_retry_after(const char *v, size_t len, time_t now,
    long *delay, char **cause)
{
	struct http_header_scan	 s;
	const char		*error;
	long long		 n;
	int			 negative;

	*delay = 0;
	error = http_header_prepare(&s, v, len);
	if (error == NULL) {
		negative = http_header_peek(&s) == '-';
		s.i += negative;
		n = http_header_number(&s);
		if (n < 0 || s.i != s.n)
			error = "not a unix time";
		else if (!negative)
			*delay = http_header_until(n, now,
			    HTTP_HEADER_RETRY_MAX);
	}
	if (error == NULL)
		return (0);
	http_header_cause(cause, "X-Retry-After", error, NULL);
	return (-1);
}

void
http_header_ratelimit_init(struct http_header_ratelimit *rl)
{
	rl->limit = rl->window = rl->remaining = rl->reset = -1;
}

static long
http_header_count(long long n)
{
	return (n > HTTP_HEADER_COUNT_MAX ? HTTP_HEADER_COUNT_MAX : (long)n);
}

/* Is quota q over window w tighter than cq over cw (cq -1: nothing)? */
static int
http_header_tighter(long long q, long long w, long long cq, long long cw)
{
	if (cq < 0 || q < cq)
		return (1);
	return (q == cq && w > cw);
}

/* A whole value that must be digits only. */
static int
http_header_digits(const char *v, long long *n)
{
	struct http_header_scan	 s;

	s.p = v;
	s.n = strlen(v);
	s.i = 0;
	*n = http_header_number(&s);
	return (*n >= 0 && s.i == s.n ? 0 : -1);
}

/* One policy, "N[;name[=value]]...": its quota and window (-1: none). */
static const char *
http_header_policy(struct http_header_scan *s, long long *q, long long *w)
{
	const char	*name, *error = NULL;
	char		*value;
	size_t		 len, n = 0;
	int		 rc;

	*w = -1;
	*q = http_header_number(s);
	if (*q < 0)
		return ("expected a number");
	for (;;) {
		rc = http_header_param(s, &n, 0, &name, &len, &value, &error);
		if (rc <= 0)
			return (rc == 0 ? NULL : error);
		if (value != NULL && *w == -1 &&
		    http_header_eq(name, len, "w") &&
		    http_header_digits(value, w) != 0)
			error = "window is not a number";
		free(value);
		if (error != NULL)
			return (error);
	}
}

/* The tightest policy of a comma-separated list. */
static const char *
http_header_policies(struct http_header_scan *s, long long *q, long long *w)
{
	const char	*error;
	long long	 pq, pw;
	size_t		 n = 0;

	*q = *w = -1;
	for (;;) {
		http_header_skip_list(s);
		if (s->i == s->n)
			break;
		if (++n > HTTP_HEADER_POLICIES_MAX)
			return ("too many policies");
		error = http_header_policy(s, &pq, &pw);
		if (error == NULL)
			error = http_header_element_end(s);
		if (error != NULL)
			return (error);
		if (http_header_tighter(pq, pw, *q, *w)) {
			*q = pq;
			*w = pw;
		}
	}
	return (n == 0 ? "empty value" : NULL);
}

/* Store what one parsed rate-limit header says into rl. */
static void
http_header_ratelimit_set(struct http_header_ratelimit *rl,
    enum http_header_rl_field field, long long q, long long w, time_t now)
{
	long	 reset;

	switch (field) {
	case HTTP_HEADER_RL_LIMIT:
		if (http_header_tighter(q, w, rl->limit, rl->window)) {
			rl->limit = http_header_count(q);
			rl->window = w < 0 ? -1 : http_header_count(w);
		}
		break;
	case HTTP_HEADER_RL_REMAINING:
		if (rl->remaining < 0 || q < rl->remaining)
			rl->remaining = http_header_count(q);
		break;
	case HTTP_HEADER_RL_RESET:
	case HTTP_HEADER_RL_XRESET:
		if (field == HTTP_HEADER_RL_XRESET &&
		    q >= HTTP_HEADER_EPOCH_MIN)
			reset = http_header_until(q, now,
			    HTTP_HEADER_RESET_MAX);
		else
			reset = http_header_until(q, 0,
			    HTTP_HEADER_RESET_MAX);
		if (reset > rl->reset)
			rl->reset = reset;
		break;
	}
}

int
http_header_ratelimit_add(struct http_header_ratelimit *rl, const char *name,
    size_t namelen, const char *v, size_t len, time_t now, char **cause)
{
	struct http_header_scan		 s;
	enum http_header_rl_field	 field;
	const char			*error, *what = NULL;
	long long			 q, w;
	size_t				 i;

	for (i = 0; i < sizeof http_header_rl_names /
	    sizeof http_header_rl_names[0]; i++) {
		if (name != NULL && http_header_eq(name, namelen,
		    http_header_rl_names[i].name)) {
			what = http_header_rl_names[i].name;
			field = http_header_rl_names[i].field;
			break;
		}
	}
	if (what == NULL)
		return (0);
	error = http_header_prepare(&s, v, len);
	if (error == NULL && field != HTTP_HEADER_RL_LIMIT &&
	    field != HTTP_HEADER_RL_REMAINING) {
		q = http_header_number(&s);
		w = -1;
		if (q < 0 || s.i != s.n)
			error = "not a number of seconds";
	} else if (error == NULL)
		error = http_header_policies(&s, &q, &w);
	if (error != NULL) {
		http_header_cause(cause, what, error, &s);
		return (-1);
	}
	http_header_ratelimit_set(rl, field, q, w, now);
	return (1);
}

char *
http_header_content_type(const char *v, size_t len)
{
	struct http_header_scan	 s;
	const char		*semi, *tok;

	if (http_header_prepare(&s, v, len) != NULL)
		return (NULL);
	semi = memchr(s.p, ';', s.n);
	if (semi != NULL)
		s.n = semi - s.p;
	while (s.n > 0 && http_header_ows(s.p[s.n - 1]))
		s.n--;
	if (http_header_token(&s, &tok) == 0 || http_header_peek(&s) != '/')
		return (NULL);
	s.i++;
	if (http_header_token(&s, &tok) == 0 || s.i != s.n)
		return (NULL);
	return (http_header_lowerdup(s.p, s.n));
}

int
http_header_digest(const char *v, size_t len, char **digest, char **cause)
{
	struct http_header_scan	 s;
	const char		*error;
	char			*copy, *why = NULL;

	*digest = NULL;
	error = http_header_prepare(&s, v, len);
	if (error != NULL) {
		http_header_cause(cause, "Docker-Content-Digest", error, NULL);
		return (-1);
	}
	copy = xstrndup(s.p, s.n);
	if (ref_digest_valid(copy, &why) != 0) {
		http_header_cause(cause, "Docker-Content-Digest", why, NULL);
		free(why);
		free(copy);
		return (-1);
	}
	*digest = copy;
	return (0);
}
