/*
 * The outbox and the announced findings (outbox.h), on the store's
 * connection: statements in the store's extension slots from
 * STORE_EXT_OUTBOX on.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "event.h"
#include "outbox.h"
#include "store.h"
#include "store-int.h"
#include "xmalloc.h"

enum outbox_sql {
	OSQL_DUE,
	OSQL_NEXT_DUE,
	OSQL_DELIVERED,
	OSQL_FAILED,
	OSQL_LIST,
	OSQL_RETRY,
	OSQL_FINDING_GET,
	OSQL_FINDING_OPEN,
	OSQL_FINDING_SEEN,
	OSQL_FINDING_HOLD,
	OSQL_FINDING_GEN,
	OSQL_FINDING_STALE,
	OSQL_FINDING_RESOLVE,
	OSQL_COUNT
};

#define OUTBOX_COLS \
	"id, uid, type, subject, body, created_at, state, attempts, " \
	"next_at, last_at, last_status, last_error"
/* The first pending event of o's subject. */
#define OUTBOX_HEAD \
	"o.state = 'pending' AND o.id = (SELECT min(p.id) FROM outbox p " \
	"WHERE p.subject = o.subject AND p.state = 'pending')"

static const char *outbox_sql[OSQL_COUNT] = {
	[OSQL_DUE] =
	    "SELECT " OUTBOX_COLS " FROM outbox o WHERE o.next_at <= ?1 AND "
	    OUTBOX_HEAD " ORDER BY o.id LIMIT ?2",
	[OSQL_NEXT_DUE] =
	    "SELECT min(o.next_at) FROM outbox o WHERE " OUTBOX_HEAD,
	[OSQL_DELIVERED] =
	    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, "
	    "last_at = ?3, last_status = ?2, last_error = NULL "
	    "WHERE id = ?1 AND state = 'pending'",
	[OSQL_FAILED] =
	    "UPDATE outbox SET state = CASE WHEN ?6 THEN 'dead' "
	    "ELSE 'pending' END, attempts = attempts + 1, last_at = ?4, "
	    "last_status = ?2, last_error = ?3, next_at = ?5 "
	    "WHERE id = ?1 AND state = 'pending'",
	[OSQL_LIST] =
	    "SELECT " OUTBOX_COLS " FROM outbox WHERE "
	    "(?1 & 1 AND state = 'pending') OR (?1 & 2 AND state = 'dead') OR "
	    "(?1 & 4 AND state = 'delivered') ORDER BY id",
	/* The age limit counts from the requeue (created_at). */
	[OSQL_RETRY] =
	    "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?1, "
	    "created_at = ?1 WHERE state = 'dead'",
	[OSQL_FINDING_GET] =
	    "SELECT resolved_at IS NULL FROM finding WHERE fingerprint = ?1",
	[OSQL_FINDING_OPEN] =
	    "INSERT INTO finding (fingerprint, rule, file, image, opened_at, "
	    "last_seen, seen_sync, data) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, "
	    "?7) ON CONFLICT (fingerprint) DO UPDATE SET opened_at = ?5, "
	    "last_seen = ?5, seen_sync = ?6, data = ?7, resolved_at = NULL",
	[OSQL_FINDING_SEEN] =
	    "UPDATE finding SET last_seen = ?2, seen_sync = ?3, data = ?4 "
	    "WHERE fingerprint = ?1",
	[OSQL_FINDING_HOLD] =
	    "UPDATE finding SET seen_sync = ?2 "
	    "WHERE fingerprint = ?1 AND resolved_at IS NULL",
	[OSQL_FINDING_GEN] =
	    "SELECT coalesce(max(seen_sync), 0) + 1 FROM finding",
	[OSQL_FINDING_STALE] =
	    "SELECT fingerprint, data FROM finding "
	    "WHERE resolved_at IS NULL AND seen_sync < ?1 ORDER BY fingerprint",
	[OSQL_FINDING_RESOLVE] =
	    "UPDATE finding SET resolved_at = ?2 WHERE fingerprint = ?1",
};

static sqlite3_stmt *
outbox_stmt(struct store *s, enum outbox_sql which, char **cause,
    const char *fmt, int64_t a, int64_t b)
{
	return (store_ext_stmt(s, STORE_EXT_OUTBOX + (int)which,
	    outbox_sql[which], cause, fmt, a, b));
}

const char *
outbox_state_name(enum outbox_state st)
{
	switch (st) {
	case OUTBOX_PENDING:
		return ("pending");
	case OUTBOX_DELIVERED:
		return ("delivered");
	default:
		return ("dead");
	}
}

static enum outbox_state
outbox_state_parse(const char *s)
{
	if (s != NULL && strcmp(s, "pending") == 0)
		return (OUTBOX_PENDING);
	if (s != NULL && strcmp(s, "delivered") == 0)
		return (OUTBOX_DELIVERED);
	return (OUTBOX_DEAD);
}

/* A text column, "" for NULL. */
static char *
outbox_text(sqlite3_stmt *st, int col)
{
	char	*s = store_column_text(st, col);

	return (s != NULL ? s : xstrdup(""));
}

static void
outbox_event_read(sqlite3_stmt *st, struct outbox_event *e)
{
	const unsigned char	*state;

	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(st, 0);
	/* NOT NULL in the schema; a damaged file still gets strings. */
	e->uid = outbox_text(st, 1);
	e->type = outbox_text(st, 2);
	e->subject = outbox_text(st, 3);
	e->body = outbox_text(st, 4);
	e->created = (time_t)sqlite3_column_int64(st, 5);
	state = sqlite3_column_text(st, 6);
	e->state = outbox_state_parse((const char *)state);
	e->attempts = sqlite3_column_int(st, 7);
	e->next_at = (time_t)sqlite3_column_int64(st, 8);
	e->last_at = (time_t)sqlite3_column_int64(st, 9);
	e->last_status = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 :
	    (long)sqlite3_column_int64(st, 10);
	e->last_error = store_column_text(st, 11);
}

/* Every row of a prepared event query, at most max (0: no limit). */
static int
outbox_rows(struct store *s, sqlite3_stmt *st, size_t max,
    struct outbox_event **out, size_t *n, char **cause)
{
	struct outbox_event	*v = NULL;
	size_t			 len = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return (-1);
	while ((rc = store_step(s, st, cause)) == 1) {
		v = xreallocarray(v, len + 1, sizeof *v);
		outbox_event_read(st, &v[len++]);
		if (max != 0 && len == max) {
			store_done(st);
			rc = 0;
			break;
		}
	}
	if (rc == -1) {
		outbox_events_free(v, len);
		return (-1);
	}
	*out = v;
	*n = len;
	return (0);
}

int
outbox_due(struct store *s, time_t now, size_t max,
    struct outbox_event **out, size_t *n, char **cause)
{
	return (outbox_rows(s, outbox_stmt(s, OSQL_DUE, cause, "ii",
	    (int64_t)now, (int64_t)max), max, out, n, cause));
}

int
outbox_next_due(struct store *s, time_t *at, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = outbox_stmt(s, OSQL_NEXT_DUE, cause, "", 0, 0);
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc != 1)
		return (rc);
	rc = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : 1;
	if (rc == 1)
		*at = (time_t)sqlite3_column_int64(st, 0);
	store_done(st);
	return (rc);
}

int
outbox_delivered(struct store *s, int64_t id, long status, time_t now,
    char **cause)
{
	return (store_ext_run(s, STORE_EXT_OUTBOX + OSQL_DELIVERED,
	    outbox_sql[OSQL_DELIVERED], cause, "iii", id, (int64_t)status,
	    (int64_t)now));
}

int
outbox_failed(struct store *s, int64_t id, long status, const char *error,
    time_t now, time_t next_at, int dead, char **cause)
{
	return (store_ext_run(s, STORE_EXT_OUTBOX + OSQL_FAILED,
	    outbox_sql[OSQL_FAILED], cause, "intiii", id, (int64_t)status,
	    error, (int64_t)now, (int64_t)next_at, (int64_t)(dead != 0)));
}

int
outbox_list(struct store *s, int mask, struct outbox_event **out,
    size_t *n, char **cause)
{
	return (outbox_rows(s, outbox_stmt(s, OSQL_LIST, cause, "i",
	    (int64_t)mask, 0), 0, out, n, cause));
}

int
outbox_retry(struct store *s, time_t now, size_t *n, char **cause)
{
	if (store_ext_run(s, STORE_EXT_OUTBOX + OSQL_RETRY,
	    outbox_sql[OSQL_RETRY], cause, "i", (int64_t)now) == -1)
		return (-1);
	*n = store_changes(s);
	return (0);
}

void
outbox_events_free(struct outbox_event *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].uid);
		free(v[i].type);
		free(v[i].subject);
		free(v[i].body);
		free(v[i].last_error);
	}
	free(v);
}

/* Queue a finding event around data. */
static int
outbox_finding_event(struct store *s, const char *type,
    const char *fingerprint, const char *data, time_t now, char **cause)
{
	char	*uid, *body, *subject;
	int	 rc;

	uid = event_new_id();
	body = event_finding(uid, type, now, data);
	xasprintf(&subject, "finding:%s", fingerprint);
	rc = store_outbox_add(s, uid, type, subject, body, now, cause);
	free(subject);
	free(body);
	free(uid);
	return (rc);
}

/* One entry of the sync: open, keep quiet, or hold. */
static int
outbox_sync_one(struct store *s, const struct outbox_finding *f,
    int64_t gen, time_t now, size_t *opened, char **cause)
{
	int64_t	 open = 0;
	int	 found;

	found = store_ext_int(s, STORE_EXT_OUTBOX + OSQL_FINDING_GET,
	    outbox_sql[OSQL_FINDING_GET], &open, cause, "t", f->fingerprint);
	if (found == -1)
		return (-1);
	if (f->held)
		return (found == 1 && open ? store_ext_run(s,
		    STORE_EXT_OUTBOX + OSQL_FINDING_HOLD,
		    outbox_sql[OSQL_FINDING_HOLD], cause, "ti",
		    f->fingerprint, gen) : 0);
	if (found == 1 && open)
		return (store_ext_run(s, STORE_EXT_OUTBOX + OSQL_FINDING_SEEN,
		    outbox_sql[OSQL_FINDING_SEEN], cause, "tiit",
		    f->fingerprint, (int64_t)now, gen, f->data));
	if (store_ext_run(s, STORE_EXT_OUTBOX + OSQL_FINDING_OPEN,
	    outbox_sql[OSQL_FINDING_OPEN], cause, "ttttiit", f->fingerprint,
	    f->rule, f->file, f->image, (int64_t)now, gen, f->data) == -1)
		return (-1);
	(*opened)++;
	return (outbox_finding_event(s, "finding.opened", f->fingerprint,
	    f->data, now, cause));
}

/* Resolve the open findings this sync did not see. */
static int
outbox_sync_resolve(struct store *s, int64_t gen, time_t now,
    size_t *resolved, char **cause)
{
	sqlite3_stmt	*st;
	char		**fp = NULL, **data = NULL;
	size_t		 n = 0, i;
	int		 rc;

	st = outbox_stmt(s, OSQL_FINDING_STALE, cause, "i", gen, 0);
	if (st == NULL)
		return (-1);
	while ((rc = store_step(s, st, cause)) == 1) {
		fp = xreallocarray(fp, n + 1, sizeof *fp);
		data = xreallocarray(data, n + 1, sizeof *data);
		fp[n] = store_column_text(st, 0);
		data[n++] = store_column_text(st, 1);
	}
	for (i = 0; rc == 0 && i < n; i++) {
		if (store_ext_run(s, STORE_EXT_OUTBOX + OSQL_FINDING_RESOLVE,
		    outbox_sql[OSQL_FINDING_RESOLVE], cause, "ti", fp[i],
		    (int64_t)now) == -1 || outbox_finding_event(s,
		    "finding.resolved", fp[i], data[i], now, cause) == -1)
			rc = -1;
		else
			(*resolved)++;
	}
	for (i = 0; i < n; i++) {
		free(fp[i]);
		free(data[i]);
	}
	free(fp);
	free(data);
	return (rc);
}

int
outbox_findings_sync(struct store *s, const struct outbox_finding *f,
    size_t n, time_t now, size_t *opened, size_t *resolved, char **cause)
{
	int64_t	 gen = 0;
	size_t	 i, o = 0, r = 0;
	int	 rc = -1;

	if (store_begin(s, cause) == -1)
		return (-1);
	if (store_ext_int(s, STORE_EXT_OUTBOX + OSQL_FINDING_GEN,
	    outbox_sql[OSQL_FINDING_GEN], &gen, cause, "") != 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (outbox_sync_one(s, &f[i], gen, now, &o, cause) == -1)
			goto out;
	}
	if (outbox_sync_resolve(s, gen, now, &r, cause) == -1)
		goto out;
	if (store_commit(s, cause) == -1)
		goto out;
	if (opened != NULL)
		*opened = o;
	if (resolved != NULL)
		*resolved = r;
	rc = 0;
out:
	if (rc == -1)
		store_rollback(s);
	return (rc);
}
