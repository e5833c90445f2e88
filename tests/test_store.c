/*
 * The history database against files made at run time in a temporary
 * directory: schema and migrations, files that are not ours (garbage,
 * truncated, corrupt, foreign, newer, locked), periods, tag lists, indexes,
 * polls, and that a failed write leaves nothing behind.  A second, raw
 * SQLite connection looks at the file from outside, holds locks and plants
 * triggers that make a chosen statement fail.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

#include <sqlite3.h>

#include "store.h"
#include "testlib.h"
#include "xmalloc.h"

#define REPO	"docker.io/library/node"
#define DA	"sha256:aaaa"
#define DB	"sha256:bbbb"
#define DC	"sha256:cccc"
#define DD	"sha256:dddd"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

static char	*td;		/* the temporary directory of the test */

static int
setup(void **state)
{
	(void)state;
	td = testlib_tmpdir("test_store");
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
open_ok(const char *path, int flags)
{
	struct store	*s = NULL;
	char		*cause = NULL;

	if (store_open(path, flags, 0, &s, &cause) != 0)
		fail_msg("store_open %s: %s", path, cause);
	assert_non_null(s);
	return (s);
}

/* store_open must fail with exactly the message want ("%s" the path). */
static void
open_fails(const char *path, int flags, const char *want)
{
	struct store	*s = NULL;
	char		*cause = NULL, *expect;
	const char	*at = strstr(want, "%s");

	assert_int_equal(store_open(path, flags, 200, &s, &cause), -1);
	assert_null(s);
	assert_non_null(cause);
	assert_non_null(at);
	xasprintf(&expect, "%.*s%s%s", (int)(at - want), want, path, at + 2);
	assert_string_equal(cause, expect);
	free(expect);
	free(cause);
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

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (v);
}

static void
raw_text(const char *path, const char *sql, const char *want)
{
	sqlite3		*db = raw_open(path);
	sqlite3_stmt	*st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
	sqlite3_close(db);
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

static void
record_tags(struct store *s, const char *const *tags, size_t n, time_t now)
{
	char	*cause = NULL;

	if (store_record_tags(s, REPO, tags, NULL, n, now, &cause) != 0)
		fail_msg("record tags: %s", cause);
}

/* A database with a few tags and periods, closed. */
static char *
make_db(void)
{
	struct store	*s;
	char		*path = td_path("history.db"), name[32];
	int		 i;

	s = open_ok(path, 0);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "20.%d.0-bookworm-slim", i);
		record(s, name, DA, 100, STORE_NEW);
		record(s, name, DB, 200, STORE_MOVED);
	}
	store_close(s);
	return (path);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int
exists(const char *path)
{
	struct stat	 sb;

	return (stat(path, &sb) == 0);
}

static int
newest(void)
{
	return (store_migrations[store_nmigrations - 1].version);
}

static void
test_store_migrations_numbered(void **state)
{
	size_t	 i;

	(void)state;
	assert_true(store_nmigrations > 0);
	for (i = 0; i < store_nmigrations; i++) {
		assert_int_equal(store_migrations[i].version, (int)i + 1);
		assert_non_null(strstr(store_migrations[i].sql, "CREATE"));
	}
}

static void
test_store_open_creates_schema(void **state)
{
	struct store	*s;
	struct stat	 sb;
	char		*path = td_path("state/tagdrift/history.db");
	char		*dir = td_path("state"), *cause = NULL;

	(void)state;
	/* Without STORE_MKDIR a missing directory is an error. */
	open_fails(path, 0, "%s: No such file or directory");
	s = open_ok(path, STORE_MKDIR);
	assert_int_equal(store_schema(s), newest());
	assert_int_equal(store_check(s, &cause), 0);
	store_close(s);

	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	raw_text(path, "PRAGMA journal_mode", "wal");
	assert_int_equal(raw_int(path, "PRAGMA user_version"), newest());
	assert_int_equal(raw_int(path, "PRAGMA application_id"), 0x74616764);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('repo', 'tag', 'period', "
	    "'manifest_index', 'platform', 'poll')"), 6);
	free(dir);
	free(path);
}

static void
test_store_reopen_idempotent(void **state)
{
	struct store		*s;
	struct store_period	 p;
	char			*path = td_path("history.db"), *cause = NULL;
	int64_t			 objects;
	int			 i;

	(void)state;
	s = open_ok(path, 0);
	record(s, "20", DA, 100, STORE_NEW);
	store_close(s);
	objects = raw_int(path, "SELECT count(*) FROM sqlite_master");
	for (i = 0; i < 3; i++) {
		s = open_ok(path, 0);
		assert_int_equal(store_tag_current(s, REPO, "20", &p, &cause),
		    1);
		assert_string_equal(p.digest, DA);
		store_period_clear(&p);
		store_close(s);
	}
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master"),
	    objects);
	assert_int_equal(raw_int(path, "PRAGMA user_version"), newest());
	assert_int_equal(raw_int(path, "SELECT count(*) FROM period"), 1);
	free(path);
}

static void
test_store_newer_refused(void **state)
{
	sqlite3		*db;
	char		*path = make_db(), *want, *sql;

	(void)state;
	db = raw_open(path);
	xasprintf(&sql, "PRAGMA user_version = %d", newest() + 1);
	raw_exec(db, sql);
	sqlite3_close(db);
	xasprintf(&want, "database %s was written by a newer tagdrift "
	    "(schema %d, this one knows up to %d)", "%s", newest() + 1,
	    newest());
	open_fails(path, 0, want);
	open_fails(path, STORE_READONLY, want);
	/* Refused, and left alone. */
	assert_int_equal(raw_int(path, "PRAGMA user_version"), newest() + 1);
	free(sql);
	free(want);
	free(path);
}

static void
test_store_garbage_file(void **state)
{
	char	*path = td_path("history.db"), *wal = td_path("history.db-wal");
	char	 junk[8192], back[sizeof junk + 1];
	size_t	 i;
	FILE	*f;

	(void)state;
	for (i = 0; i < sizeof junk; i++)
		junk[i] = "not a database\n"[i % 15];
	write_file(path, junk, sizeof junk);
	open_fails(path, 0, "%s: not a tagdrift database (file is not a "
	    "database)");
	open_fails(path, STORE_READONLY, "%s: not a tagdrift database (file "
	    "is not a database)");
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof back, f), sizeof junk);
	fclose(f);
	assert_memory_equal(back, junk, sizeof junk);
	assert_false(exists(wal));
	free(wal);
	free(path);
}

static void
test_store_foreign_database(void **state)
{
	sqlite3	*db;
	char	*path = td_path("other.db");

	(void)state;
	db = raw_open(path);
	raw_exec(db, "CREATE TABLE notes (x TEXT); INSERT INTO notes "
	    "VALUES ('mine')");
	sqlite3_close(db);
	open_fails(path, 0, "%s: not a tagdrift database (it holds another "
	    "program's tables)");
	raw_text(path, "PRAGMA journal_mode", "delete");
	raw_text(path, "SELECT x FROM notes", "mine");

	db = raw_open(path);
	raw_exec(db, "DROP TABLE notes; PRAGMA application_id = 42");
	sqlite3_close(db);
	open_fails(path, 0, "%s: not a tagdrift database (application id "
	    "0x2a)");
	free(path);
}

static void
test_store_truncated(void **state)
{
	static const struct {
		off_t		 size;
		int		 flags;
		const char	*want;
	} cases[] = {
		{ 3 * 4096, 0, "%s: database is corrupt (database disk image "
		    "is malformed)" },
		{ 4096, 0, "%s: database is corrupt (database disk image is "
		    "malformed)" },
		{ 50, 0, "%s: database is corrupt (database disk image is "
		    "malformed)" },
		{ 10, 0, "%s: not a tagdrift database (file is not a "
		    "database)" },
		{ 0, STORE_READONLY, "%s: empty database (no tagdrift history "
		    "yet)" },
	};
	struct stat	 sb;
	char		*path = make_db();
	size_t		 i;

	(void)state;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 4 * 4096);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(truncate(path, cases[i].size), 0);
		open_fails(path, cases[i].flags, cases[i].want);
		/* Refused files are not written to. */
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_size, cases[i].size);
	}
	free(path);
}

static void
test_store_corrupt_pages(void **state)
{
	struct store		*s = NULL;
	struct store_tag	*tags = NULL;
	struct stat		 sb;
	char			*path = make_db(), *cause = NULL, *junk;
	size_t			 ntags = 0, len;
	int			 fd, rc;

	(void)state;
	/* Keep page 1 (header and schema), scribble over the rest. */
	assert_int_equal(stat(path, &sb), 0);
	len = (size_t)sb.st_size - 4096;
	junk = xmalloc(len);
	memset(junk, 0xa5, len);
	fd = open(path, O_WRONLY);
	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, junk, len, 4096), (ssize_t)len);
	close(fd);
	free(junk);

	rc = store_open(path, 0, 200, &s, &cause);
	if (rc == 0) {
		rc = store_tags(s, REPO, &tags, &ntags, &cause);
		store_close(s);
	}
	assert_int_equal(rc, -1);
	assert_null(tags);
	assert_non_null(strstr(cause, "database is corrupt"));
	free(cause);
	free(path);
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) * 1e3 +
	    (t1.tv_nsec - t0->tv_nsec) / 1e6);
}

static void
test_store_locked(void **state)
{
	struct store	*s = NULL;
	struct timespec	 t0;
	sqlite3		*db;
	char		*path = make_db(), *cause = NULL;

	(void)state;
	/* A rollback-journal file held exclusively: even reading waits. */
	db = raw_open(path);
	raw_exec(db, "PRAGMA journal_mode = DELETE");
	raw_exec(db, "BEGIN EXCLUSIVE");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	open_fails(path, 0, "%s: database is locked: another process holds "
	    "it (waited 200 ms)");
	assert_true(elapsed_ms(&t0) >= 190);
	raw_exec(db, "COMMIT");

	/* In WAL mode the store opens and reads, but a write waits. */
	s = open_ok(path, 0);
	raw_text(path, "PRAGMA journal_mode", "wal");
	raw_exec(db, "BEGIN EXCLUSIVE");
	store_close(s);
	assert_int_equal(store_open(path, 0, 200, &s, &cause), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_record_digest(s, REPO, "20", DA, NULL, 300,
	    NULL, &cause), -1);
	assert_true(elapsed_ms(&t0) >= 190);
	assert_non_null(strstr(cause, "database is locked: another process "
	    "holds it (waited 200 ms)"));
	free(cause);
	raw_exec(db, "COMMIT");
	sqlite3_close(db);
	record(s, "20", DA, 300, STORE_NEW);
	store_close(s);
	free(path);
}

static void
test_store_same_digest_one_period(void **state)
{
	struct store		*s;
	struct store_period	 p;
	char			*path = td_path("history.db"), *cause = NULL;
	int			 i;

	(void)state;
	s = open_ok(path, 0);
	for (i = 0; i < 5; i++)
		record(s, "20", DA, 1000 + i * 60,
		    i == 0 ? STORE_NEW : STORE_SAME);
	/* A clock that stepped back does not move last_seen back. */
	record(s, "20", DA, 900, STORE_SAME);
	assert_int_equal(store_tag_current(s, REPO, "20", &p, &cause), 1);
	assert_string_equal(p.digest, DA);
	assert_string_equal(p.media_type, OCI_INDEX);
	assert_int_equal(p.first_seen, 1000);
	assert_int_equal(p.last_seen, 1240);
	assert_int_equal(p.closed, 0);
	store_period_clear(&p);
	assert_int_equal(store_tag_current(s, REPO, "21", &p, &cause), 0);
	assert_int_equal(store_tag_current(s, "docker.io/x/y", "20", &p,
	    &cause), 0);
	store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM period"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM tag"), 1);
	assert_int_equal(raw_int(path, "SELECT last_seen FROM tag"), 1240);
	free(path);
}

static void
test_store_move_and_back(void **state)
{
	struct store		*s;
	struct store_period	*p, cur;
	struct store_tag	*t;
	char			*path = td_path("history.db"), *cause = NULL;
	size_t			 n, nt, later;

	(void)state;
	s = open_ok(path, 0);
	record(s, "20", DA, 100, STORE_NEW);
	record(s, "20", DA, 150, STORE_SAME);
	record(s, "20", DB, 200, STORE_MOVED);
	record(s, "20", DB, 250, STORE_SAME);
	record(s, "20", DA, 300, STORE_MOVED);
	assert_int_equal(store_tag_periods(s, REPO, "20", &p, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].digest, DA);
	assert_int_equal(p[0].first_seen, 100);
	assert_int_equal(p[0].last_seen, 150);
	assert_int_equal(p[0].closed, 200);
	assert_string_equal(p[1].digest, DB);
	assert_int_equal(p[1].first_seen, 200);
	assert_int_equal(p[1].last_seen, 250);
	assert_int_equal(p[1].closed, 300);
	assert_string_equal(p[2].digest, DA);
	assert_int_equal(p[2].first_seen, 300);
	assert_int_equal(p[2].closed, 0);
	assert_true(p[0].id < p[1].id && p[1].id < p[2].id);
	/* Pinned to the old digest, which is current again: 0 behind. */
	assert_int_equal(store_digest_seen(s, REPO, "20", DA, &cur, &later,
	    &cause), 1);
	assert_int_equal(cur.id, p[2].id);
	assert_int_equal(later, 0);
	store_period_clear(&cur);
	assert_int_equal(store_digest_seen(s, REPO, "20", DB, NULL, &later,
	    &cause), 1);
	assert_int_equal(later, 1);
	store_periods_free(p, n);

	assert_int_equal(store_tags(s, REPO, &t, &nt, &cause), 0);
	assert_int_equal(nt, 1);
	assert_string_equal(t[0].name, "20");
	assert_string_equal(t[0].digest, DA);
	assert_int_equal(t[0].since, 300);
	assert_int_equal(t[0].nperiods, 3);
	assert_int_equal(t[0].listed, 0);
	store_tags_free(t, nt);

	assert_int_equal(store_tag_periods(s, REPO, "nope", &p, &n, &cause),
	    0);
	assert_int_equal(n, 0);
	assert_null(p);
	store_close(s);
	free(path);
}

static void
test_store_rebuilds_since(void **state)
{
	static const struct {
		const char	*digest;
		int		 found;
		size_t		 later;
		time_t		 closed;
	} cases[] = {
		{ DA, 1, 3, 200 },
		{ DB, 1, 2, 300 },
		{ DD, 1, 0, 0 },
		{ "sha256:eeee", 0, 0, 0 },
	};
	struct store		*s;
	struct store_period	 p;
	char			*path = td_path("history.db"), *cause = NULL;
	size_t			 i, later;

	(void)state;
	s = open_ok(path, 0);
	record(s, "20", DA, 100, STORE_NEW);
	record(s, "20", DB, 200, STORE_MOVED);
	record(s, "20", DC, 300, STORE_MOVED);
	record(s, "20", DD, 400, STORE_MOVED);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		later = 99;
		assert_int_equal(store_digest_seen(s, REPO, "20",
		    cases[i].digest, &p, &later, &cause), cases[i].found);
		if (!cases[i].found)
			continue;
		assert_string_equal(p.digest, cases[i].digest);
		assert_int_equal(later, cases[i].later);
		assert_int_equal(p.closed, cases[i].closed);
		store_period_clear(&p);
	}
	/* Not for another tag of the same repository. */
	assert_int_equal(store_digest_seen(s, REPO, "22", DA, NULL, NULL,
	    &cause), 0);
	store_close(s);
	free(path);
}

static void
test_store_index_once(void **state)
{
	static const struct store_platform first[] = {
		{ "linux", "amd64", NULL, "sha256:p1" },
		{ "linux", "arm64", "v8", "sha256:p2" },
		{ NULL, NULL, NULL, "sha256:p3" },
	};
	static const struct store_platform second[] = {
		{ "linux", "s390x", NULL, "sha256:p9" },
	};
	static const struct store_platform broken[] = {
		{ "linux", "amd64", NULL, "sha256:p1" },
		{ "linux", "arm64", NULL, "" },
	};
	struct store		*s;
	struct store_platform	*p;
	struct store_period	 per;
	char			*path = td_path("history.db"), *cause = NULL;
	size_t			 n, later;

	(void)state;
	s = open_ok(path, 0);
	assert_int_equal(store_index_known(s, "sha256:i1", &cause), 0);
	assert_int_equal(store_record_index(s, "sha256:i1", OCI_INDEX, first,
	    3, 100, &cause), 0);
	assert_int_equal(store_record_index(s, "sha256:i1", OCI_INDEX,
	    second, 1, 200, &cause), 0);
	assert_int_equal(store_index_known(s, "sha256:i1", &cause), 1);
	assert_int_equal(store_index_platforms(s, "sha256:i1", &p, &n,
	    &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].architecture, "amd64");
	assert_string_equal(p[0].variant, "");
	assert_string_equal(p[1].variant, "v8");
	assert_string_equal(p[1].digest, "sha256:p2");
	assert_string_equal(p[2].os, "");
	store_platforms_free(p, n);
	assert_int_equal(store_digest_is_platform_of(s, "sha256:i1",
	    "sha256:p2", &cause), 1);
	assert_int_equal(store_digest_is_platform_of(s, "sha256:i1",
	    "sha256:p9", &cause), 0);
	assert_int_equal(store_digest_is_platform_of(s, "sha256:i2",
	    "sha256:p1", &cause), 0);

	/* A failing platform leaves no index behind. */
	assert_int_equal(store_record_index(s, "sha256:i3", OCI_INDEX, broken,
	    2, 300, &cause), -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_index_known(s, "sha256:i3", &cause), 0);

	/* A tag pinned by one of the index's platform manifests. */
	record(s, "20", "sha256:i1", 100, STORE_NEW);
	record(s, "20", "sha256:i2", 200, STORE_MOVED);
	assert_int_equal(store_digest_seen(s, REPO, "20", "sha256:p2", &per,
	    &later, &cause), 1);
	assert_string_equal(per.digest, "sha256:i1");
	assert_int_equal(per.closed, 200);
	assert_int_equal(later, 1);
	store_period_clear(&per);
	store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM platform"), 3);
	free(path);
}

/* The tags of REPO as "name:listed:gone_since" lines, for comparing. */
static char *
tags_state(struct store *s)
{
	struct store_tag	*t;
	char			*out = xstrdup(""), *next, *cause = NULL;
	size_t			 n, i;

	if (store_tags(s, REPO, &t, &n, &cause) != 0)
		fail_msg("store_tags: %s", cause);
	for (i = 0; i < n; i++) {
		xasprintf(&next, "%s%s:%d:%lld ", out, t[i].name, t[i].listed,
		    (long long)t[i].gone_since);
		free(out);
		out = next;
	}
	store_tags_free(t, n);
	return (out);
}

static void
test_store_tags_seen_gone(void **state)
{
	static const char *const l1[] = { "a", "b", "c" };
	static const char *const l2[] = { "b", "c", "d" };
	static const char *const l3[] = { "a", "b", "c", "d", "d" };
	static const char *const bad[] = { "e", "", "f" };
	static const time_t pushed[] = { 50, 0, 60 };
	struct store		*s;
	struct store_tag	*t;
	char			*path = td_path("history.db"), *cause = NULL;
	char			*st;
	time_t			 at = 0;
	size_t			 n;

	(void)state;
	s = open_ok(path, 0);
	assert_int_equal(store_tags_fetched_at(s, REPO, &at, &cause), 0);
	assert_int_equal(store_record_tags(s, REPO, l1, pushed, 3, 1000,
	    &cause), 0);
	assert_int_equal(store_tags_fetched_at(s, REPO, &at, &cause), 1);
	assert_int_equal(at, 1000);
	st = tags_state(s);
	assert_string_equal(st, "a:1:0 b:1:0 c:1:0 ");
	free(st);

	record_tags(s, l2, 3, 2000);
	st = tags_state(s);
	assert_string_equal(st, "a:0:2000 b:1:0 c:1:0 d:1:0 ");
	free(st);

	/* Resolved but never listed: not gone when a list lacks it. */
	record(s, "x", DA, 2500, STORE_NEW);
	record_tags(s, l3, 5, 3000);
	st = tags_state(s);
	assert_string_equal(st, "a:1:0 b:1:0 c:1:0 d:1:0 x:0:0 ");
	free(st);

	record_tags(s, NULL, 0, 4000);
	st = tags_state(s);
	assert_string_equal(st,
	    "a:0:4000 b:0:4000 c:0:4000 d:0:4000 x:0:0 ");
	free(st);
	record(s, "a", DA, 4500, STORE_NEW);

	/* A bad name in the middle: nothing of that list is kept. */
	assert_int_equal(store_record_tags(s, REPO, bad, NULL, 3, 5000,
	    &cause), -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	cause = NULL;
	st = tags_state(s);
	assert_string_equal(st,
	    "a:0:0 b:0:4000 c:0:4000 d:0:4000 x:0:0 ");
	free(st);
	assert_int_equal(store_tags_fetched_at(s, REPO, &at, &cause), 1);
	assert_int_equal(at, 4000);

	assert_int_equal(store_tags(s, REPO, &t, &n, &cause), 0);
	assert_int_equal(n, 5);
	assert_int_equal(t[0].first_seen, 1000);
	assert_int_equal(t[0].last_seen, 4500);
	assert_int_equal(t[0].pushed, 50);
	assert_int_equal(t[1].pushed, 0);
	assert_int_equal(t[1].last_seen, 3000);
	assert_null(t[1].digest);
	assert_int_equal(t[1].nperiods, 0);
	store_tags_free(t, n);
	store_close(s);
	free(path);
}

static void
test_store_failed_write_leaves_nothing(void **state)
{
	struct store		*s;
	struct store_period	 p;
	sqlite3			*db;
	char			*path = td_path("history.db"), *cause = NULL;

	(void)state;
	s = open_ok(path, 0);
	/* The third statement (the period) fails: no repository, no tag. */
	assert_int_equal(store_record_digest(s, REPO, "20", "", NULL, 100,
	    NULL, &cause), -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	cause = NULL;
	assert_int_equal(raw_int(path, "SELECT count(*) FROM repo"), 0);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM tag"), 0);

	/* A move whose new period fails keeps the old one open. */
	record(s, "20", DA, 100, STORE_NEW);
	db = raw_open(path);
	raw_exec(db, "CREATE TRIGGER inject BEFORE INSERT ON period "
	    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	assert_int_equal(store_record_digest(s, REPO, "20", DB, NULL, 200,
	    NULL, &cause), -1);
	assert_non_null(strstr(cause, "injected failure"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_tag_current(s, REPO, "20", &p, &cause), 1);
	assert_string_equal(p.digest, DA);
	assert_int_equal(p.last_seen, 100);
	assert_int_equal(p.closed, 0);
	store_period_clear(&p);
	assert_int_equal(raw_int(path, "SELECT last_seen FROM tag"), 100);
	raw_exec(db, "DROP TRIGGER inject");
	sqlite3_close(db);
	record(s, "20", DB, 200, STORE_MOVED);
	store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM period"), 2);
	free(path);
}

static void
test_store_long_names(void **state)
{
	struct store		*s;
	struct store_tag	*t;
	struct store_period	 p;
	char			*path = td_path("history.db"), *cause = NULL;
	char			*repo, *tag, *huge;
	size_t			 n, len = 64 * 1024, hlen = 2 * STORE_MAX_TEXT;

	(void)state;
	repo = xmalloc(len + 1);
	memset(repo, 'r', len);
	repo[len] = '\0';
	tag = xmalloc(len + 1);
	memset(tag, 't', len);
	tag[len] = '\0';
	huge = xmalloc(hlen + 1);
	memset(huge, 'h', hlen);
	huge[hlen] = '\0';

	s = open_ok(path, 0);
	assert_int_equal(store_record_digest(s, repo, tag, DA, NULL, 100, NULL,
	    &cause), 0);
	assert_int_equal(store_record_tags(s, repo, (const char *const *)&tag,
	    NULL, 1, 100, &cause), 0);
	assert_int_equal(store_tags(s, repo, &t, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(t[0].name), len);
	assert_string_equal(t[0].digest, DA);
	store_tags_free(t, n);
	assert_int_equal(store_tag_current(s, repo, tag, &p, &cause), 1);
	store_period_clear(&p);

	/* Past the limit: a clean error, and the repository not made. */
	assert_int_equal(store_record_digest(s, REPO, huge, DA, NULL, 100,
	    NULL, &cause), -1);
	assert_non_null(strstr(cause, "too big"));
	free(cause);
	cause = NULL;
	assert_int_equal(store_record_digest(s, huge, "20", DA, NULL, 100,
	    NULL, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(store_tag_current(s, REPO, huge, &p, &cause), -1);
	free(cause);
	store_close(s);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM repo"), 1);
	free(huge);
	free(tag);
	free(repo);
	free(path);
}

static void
test_store_readonly(void **state)
{
	struct store		*s;
	struct store_period	 p;
	char			*path = make_db(), *cause = NULL;
	char			*missing = td_path("missing.db");

	(void)state;
	open_fails(missing, STORE_READONLY, "%s: unable to open database "
	    "file (No such file or directory)");
	assert_false(exists(missing));
	s = open_ok(path, STORE_READONLY);
	assert_int_equal(store_tag_current(s, REPO, "20.7.0-bookworm-slim",
	    &p, &cause), 1);
	assert_string_equal(p.digest, DB);
	store_period_clear(&p);
	assert_int_equal(store_record_digest(s, REPO, "20", DA, NULL, 100,
	    NULL, &cause), -1);
	assert_non_null(strstr(cause, "readonly"));
	free(cause);
	store_close(s);
	free(missing);
	free(path);
}

static void
test_store_polls(void **state)
{
	struct store_poll_counts c = { 10, 6, 2, 1, 1, 3, 0 };
	struct store		*s;
	struct store_poll	 p;
	char			*path = td_path("history.db"), *cause = NULL;
	int64_t			 id, id2;

	(void)state;
	s = open_ok(path, 0);
	assert_int_equal(store_poll_last(s, &p, &cause), 0);
	assert_int_equal(store_poll_begin(s, 100, &id, &cause), 0);
	assert_int_equal(store_poll_last(s, &p, &cause), 1);
	assert_int_equal(p.id, id);
	assert_int_equal(p.started, 100);
	assert_int_equal(p.finished, 0);
	assert_int_equal(p.counts.ratelimit_remaining, -1);
	assert_int_equal(store_poll_finish(s, id, 160, &c, &cause), 0);
	assert_int_equal(store_poll_last(s, &p, &cause), 1);
	assert_int_equal(p.finished, 160);
	assert_int_equal(p.counts.requests, 10);
	assert_int_equal(p.counts.heads, 6);
	assert_int_equal(p.counts.gets, 2);
	assert_int_equal(p.counts.errors, 1);
	assert_int_equal(p.counts.throttled, 1);
	assert_int_equal(p.counts.changes, 3);
	assert_int_equal(p.counts.ratelimit_remaining, 0);

	assert_int_equal(store_poll_begin(s, 200, &id2, &cause), 0);
	assert_true(id2 > id);
	assert_int_equal(store_poll_finish(s, id2 + 7, 260, &c, &cause), -1);
	assert_non_null(strstr(cause, "no poll"));
	free(cause);
	store_close(s);
	free(path);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_store_migrations_numbered),
		T(test_store_open_creates_schema),
		T(test_store_reopen_idempotent),
		T(test_store_newer_refused),
		T(test_store_garbage_file),
		T(test_store_foreign_database),
		T(test_store_truncated),
		T(test_store_corrupt_pages),
		T(test_store_locked),
		T(test_store_same_digest_one_period),
		T(test_store_move_and_back),
		T(test_store_rebuilds_since),
		T(test_store_index_once),
		T(test_store_tags_seen_gone),
		T(test_store_failed_write_leaves_nothing),
		T(test_store_long_names),
		T(test_store_readonly),
		T(test_store_polls),
	};
#undef T
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
