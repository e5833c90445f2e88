/*
 * Registry authentication (registry protocol notes, section 1.2 to 1.4):
 * the bearer challenge flow and basic auth.  After a 401, auth_challenge
 * reads the response's WWW-Authenticate challenges and gets a credential
 * for the scope "repository:<path>:pull": for Bearer, a token from the
 * realm (with service and scope, and basic credentials when configured),
 * cached per (registry, realm, service, scope) until issued_at +
 * max(expires_in, 60) minus AUTH_EXPIRY_MARGIN (issued_at is believed only
 * when it is in the past day); for Basic, the configured user and
 * password.  The realm must pass http_header_realm_check (https unless the
 * registry is insecure or both are loopback; no private hosts elsewhere).
 * Without configured credentials, those of Docker's config.json
 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json; "auths" entries
 * keyed by the host of the request URL, Docker Hub's by
 * https://index.docker.io/v1/; no credential helpers) are used.
 * Tokens and credentials are never logged.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <time.h>

#include <uv.h>

struct http;
struct http_response;

#define AUTH_MIN_LIFETIME	60	/* seconds, when expires_in is less */
#define AUTH_EXPIRY_MARGIN	10	/* seconds renewed early */
#define AUTH_MAX_TOKEN_BODY	(256 * 1024)
#define AUTH_MAX_CACHE		256	/* cached tokens */

/* Flags of auth_challenge. */
#define AUTH_INSECURE	0x1	/* the registry is insecure: http realms ok */

struct auth;

/*
 * What auth_challenge found: authorization is the whole Authorization
 * header value ("Bearer ..." or "Basic ..."), borrowed for the callback,
 * or NULL with error set when no credential could be had.
 */
typedef void	 auth_cb(const char *authorization, const char *error, void *);

/* Credentials for one registry; both NULL for anonymous access. */
struct auth_cred {
	const char	*username;
	const char	*password;
};

/*
 * The loop and the engine are borrowed and must outlive the cache; free
 * it only when no auth_challenge callback is pending.
 */
struct auth	*auth_create(uv_loop_t *, struct http *);
void		 auth_free(struct auth *);

/*
 * Answer the 401 response resp (to request_url) for scope.  sent is the
 * Authorization the refused request carried (or NULL): a cached token
 * equal to it is dropped and a fresh one fetched, unless the challenge
 * says error="insufficient_scope": then a fresh token would grant no more
 * and the callback gets an error.  Challenges for a scope whose token
 * request is in flight wait for it: one token request per scope.  The
 * callback runs once, from the loop: at once (deferred) for a cached
 * token or Basic, after the realm answers otherwise.  -1 and *cause when
 * the response carries no usable challenge (then no callback runs).
 */
int		 auth_challenge(struct auth *, const struct http_response *,
		     const char *request_url, const char *scope,
		     const char *sent, const struct auth_cred *, int flags,
		     auth_cb *, void *, char **cause);
/*
 * The cached Authorization for scope at the registry of request_url (the
 * part before "/v2/"), from the last Bearer challenge seen there, so a
 * request can carry it before any 401; NULL when there is none.  Borrowed
 * until the next call into the cache.
 */
const char	*auth_lookup_url(struct auth *, const char *request_url,
		     const char *scope, time_t now);
/*
 * Parse a token response body buf (len bytes, untrusted) received at now:
 * *header is the Authorization value "Bearer <token>" (the caller frees
 * it) and *expires when the cache stops using it (issued_at, believed
 * only within the day before now, else now, plus expires_in clamped to
 * AUTH_MIN_LIFETIME..one day, minus AUTH_EXPIRY_MARGIN).  -1 and *cause
 * when there is no usable token.  No I/O.
 */
int		 auth_parse_token(const char *buf, size_t len, time_t now,
		     char **header, time_t *expires, char **cause);
/* Tokens in the cache that are still valid at now (for tests). */
size_t		 auth_cached(struct auth *, time_t now);

#endif
