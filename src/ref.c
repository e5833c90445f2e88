#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "xmalloc.h"

#define REF_EFORMAT	"invalid reference format"
#define REF_HUB_LEGACY	"index.docker.io"
#define REF_HUB_HOST	"registry-1.docker.io"
#define REF_OFFICIAL	"library/"
#define REF_OFFICIAL_LEN 8
#define REF_ECHO_MAX	128	/* input echoed in an error, at most */

static int
ref_lower(int c)
{
	return (c >= 'a' && c <= 'z');
}

static int
ref_upper(int c)
{
	return (c >= 'A' && c <= 'Z');
}

static int
ref_digit(int c)
{
	return (c >= '0' && c <= '9');
}

static int
ref_alnum(int c)
{
	return (ref_lower(c) || ref_upper(c) || ref_digit(c));
}

static int
ref_lower_alnum(int c)
{
	return (ref_lower(c) || ref_digit(c));
}

static int
ref_hex(int c)
{
	return (ref_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

static int
ref_has_upper(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (ref_upper(s[i]))
			return (1);
	}
	return (0);
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

/* domain := (label ("." label)* | "[" [0-9A-Fa-f:]+ "]") (":" [0-9]+)? */
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
		if (!ref_digit(s[i]))
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

/* path := component ("/" component)* */
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

/* Would s, lowercased, be a valid path component? */
static int
ref_valid_component_folded(const char *s, size_t n)
{
	char	*lower;
	size_t	 i;
	int	 valid;

	lower = xstrndup(s, n);
	for (i = 0; i < n; i++) {
		if (ref_upper(lower[i]))
			lower[i] = lower[i] - 'A' + 'a';
	}
	valid = ref_valid_component(lower, n);
	free(lower);
	return (valid);
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
 * The digest syntax of a reference:
 * [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [0-9A-Fa-f]{32,}
 */
static int
ref_digest_syntax(const char *s)
{
	const char	*p, *hex;
	int		 start = 1;

	for (p = s; *p != ':'; p++) {
		if (*p == '\0')
			return (0);
		if (start) {
			if (!ref_lower(*p) && !ref_upper(*p))
				return (0);
			start = 0;
		} else if (*p == '-' || *p == '_' || *p == '+' || *p == '.')
			start = 1;
		else if (!ref_alnum(*p))
			return (0);
	}
	if (start)
		return (0);
	hex = p + 1;
	for (p = hex; *p != '\0'; p++) {
		if (!ref_hex(*p))
			return (0);
	}
	return (p - hex >= 32);
}

/*
 * go-digest's validation of a digest that has the reference syntax: the
 * algorithm must be registered (sha256 and sha512, as the OCI image spec
 * registers) and the hex its exact length in lowercase.  Returns NULL or the
 * error text.
 */
static const char *
ref_digest_check(const char *s)
{
	const char	*colon, *p;
	size_t		 want;

	colon = strchr(s, ':');
	if ((size_t)(colon - s) == 6 && strncmp(s, "sha256", 6) == 0)
		want = 64;
	else if ((size_t)(colon - s) == 6 && strncmp(s, "sha512", 6) == 0)
		want = 128;
	else
		return ("unsupported digest algorithm");
	if (strlen(colon + 1) != want)
		return ("invalid checksum digest length");
	for (p = colon + 1; *p != '\0'; p++) {
		if (!ref_digit(*p) && !(*p >= 'a' && *p <= 'f'))
			return ("invalid checksum digest format");
	}
	return (NULL);
}

int
ref_digest_valid(const char *s, char **cause)
{
	const char	*error;

	if (!ref_digest_syntax(s))
		error = "invalid checksum digest format";
	else
		error = ref_digest_check(s);
	if (error == NULL)
		return (0);
	if (cause != NULL)
		*cause = xstrdup(error);
	return (-1);
}

static int
ref_is_hex64(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!ref_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return (0);
	}
	return (i == 64);
}

/* splitDockerDomain: is the first component of a name a registry? */
static int
ref_first_is_domain(const char *s, size_t n)
{
	size_t	 i;

	if (n == 9 && strncmp(s, "localhost", 9) == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (s[i] == '.' || s[i] == ':' || ref_upper(s[i]))
			return (1);
	}
	return (0);
}

/*
 * Split s into a domain and the remainder (path, tag, digest) as
 * ParseNormalizedNamed does, both allocated.
 */
static void
ref_split_domain(const char *s, char **domain, char **remainder)
{
	const char	*slash, *rest;

	slash = strchr(s, '/');
	if (slash != NULL && ref_first_is_domain(s, slash - s)) {
		*domain = xstrndup(s, slash - s);
		rest = slash + 1;
	} else {
		*domain = xstrdup(REF_DEFAULT_REGISTRY);
		rest = s;
	}
	if (strcmp(*domain, REF_HUB_LEGACY) == 0) {
		free(*domain);
		*domain = xstrdup(REF_DEFAULT_REGISTRY);
	}
	if (strcmp(*domain, REF_DEFAULT_REGISTRY) == 0 &&
	    strchr(rest, '/') == NULL)
		xasprintf(remainder, "%s%s", REF_OFFICIAL, rest);
	else
		*remainder = xstrdup(rest);
}

int
ref_parse(const char *s, struct ref *r, char **cause)
{
	char		*domain = NULL, *rem = NULL;
	const char	*tag = NULL, *digest = NULL, *error;
	size_t		 n, pathlen, taglen = 0, suffix;
	int		 rc = -1, domain_ok, rest_ok;

	memset(r, 0, sizeof *r);
	*cause = NULL;
	if (ref_is_hex64(s)) {
		xasprintf(cause, "invalid repository name (%s), cannot specify "
		    "64-byte hexadecimal strings", s);
		goto out;
	}
	ref_split_domain(s, &domain, &rem);

	/* The repository must be lowercase, checked before the grammar. */
	n = strcspn(rem, ":");
	if (ref_has_upper(rem, n)) {
		if (n > REF_ECHO_MAX)
			n = REF_ECHO_MAX;
		xasprintf(cause, REF_EFORMAT ": repository name (%.*s) must be "
		    "lowercase", (int)n, rem);
		goto out;
	}

	/* Neither the path nor the tag may hold ':' or '@'. */
	pathlen = strcspn(rem, ":@");
	if (rem[pathlen] == ':') {
		tag = rem + pathlen + 1;
		taglen = strcspn(tag, "@");
		if (tag[taglen] == '@')
			digest = tag + taglen + 1;
	} else if (rem[pathlen] == '@')
		digest = rem + pathlen + 1;

	domain_ok = ref_valid_domain(domain, strlen(domain));
	rest_ok = ref_valid_path(rem, pathlen) &&
	    (tag == NULL || ref_valid_tag(tag, taglen)) &&
	    (digest == NULL || ref_digest_syntax(digest));
	if (!domain_ok && rest_ok &&
	    ref_valid_component_folded(domain, strlen(domain))) {
		/*
		 * Upstream reads such a first component as part of the path,
		 * giving a reference with no domain at all (or, with
		 * uppercase, says the name must be lowercase).
		 */
		if (ref_has_upper(domain, strlen(domain)))
			*cause = xstrdup(REF_EFORMAT ": repository name must "
			    "be lowercase");
		else
			xasprintf(cause, REF_EFORMAT ": %.*s is not a valid "
			    "registry host", REF_ECHO_MAX, domain);
		goto out;
	}
	if (!domain_ok || !rest_ok) {
		*cause = xstrdup(REF_EFORMAT);
		goto out;
	}
	if (pathlen > REF_PATH_MAX) {
		xasprintf(cause, "repository name must not be more than %d "
		    "characters", REF_PATH_MAX);
		goto out;
	}
	error = digest != NULL ? ref_digest_check(digest) : NULL;
	if (error != NULL) {
		*cause = xstrdup(error);
		goto out;
	}

	r->registry = domain;
	r->repository = xstrndup(rem, pathlen);
	domain = NULL;
	if (tag != NULL)
		r->tag = xstrndup(tag, taglen);
	if (digest != NULL)
		r->digest = xstrdup(digest);
	/* The remainder ends with the same tag and digest as s. */
	suffix = strlen(rem) - pathlen;
	r->written = xstrndup(s, strlen(s) - suffix);
	rc = 0;
out:
	free(domain);
	free(rem);
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

/* Every spelling of Docker Hub: as normalized, legacy, and as reached. */
static int
ref_is_hub(const char *registry)
{
	return (strcmp(registry, REF_DEFAULT_REGISTRY) == 0 ||
	    strcmp(registry, REF_HUB_LEGACY) == 0 ||
	    strcmp(registry, REF_HUB_HOST) == 0);
}

/* The Hub path of r: registry-1.docker.io/nginx is library/nginx. */
static char *
ref_hub_path(const struct ref *r)
{
	char	*s;

	if (strchr(r->repository, '/') == NULL)
		xasprintf(&s, "%s%s", REF_OFFICIAL, r->repository);
	else
		s = xstrdup(r->repository);
	return (s);
}

char *
ref_familiar_name(const struct ref *r)
{
	char		*s, *path;
	const char	*short_name;

	if (!ref_is_hub(r->registry)) {
		xasprintf(&s, "%s/%s", r->registry, r->repository);
		return (s);
	}
	path = ref_hub_path(r);
	short_name = path + REF_OFFICIAL_LEN;
	if (strlen(path) > REF_PATH_MAX)
		/*
		 * registry-1.docker.io/<248+ chars>: on Hub it is library/...,
		 * too long for a name, so it keeps the registry it was
		 * written with (found by fuzz_ref).
		 */
		xasprintf(&s, "%s/%s", r->registry, r->repository);
	else if (strncmp(path, REF_OFFICIAL, REF_OFFICIAL_LEN) == 0 &&
	    strchr(short_name, '/') == NULL && !ref_is_hex64(short_name))
		s = xstrdup(short_name);
	else if (ref_first_is_domain(path, strcspn(path, "/")))
		xasprintf(&s, "%s/%s", REF_DEFAULT_REGISTRY, path);
	else
		s = xstrdup(path);
	free(path);
	return (s);
}

char *
ref_identity(const struct ref *r)
{
	char	*s, *path;

	if (!ref_is_hub(r->registry)) {
		xasprintf(&s, "%s/%s", r->registry, r->repository);
		return (s);
	}
	path = ref_hub_path(r);
	xasprintf(&s, "%s/%s", REF_DEFAULT_REGISTRY, path);
	free(path);
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
