#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "xmalloc.h"

#define REF_EFORMAT	"invalid reference format"

static int
ref_alnum(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'));
}

static int
ref_lower_alnum(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

static int
ref_hex(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

/* One host label: [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]. */
static int
ref_host_label(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || !ref_alnum(s[0]) || !ref_alnum(s[n - 1]))
		return (0);
	for (i = 0; i < n; i++) {
		if (!ref_alnum(s[i]) && s[i] != '-')
			return (0);
	}
	return (1);
}

/* domain := (label ("." label)* | "[" ipv6 "]") (":" [0-9]+)? */
static int
ref_valid_domain(const char *s, size_t n)
{
	size_t	 i, host_end, start;

	if (n == 0)
		return (0);
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++) {
			if (!ref_hex(s[i]) && s[i] != ':')
				return (0);
		}
		if (i == n || i == 1)
			return (0);
		host_end = i + 1;
	} else {
		for (host_end = 0; host_end < n && s[host_end] != ':';
		    host_end++)
			;
		start = 0;
		for (i = 0; i <= host_end; i++) {
			if (i == host_end || s[i] == '.') {
				if (!ref_host_label(s + start, i - start))
					return (0);
				start = i + 1;
			}
		}
	}
	if (host_end == n)
		return (1);
	if (s[host_end] != ':' || host_end + 1 == n)
		return (0);
	for (i = host_end + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (1);
}

/* component := [a-z0-9]+ (([._] | "__" | "-"+) [a-z0-9]+)* */
static int
ref_valid_component(const char *s, size_t n)
{
	size_t	 i = 0, j;

	for (;;) {
		j = i;
		while (i < n && ref_lower_alnum(s[i]))
			i++;
		if (i == j)
			return (0);
		if (i == n)
			return (1);
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else
			return (0);
	}
}

static int
ref_valid_path(const char *s, size_t n)
{
	size_t	 i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!ref_valid_component(s + start, i - start))
				return (0);
			start = i + 1;
		}
	}
	return (1);
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int
ref_valid_tag(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > REF_TAG_MAX || !(ref_alnum(s[0]) || s[0] == '_'))
		return (0);
	for (i = 1; i < n; i++) {
		if (!ref_alnum(s[i]) && s[i] != '_' && s[i] != '.' &&
		    s[i] != '-')
			return (0);
	}
	return (1);
}

/*
 * Digest syntax, then go-digest's validation: a registered algorithm
 * (sha256, sha512, as the OCI image spec registers) and its exact length in
 * lowercase hex.
 */
int
ref_digest_valid(const char *s, char **cause)
{
	const char	*colon, *p, *hex;
	size_t		 hexlen, want;
	int		 start = 1;

	colon = strchr(s, ':');
	if (colon == NULL || colon == s)
		goto format;
	for (p = s; p < colon; p++) {
		if (start) {
			if (!isalpha((unsigned char)*p))
				goto format;
			start = 0;
		} else if (strchr("-_+.", *p) != NULL)
			start = 1;
		else if (!ref_alnum(*p))
			goto format;
	}
	if (start)
		goto format;
	hex = colon + 1;
	hexlen = strlen(hex);
	if (hexlen < 32)
		goto format;
	for (p = hex; *p != '\0'; p++) {
		if (!ref_hex(*p))
			goto format;
	}
	if ((size_t)(colon - s) == 6 && strncmp(s, "sha256", 6) == 0)
		want = 64;
	else if ((size_t)(colon - s) == 6 && strncmp(s, "sha512", 6) == 0)
		want = 128;
	else {
		*cause = xstrdup("unsupported digest algorithm");
		return (-1);
	}
	if (hexlen != want) {
		*cause = xstrdup("invalid checksum digest length");
		return (-1);
	}
	for (p = hex; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'F') {
			*cause = xstrdup("invalid checksum digest format");
			return (-1);
		}
	}
	return (0);
format:
	*cause = xstrdup(REF_EFORMAT);
	return (-1);
}

static int
ref_is_hex64(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return (0);
	}
	return (i == 64);
}

/* splitDockerDomain: is the first component a registry? */
static int
ref_first_is_domain(const char *s, size_t n)
{
	size_t	 i;

	if (n == 9 && strncmp(s, "localhost", 9) == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return (1);
	}
	return (0);
}

int
ref_parse(const char *s, struct ref *r, char **cause)
{
	const char	*slash, *rem, *at, *colon, *lastslash, *p, *end;
	char		*domain = NULL, *path = NULL;
	size_t		 dlen, namelen;
	int		 rc = -1;

	memset(r, 0, sizeof *r);
	*cause = NULL;
	if (ref_is_hex64(s)) {
		xasprintf(cause, "invalid repository name (%s), cannot specify "
		    "64-byte hexadecimal strings", s);
		goto out;
	}
	slash = strchr(s, '/');
	if (slash != NULL && ref_first_is_domain(s, slash - s)) {
		dlen = slash - s;
		domain = xstrndup(s, dlen);
		rem = slash + 1;
	} else {
		domain = xstrdup(REF_DEFAULT_REGISTRY);
		rem = s;
	}
	if (strcmp(domain, "index.docker.io") == 0) {
		free(domain);
		domain = xstrdup(REF_DEFAULT_REGISTRY);
	}

	/* Cut off the digest (after the first '@') and the tag. */
	at = strchr(rem, '@');
	end = at != NULL ? at : rem + strlen(rem);
	colon = NULL;
	lastslash = NULL;
	for (p = rem; p < end; p++) {
		if (*p == ':')
			colon = p;
		else if (*p == '/')
			lastslash = p;
	}
	if (colon != NULL && lastslash != NULL && colon < lastslash)
		colon = NULL;
	namelen = (colon != NULL ? colon : end) - rem;

	/* The repository must be lowercase (checked before the grammar). */
	for (p = rem; *p != '\0' && *p != ':'; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			xasprintf(cause, REF_EFORMAT ": repository name (%.*s) "
			    "must be lowercase", (int)(strcspn(rem, ":")), rem);
			goto out;
		}
	}

	if (strcmp(domain, REF_DEFAULT_REGISTRY) == 0 &&
	    memchr(rem, '/', namelen) == NULL)
		xasprintf(&path, "library/%.*s", (int)namelen, rem);
	else
		path = xstrndup(rem, namelen);

	if (!ref_valid_domain(domain, strlen(domain)) ||
	    !ref_valid_path(path, strlen(path))) {
		*cause = xstrdup(REF_EFORMAT);
		goto out;
	}
	if (colon != NULL && !ref_valid_tag(colon + 1, end - colon - 1)) {
		*cause = xstrdup(REF_EFORMAT);
		goto out;
	}
	if (at != NULL && ref_digest_valid(at + 1, cause) != 0)
		goto out;
	if (strlen(path) > REF_PATH_MAX) {
		xasprintf(cause, "repository name must not be more than %d "
		    "characters", REF_PATH_MAX);
		goto out;
	}

	r->registry = domain;
	r->repository = path;
	domain = path = NULL;
	if (colon != NULL)
		r->tag = xstrndup(colon + 1, end - colon - 1);
	if (at != NULL)
		r->digest = xstrdup(at + 1);
	r->written = xstrndup(s, (colon != NULL ? colon : end) - s);
	rc = 0;
out:
	free(domain);
	free(path);
	return (rc);
}

void
ref_deinit(struct ref *r)
{
	if (r == NULL)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	free(r->written);
	memset(r, 0, sizeof *r);
}

static char *
ref_xstrdup_null(const char *s)
{
	return (s == NULL ? NULL : xstrdup(s));
}

void
ref_copy(struct ref *dst, const struct ref *src)
{
	dst->registry = ref_xstrdup_null(src->registry);
	dst->repository = ref_xstrdup_null(src->repository);
	dst->tag = ref_xstrdup_null(src->tag);
	dst->digest = ref_xstrdup_null(src->digest);
	dst->written = ref_xstrdup_null(src->written);
}

char *
ref_canonical(const struct ref *r)
{
	char	*s;

	if (r->tag == NULL && r->digest == NULL)
		xasprintf(&s, "%s/%s:latest", r->registry, r->repository);
	else
		xasprintf(&s, "%s/%s%s%s%s%s", r->registry, r->repository,
		    r->tag != NULL ? ":" : "", r->tag != NULL ? r->tag : "",
		    r->digest != NULL ? "@" : "",
		    r->digest != NULL ? r->digest : "");
	return (s);
}

static int
ref_is_hub(const char *registry)
{
	return (strcmp(registry, "docker.io") == 0 ||
	    strcmp(registry, "registry-1.docker.io") == 0);
}

char *
ref_familiar_name(const struct ref *r)
{
	char	*s;

	if (ref_is_hub(r->registry)) {
		if (strncmp(r->repository, "library/", 8) == 0 &&
		    strchr(r->repository + 8, '/') == NULL)
			return (xstrdup(r->repository + 8));
		if (strcmp(r->registry, "docker.io") == 0)
			return (xstrdup(r->repository));
	}
	xasprintf(&s, "%s/%s", r->registry, r->repository);
	return (s);
}

char *
ref_identity(const struct ref *r)
{
	char	*s;

	if (ref_is_hub(r->registry) && strchr(r->repository, '/') == NULL)
		xasprintf(&s, "docker.io/library/%s", r->repository);
	else if (ref_is_hub(r->registry))
		xasprintf(&s, "docker.io/%s", r->repository);
	else
		xasprintf(&s, "%s/%s", r->registry, r->repository);
	return (s);
}

int
ref_same_image(const struct ref *a, const struct ref *b)
{
	char	*ia, *ib;
	int	 same;

	ia = ref_identity(a);
	ib = ref_identity(b);
	same = strcmp(ia, ib) == 0;
	free(ia);
	free(ib);
	return (same);
}

char *
ref_with(const struct ref *r, const char *tag, const char *digest)
{
	char	*s;

	xasprintf(&s, "%s%s%s%s%s", r->written, tag != NULL ? ":" : "",
	    tag != NULL ? tag : "", digest != NULL ? "@" : "",
	    digest != NULL ? digest : "");
	return (s);
}
