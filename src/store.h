/*
 * The history database (SPEC section 6), on SQLite: for each tag of each
 * repository, the periods during which it pointed at one digest; which
 * tags a registry listed and which went away; the platform manifests of
 * every image index seen; and one row per poll.  Callers pass the time
 * (UTC unix seconds) and the repository by identity ("docker.io/library/
 * node"); the store does no network and checks no syntax.
 *
 * Every function that writes does so in one transaction: on error nothing
 * of that call is left.  Functions return 0 or -1, lookups 1 (found), 0
 * (not found) or -1; on -1, *cause is an allocated message naming the
 * file, which the caller frees.  A struct store is one SQLite connection,
 * for one thread at a time.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The embedded migrations, sql/NNN-*.sql (src/store-sql.c, generated). */
struct store_migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

extern const struct store_migration	store_migrations[];
extern const size_t			store_nmigrations;

#define STORE_READONLY	0x1	/* no migration, no writes (audit --offline) */
#define STORE_MKDIR	0x2	/* create missing parent directories, 0700 */

#define STORE_BUSY_MS	5000	/* how long to wait for a lock by default */
#define STORE_MAX_TEXT	(1024 * 1024)	/* longest name or digest stored */

struct store;

/* What store_record_digest did. */
enum store_change {
	STORE_SAME,		/* same digest: the open period was extended */
	STORE_NEW,		/* the tag's first digest: a first period */
	STORE_MOVED		/* moved: a period closed, a new one opened */
};

/* A period during which a tag pointed at one digest. */
struct store_period {
	int64_t		 id;		/* grows with time, per database */
	char		*digest;
	char		*media_type;	/* NULL when not known */
	time_t		 first_seen;
	time_t		 last_seen;
	time_t		 closed;	/* when seen moved off; 0: still open */
};

/* A known tag, for listings and the stale-tag rule. */
struct store_tag {
	char		*name;
	time_t		 first_seen;
	time_t		 last_seen;	/* listed or resolved */
	time_t		 gone_since;	/* 0 while it exists */
	time_t		 pushed;	/* registry's push time; 0 unknown */
	int		 listed;	/* in the last tag list fetched */
	char		*digest;	/* current; NULL: never resolved */
	time_t		 since;		/* first seen at that digest */
	size_t		 nperiods;	/* 1: never seen moving */
};

/*
 * One manifest of an index.  In store_record_index the strings are the
 * caller's (os, architecture, variant may be NULL); from
 * store_index_platforms they are allocated ("" where absent) and freed by
 * store_platforms_free.
 */
struct store_platform {
	const char	*os;
	const char	*architecture;
	const char	*variant;
	const char	*digest;
};

/* What one poll cost. */
struct store_poll_counts {
	int64_t		 requests;
	int64_t		 heads;
	int64_t		 gets;
	int64_t		 errors;
	int64_t		 throttled;	/* 429 answers */
	int64_t		 changes;	/* tags seen moving */
	int64_t		 ratelimit_remaining;	/* lowest seen; -1 unknown */
};

struct store_poll {
	int64_t			 id;
	time_t			 started;
	time_t			 finished;	/* 0: running or interrupted */
	struct store_poll_counts counts;
};

/*
 * Open (creating it, unless STORE_READONLY) the database at path and bring
 * its schema up to date.  busy_ms is how long to wait for another
 * process's lock, 0 for STORE_BUSY_MS.  Refuses a file that is not a
 * tagdrift database or was written by a newer schema.
 */
int	 store_open(const char *path, int flags, int busy_ms, struct store **,
	     char **cause);
/* Close the connection; store_close(NULL) does nothing. */
void	 store_close(struct store *);
/*
 * Write an event to the outbox (outbox.h) with every change that has one,
 * in the change's transaction: tag.moved from store_record_digest.  Off
 * by default; on where a webhook is configured.
 */
void	 store_set_events(struct store *, int);
int	 store_events(const struct store *);
/* The path the store was opened with. */
const char *store_path(const struct store *);
/* The schema version of the open database. */
int	 store_schema(const struct store *);
/*
 * Hand back the page cache to the allocator (the file stays in the
 * kernel's cache): between a daemon's cycles, so a growing history does
 * not grow the process.
 */
void	 store_release_memory(struct store *);
/*
 * A full integrity check (PRAGMA quick_check): it reads every page, so
 * store_open does not run it.
 */
int	 store_check(struct store *, char **cause);

/* Start a poll at now; *id names it for store_poll_finish. */
int	 store_poll_begin(struct store *, time_t now, int64_t *id,
	     char **cause);
int	 store_poll_finish(struct store *, int64_t id, time_t now,
	     const struct store_poll_counts *, char **cause);
/* The latest poll (finished or not): 1 and *p, 0 when none, -1 on error. */
int	 store_poll_last(struct store *, struct store_poll *, char **cause);

/*
 * Record that repo:tag pointed at digest at now: extend the open period
 * when the digest is the same, else close it and open a new one.  The tag
 * is marked seen (and no longer gone).  media_type may be NULL.
 */
int	 store_record_digest(struct store *, const char *repo,
	     const char *tag, const char *digest, const char *media_type,
	     time_t now, enum store_change *, char **cause);
/*
 * Record a tag list fetched at now (pushed[i] is tag[i]'s push time, 0
 * unknown; pushed may be NULL): the tags are seen and listed, and a tag
 * that the previous list held but this one does not is gone from now.
 */
int	 store_record_tags(struct store *, const char *repo,
	     const char *const *tags, const time_t *pushed, size_t n,
	     time_t now, char **cause);
/*
 * Record an index and its manifests, once: when the index is already
 * known this changes nothing (digests are immutable).
 */
int	 store_record_index(struct store *, const char *digest,
	     const char *media_type, const struct store_platform *, size_t n,
	     time_t now, char **cause);

/*
 * Tags that turned up in a tag list of repo after the last one considered
 * (never in the repository's first list, never a tag that was resolved:
 * those are watched, not new), by name, and the number of the newest list
 * in *gen; free with store_names_free.  For tag.added.
 */
int	 store_tags_new(struct store *, const char *repo, char ***tags,
	     size_t *n, int64_t *gen, char **cause);
/* An event to write (store_tags_considered). */
struct store_event {
	const char	*uid;
	const char	*type;
	const char	*subject;
	const char	*body;
};
/*
 * Mark repo's tag lists up to gen considered and write their events, in
 * one transaction.
 */
int	 store_tags_considered(struct store *, const char *repo, int64_t gen,
	     const struct store_event *, size_t n, time_t now, char **cause);
void	 store_names_free(char **, size_t);

/* The tag's open period; the caller frees it with store_period_clear. */
int	 store_tag_current(struct store *, const char *repo, const char *tag,
	     struct store_period *, char **cause);
/* Every period of the tag, oldest first; free with store_periods_free. */
int	 store_tag_periods(struct store *, const char *repo, const char *tag,
	     struct store_period **, size_t *, char **cause);
/*
 * Whether the tag ever pointed at digest, itself or as one of the
 * platform manifests of the index it pointed at.  If so, the latest such
 * period (its digest is the tag's, maybe the index) goes in *p (may be
 * NULL; free it with store_period_clear) and the number of periods
 * after it, the rebuilds since, in *later (may be NULL).
 */
int	 store_digest_seen(struct store *, const char *repo, const char *tag,
	     const char *digest, struct store_period *, size_t *later,
	     char **cause);
/* Known tags of repo, by name; free with store_tags_free. */
int	 store_tags(struct store *, const char *repo, struct store_tag **,
	     size_t *, char **cause);
/* When repo's tag list was last fetched. */
int	 store_tags_fetched_at(struct store *, const char *repo, time_t *,
	     char **cause);
int	 store_index_known(struct store *, const char *digest, char **cause);
/* The manifests of a known index, in its order. */
int	 store_index_platforms(struct store *, const char *digest,
	     struct store_platform **, size_t *, char **cause);
/* Whether digest is one of the manifests of the index. */
int	 store_digest_is_platform_of(struct store *, const char *index,
	     const char *digest, char **cause);

void	 store_period_clear(struct store_period *);
void	 store_periods_free(struct store_period *, size_t);
void	 store_tags_free(struct store_tag *, size_t);
void	 store_platforms_free(struct store_platform *, size_t);

#endif
