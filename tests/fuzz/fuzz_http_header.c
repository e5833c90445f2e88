/*
 * libFuzzer target for src/http-header.c.  The first byte chooses the
 * parser: a (WWW-Authenticate, one line per '\n'), l (Link), r
 * (Retry-After), x (X-Retry-After), q (a rate-limit header, "Name:value"),
 * c (Content-Type), d (Docker-Content-Digest), u (URL and realm: base, '\n',
 * reference); any other byte chooses by its value modulo 8.  The rest is
 * the input, handed over in a buffer of its exact length.  Besides
 * surviving, every result must keep the contract in src/http-header.h.
 * Seeds: tests/data/fuzz/http-header/.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http-header.h"
#include "ref.h"
#include "xmalloc.h"

#define FUZZ_HH_ORIGIN	"https://registry.example.com"
#define FUZZ_HH_REQUEST	FUZZ_HH_ORIGIN "/v2/library/ubuntu/tags/list"
#define FUZZ_HH_NOW	1700000000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void __attribute__((noreturn))
fuzz_hh_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_http_header: %s: %.300s\n", what,
	    detail != NULL ? detail : "(null)");
	abort();
}

/* A heap copy of exactly n bytes, so that reading past them is caught. */
static char *
fuzz_hh_exact(const uint8_t *d, size_t n)
{
	char	*p;

	p = xmalloc(n);
	if (n > 0)
		memcpy(p, d, n);
	return (p);
}

/* rc and cause agree: a cause exactly on failure. */
static void
fuzz_hh_rc(const char *what, int rc, char *cause)
{
	if ((rc != 0) != (cause != NULL))
		fuzz_hh_fail(what, "return code and cause disagree");
	free(cause);
}

static int
fuzz_hh_lower_token(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (unsigned char)*s <= 0x20 ||
		    (unsigned char)*s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}",
		    *s) != NULL)
			return (0);
	}
	return (1);
}

/* An accepted realm is http(s), and http only when allowed. */
static void
fuzz_hh_realm(const char *realm)
{
	char	*url = NULL, *cause = NULL;
	int	 rc;

	rc = http_header_realm_resolve(FUZZ_HH_REQUEST, realm, &url, &cause);
	fuzz_hh_rc("realm_resolve", rc, cause);
	if (rc != 0)
		return;
	cause = NULL;
	rc = http_header_realm_check(url, FUZZ_HH_REQUEST, 0, &cause);
	fuzz_hh_rc("realm_check", rc, cause);
	if (rc == 0 && strncmp(url, "https://", 8) != 0)
		fuzz_hh_fail("realm accepted without https", url);
	free(url);
}

static void
fuzz_hh_auth(const uint8_t *d, size_t n)
{
	struct http_header_auth			 a;
	const struct http_header_challenge	*c;
	const uint8_t				*nl;
	char					*line, *cause;
	size_t					 len, i, j;

	http_header_auth_init(&a);
	for (;;) {
		nl = memchr(d, '\n', n);
		len = nl != NULL ? (size_t)(nl - d) : n;
		line = fuzz_hh_exact(d, len);
		cause = NULL;
		fuzz_hh_rc("auth_add", http_header_auth_add(&a, line, len,
		    &cause), cause);
		free(line);
		if (nl == NULL)
			break;
		d = nl + 1;
		n -= len + 1;
	}
	if (a.n > HTTP_HEADER_CHALLENGES_MAX)
		fuzz_hh_fail("too many challenges", NULL);
	for (i = 0; i < a.n; i++) {
		c = &a.list[i];
		if (!fuzz_hh_lower_token(c->scheme) ||
		    c->nparams > HTTP_HEADER_PARAMS_MAX ||
		    (c->token68 != NULL && c->nparams != 0))
			fuzz_hh_fail("bad challenge", c->scheme);
		for (j = 0; j < c->nparams; j++) {
			if (!fuzz_hh_lower_token(c->params[j].name))
				fuzz_hh_fail("bad param name",
				    c->params[j].name);
		}
		if (c->realm != http_header_challenge_param(c, "realm") ||
		    c->scope != http_header_challenge_param(c, "scope"))
			fuzz_hh_fail("named fields disagree", c->scheme);
	}
	c = http_header_auth_find(&a, "Bearer");
	if (c != NULL && c->realm != NULL)
		fuzz_hh_realm(c->realm);
	http_header_auth_deinit(&a);
}

static void
fuzz_hh_link(const uint8_t *d, size_t n)
{
	char	*v, *next = NULL, *target = NULL, *cause = NULL;
	int	 rc, found;

	v = fuzz_hh_exact(d, n);
	rc = http_header_link_find(v, n, "next", &target, &cause);
	fuzz_hh_rc("link_find", rc, cause);
	found = target != NULL;
	free(target);
	cause = NULL;
	rc = http_header_link_next(FUZZ_HH_REQUEST, v, n, 0, &next, &cause);
	fuzz_hh_rc("link_next", rc, cause);
	if (rc == 0 && (next != NULL) != found)
		fuzz_hh_fail("link_next and link_find disagree", next);
	if (next != NULL && (strncasecmp(next, FUZZ_HH_ORIGIN,
	    strlen(FUZZ_HH_ORIGIN)) != 0 || (next[strlen(FUZZ_HH_ORIGIN)] !=
	    '/' && strncmp(next + strlen(FUZZ_HH_ORIGIN), ":443/", 5) != 0)))
		fuzz_hh_fail("next link left the origin", next);
	free(next);
	next = NULL;
	cause = NULL;
	rc = http_header_link_next(FUZZ_HH_REQUEST, v, n,
	    HTTP_HEADER_CROSS_ORIGIN, &next, &cause);
	fuzz_hh_rc("link_next cross-origin", rc, cause);
	if (next != NULL && strncmp(next, "https://", 8) != 0)
		fuzz_hh_fail("next link left https", next);
	free(next);
	free(v);
}

static void
fuzz_hh_retry(const uint8_t *d, size_t n, int x)
{
	char	*v, *cause = NULL;
	long	 delay = -1;
	int	 rc;

	v = fuzz_hh_exact(d, n);
	if (x)
		rc = http_header_x_retry_after(v, n, FUZZ_HH_NOW, &delay,
		    &cause);
	else
		rc = http_header_retry_after(v, n, FUZZ_HH_NOW, &delay,
		    &cause);
	if (delay < 0 || delay > HTTP_HEADER_RETRY_MAX ||
	    (rc != 0 && delay != 0))
		fuzz_hh_fail("delay out of range", v);
	fuzz_hh_rc("retry_after", rc, cause);
	free(v);
}

static void
fuzz_hh_ratelimit(const uint8_t *d, size_t n)
{
	static const char *const	 names[] = {
		"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
		"X-RateLimit-Limit", "X-RateLimit-Remaining",
		"X-RateLimit-Reset"
	};
	struct http_header_ratelimit	 rl, before;
	const uint8_t			*colon;
	char				*v, *cause;
	size_t				 i, vlen;
	int				 rc;

	http_header_ratelimit_init(&rl);
	colon = memchr(d, ':', n);
	vlen = colon != NULL ? n - (size_t)(colon - d) - 1 : n;
	v = fuzz_hh_exact(colon != NULL ? colon + 1 : d, vlen);
	for (i = 0; i <= sizeof names / sizeof names[0]; i++) {
		before = rl;
		cause = NULL;
		if (i == sizeof names / sizeof names[0])
			rc = http_header_ratelimit_add(&rl, (const char *)d,
			    colon != NULL ? (size_t)(colon - d) : 0, v, vlen,
			    FUZZ_HH_NOW, &cause);
		else
			rc = http_header_ratelimit_add(&rl, names[i],
			    strlen(names[i]), v, vlen, FUZZ_HH_NOW, &cause);
		if ((rc == -1) != (cause != NULL) || (rc != 1 &&
		    memcmp(&rl, &before, sizeof rl) != 0))
			fuzz_hh_fail("ratelimit_add", v);
		free(cause);
	}
	if (rl.limit < -1 || rl.limit > HTTP_HEADER_COUNT_MAX ||
	    rl.window < -1 || rl.remaining < -1 || rl.reset < -1 ||
	    rl.reset > HTTP_HEADER_RESET_MAX)
		fuzz_hh_fail("ratelimit out of range", v);
	free(v);
}

static void
fuzz_hh_content_type(const uint8_t *d, size_t n)
{
	char	*v, *type, *slash;

	v = fuzz_hh_exact(d, n);
	type = http_header_content_type(v, n);
	if (type != NULL) {
		slash = strchr(type, '/');
		if (slash == NULL)
			fuzz_hh_fail("content type without '/'", type);
		*slash = '\0';
		if (!fuzz_hh_lower_token(type) ||
		    !fuzz_hh_lower_token(slash + 1))
			fuzz_hh_fail("content type not lowercase tokens", v);
	}
	free(type);
	free(v);
}

static void
fuzz_hh_digest(const uint8_t *d, size_t n)
{
	char	*v, *digest = NULL, *cause = NULL;
	int	 rc;

	v = fuzz_hh_exact(d, n);
	rc = http_header_digest(v, n, &digest, &cause);
	if (rc == 0 && ref_digest_valid(digest, NULL) != 0)
		fuzz_hh_fail("invalid digest accepted", digest);
	fuzz_hh_rc("digest", rc, cause);
	free(digest);
	free(v);
}

static void
fuzz_hh_url(const uint8_t *d, size_t n)
{
	const uint8_t	*nl;
	char		*base, *ref, *out = NULL, *cause = NULL;
	int		 rc, flags;

	nl = memchr(d, '\n', n);
	if (nl == NULL) {
		base = xstrdup(FUZZ_HH_REQUEST);
		ref = xstrndup((const char *)d, n);
	} else {
		base = xstrndup((const char *)d, nl - d);
		ref = xstrndup((const char *)nl + 1, n - (nl - d) - 1);
	}
	rc = http_header_url_resolve(base, ref, &out, &cause);
	fuzz_hh_rc("url_resolve", rc, cause);
	if (rc == 0 && strncmp(out, "https://", 8) != 0 &&
	    strncmp(out, "http://", 7) != 0)
		fuzz_hh_fail("resolved to another scheme", out);
	for (flags = 0; rc == 0 && flags < 4; flags++) {
		cause = NULL;
		fuzz_hh_rc("realm_check", http_header_realm_check(out, base,
		    flags, &cause), cause);
	}
	free(out);
	fuzz_hh_realm(ref);
	free(ref);
	free(base);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 kinds[] = "alrxqcdu";
	const char		*k;
	int			 kind;

	if (size == 0)
		return (0);
	k = strchr(kinds, data[0]);
	kind = data[0] != '\0' && k != NULL ? k - kinds : data[0] % 8;
	data++;
	size--;
	switch (kind) {
	case 0:
		fuzz_hh_auth(data, size);
		break;
	case 1:
		fuzz_hh_link(data, size);
		break;
	case 2:
	case 3:
		fuzz_hh_retry(data, size, kind == 3);
		break;
	case 4:
		fuzz_hh_ratelimit(data, size);
		break;
	case 5:
		fuzz_hh_content_type(data, size);
		break;
	case 6:
		fuzz_hh_digest(data, size);
		break;
	default:
		fuzz_hh_url(data, size);
		break;
	}
	return (0);
}
