/*
 * The registry client (SPEC section 5): one struct registry per registry
 * host, on top of the HTTP engine (http.h).  It resolves a tag to its
 * digest with a HEAD of the manifest (GET and hash when the HEAD carries no
 * digest or is refused with 405; a GET's body must hash to the
 * Docker-Content-Digest it carries, and differing digest headers are
 * refused, so a wrong digest is never reported), fetches and stores the
 * platform manifests of a new image index, and lists tags following Link
 * rel="next".  429, 5xx and transient transport errors are retried with
 * exponential backoff and jitter, honouring Retry-After; a 401 goes
 * through the bearer or basic flow of auth.h once.
 *
 * Where requests go: docker.io is reached at https://registry-1.docker.io;
 * a configured mirror replaces the base URL while the identity (what the
 * store records) stays the upstream name.  Plain http is used for a
 * registry the configuration marks insecure and, as Docker does, for a
 * loopback registry (127.0.0.0/8, localhost, [::1]) whose https:// turns
 * out to speak no TLS: its first request tries https://; while it is in
 * flight the registry's other requests wait; a failed handshake or a
 * refused connection switches that registry object to http:// for good
 * (logged once), any answer (or a certificate, even a bad one) keeps it
 * on https://.  A certificate that fails verification is an error, never
 * a reason for plain http; conf->ca_file, when set, holds the only CAs
 * trusted for the registry (and its mirror).  The failed https:// try is
 * not counted as a request.
 *
 * A registry that cannot be reached fails fast: a name that does not
 * resolve, a failed TLS handshake or certificate are not retried; a
 * refused or timed-out connection is retried by one request (the gate)
 * while the registry's other requests wait for it.  Once the connection
 * has failed for good, the registry object is unreachable: every request
 * it has in flight, waiting or started later fails at once with one
 * message, "NAME: registry unreachable: <curl's reason>".
 *
 * Every callback runs exactly once, from the loop, never from inside the
 * call that started the operation.  Strings in a result are borrowed for
 * the duration of the callback.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

struct http;
struct store;
struct auth;
struct registry_conf;
struct store_platform;

/* Bounds. */
#define REGISTRY_MAX_ATTEMPTS	4		/* per request, the first too */
#define REGISTRY_BACKOFF_MS	500		/* first backoff step */
#define REGISTRY_BACKOFF_MAX_MS	30000		/* longest wait */
#define REGISTRY_MAX_MANIFEST	(4 * 1024 * 1024)
#define REGISTRY_MAX_TAGLIST	(8 * 1024 * 1024)
#define REGISTRY_MAX_PAGES	100
#define REGISTRY_MAX_PLATFORMS	256
#define REGISTRY_MAX_TAGS	100000		/* over all pages */
#define REGISTRY_MAX_HUB_PAGE	(4 * 1024 * 1024)
#define REGISTRY_MAX_HUB_TAGS	1000		/* results[] of one page */
#define REGISTRY_HUB_PAGE_SIZE	100		/* asked; Hub's maximum */

enum registry_status {
	REGISTRY_OK = 0,
	REGISTRY_NOT_FOUND,	/* 404, or 401 again with a fresh token */
	REGISTRY_DENIED,	/* 403, or 401 that no credential answers */
	REGISTRY_INVALID,	/* digest mismatch, malformed answer */
	REGISTRY_FAILED		/* transport error or 429/5xx after retries */
};

/*
 * What an operation found.  answered is nonzero when an HTTP response
 * arrived at all (even a 404); digest and media_type are set with
 * REGISTRY_OK for a HEAD; error is a message when the status is not OK.
 */
struct registry_result {
	enum registry_status	 status;
	int			 answered;
	long			 http_status;
	const char		*digest;
	const char		*media_type;
	const char		*error;
	size_t			 count;		/* platforms or tags stored */
};

typedef void	 registry_cb(const struct registry_result *, void *);

/* Counters of one registry, for the poll summary. */
struct registry_counts {
	int64_t		 requests;
	int64_t		 heads;
	int64_t		 gets;
	int64_t		 errors;
	int64_t		 throttled;		/* 429 answers */
	int64_t		 ratelimit_remaining;	/* lowest seen; -1 unknown */
};

struct registry;

/*
 * A registry named name (normalized, "docker.io", "localhost:5000"),
 * configured by conf (may be NULL), talking through http and, for a 401,
 * auth (may be NULL: a 401 is then REGISTRY_DENIED), storing into store
 * (may be NULL: nothing is stored).  The registry borrows all of them;
 * they must outlive it.  NULL and *cause if the base URL is unusable.
 */
struct registry	*registry_create(uv_loop_t *, struct http *, struct auth *,
		     struct store *, const char *name,
		     const struct registry_conf *, char **cause);
/*
 * Free a registry with no operation in flight (call it after the loop has
 * drained them); NULL is a no-op.
 */
void		 registry_free(struct registry *);
/*
 * Fail every operation of the registry, now and later, with "cancelled":
 * those waiting for a retry or for the gate at once, those in flight when
 * their transfer is cancelled (http_free, or here).  For a stop.
 */
void		 registry_cancel(struct registry *);
const char	*registry_name(const struct registry *);
/* The base URL requests go to, without a trailing slash. */
const char	*registry_base(const struct registry *);
void		 registry_get_counts(const struct registry *,
		     struct registry_counts *);

/* Resolve repo:tag to a digest (HEAD, or GET and hash as a fallback). */
int		 registry_head_digest(struct registry *, const char *repo,
		     const char *tag, registry_cb *, void *);
/*
 * GET the index digest of repo, check its sha256, and store its platform
 * manifests (attestations and unknown/unknown skipped).  The caller asks
 * only when store_index_known says it is new.
 */
int		 registry_get_index(struct registry *, const char *repo,
		     const char *digest, registry_cb *, void *);
/*
 * List every tag of repo (Link pages, capped) and record the list.  On a
 * registry with a Hub API (conf->hub_api; Docker Hub's own for docker.io
 * unless "none"), the newest page of the Hub's tag list of repo
 * ({hub_api}/v2/namespaces/NS/repositories/NAME/tags, ordered by
 * last_updated) gives the push times recorded with it; a failed or
 * malformed answer only leaves them unknown (and counts as an error).
 */
int		 registry_list_tags(struct registry *, const char *repo,
		     registry_cb *, void *);

/*
 * An image index parsed by registry_parse_index: the entries of
 * manifests[] in order, attestations and unknown/unknown skipped.  The
 * strings of platforms are borrowed from json (the parsed document, opaque
 * here); registry_index_clear frees both.
 */
struct registry_index {
	struct store_platform	*platforms;
	size_t			 n;
	void			*json;
};

/*
 * Parse the index or manifest list body buf (len bytes, untrusted) served
 * with content_type (NULL when absent).  -1 and *cause when it is no index,
 * its mediaType contradicts content_type, it lists more than
 * REGISTRY_MAX_PLATFORMS manifests or an entry has an invalid digest; idx
 * then holds nothing.  No I/O.
 */
int		 registry_parse_index(const char *buf, size_t len,
		     const char *content_type, struct registry_index *idx,
		     char **cause);
void		 registry_index_clear(struct registry_index *);

/* Tags gathered from tags/list pages; the strings are owned here. */
struct registry_tags {
	char	**list;
	size_t	  n;
	size_t	  alloc;
};

/*
 * Append the tags of one tags/list page buf (len bytes, untrusted) to tl,
 * skipping entries that are not strings matching the tag grammar.  -1 and
 * *cause when the page is no tag list or the total passes
 * REGISTRY_MAX_TAGS (tl keeps what was appended).  A zeroed tl is empty;
 * registry_tags_clear frees it.  No I/O.
 */
int		 registry_parse_tags(const char *buf, size_t len,
		     struct registry_tags *tl, char **cause);
void		 registry_tags_clear(struct registry_tags *);

/* Push times from one page of Docker Hub's tag API; names owned here. */
struct registry_hub_tag {
	char	*name;
	time_t	 pushed;
};

struct registry_hub_page {
	struct registry_hub_tag	*list;
	size_t			 n;
};

/*
 * Read one page of Docker Hub's tag API, buf (len bytes, untrusted): for
 * each results[] entry whose name matches the tag grammar, its push time,
 * tag_last_pushed or else last_updated (RFC 3339, after 1970); entries
 * with neither are skipped.  -1 and *cause when it is no such page or it
 * has more than REGISTRY_MAX_HUB_TAGS results; pg then holds nothing.  A
 * zeroed pg is empty; registry_hub_page_clear frees it.  No I/O.
 */
int		 registry_parse_hub_tags(const char *buf, size_t len,
		     struct registry_hub_page *pg, char **cause);
void		 registry_hub_page_clear(struct registry_hub_page *);

/* Whether a media type names an image index or a manifest list. */
int		 registry_is_index_type(const char *);
/*
 * "sha256:<hex>" (or sha512 when the digest names it) of a buffer; the
 * caller frees it; NULL for an unknown algorithm.
 */
char		*registry_digest_of(const char *algorithm, const void *,
		     size_t);

#endif
