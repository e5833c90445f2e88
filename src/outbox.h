/*
 * The outbox (SPEC section 8): events waiting for the webhook, kept in the
 * history database (sql/002-outbox.sql) and written in the transaction of
 * the change that caused them, so none is lost or sent for a change that
 * did not happen.  Events of one subject (a tag, a finding) are handed
 * out in order: the next only once the one before is delivered or dead.
 * Also the findings a daemon announced, so each opens and resolves once.
 *
 * Same conventions as store.h: 0/-1 (lookups 1/0/-1), allocated *cause.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

enum outbox_state {
	OUTBOX_PENDING = 0,
	OUTBOX_DELIVERED,
	OUTBOX_DEAD
};

struct outbox_event {
	int64_t			 id;
	char			*uid;		/* idempotency id */
	char			*type;		/* "tag.moved", ... */
	char			*subject;
	char			*body;		/* tagdrift.event/v1 JSON */
	time_t			 created;
	enum outbox_state	 state;
	int			 attempts;
	time_t			 next_at;
	time_t			 last_at;	/* 0: never tried */
	long			 last_status;	/* -1: no HTTP answer */
	char			*last_error;	/* NULL when none */
};

/*
 * At most max pending events due at now, oldest first, each the first
 * pending event of its subject; free with outbox_events_free.
 */
int	 outbox_due(struct store *, time_t now, size_t max,
	     struct outbox_event **, size_t *, char **cause);
/* When the next event falls due: 1 and *at, 0 when nothing is pending. */
int	 outbox_next_due(struct store *, time_t *at, char **cause);
/* An attempt that the receiver acknowledged (2xx). */
int	 outbox_delivered(struct store *, int64_t id, long status, time_t now,
	     char **cause);
/*
 * An attempt that failed (status -1 when nothing answered; error says
 * why, body excerpt included): tried again at next_at, or dead.
 */
int	 outbox_failed(struct store *, int64_t id, long status,
	     const char *error, time_t now, time_t next_at, int dead,
	     char **cause);

#define OUTBOX_LIST_PENDING	0x1
#define OUTBOX_LIST_DEAD	0x2
#define OUTBOX_LIST_DELIVERED	0x4

/* The events in the states of mask, oldest first. */
int	 outbox_list(struct store *, int mask, struct outbox_event **,
	     size_t *, char **cause);
/*
 * Requeue every dead event (attempts from zero, due now, and max_age
 * counted from now); *n counts.
 */
int	 outbox_retry(struct store *, time_t now, size_t *n, char **cause);
void	 outbox_events_free(struct outbox_event *, size_t);
const char *outbox_state_name(enum outbox_state);

/* A finding of this scan, for outbox_findings_sync. */
struct outbox_finding {
	const char	*fingerprint;	/* event_fingerprint */
	const char	*rule;
	const char	*file;
	const char	*image;
	const char	*data;		/* event_finding_data */
	int		 held;		/* not judged this time: keep as is */
};

/*
 * Bring the announced findings in line with one complete scan, in one
 * transaction: a finding not open yet opens (finding.opened); an open one
 * stays quiet; an open one missing from the list, and not held, resolves
 * (finding.resolved).  A held entry only keeps an open finding open
 * (a registry that did not answer must not resolve its findings).
 */
int	 outbox_findings_sync(struct store *, const struct outbox_finding *,
	     size_t n, time_t now, size_t *opened, size_t *resolved,
	     char **cause);

#endif
