/*
 * The outbox and the announced findings (outbox.h) against databases made
 * at run time in a temporary directory: tag.moved written with the move
 * and only with it, the event documents (event.h), the order in which
 * events fall due, delivery state, and the findings' open/resolve cycle
 * across restarts.  A second, raw SQLite connection looks at the file
 * from outside and plants triggers that make a chosen statement fail, to
 * show that a failed change leaves neither itself nor its event.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "event.h"
#include "outbox.h"
#include "rules.h"
#include "store.h"
#include "store-int.h"
#include "testlib.h"
#include "xmalloc.h"

#define REPO	"docker.io/library/node"
#define DA	"sha256:aaaa"
#define DB	"sha256:bbbb"
#define DC	"sha256:cccc"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

#define T0	1700000000	/* 2023-11-14T22:13:20Z */
#define T0_TEXT	"2023-11-14T22:13:20Z"
#define T1	1700000600	/* 2023-11-14T22:23:20Z */
#define T2	1700003600	/* 2023-11-14T23:13:20Z */
#define T2_TEXT	"2023-11-14T23:13:20Z"

static char	*td;		/* the temporary directory of the test */

static int
setup(void **state)
{
	(void)state;
	td = testlib_tmpdir("test_outbox");
	return (td != NULL ? 0 : -1);
}

static int
teardown(void **state)
{
	(void)state;
	testlib_rmtree(td);
	free(td);
	td = NULL;
	return (0);
}

static char *
td_path(const char *rel)
{
	char	*p;

	xasprintf(&p, "%s/%s", td, rel);
	return (p);
}

static struct store *
open_ok(const char *path)
{
	struct store	*s = NULL;
	char		*cause = NULL;

	if (store_open(path, 0, 0, &s, &cause) != 0)
		fail_msg("store_open %s: %s", path, cause);
	assert_non_null(s);
	return (s);
}

static sqlite3 *
raw_open(const char *path)
{
	sqlite3	*db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return (db);
}

static void
raw_exec(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The integer a query answers, from a connection of its own. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3		*db = raw_open(path);
	sqlite3_stmt	*st = NULL;
	int64_t		 v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (v);
}

/* The text a query answers, allocated ("(null)" for NULL). */
static char *
raw_text(const char *path, const char *sql)
{
	sqlite3		*db = raw_open(path);
	sqlite3_stmt	*st = NULL;
	const char	*t;
	char		*v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	t = (const char *)sqlite3_column_text(st, 0);
	v = xstrdup(t != NULL ? t : "(null)");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (v);
}

static void
record(struct store *s, const char *tag, const char *digest, time_t now,
    enum store_change want)
{
	enum store_change	 ch = (enum store_change)-1;
	char			*cause = NULL;

	if (store_record_digest(s, REPO, tag, digest, OCI_INDEX, now, &ch,
	    &cause) != 0)
		fail_msg("record %s %s: %s", tag, digest, cause);
	assert_int_equal(ch, want);
}

/* Whether s is exactly n lowercase hex digits. */
static int
is_hex(const char *s, size_t n)
{
	size_t	 i;

	if (s == NULL || strlen(s) != n)
		return (0);
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return (0);
	}
	return (1);
}

static json_t *
json_ok(const char *text)
{
	json_error_t	 err;
	json_t		*j;

	assert_non_null(text);
	j = json_loads(text, 0, &err);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", err.text, text);
	assert_true(json_is_object(j));
	return (j);
}

/* The string member key of o, which must be one. */
static const char *
json_str(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("%s: not a string", key);
	return (json_string_value(v));
}

/*
 * Check the envelope of an event's body (schema, id the row's uid, type,
 * time) and hand back its data (owned by the returned document, which
 * the caller frees with json_decref).
 */
static json_t *
check_envelope(const struct outbox_event *e, const char *type,
    const char *when, json_t **data)
{
	json_t	*j;

	assert_string_equal(e->type, type);
	assert_true(is_hex(e->uid, EVENT_ID_LEN));
	j = json_ok(e->body);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_str(j, "schema"), EVENT_SCHEMA);
	assert_string_equal(json_str(j, "id"), e->uid);
	assert_string_equal(json_str(j, "type"), type);
	assert_string_equal(json_str(j, "time"), when);
	*data = json_object_get(j, "data");
	assert_true(json_is_object(*data));
	return (j);
}

static void
list(struct store *s, int mask, struct outbox_event **v, size_t *n)
{
	char	*cause = NULL;

	if (outbox_list(s, mask, v, n, &cause) != 0)
		fail_msg("outbox_list: %s", cause);
}

static void
due(struct store *s, time_t now, size_t max, struct outbox_event **v,
    size_t *n)
{
	char	*cause = NULL;

	if (outbox_due(s, now, max, v, n, &cause) != 0)
		fail_msg("outbox_due: %s", cause);
}

/* The ids of the events due at now (at most 16), as "1 2 3". */
static char *
due_ids(struct store *s, time_t now, size_t max)
{
	struct outbox_event	*v;
	size_t			 n, i;
	char			 buf[256] = "";

	due(s, now, max, &v, &n);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].state, OUTBOX_PENDING);
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld",
		    i == 0 ? "" : " ", (long long)v[i].id);
	}
	outbox_events_free(v, n);
	return (xstrdup(buf));
}

static void
due_is(struct store *s, time_t now, size_t max, const char *want)
{
	char	*got = due_ids(s, now, max);

	assert_string_equal(got, want);
	free(got);
}

/* Queue an event of subject created at now; its id. */
static int64_t
queue(struct store *s, const char *subject, time_t now)
{
	char	*uid, *body, *cause = NULL;

	uid = event_new_id();
	body = event_tag_moved(uid, now, REPO, "20", DB, NULL, DA, now);
	if (store_outbox_add(s, uid, "tag.moved", subject, body, now,
	    &cause) != 0)
		fail_msg("store_outbox_add: %s", cause);
	free(body);
	free(uid);
	return ((int64_t)raw_int(store_path(s), "SELECT max(id) FROM outbox"));
}

static void
delivered(struct store *s, int64_t id, long status, time_t now)
{
	char	*cause = NULL;

	if (outbox_delivered(s, id, status, now, &cause) != 0)
		fail_msg("outbox_delivered: %s", cause);
}

static void
failed(struct store *s, int64_t id, long status, const char *error,
    time_t now, time_t next_at, int dead)
{
	char	*cause = NULL;

	if (outbox_failed(s, id, status, error, now, next_at, dead,
	    &cause) != 0)
		fail_msg("outbox_failed: %s", cause);
}

/* One event by id, from outbox_list of every state. */
static void
event_get(struct store *s, int64_t id, struct outbox_event *out)
{
	struct outbox_event	*v;
	size_t			 n, i;

	list(s, OUTBOX_LIST_PENDING | OUTBOX_LIST_DEAD |
	    OUTBOX_LIST_DELIVERED, &v, &n);
	for (i = 0; i < n; i++) {
		if (v[i].id == id)
			break;
	}
	if (i == n)
		fail_msg("no event %lld", (long long)id);
	*out = v[i];
	memset(&v[i], 0, sizeof v[i]);
	outbox_events_free(v, n);
}

static void
event_clear(struct outbox_event *e)
{
	free(e->uid);
	free(e->type);
	free(e->subject);
	free(e->body);
	free(e->last_error);
}

static void
test_outbox_events_off(void **state)
{
	struct store	*s;
	char		*path = td_path("history.db");

	(void)state;
	s = open_ok(path);
	record(s, "20", DA, T0, STORE_NEW);
	record(s, "20", DA, T1, STORE_SAME);
	record(s, "20", DB, T2, STORE_MOVED);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 0);

	/* On, then off again: only the move made while on is announced. */
	store_set_events(s, 1);
	record(s, "20", DA, T2 + 10, STORE_MOVED);
	store_set_events(s, 0);
	record(s, "20", DB, T2 + 20, STORE_MOVED);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM period"), 4);
	store_close(s);
	free(path);
}

static void
test_outbox_moved_event(void **state)
{
	struct store		*s;
	struct outbox_event	*v;
	json_t			*j, *d;
	char			*path = td_path("history.db"), *uid;
	size_t			 n;

	(void)state;
	s = open_ok(path);
	store_set_events(s, 1);
	record(s, "20", DA, T0, STORE_NEW);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 0);
	record(s, "20", DA, T1, STORE_SAME);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 0);
	record(s, "20", DB, T2, STORE_MOVED);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 1);

	list(s, OUTBOX_LIST_PENDING, &v, &n);
	assert_int_equal(n, 1);
	uid = raw_text(path, "SELECT uid FROM outbox");
	assert_string_equal(v[0].uid, uid);
	free(uid);
	assert_string_equal(v[0].subject, "tag:" REPO ":20");
	assert_int_equal(v[0].state, OUTBOX_PENDING);
	assert_int_equal(v[0].created, T2);
	assert_int_equal(v[0].next_at, T2);
	assert_int_equal(v[0].attempts, 0);
	assert_int_equal(v[0].last_at, 0);
	assert_int_equal(v[0].last_status, -1);
	assert_null(v[0].last_error);

	j = check_envelope(&v[0], "tag.moved", T2_TEXT, &d);
	assert_int_equal(json_object_size(d), 7);
	assert_string_equal(json_str(d, "image"), REPO);
	assert_string_equal(json_str(d, "tag"), "20");
	assert_string_equal(json_str(d, "digest"), DB);
	assert_string_equal(json_str(d, "media_type"), OCI_INDEX);
	assert_string_equal(json_str(d, "previous"), DA);
	/*
	 * When the previous digest was first seen under the tag: since its
	 * period opened (T0), not since it was last seen (T1).
	 */
	assert_string_equal(json_str(d, "first_seen"), T0_TEXT);
	assert_true(json_is_array(json_object_get(d, "platforms")));
	assert_int_equal(json_array_size(json_object_get(d, "platforms")), 0);
	json_decref(j);
	outbox_events_free(v, n);

	/* And back: a second event, its own id, from B since T2. */
	record(s, "20", DA, T2 + 60, STORE_MOVED);
	list(s, OUTBOX_LIST_PENDING, &v, &n);
	assert_int_equal(n, 2);
	assert_string_not_equal(v[0].uid, v[1].uid);
	j = check_envelope(&v[1], "tag.moved", "2023-11-14T23:14:20Z", &d);
	assert_string_equal(json_str(d, "digest"), DA);
	assert_string_equal(json_str(d, "previous"), DB);
	assert_string_equal(json_str(d, "first_seen"), T2_TEXT);
	json_decref(j);
	outbox_events_free(v, n);
	store_close(s);
	free(path);
}

/* The history is as it was after the NEW at T0: one open period at DA. */
static void
check_unmoved(struct store *s, const char *path)
{
	struct store_period	 p;
	char			*cause = NULL;

	assert_int_equal(store_tag_current(s, REPO, "20", &p, &cause), 1);
	assert_string_equal(p.digest, DA);
	assert_int_equal(p.last_seen, T0);
	assert_int_equal(p.closed, 0);
	store_period_clear(&p);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM period"), 1);
	assert_int_equal(raw_int(path,
	    "SELECT count(*) FROM period WHERE closed_at IS NULL"), 1);
	assert_int_equal(raw_int(path, "SELECT last_seen FROM tag"), T0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 0);
}

static void
move_fails(struct store *s)
{
	char	*cause = NULL;

	assert_int_equal(store_record_digest(s, REPO, "20", DB, NULL, T2,
	    NULL, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "injected failure"));
	free(cause);
}

static void
test_outbox_move_atomic(void **state)
{
	struct store	*s;
	sqlite3		*db;
	char		*path = td_path("history.db");

	(void)state;
	s = open_ok(path);
	store_set_events(s, 1);
	record(s, "20", DA, T0, STORE_NEW);
	db = raw_open(path);

	/* The event fails: the period stays open, the tag unseen. */
	raw_exec(db, "CREATE TRIGGER inject BEFORE INSERT ON outbox "
	    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	move_fails(s);
	check_unmoved(s, path);
	raw_exec(db, "DROP TRIGGER inject");

	/* The new period fails after the event was written: no event. */
	raw_exec(db, "CREATE TRIGGER inject BEFORE INSERT ON period "
	    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	move_fails(s);
	check_unmoved(s, path);
	raw_exec(db, "DROP TRIGGER inject");
	sqlite3_close(db);

	record(s, "20", DB, T2, STORE_MOVED);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM period"), 2);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 1);
	store_close(s);
	free(path);
}

static void
test_outbox_due_order(void **state)
{
	struct store		*s;
	struct outbox_event	 e;
	char			*path = td_path("history.db");
	char			*cause = NULL;
	int64_t			 a1, b1, a2, c1;
	time_t			 at = 0;

	(void)state;
	s = open_ok(path);
	assert_int_equal(outbox_next_due(s, &at, &cause), 0);
	due_is(s, 1000, 10, "");

	a1 = queue(s, "tag:a", 100);
	b1 = queue(s, "tag:b", 101);
	a2 = queue(s, "tag:a", 102);
	c1 = queue(s, "tag:c", 103);
	assert_true(a1 < b1 && b1 < a2 && a2 < c1);

	/* Oldest first, one per subject, at most max, only what is due. */
	due_is(s, 1000, 10, "1 2 4");
	due_is(s, 1000, 2, "1 2");
	due_is(s, 1000, 1, "1");
	due_is(s, 101, 10, "1 2");
	due_is(s, 99, 10, "");
	assert_int_equal(outbox_next_due(s, &at, &cause), 1);
	assert_int_equal(at, 100);

	/* a1 delivered: a2 falls due, in id order behind b1. */
	delivered(s, a1, 200, 150);
	due_is(s, 1000, 10, "2 3 4");
	/* A second acknowledgement of the same event changes nothing. */
	delivered(s, a1, 204, 160);
	event_get(s, a1, &e);
	assert_int_equal(e.state, OUTBOX_DELIVERED);
	assert_int_equal(e.attempts, 1);
	assert_int_equal(e.last_status, 200);
	assert_int_equal(e.last_at, 150);
	assert_null(e.last_error);
	event_clear(&e);
	/* Nor does a failure reported for it afterwards. */
	failed(s, a1, 503, "late", 170, 500, 0);
	assert_int_equal(raw_int(path,
	    "SELECT attempts FROM outbox WHERE id = 1"), 1);
	assert_int_equal(raw_int(path,
	    "SELECT count(*) FROM outbox WHERE id = 1 AND "
	    "state = 'delivered' AND last_error IS NULL"), 1);

	/* b1 fails, to be tried at 300: not due before, due then. */
	failed(s, b1, 503, "503 Service Unavailable: busy", 200, 300, 0);
	due_is(s, 299, 10, "3 4");
	delivered(s, a2, 200, 200);
	delivered(s, c1, 200, 200);
	due_is(s, 299, 10, "");
	assert_int_equal(outbox_next_due(s, &at, &cause), 1);
	assert_int_equal(at, 300);
	due_is(s, 300, 10, "2");
	event_get(s, b1, &e);
	assert_int_equal(e.state, OUTBOX_PENDING);
	assert_int_equal(e.attempts, 1);
	assert_int_equal(e.last_at, 200);
	assert_int_equal(e.last_status, 503);
	assert_int_equal(e.next_at, 300);
	assert_string_equal(e.last_error, "503 Service Unavailable: busy");
	event_clear(&e);

	/* Nothing answered: no status. */
	failed(s, b1, -1, "connection refused", 300, 340, 0);
	event_get(s, b1, &e);
	assert_int_equal(e.attempts, 2);
	assert_int_equal(e.last_status, -1);
	assert_string_equal(e.last_error, "connection refused");
	event_clear(&e);
	assert_int_equal(raw_int(path,
	    "SELECT last_status IS NULL FROM outbox WHERE id = 2"), 1);

	/* Delivered after failures: the error is gone, attempts count. */
	delivered(s, b1, 202, 340);
	event_get(s, b1, &e);
	assert_int_equal(e.state, OUTBOX_DELIVERED);
	assert_int_equal(e.attempts, 3);
	assert_int_equal(e.last_status, 202);
	assert_null(e.last_error);
	event_clear(&e);
	assert_int_equal(outbox_next_due(s, &at, &cause), 0);
	due_is(s, 100000, 10, "");
	store_close(s);
	free(path);
}

static void
test_outbox_dead_retry(void **state)
{
	struct store		*s;
	struct outbox_event	*v, e;
	char			*path = td_path("history.db");
	char			*cause = NULL;
	int64_t			 d1, d2, x1;
	size_t			 n;
	time_t			 at = 0;

	(void)state;
	s = open_ok(path);
	d1 = queue(s, "finding:d", 100);
	d2 = queue(s, "finding:d", 101);
	x1 = queue(s, "tag:x", 102);
	due_is(s, 1000, 10, "1 3");

	/* A dead event lets the next of its subject through. */
	failed(s, d1, 404, "404 Not Found: no such hook", 200, 260, 1);
	due_is(s, 1000, 10, "2 3");
	event_get(s, d1, &e);
	assert_int_equal(e.state, OUTBOX_DEAD);
	assert_int_equal(e.attempts, 1);
	assert_int_equal(e.last_status, 404);
	assert_string_equal(e.last_error, "404 Not Found: no such hook");
	event_clear(&e);
	/* Dead is final for the sender: no further attempt counts. */
	failed(s, d1, 500, "again", 210, 270, 0);
	delivered(s, d1, 200, 220);
	assert_int_equal(raw_int(path,
	    "SELECT attempts FROM outbox WHERE id = 1"), 1);
	assert_int_equal(raw_int(path,
	    "SELECT state = 'dead' FROM outbox WHERE id = 1"), 1);

	delivered(s, x1, 200, 230);

	/* The masks. */
	list(s, OUTBOX_LIST_DEAD, &v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, d1);
	outbox_events_free(v, n);
	list(s, OUTBOX_LIST_PENDING, &v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, d2);
	outbox_events_free(v, n);
	list(s, OUTBOX_LIST_DELIVERED, &v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, x1);
	outbox_events_free(v, n);
	list(s, OUTBOX_LIST_PENDING | OUTBOX_LIST_DEAD, &v, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, d1);
	assert_int_equal(v[1].id, d2);
	outbox_events_free(v, n);
	list(s, OUTBOX_LIST_PENDING | OUTBOX_LIST_DEAD |
	    OUTBOX_LIST_DELIVERED, &v, &n);
	assert_int_equal(n, 3);
	assert_true(v[0].id < v[1].id && v[1].id < v[2].id);
	outbox_events_free(v, n);
	list(s, 0, &v, &n);
	assert_int_equal(n, 0);
	outbox_events_free(v, n);

	/* d2 fails for good too; retry brings both back, due now. */
	failed(s, d2, 410, "410 Gone", 240, 300, 1);
	due_is(s, 100000, 10, "");
	/* The state outlives the process. */
	store_close(s);
	s = open_ok(path);
	due_is(s, 100000, 10, "");
	list(s, OUTBOX_LIST_DEAD, &v, &n);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].last_error, "410 Gone");
	outbox_events_free(v, n);
	assert_int_equal(outbox_next_due(s, &at, &cause), 0);
	n = 99;
	assert_int_equal(outbox_retry(s, 500, &n, &cause), 0);
	assert_int_equal(n, 2);
	event_get(s, d1, &e);
	assert_int_equal(e.state, OUTBOX_PENDING);
	assert_int_equal(e.attempts, 0);
	assert_int_equal(e.next_at, 500);
	event_clear(&e);
	assert_int_equal(raw_int(path,
	    "SELECT count(*) FROM outbox WHERE state = 'pending' AND "
	    "attempts = 0 AND next_at = 500"), 2);
	/* In order again: d1 first, d2 after it. */
	due_is(s, 499, 10, "");
	due_is(s, 500, 10, "1");
	assert_int_equal(outbox_next_due(s, &at, &cause), 1);
	assert_int_equal(at, 500);
	/* The delivered one stays delivered; nothing dead is left. */
	assert_int_equal(raw_int(path,
	    "SELECT state = 'delivered' FROM outbox WHERE id = 3"), 1);
	assert_int_equal(outbox_retry(s, 600, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_close(s);
	free(path);
}

/* A finding for the sync; the strings are the caller's, freed by it. */
struct tfinding {
	char	*fp;
	char	*data;
	const char *rule, *file, *image;
};

static void
tf_make(struct tfinding *t, const char *rule, const char *file,
    const char *image, unsigned line)
{
	t->rule = rule;
	t->file = file;
	t->image = image;
	t->fp = event_fingerprint(rule, file, image);
	xasprintf(&t->data, "{\"fingerprint\":\"%s\",\"rule\":\"%s\","
	    "\"file\":\"%s\",\"line\":%u,\"image\":\"%s\",\"evidence\":{}}",
	    t->fp, rule, file, line, image);
}

static void
tf_free(struct tfinding *t)
{
	free(t->fp);
	free(t->data);
}

static struct outbox_finding
of(const struct tfinding *t, int held)
{
	struct outbox_finding	 f;

	f.fingerprint = t->fp;
	f.rule = t->rule;
	f.file = t->file;
	f.image = t->image;
	f.data = t->data;
	f.held = held;
	return (f);
}

static void
sync_ok(struct store *s, const struct outbox_finding *f, size_t n,
    time_t now, size_t want_opened, size_t want_resolved)
{
	size_t	 opened = 99, resolved = 99;
	char	*cause = NULL;

	if (outbox_findings_sync(s, f, n, now, &opened, &resolved,
	    &cause) != 0)
		fail_msg("outbox_findings_sync: %s", cause);
	assert_int_equal(opened, want_opened);
	assert_int_equal(resolved, want_resolved);
}

/* Event v (a finding's) is type about t, with data t's data. */
static void
check_finding_event(const struct outbox_event *v, const char *type,
    const char *when, const struct tfinding *t, const char *data)
{
	json_t	*j, *d, *want;
	char	*subject;

	xasprintf(&subject, "finding:%s", t->fp);
	assert_string_equal(v->subject, subject);
	free(subject);
	j = check_envelope(v, type, when, &d);
	want = json_ok(data);
	if (!json_equal(d, want))
		fail_msg("data of %s: %s, not %s", type, v->body, data);
	json_decref(want);
	json_decref(j);
}

static int64_t
finding_int(const char *path, const char *col, const struct tfinding *t)
{
	char	*sql;
	int64_t	 v;

	xasprintf(&sql, "SELECT %s FROM finding WHERE fingerprint = '%s'",
	    col, t->fp);
	v = raw_int(path, sql);
	free(sql);
	return (v);
}

static void
test_outbox_findings(void **state)
{
	struct store		*s;
	struct outbox_event	*v;
	struct tfinding		 t1, t2, t2b, t3;
	struct outbox_finding	 f[2];
	char			*path = td_path("history.db");
	size_t			 n;

	(void)state;
	tf_make(&t1, "pinned-digest-stale", "svc/Dockerfile", "node:20@" DA,
	    3);
	tf_make(&t2, "eol-base", "ci/build.yml", "python:3.8", 12);
	/* The same finding on another line: same fingerprint. */
	tf_make(&t2b, "eol-base", "ci/build.yml", "python:3.8", 14);
	assert_string_equal(t2.fp, t2b.fp);
	tf_make(&t3, "latest-tag", "Dockerfile", "redis:latest", 1);

	s = open_ok(path);
	f[0] = of(&t1, 0);
	f[1] = of(&t2, 0);
	sync_ok(s, f, 2, T0, 2, 0);
	list(s, OUTBOX_LIST_PENDING, &v, &n);
	assert_int_equal(n, 2);
	check_finding_event(&v[0], "finding.opened", T0_TEXT, &t1, t1.data);
	check_finding_event(&v[1], "finding.opened", T0_TEXT, &t2, t2.data);
	outbox_events_free(v, n);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM finding "
	    "WHERE resolved_at IS NULL"), 2);
	assert_int_equal(finding_int(path, "opened_at", &t1), T0);

	/* Again: quiet.  After a restart: still quiet. */
	sync_ok(s, f, 2, T1, 0, 0);
	store_close(s);
	s = open_ok(path);
	f[1] = of(&t2b, 0);
	sync_ok(s, f, 2, T2, 0, 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 2);
	assert_int_equal(finding_int(path, "opened_at", &t1), T0);
	assert_int_equal(finding_int(path, "last_seen", &t1), T2);

	/* t2 gone: one finding.resolved with its latest data. */
	sync_ok(s, f, 1, T2 + 60, 0, 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 3);
	list(s, OUTBOX_LIST_PENDING, &v, &n);
	assert_int_equal(n, 3);
	check_finding_event(&v[2], "finding.resolved", "2023-11-14T23:14:20Z",
	    &t2, t2b.data);
	outbox_events_free(v, n);
	assert_int_equal(finding_int(path, "resolved_at", &t2), T2 + 60);
	assert_int_equal(finding_int(path, "resolved_at IS NULL", &t1), 1);
	sync_ok(s, f, 1, T2 + 120, 0, 0);

	/*
	 * Held: t1 stays open without being judged; a held entry for a
	 * finding never opened (t3) or resolved (t2) makes nothing.
	 */
	f[0] = of(&t1, 1);
	f[1] = of(&t3, 1);
	sync_ok(s, f, 2, T2 + 180, 0, 0);
	f[1] = of(&t2, 1);
	sync_ok(s, f, 2, T2 + 240, 0, 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(finding_int(path, "resolved_at IS NULL", &t1), 1);
	assert_int_equal(finding_int(path, "resolved_at", &t2), T2 + 60);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM finding"), 2);
	/* Held keeps open, it does not count as seen. */
	assert_int_equal(finding_int(path, "last_seen", &t1), T2 + 120);

	/* t2 comes back: opened again, and t1, not listed, resolves. */
	f[0] = of(&t2, 0);
	sync_ok(s, f, 1, T2 + 300, 1, 1);
	list(s, OUTBOX_LIST_PENDING, &v, &n);
	assert_int_equal(n, 5);
	check_finding_event(&v[3], "finding.opened", "2023-11-14T23:18:20Z",
	    &t2, t2.data);
	check_finding_event(&v[4], "finding.resolved", "2023-11-14T23:18:20Z",
	    &t1, t1.data);
	outbox_events_free(v, n);
	assert_int_equal(finding_int(path, "resolved_at IS NULL", &t2), 1);
	assert_int_equal(finding_int(path, "opened_at", &t2), T2 + 300);
	assert_int_equal(finding_int(path, "resolved_at", &t1), T2 + 300);

	/* t2's three events go out one at a time, in order. */
	due_is(s, T2 + 300, 10, "1 2");
	delivered(s, 1, 200, T2 + 310);
	due_is(s, T2 + 300, 10, "2 5");
	delivered(s, 2, 200, T2 + 310);
	due_is(s, T2 + 300, 10, "3 5");
	delivered(s, 3, 200, T2 + 310);
	due_is(s, T2 + 300, 10, "4 5");

	/* An empty scan resolves everything still open. */
	sync_ok(s, NULL, 0, T2 + 360, 0, 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM finding "
	    "WHERE resolved_at IS NULL"), 0);
	store_close(s);
	tf_free(&t1);
	tf_free(&t2);
	tf_free(&t2b);
	tf_free(&t3);
	free(path);
}

static void
sync_fails(struct store *s, const struct outbox_finding *f, size_t n,
    time_t now, const char *want)
{
	size_t	 opened = 99, resolved = 99;
	char	*cause = NULL;

	assert_int_equal(outbox_findings_sync(s, f, n, now, &opened,
	    &resolved, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause %s, not %s", cause, want);
	free(cause);
}

static void
test_outbox_findings_atomic(void **state)
{
	struct store		*s;
	struct tfinding		 t1, t2, bad;
	struct outbox_finding	 f[2];
	sqlite3			*db;
	char			*path = td_path("history.db");

	(void)state;
	tf_make(&t1, "pinned-digest-stale", "svc/Dockerfile", "node:20@" DA,
	    3);
	tf_make(&t2, "eol-base", "ci/build.yml", "python:3.8", 12);
	tf_make(&bad, "latest-tag", "Dockerfile", "redis:latest", 1);
	free(bad.fp);
	bad.fp = xstrdup("");

	/* A valid new finding, then one that breaks the CHECK: nothing. */
	s = open_ok(path);
	f[0] = of(&t1, 0);
	f[1] = of(&bad, 0);
	sync_fails(s, f, 2, T0, "CHECK constraint failed");
	assert_int_equal(raw_int(path, "SELECT count(*) FROM finding"), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 0);

	/* With t1 open: a failed sync neither opens t2 nor resolves t1. */
	sync_ok(s, f, 1, T0, 1, 0);
	f[0] = of(&t2, 0);
	sync_fails(s, f, 2, T1, "CHECK constraint failed");
	assert_int_equal(raw_int(path, "SELECT count(*) FROM finding"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(finding_int(path, "resolved_at IS NULL", &t1), 1);

	/* The resolve event fails after t2 opened: neither is left. */
	db = raw_open(path);
	raw_exec(db, "CREATE TRIGGER inject BEFORE INSERT ON outbox "
	    "WHEN NEW.type = 'finding.resolved' "
	    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	sync_fails(s, f, 1, T1, "injected failure");
	assert_int_equal(raw_int(path, "SELECT count(*) FROM finding"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(finding_int(path, "resolved_at IS NULL", &t1), 1);
	raw_exec(db, "DROP TRIGGER inject");
	sqlite3_close(db);

	/* The same sync, unhindered, does both, once. */
	sync_ok(s, f, 1, T1, 1, 1);
	sync_ok(s, f, 1, T2, 0, 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM outbox"), 3);
	store_close(s);
	tf_free(&t1);
	tf_free(&t2);
	tf_free(&bad);
	free(path);
}

static void
test_event_fingerprint(void **state)
{
	char	*a, *b;

	(void)state;
	a = event_fingerprint("rule", "file", "image");
	b = event_fingerprint("rule", "file", "image");
	assert_true(is_hex(a, 64));
	assert_string_equal(a, b);
	/* SHA-256 of the three, each NUL-terminated: pinned, it is stored. */
	assert_string_equal(a, "2fa75de2d40535590aebc7e6e24ef177"
	    "6b5ef5ca7e6bec6bb4b9ae3764fcff84");
	free(b);
	b = event_fingerprint("rule2", "file", "image");
	assert_true(is_hex(b, 64));
	assert_string_not_equal(a, b);
	free(b);
	b = event_fingerprint("rule", "file2", "image");
	assert_string_not_equal(a, b);
	free(b);
	b = event_fingerprint("rule", "file", "image2");
	assert_string_not_equal(a, b);
	free(b);
	/* The fields are kept apart: moving a character changes it. */
	b = event_fingerprint("rul", "efile", "image");
	assert_string_not_equal(a, b);
	free(b);
	free(a);
}

static void
test_event_new_id(void **state)
{
	char	*a, *b;
	int	 i;

	(void)state;
	for (i = 0; i < 16; i++) {
		a = event_new_id();
		b = event_new_id();
		assert_true(is_hex(a, EVENT_ID_LEN));
		assert_true(is_hex(b, EVENT_ID_LEN));
		assert_string_not_equal(a, b);
		free(a);
		free(b);
	}
}

/* Bytes that are not UTF-8 (a Latin-1 file name) become '?', never drop
 * the field; valid UTF-8 stays as it is. */
static void
test_event_not_utf8(void **state)
{
	struct finding	 f;
	json_error_t	 err;
	json_t		*d;
	char		*data;

	(void)state;
	memset(&f, 0, sizeof f);
	f.rule = RULE_LATEST;
	f.severity = SEV_ERROR;
	f.file = (char *)"caf\xe9/Dockerfile";
	f.line = 1;
	f.text = (char *)"alpine:latest";
	f.message = (char *)"caf\xc3\xa9 \xed\xa0\x80 \xf8 ok";
	data = event_finding_data(&f, "ff");
	d = json_loads(data, 0, &err);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "file")),
	    "caf?/Dockerfile");
	assert_string_equal(json_string_value(json_object_get(d, "message")),
	    "caf\xc3\xa9 ??? ? ok");
	assert_string_equal(json_string_value(json_object_get(d, "image")),
	    "alpine:latest");
	json_decref(d);
	free(data);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_outbox_events_off),
		T(test_outbox_moved_event),
		T(test_outbox_move_atomic),
		T(test_outbox_due_order),
		T(test_outbox_dead_retry),
		T(test_outbox_findings),
		T(test_outbox_findings_atomic),
		cmocka_unit_test(test_event_fingerprint),
		cmocka_unit_test(test_event_new_id),
		cmocka_unit_test(test_event_not_utf8),
	};
#undef T
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
