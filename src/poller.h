/*
 * One poll of registries (SPEC section 5): a HEAD per distinct (registry,
 * repository, tag), each digest recorded in the history database, the
 * platforms of a new image index fetched once; then the tag list of each
 * repository a registry answered for, unless it was listed less than
 * cache_ttl ago (or a tag new to the history turned up).  The poll gets a
 * row in the database with what it cost.
 *
 * A poller runs on the caller's loop with the caller's HTTP engine,
 * token cache and database (struct poller_env), so a command runs one to completion (poller_run) and the
 * daemon can start one per interval and go on serving.  The registries it
 * talks to are its own: their counters are this poll's.
 */
#ifndef POLLER_H
#define POLLER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "registry.h"
#include "store.h"

#define POLLER_MAX_TARGETS	4096

struct auth;
struct config;
struct http;
struct poller;
struct ref;

/* One (registry, repository, tag) and what the poll found for it. */
struct poller_target {
	struct poller		*poller;
	struct registry		*reg;
	char			*identity;	/* registry/repository */
	char			*repo;
	char			*tag;
	enum registry_status	 status;
	int			 answered;	/* a registry answered */
	int			 cached;	/* reused: seen < reuse ago */
	enum store_change	 change;
	char			*digest;
	char			*previous;	/* before a move */
	char			*media_type;
	char			*error;
	size_t			 platforms;
};

enum poller_tags_state {
	POLLER_TAGS_LISTED = 0,
	POLLER_TAGS_CACHED,	/* listed less than cache_ttl ago */
	POLLER_TAGS_FAILED
};

/* The tag list of one repository, asked for once per poll. */
struct poller_repo {
	struct poller		*poller;
	struct registry		*reg;
	char			*identity;
	char			*repo;
	enum poller_tags_state	 state;
	size_t			 count;		/* tags listed */
	char			*error;
	int			 renew;		/* a tag new to the history */
};

/* What one registry did in this poll. */
struct poller_registry {
	const char		*name;
	const char		*base;
	struct registry_counts	 counts;
	int64_t			 manifest_gets;
	int64_t			 tag_gets;	/* tag-list pages and the like */
};

typedef void	 poller_done_cb(struct poller *, void *);

/* Where a poll runs: borrowed, they must outlive the poll. */
struct poller_env {
	uv_loop_t	*loop;
	struct http	*http;
	struct auth	*auth;		/* may be NULL: a 401 is denied */
	struct store	*store;
};

/* A poller for conf (borrowed); targets are added before it starts. */
struct poller	*poller_create(const struct config *);
/*
 * Free a poller that is not running (never started, or its done callback
 * has run); NULL is a no-op.
 */
void		 poller_free(struct poller *);
/*
 * Reuse what the history says of a tag seen less than seconds ago instead
 * of asking (audit's cache); 0, the default, always asks.
 */
void		 poller_set_reuse(struct poller *, time_t seconds);
/*
 * Add repo:tag of the image r (tag NULL: r's own, or latest) once,
 * however often it is named.  -1 and *cause past POLLER_MAX_TARGETS.
 */
int		 poller_add(struct poller *, const struct ref *,
		     const char *tag, char **cause);
/* Every image:tag of the catalog that lives in a registry. */
int		 poller_add_catalog(struct poller *, char **cause);
/*
 * Begin the poll row and start every request; done runs once, from the
 * loop, after the last answer and the poll row's completion (or from
 * within this call when there is nothing to ask).  -1 and *cause when the
 * database refuses to begin a poll; done then never runs.  With reuse
 * set, the row is begun only before a first request, so a poll that
 * reuses everything records nothing.  done must
 * not free the poller (the registry that answered last is still on the
 * stack); free it once the loop is back in the caller's hands.
 */
int		 poller_start(struct poller *, const struct poller_env *,
		     poller_done_cb *, void *, char **cause);
/*
 * Start and run the loop until the poll is done (commands, which own the
 * loop).
 */
int		 poller_run(struct poller *, const struct poller_env *,
		     char **cause);

/*
 * Stop a running poll: every request fails as cancelled (retries waiting
 * on their timers too), so done runs soon, from the loop.
 */
void		 poller_cancel(struct poller *);

const struct poller_target *poller_targets(const struct poller *,
		     size_t *);
const struct poller_repo *poller_repos(const struct poller *, size_t *);
size_t		 poller_nregistries(const struct poller *);
void		 poller_registry_at(const struct poller *, size_t,
		     struct poller_registry *);
/* The poll's row id; 0 before poller_start, or when nothing was asked. */
int64_t		 poller_id(const struct poller *);
/*
 * What the poll cost, summed over the registries, and whether any
 * registry answered at all (no target: 1).
 */
void		 poller_counts(const struct poller *,
		     struct store_poll_counts *, int *answered);
/* The first database error of the poll, NULL when there was none. */
const char	*poller_store_error(const struct poller *);
/* The word a report uses for a target: new, moved, unchanged, ... */
const char	*poller_status_name(const struct poller_target *);
const char	*poller_tags_state_name(const struct poller_repo *);

#endif
