/*
 * Parsers of the HTTP response header values a registry client reads:
 * WWW-Authenticate challenges, Link rel="next", Retry-After, the rate-limit
 * headers, Content-Type and Docker-Content-Digest.  Every value is hostile:
 * it comes as (pointer, length) without a terminating NUL, any byte may
 * appear, and the work is linear in the length with hard caps on counts and
 * sizes.  No function here does I/O or reads the clock; time comes in as a
 * `now' argument.
 *
 * Values are passed without the header name and colon.  Leading and trailing
 * spaces, tabs and a trailing CR LF are ignored; any other control byte (NUL
 * included) makes the value malformed.
 */
#ifndef HTTP_HEADER_H
#define HTTP_HEADER_H

#include <stddef.h>
#include <time.h>

/* Caps: a longer value, or one with more elements, is malformed. */
#define HTTP_HEADER_VALUE_MAX		16384	/* bytes in a value */
#define HTTP_HEADER_CHALLENGES_MAX	16	/* over all lines */
#define HTTP_HEADER_PARAMS_MAX		32	/* per element */
#define HTTP_HEADER_LINKS_MAX		64	/* per Link value */
#define HTTP_HEADER_POLICIES_MAX	16	/* per rate-limit value */
/* Clamps, in seconds and in requests. */
#define HTTP_HEADER_RETRY_MAX		3600	/* Retry-After */
#define HTTP_HEADER_RESET_MAX		86400	/* RateLimit-Reset */
#define HTTP_HEADER_COUNT_MAX		2147483647L /* quotas, windows */

/* Flags of http_header_realm_check and http_header_link_next. */
#define HTTP_HEADER_INSECURE		0x1	/* http allowed */
#define HTTP_HEADER_PRIVATE_REALM	0x2	/* private realm allowed */
#define HTTP_HEADER_CROSS_ORIGIN	0x4	/* next may change origin */

/* One auth-param; both strings are owned by the challenge. */
struct http_header_param {
	char	*name;		/* lowercase */
	char	*value;		/* unquoted, escapes removed */
};

/* One challenge of a WWW-Authenticate header (RFC 7235 section 4.1). */
struct http_header_challenge {
	char			*scheme;	/* lowercase: "bearer" */
	char			*token68;	/* NULL unless that form */
	struct http_header_param *params;	/* in header order */
	size_t			 nparams;
	/* The first param of each name, borrowed from params; or NULL. */
	const char		*realm;
	const char		*service;
	const char		*scope;
	const char		*error;
};

/* The challenges of every WWW-Authenticate line of one response. */
struct http_header_auth {
	struct http_header_challenge	*list;
	size_t				 n;
};

void	 http_header_auth_init(struct http_header_auth *);
/* Free what the list owns and empty it. */
void	 http_header_auth_deinit(struct http_header_auth *);
/*
 * Parse one WWW-Authenticate line and append its challenges.  A line is
 * taken whole or not at all: on error the list is as it was and cause says
 * why (the caller frees it); lines added before stay.  Each line is parsed
 * on its own: a line cannot add params to the previous line's challenge.
 */
int	 http_header_auth_add(struct http_header_auth *, const char *,
	    size_t, char **cause);
/* The first challenge of that scheme (any case), or NULL. */
const struct http_header_challenge *
	 http_header_auth_find(const struct http_header_auth *, const char *);
/* The value of the first param of that name (any case), or NULL. */
const char *
	 http_header_challenge_param(const struct http_header_challenge *,
	    const char *);

/*
 * Resolve a Bearer realm, which may be relative, against the URL of the
 * request that was challenged.  On success *out is an allocated absolute
 * URL the caller frees.
 */
int	 http_header_realm_resolve(const char *request_url,
	    const char *realm, char **out, char **cause);
/*
 * Check an absolute realm URL before sending anything to it (registry
 * protocol notes, section 1.3).  Only http and https, no userinfo.  Plain
 * http needs HTTP_HEADER_INSECURE, unless both the registry (the host of
 * request_url) and the realm are loopback.  A realm on a loopback, private
 * or link-local address literal (or "localhost") is refused unless it is on
 * the registry's own host and port, or both are loopback, or the flags hold
 * HTTP_HEADER_PRIVATE_REALM.  Host names are not resolved.
 */
int	 http_header_realm_check(const char *realm_url,
	    const char *request_url, int flags, char **cause);

/*
 * Find in one Link value (RFC 8288) the first link whose rel holds the
 * relation type rel (any case); *target is its URI-reference as written,
 * allocated, or NULL when no link matches.  -1 and cause when the value is
 * malformed.
 */
int	 http_header_link_find(const char *, size_t, const char *rel,
	    char **target, char **cause);
/*
 * The rel="next" link of one Link value resolved against request_url: 0
 * with *next allocated (fragment removed), or 0 with *next NULL when there
 * is none.  -1 and cause when the value is malformed, the target is empty,
 * not http(s), carries userinfo, goes from https to http, or leaves the
 * request's origin without HTTP_HEADER_CROSS_ORIGIN.
 */
int	 http_header_link_next(const char *request_url, const char *, size_t,
	    int flags, char **next, char **cause);

/*
 * Resolve a URI-reference against an absolute http(s) base URL (RFC 3986,
 * as libcurl does it).  *out is allocated; the caller frees it.
 */
int	 http_header_url_resolve(const char *base, const char *ref,
	    char **out, char **cause);

/*
 * Retry-After (RFC 9110 section 10.2.3): delta-seconds or an HTTP-date
 * (IMF-fixdate, RFC 850 or asctime; parsed by libcurl, which also takes a
 * few looser date shapes).  *delay is the wait from now in seconds, clamped
 * to 0..HTTP_HEADER_RETRY_MAX ("-N" and past dates give 0).
 */
int	 http_header_retry_after(const char *, size_t, time_t now,
	    long *delay, char **cause);
/* Docker Hub's X-Retry-After: a unix time; *delay as above. */
int	 http_header_x_retry_after(const char *, size_t, time_t now,
	    long *delay, char **cause);

/* What the rate-limit headers of one response say; -1 where unknown. */
struct http_header_ratelimit {
	long	limit;		/* quota of the tightest policy */
	long	window;		/* its window, seconds (w=) */
	long	remaining;	/* the smallest remaining quota */
	long	reset;		/* seconds until the quota resets */
};

void	 http_header_ratelimit_init(struct http_header_ratelimit *);
/*
 * Feed one response header (name and value).  Knows RateLimit-Limit,
 * -Remaining, -Reset and their X-RateLimit- forms.  A limit or remaining
 * value is a comma-separated list of policies "N[;w=S][;other=...]"; the
 * tightest wins, within the value and across calls (the smallest quota;
 * for equal quotas the longer window).  RateLimit-Reset is delta seconds;
 * X-RateLimit-Reset is a unix time when it is 1000000000 or more (Docker
 * Hub's API), delta seconds otherwise; reset is clamped to
 * 0..HTTP_HEADER_RESET_MAX.  Returns 1 when the header was used, 0 when it
 * is not a rate-limit header, -1 (cause filled, rl unchanged) when its
 * value is malformed.
 */
int	 http_header_ratelimit_add(struct http_header_ratelimit *,
	    const char *name, size_t namelen, const char *, size_t, time_t now,
	    char **cause);

/*
 * Content-Type without parameters, trimmed and lowercase
 * ("application/vnd.oci.image.index.v1+json"), allocated; NULL when the
 * value is not a type/subtype pair of tokens.
 */
char	*http_header_content_type(const char *, size_t);
/*
 * Docker-Content-Digest, trimmed and checked with ref_digest_valid: *digest
 * is allocated on success.
 */
int	 http_header_digest(const char *, size_t, char **digest,
	    char **cause);

#endif
