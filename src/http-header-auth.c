#include "autoconf.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http-header-int.h"
#include "xmalloc.h"

/*
 * WWW-Authenticate: the challenges of a response, and where their realm
 * resolves to and whether a token may be asked for there.
 */

/* Free the challenges from index keep on. */
static void
http_header_auth_truncate(struct http_header_auth *a, size_t keep)
{
	struct http_header_challenge	*c;
	size_t				 i;

	while (a->n > keep) {
		c = &a->list[--a->n];
		for (i = 0; i < c->nparams; i++) {
			free(c->params[i].name);
			free(c->params[i].value);
		}
		free(c->params);
		free(c->token68);
		free(c->scheme);
	}
}

void
http_header_auth_init(struct http_header_auth *a)
{
	a->list = NULL;
	a->n = 0;
}

void
http_header_auth_deinit(struct http_header_auth *a)
{
	if (a == NULL)
		return;
	http_header_auth_truncate(a, 0);
	free(a->list);
	a->list = NULL;
}

/* The param at s->i, which is the '=' after its name. */
static const char *
http_header_auth_param(struct http_header_challenge *c,
    struct http_header_scan *s, const char *name, size_t namelen)
{
	struct http_header_param	*p;
	const char			*error = NULL;
	char				*value;

	s->i++;
	http_header_skip_ows(s);
	if (c->nparams == HTTP_HEADER_PARAMS_MAX)
		return ("too many parameters");
	value = http_header_value(s, ",", &error);
	if (value == NULL)
		return (error);
	c->params = xreallocarray(c->params, c->nparams + 1,
	    sizeof *c->params);
	p = &c->params[c->nparams++];
	p->name = http_header_lowerdup(name, namelen);
	p->value = value;
	return (NULL);
}

/* What follows a scheme: nothing, a token68 or the first param. */
static const char *
http_header_auth_first(struct http_header_challenge *c,
    struct http_header_scan *s)
{
	const char	*name;
	size_t		 start = s->i, end, eq, j, namelen;

	http_header_skip_ows(s);
	if (s->i == s->n || s->p[s->i] == ',')
		return (NULL);
	if (s->i == start)
		return ("expected a space after the scheme");
	start = s->i;
	for (end = start; end < s->n && http_header_t68char(s->p[end]); end++)
		;
	for (eq = end; eq < s->n && s->p[eq] == '='; eq++)
		;
	for (j = eq; j < s->n && http_header_ows(s->p[j]); j++)
		;
	if (end > start && (j == s->n || s->p[j] == ',')) {
		c->token68 = xstrndup(s->p + start, eq - start);
		s->i = j;
		return (NULL);
	}
	namelen = http_header_token(s, &name);
	if (namelen == 0)
		return ("expected a parameter");
	http_header_skip_ows(s);
	if (http_header_peek(s) != '=')
		return ("missing '=' after a parameter name");
	return (http_header_auth_param(c, s, name, namelen));
}

static struct http_header_challenge *
http_header_auth_new(struct http_header_auth *a, const char *scheme,
    size_t len)
{
	struct http_header_challenge	*c;

	a->list = xreallocarray(a->list, a->n + 1, sizeof *a->list);
	c = &a->list[a->n++];
	memset(c, 0, sizeof *c);
	c->scheme = http_header_lowerdup(scheme, len);
	return (c);
}

/* Parse the challenges of one line into a; NULL or what is wrong. */
static const char *
http_header_auth_line(struct http_header_auth *a, struct http_header_scan *s)
{
	struct http_header_challenge	*c = NULL;
	const char			*tok, *error;
	size_t				 len, after;

	for (;;) {
		http_header_skip_list(s);
		if (s->i == s->n)
			return (NULL);
		len = http_header_token(s, &tok);
		if (len == 0)
			return ("expected a scheme or a parameter");
		after = s->i;
		http_header_skip_ows(s);
		if (http_header_peek(s) == '=') {
			if (c == NULL)
				return ("parameter before any scheme");
			if (c->token68 != NULL)
				return ("parameter after a token68");
			error = http_header_auth_param(c, s, tok, len);
		} else {
			if (a->n == HTTP_HEADER_CHALLENGES_MAX)
				return ("too many challenges");
			c = http_header_auth_new(a, tok, len);
			s->i = after;
			error = http_header_auth_first(c, s);
		}
		if (error == NULL)
			error = http_header_element_end(s);
		if (error != NULL)
			return (error);
	}
}

int
http_header_auth_add(struct http_header_auth *a, const char *v, size_t len,
    char **cause)
{
	struct http_header_scan		 s;
	struct http_header_challenge	*c;
	const char			*error;
	size_t				 before = a->n, i;

	error = http_header_prepare(&s, v, len);
	if (error == NULL)
		error = http_header_auth_line(a, &s);
	if (error == NULL && a->n == before)
		error = "no challenge";
	if (error != NULL) {
		http_header_auth_truncate(a, before);
		http_header_cause(cause, "WWW-Authenticate", error, &s);
		return (-1);
	}
	for (i = before; i < a->n; i++) {
		c = &a->list[i];
		c->realm = http_header_challenge_param(c, "realm");
		c->service = http_header_challenge_param(c, "service");
		c->scope = http_header_challenge_param(c, "scope");
		c->error = http_header_challenge_param(c, "error");
	}
	return (0);
}

const struct http_header_challenge *
http_header_auth_find(const struct http_header_auth *a, const char *scheme)
{
	size_t	 i;

	for (i = 0; i < a->n; i++) {
		if (strcasecmp(a->list[i].scheme, scheme) == 0)
			return (&a->list[i]);
	}
	return (NULL);
}

const char *
http_header_challenge_param(const struct http_header_challenge *c,
    const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nparams; i++) {
		if (strcasecmp(c->params[i].name, name) == 0)
			return (c->params[i].value);
	}
	return (NULL);
}

int
http_header_realm_resolve(const char *request_url, const char *realm,
    char **out, char **cause)
{
	return (http_header_resolve("realm", request_url, realm, out, cause));
}

enum http_header_host {
	HTTP_HEADER_HOST_PUBLIC,
	HTTP_HEADER_HOST_PRIVATE,
	HTTP_HEADER_HOST_LOOPBACK
};

/* Loopback: 0/8 and 127/8; private: RFC 1918, link-local, CGNAT. */
static enum http_header_host
http_header_v4_class(const unsigned char *a)
{
	if (a[0] == 0 || a[0] == 127)
		return (HTTP_HEADER_HOST_LOOPBACK);
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64))
		return (HTTP_HEADER_HOST_PRIVATE);
	return (HTTP_HEADER_HOST_PUBLIC);
}

/* IPv4-compatible, -mapped and NAT64 addresses take their IPv4 class. */
static enum http_header_host
http_header_v6_class(const unsigned char *a)
{
	static const unsigned char	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	static const unsigned char	 nat64[12] = {
		0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
	};
	static const unsigned char	 zero[12];

	if (memcmp(a, zero, 12) == 0 || memcmp(a, mapped, 12) == 0 ||
	    memcmp(a, nat64, 12) == 0)
		return (http_header_v4_class(a + 12));
	if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0x80) == 0x80))
		return (HTTP_HEADER_HOST_PRIVATE);
	return (HTTP_HEADER_HOST_PUBLIC);
}

/* Classify a host as libcurl gives it: a name, IPv4 or "[IPv6]". */
static enum http_header_host
http_header_host_class(const char *host)
{
	enum http_header_host	 class;
	unsigned char		 a[16];
	char			*copy;
	size_t			 n;
	int			 v6 = 0;

	copy = xstrdup(host);
	n = strlen(copy);
	if (n > 0 && copy[n - 1] == '.')
		copy[--n] = '\0';
	if (copy[0] == '[') {
		v6 = 1;
		copy[strcspn(copy, "]%")] = '\0';
	}
	if (v6 && inet_pton(AF_INET6, copy + 1, a) == 1)
		class = http_header_v6_class(a);
	else if (!v6 && inet_pton(AF_INET, copy, a) == 1)
		class = http_header_v4_class(a);
	else if (strcasecmp(copy, "localhost") == 0 || (n > 10 &&
	    strcasecmp(copy + n - 10, ".localhost") == 0))
		class = HTTP_HEADER_HOST_LOOPBACK;
	else
		class = HTTP_HEADER_HOST_PUBLIC;
	free(copy);
	return (class);
}

/* The rules of http_header_realm_check on two parsed URLs. */
static const char *
http_header_realm_rules(CURLU *realm, CURLU *request, int flags)
{
	struct http_header_origin	 r, q;
	enum http_header_host		 rclass;
	const char			*error = NULL;
	int				 loop, same;

	http_header_origin_get(realm, &r);
	http_header_origin_get(request, &q);
	rclass = http_header_host_class(r.host);
	loop = rclass == HTTP_HEADER_HOST_LOOPBACK &&
	    http_header_host_class(q.host) == HTTP_HEADER_HOST_LOOPBACK;
	same = strcasecmp(r.host, q.host) == 0 && strcmp(r.port, q.port) == 0;
	if (strcmp(r.scheme, "https") != 0 &&
	    (flags & HTTP_HEADER_INSECURE) == 0 && !loop)
		error = "realm is not https and the registry is not insecure";
	else if (rclass != HTTP_HEADER_HOST_PUBLIC && !same && !loop &&
	    (flags & HTTP_HEADER_PRIVATE_REALM) == 0)
		error = "realm is on a loopback or private address";
	http_header_origin_free(&q);
	http_header_origin_free(&r);
	return (error);
}

int
http_header_realm_check(const char *realm_url, const char *request_url,
    int flags, char **cause)
{
	CURLU		*realm = NULL, *request = NULL;
	const char	*error;

	realm = http_header_url_load(realm_url, &error);
	if (realm == NULL)
		goto out;
	request = http_header_url_load(request_url, &error);
	if (request == NULL) {
		error = "request URL is not an absolute http(s) URL";
		goto out;
	}
	error = http_header_realm_rules(realm, request, flags);
out:
	curl_url_cleanup(request);
	curl_url_cleanup(realm);
	if (error == NULL)
		return (0);
	http_header_cause(cause, "realm", error, NULL);
	return (-1);
}
