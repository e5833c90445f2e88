#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "event.h"
#include "log.h"
#include "store.h"
#include "store-int.h"
#include "xmalloc.h"

/*
 * How the store works: one SQLite connection in WAL mode (readers never
 * wait for the poller), foreign keys on, synchronous=NORMAL (in WAL mode
 * a power cut may lose the last commits, never the database).  Writes
 * take the lock up front with BEGIN IMMEDIATE, so two writers queue on
 * the busy timeout instead of failing a read-to-write upgrade.
 * Statements are prepared on first use and kept; every use ends with a
 * reset and cleared bindings, so no statement holds a read transaction or
 * a caller's string.
 *
 * A file is ours when its PRAGMA application_id is STORE_APPLICATION_ID,
 * or when it is empty; anything else is refused before anything is
 * written to it (not even the journal mode), so a mistyped path cannot
 * damage another program's database.  There is no PRAGMA quick_check at
 * open: it reads every page, a cost that grows with the history, and
 * SQLite reports the damage it meets anyway (SQLITE_CORRUPT, translated
 * below); store_check runs it on demand.
 */

#define STORE_APPLICATION_ID	0x74616764	/* "tagd" */

enum store_sql {
	SQL_REPO_ADD,
	SQL_REPO_ID,
	SQL_REPO_GEN,
	SQL_REPO_FETCHED,
	SQL_TAG_SEEN,
	SQL_TAG_ID,
	SQL_TAG_LISTED,
	SQL_TAGS_GONE,
	SQL_PERIOD_OPEN,
	SQL_PERIOD_EXTEND,
	SQL_PERIOD_CLOSE,
	SQL_PERIOD_ADD,
	SQL_INDEX_ADD,
	SQL_PLATFORM_ADD,
	SQL_INDEX_KNOWN,
	SQL_INDEX_PLATFORMS,
	SQL_IS_PLATFORM,
	SQL_TAG_CURRENT,
	SQL_TAG_PERIODS,
	SQL_DIGEST_SEEN,
	SQL_TAGS,
	SQL_FETCHED_AT,
	SQL_POLL_BEGIN,
	SQL_POLL_FINISH,
	SQL_POLL_LAST,
	SQL_PERIOD_SINCE,
	SQL_OUTBOX_ADD,
	SQL_COUNT
};

#define PERIOD_COLS \
	"p.id, p.digest, p.media_type, p.first_seen, p.last_seen, p.closed_at"
#define TAG_PERIODS \
	"FROM repo r JOIN tag t ON t.repo_id = r.id " \
	"JOIN period p ON p.tag_id = t.id WHERE r.name = ?1 AND t.name = ?2"

static const char *store_sql[SQL_COUNT] = {
	[SQL_REPO_ADD] =
	    "INSERT INTO repo (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
	[SQL_REPO_ID] = "SELECT id FROM repo WHERE name = ?1",
	[SQL_REPO_GEN] = "SELECT tags_gen FROM repo WHERE id = ?1",
	[SQL_REPO_FETCHED] =
	    "UPDATE repo SET tags_gen = tags_gen + 1, tags_fetched_at = ?2 "
	    "WHERE id = ?1",
	[SQL_TAG_SEEN] =
	    "INSERT INTO tag (repo_id, name, first_seen, last_seen) "
	    "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (repo_id, name) DO UPDATE "
	    "SET last_seen = max(last_seen, excluded.last_seen), "
	    "gone_since = NULL",
	[SQL_TAG_ID] = "SELECT id FROM tag WHERE repo_id = ?1 AND name = ?2",
	[SQL_TAG_LISTED] =
	    "INSERT INTO tag (repo_id, name, first_seen, last_seen, "
	    "listed_gen, pushed_at, first_listed_gen) "
	    "VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?4) "
	    "ON CONFLICT (repo_id, name) DO UPDATE "
	    "SET last_seen = max(last_seen, excluded.last_seen), "
	    "listed_gen = excluded.listed_gen, gone_since = NULL, "
	    "pushed_at = coalesce(excluded.pushed_at, pushed_at), "
	    "first_listed_gen = coalesce(first_listed_gen, "
	    "excluded.first_listed_gen)",
	[SQL_TAGS_GONE] =
	    "UPDATE tag SET gone_since = ?3 WHERE repo_id = ?1 "
	    "AND listed_gen < ?2 AND gone_since IS NULL",
	[SQL_PERIOD_OPEN] =
	    "SELECT id, digest FROM period "
	    "WHERE tag_id = ?1 AND closed_at IS NULL",
	[SQL_PERIOD_EXTEND] =
	    "UPDATE period SET last_seen = max(last_seen, ?2), "
	    "media_type = coalesce(?3, media_type) WHERE id = ?1",
	[SQL_PERIOD_CLOSE] =
	    "UPDATE period SET closed_at = max(last_seen, ?2) WHERE id = ?1",
	[SQL_PERIOD_ADD] =
	    "INSERT INTO period (tag_id, digest, media_type, first_seen, "
	    "last_seen) VALUES (?1, ?2, ?3, ?4, ?4)",
	[SQL_INDEX_ADD] =
	    "INSERT INTO manifest_index (digest, media_type, fetched_at) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (digest) DO NOTHING",
	[SQL_PLATFORM_ADD] =
	    "INSERT INTO platform (index_digest, position, os, architecture, "
	    "variant, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQL_INDEX_KNOWN] = "SELECT 1 FROM manifest_index WHERE digest = ?1",
	[SQL_INDEX_PLATFORMS] =
	    "SELECT os, architecture, variant, digest FROM platform "
	    "WHERE index_digest = ?1 ORDER BY position",
	[SQL_IS_PLATFORM] =
	    "SELECT 1 FROM platform WHERE index_digest = ?1 AND digest = ?2 "
	    "LIMIT 1",
	[SQL_TAG_CURRENT] =
	    "SELECT " PERIOD_COLS " " TAG_PERIODS " AND p.closed_at IS NULL",
	[SQL_TAG_PERIODS] =
	    "SELECT " PERIOD_COLS " " TAG_PERIODS " ORDER BY p.id",
	[SQL_DIGEST_SEEN] =
	    "SELECT " PERIOD_COLS ", (SELECT count(*) FROM period q "
	    "WHERE q.tag_id = p.tag_id AND q.id > p.id) " TAG_PERIODS " "
	    "AND (p.digest = ?3 OR p.digest IN "
	    "(SELECT index_digest FROM platform WHERE digest = ?3)) "
	    "ORDER BY p.id DESC LIMIT 1",
	[SQL_TAGS] =
	    "SELECT t.name, t.first_seen, t.last_seen, t.gone_since, "
	    "t.pushed_at, coalesce(t.listed_gen = r.tags_gen, 0), p.digest, "
	    "p.first_seen, (SELECT count(*) FROM period q "
	    "WHERE q.tag_id = t.id) "
	    "FROM repo r JOIN tag t ON t.repo_id = r.id "
	    "LEFT JOIN period p ON p.tag_id = t.id AND p.closed_at IS NULL "
	    "WHERE r.name = ?1 ORDER BY t.name",
	[SQL_FETCHED_AT] =
	    "SELECT tags_fetched_at FROM repo "
	    "WHERE name = ?1 AND tags_fetched_at IS NOT NULL",
	[SQL_POLL_BEGIN] = "INSERT INTO poll (started_at) VALUES (?1)",
	[SQL_POLL_FINISH] =
	    "UPDATE poll SET finished_at = ?2, requests = ?3, heads = ?4, "
	    "gets = ?5, errors = ?6, throttled = ?7, changes = ?8, "
	    "ratelimit_remaining = ?9 WHERE id = ?1",
	[SQL_POLL_LAST] =
	    "SELECT id, started_at, finished_at, requests, heads, gets, "
	    "errors, throttled, changes, ratelimit_remaining FROM poll "
	    "ORDER BY id DESC LIMIT 1",
	[SQL_PERIOD_SINCE] = "SELECT first_seen FROM period WHERE id = ?1",
	[SQL_OUTBOX_ADD] =
	    "INSERT INTO outbox (uid, type, subject, body, created_at, "
	    "next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
};

struct store {
	sqlite3		*db;
	char		*path;
	int		 flags;
	int		 busy_ms;
	int		 schema;
	int		 events;	/* write events to the outbox */
	sqlite3_stmt	*stmt[SQL_COUNT];
	sqlite3_stmt	*ext[STORE_MAX_EXT];	/* store-int.h's users */
};

/* Set *cause from an SQLite result code, in words a person can act on. */
void
store_cause(struct store *s, int rc, char **cause)
{
	const char	*msg;
	int		 sys;

	msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		xasprintf(cause, "%s: not a tagdrift database (%s)", s->path,
		    msg);
		break;
	case SQLITE_CORRUPT:
		xasprintf(cause, "%s: database is corrupt (%s)", s->path, msg);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		xasprintf(cause, "%s: %s: another process holds it (waited "
		    "%d ms)", s->path, msg, s->busy_ms);
		break;
	case SQLITE_CANTOPEN:
		sys = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
		if (sys != 0) {
			xasprintf(cause, "%s: %s (%s)", s->path, msg,
			    strerror(sys));
			break;
		}
		/* FALLTHROUGH */
	default:
		xasprintf(cause, "%s: %s", s->path, msg);
		break;
	}
}

void
store_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * The prepared statement which, its parameters bound from fmt: 't' a
 * string (NULL binds NULL), 'i' an int64_t, 'n' an int64_t that binds NULL
 * when negative.  The strings must outlive the statement's use.
 */
static sqlite3_stmt *
store_vprepare(struct store *s, sqlite3_stmt **slot, const char *sql,
    char **cause, const char *fmt, va_list ap)
{
	sqlite3_stmt	*st = *slot;
	const char	*str;
	int64_t		 v;
	int		 rc = SQLITE_OK, i;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(s->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK) {
			store_cause(s, rc, cause);
			return (NULL);
		}
		*slot = st;
	}
	for (i = 0; rc == SQLITE_OK && fmt[i] != '\0'; i++) {
		switch (fmt[i]) {
		case 't':
			str = va_arg(ap, const char *);
			if (str == NULL)
				rc = sqlite3_bind_null(st, i + 1);
			else
				rc = sqlite3_bind_text64(st, i + 1, str,
				    strlen(str), SQLITE_STATIC, SQLITE_UTF8);
			break;
		case 'i':
		case 'n':
			v = va_arg(ap, int64_t);
			if (fmt[i] == 'n' && v < 0)
				rc = sqlite3_bind_null(st, i + 1);
			else
				rc = sqlite3_bind_int64(st, i + 1, v);
			break;
		default:
			fatalx("%s: bad format %s", __func__, fmt);
		}
	}
	if (rc != SQLITE_OK) {
		store_cause(s, rc, cause);
		store_done(st);
		return (NULL);
	}
	return (st);
}

static sqlite3_stmt *
store_vstmt(struct store *s, enum store_sql which, char **cause,
    const char *fmt, va_list ap)
{
	return (store_vprepare(s, &s->stmt[which], store_sql[which], cause,
	    fmt, ap));
}

/* The extension slot's statement pointer; a bad slot is a bug. */
static sqlite3_stmt **
store_ext_slot(struct store *s, int slot)
{
	if (slot < 0 || slot >= STORE_MAX_EXT)
		fatalx("%s: slot %d", __func__, slot);
	return (&s->ext[slot]);
}

/*
 * Prepare and bind (store_vprepare), step once and keep the first
 * column of a row in *v (may be NULL): 1 a row, 0 none, -1 error.  The
 * one runner behind store_run, store_int and their ext_ twins.
 */
static int
store_vint(struct store *s, sqlite3_stmt **slot, const char *sql,
    int64_t *v, char **cause, const char *fmt, va_list ap)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = store_vprepare(s, slot, sql, cause, fmt, ap);
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc == 1) {
		if (v != NULL)
			*v = sqlite3_column_int64(st, 0);
		store_done(st);
	}
	return (rc);
}

sqlite3_stmt *
store_ext_stmt(struct store *s, int slot, const char *sql, char **cause,
    const char *fmt, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;

	va_start(ap, fmt);
	st = store_vprepare(s, store_ext_slot(s, slot), sql, cause, fmt, ap);
	va_end(ap);
	return (st);
}

int
store_ext_run(struct store *s, int slot, const char *sql, char **cause,
    const char *fmt, ...)
{
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = store_vint(s, store_ext_slot(s, slot), sql, NULL, cause, fmt, ap);
	va_end(ap);
	return (rc == 1 ? 0 : rc);
}

int
store_ext_int(struct store *s, int slot, const char *sql, int64_t *v,
    char **cause, const char *fmt, ...)
{
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = store_vint(s, store_ext_slot(s, slot), sql, v, cause, fmt, ap);
	va_end(ap);
	return (rc);
}

size_t
store_changes(struct store *s)
{
	return ((size_t)sqlite3_changes(s->db));
}

static sqlite3_stmt *
store_stmt(struct store *s, enum store_sql which, char **cause,
    const char *fmt, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;

	va_start(ap, fmt);
	st = store_vstmt(s, which, cause, fmt, ap);
	va_end(ap);
	return (st);
}

/* Step st: 1 a row (the caller then calls store_done), 0 done, -1 error. */
int
store_step(struct store *s, sqlite3_stmt *st, char **cause)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return (1);
	if (rc != SQLITE_DONE)
		store_cause(s, rc, cause);
	store_done(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Run a statement that returns no rows. */
static int
store_run(struct store *s, enum store_sql which, char **cause,
    const char *fmt, ...)
{
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = store_vint(s, &s->stmt[which], store_sql[which], NULL, cause,
	    fmt, ap);
	va_end(ap);
	return (rc == 1 ? 0 : rc);
}

/* Run a lookup of one integer: 1 found, 0 not, -1 error. */
static int
store_int(struct store *s, enum store_sql which, int64_t *v, char **cause,
    const char *fmt, ...)
{
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = store_vint(s, &s->stmt[which], store_sql[which], v, cause, fmt,
	    ap);
	va_end(ap);
	return (rc);
}

/* Run SQL text that the store does not keep prepared. */
static int
store_exec(struct store *s, const char *sql, char **cause)
{
	int	 rc;

	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_cause(s, rc, cause);
		return (-1);
	}
	return (0);
}

/* The integer a one-row query (a PRAGMA) answers. */
static int
store_pragma(struct store *s, const char *sql, int64_t *v, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		store_cause(s, rc, cause);
	sqlite3_finalize(st);
	return (rc == SQLITE_OK ? 0 : -1);
}

int
store_begin(struct store *s, char **cause)
{
	return (store_exec(s, "BEGIN IMMEDIATE", cause));
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_commit(struct store *s, char **cause)
{
	if (store_exec(s, "COMMIT", cause) == -1) {
		store_rollback(s);
		return (-1);
	}
	return (0);
}

/* A copy of a text column, NULL for NULL. */
char *
store_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char	*t;

	t = sqlite3_column_text(st, col);
	return (t == NULL ? NULL : xstrdup((const char *)t));
}

/* Create the missing parent directories of path, mode 0700. */
static int
store_mkdirs(const char *path, char **cause)
{
	char	*copy, *p;
	int	 rc = -1;

	copy = xstrdup(path);
	p = copy;
	for (;;) {
		p = strchr(p + 1, '/');
		if (p == NULL)
			break;
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", copy, strerror(errno));
			goto out;
		}
		*p = '/';
	}
	rc = 0;
out:
	free(copy);
	return (rc);
}

/*
 * What the file is: fresh (empty, *version 0) or tagdrift's, at a schema
 * this program knows.  Reads only, so a file that is refused is left as
 * it was.
 */
static int
store_identify(struct store *s, int *version, char **cause)
{
	int64_t	 appid, uv, nobjects;
	int	 newest = store_migrations[store_nmigrations - 1].version;

	if (store_pragma(s, "PRAGMA application_id", &appid, cause) == -1 ||
	    store_pragma(s, "PRAGMA user_version", &uv, cause) == -1 ||
	    store_pragma(s, "SELECT count(*) FROM sqlite_master", &nobjects,
	    cause) == -1)
		return (-1);
	if (appid != STORE_APPLICATION_ID && appid != 0) {
		xasprintf(cause, "%s: not a tagdrift database (application id "
		    "%#llx)", s->path, (unsigned long long)(uint32_t)appid);
		return (-1);
	}
	if (appid == 0 && (uv != 0 || nobjects != 0)) {
		xasprintf(cause, "%s: not a tagdrift database (it holds "
		    "another program's tables)", s->path);
		return (-1);
	}
	if (uv < 0) {
		xasprintf(cause, "%s: not a tagdrift database (schema %lld)",
		    s->path, (long long)uv);
		return (-1);
	}
	if (uv > newest) {
		xasprintf(cause, "database %s was written by a newer tagdrift "
		    "(schema %lld, this one knows up to %d)", s->path,
		    (long long)uv, newest);
		return (-1);
	}
	*version = (int)uv;
	return (0);
}

/* Apply, in one transaction, every migration above the file's schema. */
static int
store_migrate(struct store *s, char **cause)
{
	const struct store_migration	*m;
	char				*sql = NULL, *err = NULL;
	int				 version, rc = -1;
	size_t				 i;

	if (store_begin(s, cause) == -1)
		return (-1);
	/* Another process may have migrated while this one waited. */
	if (store_identify(s, &version, cause) == -1)
		goto out;
	for (i = 0; i < store_nmigrations; i++) {
		m = &store_migrations[i];
		if (m->version <= version)
			continue;
		if (sqlite3_exec(s->db, m->sql, NULL, NULL, &err) !=
		    SQLITE_OK) {
			xasprintf(cause, "%s: migration %s: %s", s->path,
			    m->name, err != NULL ? err : "failed");
			goto out;
		}
		free(sql);
		xasprintf(&sql, "PRAGMA user_version = %d", m->version);
		if (store_exec(s, sql, cause) == -1)
			goto out;
		log_debug("%s: schema %d applied", s->path, m->version);
	}
	if (version == 0) {
		free(sql);
		xasprintf(&sql, "PRAGMA application_id = %d",
		    STORE_APPLICATION_ID);
		if (store_exec(s, sql, cause) == -1)
			goto out;
	}
	if (store_commit(s, cause) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		store_rollback(s);
	sqlite3_free(err);
	free(sql);
	return (rc);
}

/* Set up the connection of an identified file and bring its schema up. */
static int
store_setup(struct store *s, char **cause)
{
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	int		 version, newest, rc;

	newest = store_migrations[store_nmigrations - 1].version;
	if (store_identify(s, &version, cause) == -1)
		return (-1);
	if (!(s->flags & STORE_READONLY)) {
		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1,
		    &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			store_cause(s, rc, cause);
			sqlite3_finalize(st);
			return (-1);
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0)
			log_warnx("%s: journal mode %s, not WAL", s->path,
			    mode == NULL ? "unknown" : mode);
		sqlite3_finalize(st);
	}
	/*
	 * A page cache of 512 KiB (SQLite's default is 2 MiB): the hot part
	 * of a history is small, and a daemon's memory must not follow the
	 * size of its file.
	 */
	if (store_exec(s, "PRAGMA foreign_keys = ON", cause) == -1 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL", cause) == -1 ||
	    store_exec(s, "PRAGMA cache_size = -512", cause) == -1)
		return (-1);
	if (version < newest && (s->flags & STORE_READONLY)) {
		if (version == 0)
			xasprintf(cause, "%s: empty database (no tagdrift "
			    "history yet)", s->path);
		else
			xasprintf(cause, "%s: schema %d is older than this "
			    "tagdrift's %d; open it once read-write to "
			    "upgrade", s->path, version, newest);
		return (-1);
	}
	if (version < newest && store_migrate(s, cause) == -1)
		return (-1);
	s->schema = newest;
	return (0);
}

int
store_open(const char *path, int flags, int busy_ms, struct store **sp,
    char **cause)
{
	struct store	*s;
	int		 oflags, rc, fd;

	*sp = NULL;
	if (path == NULL || *path == '\0') {
		*cause = xstrdup("empty database path");
		return (-1);
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->flags = flags;
	s->busy_ms = busy_ms > 0 ? busy_ms : STORE_BUSY_MS;
	if ((flags & STORE_MKDIR) && store_mkdirs(path, cause) == -1)
		goto fail;
	/* Create it 0600 (SQLite gives its -wal and -shm the same mode). */
	if (!(flags & STORE_READONLY) && strcmp(path, ":memory:") != 0) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		close(fd);
	}
	if (flags & STORE_READONLY)
		oflags = SQLITE_OPEN_READONLY;
	else
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		store_cause(s, rc, cause);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, STORE_MAX_TEXT);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (store_setup(s, cause) == -1)
		goto fail;
	*sp = s;
	return (0);
fail:
	store_close(s);
	return (-1);
}

void
store_close(struct store *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (i = 0; i < STORE_MAX_EXT; i++)
		sqlite3_finalize(s->ext[i]);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("%s: %s", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

int
store_schema(const struct store *s)
{
	return (s->schema);
}

void
store_release_memory(struct store *s)
{
	if (s != NULL)
		sqlite3_db_release_memory(s->db);
}

int
store_check(struct store *s, char **cause)
{
	sqlite3_stmt	*st = NULL;
	const char	*row;
	int		 rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st,
	    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_cause(s, rc, cause);
		sqlite3_finalize(st);
		return (-1);
	}
	row = (const char *)sqlite3_column_text(st, 0);
	if (row == NULL || strcmp(row, "ok") != 0) {
		xasprintf(cause, "%s: database is corrupt (%s)", s->path,
		    row == NULL ? "no answer" : row);
		rc = SQLITE_CORRUPT;
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

int
store_poll_begin(struct store *s, time_t now, int64_t *id, char **cause)
{
	if (store_run(s, SQL_POLL_BEGIN, cause, "i", (int64_t)now) == -1)
		return (-1);
	*id = sqlite3_last_insert_rowid(s->db);
	return (0);
}

int
store_poll_finish(struct store *s, int64_t id, time_t now,
    const struct store_poll_counts *c, char **cause)
{
	if (store_run(s, SQL_POLL_FINISH, cause, "iiiiiiiin", id,
	    (int64_t)now, c->requests, c->heads, c->gets, c->errors,
	    c->throttled, c->changes, c->ratelimit_remaining) == -1)
		return (-1);
	if (sqlite3_changes(s->db) != 1) {
		xasprintf(cause, "%s: no poll %lld", s->path, (long long)id);
		return (-1);
	}
	return (0);
}

int
store_poll_last(struct store *s, struct store_poll *p, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = store_stmt(s, SQL_POLL_LAST, cause, "");
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc != 1)
		return (rc);
	p->id = sqlite3_column_int64(st, 0);
	p->started = (time_t)sqlite3_column_int64(st, 1);
	p->finished = (time_t)sqlite3_column_int64(st, 2);
	p->counts.requests = sqlite3_column_int64(st, 3);
	p->counts.heads = sqlite3_column_int64(st, 4);
	p->counts.gets = sqlite3_column_int64(st, 5);
	p->counts.errors = sqlite3_column_int64(st, 6);
	p->counts.throttled = sqlite3_column_int64(st, 7);
	p->counts.changes = sqlite3_column_int64(st, 8);
	if (sqlite3_column_type(st, 9) == SQLITE_NULL)
		p->counts.ratelimit_remaining = -1;
	else
		p->counts.ratelimit_remaining = sqlite3_column_int64(st, 9);
	store_done(st);
	return (1);
}

/* A row the transaction itself made must be there: 0 becomes an error. */
static int
store_must(struct store *s, int found, char **cause)
{
	if (found == 0)
		xasprintf(cause, "%s: a row vanished inside a transaction",
		    s->path);
	return (found == 1 ? 0 : -1);
}

/* The id of repo, made if it is new. */
static int
store_repo(struct store *s, const char *repo, int64_t *id, char **cause)
{
	if (store_run(s, SQL_REPO_ADD, cause, "t", repo) == -1)
		return (-1);
	return (store_must(s, store_int(s, SQL_REPO_ID, id, cause, "t", repo),
	    cause));
}

/* The open period of a tag: 1 with its id and digest, 0 none, -1 error. */
static int
store_open_period(struct store *s, int64_t tag_id, int64_t *id,
    char **digest, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = store_stmt(s, SQL_PERIOD_OPEN, cause, "i", tag_id);
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc == 1) {
		*id = sqlite3_column_int64(st, 0);
		*digest = store_column_text(st, 1);
		store_done(st);
	}
	return (rc);
}

int
store_outbox_add(struct store *s, const char *uid, const char *type,
    const char *subject, const char *body, time_t now, char **cause)
{
	return (store_run(s, SQL_OUTBOX_ADD, cause, "tttti", uid, type,
	    subject, body, (int64_t)now) == -1 ? -1 : 0);
}

/* Announce a move (inside store_record_digest's transaction). */
static int
store_moved_event(struct store *s, const char *repo, const char *tag,
    const char *digest, const char *media_type, const char *previous,
    int64_t period_id, time_t now, char **cause)
{
	int64_t	 since = 0;
	char	*uid, *body, *subject;
	int	 rc;

	if (store_int(s, SQL_PERIOD_SINCE, &since, cause, "i",
	    period_id) == -1)
		return (-1);
	uid = event_new_id();
	body = event_tag_moved(uid, now, repo, tag, digest, media_type,
	    previous, (time_t)since);
	xasprintf(&subject, "tag:%s:%s", repo, tag);
	rc = store_outbox_add(s, uid, "tag.moved", subject, body, now, cause);
	free(subject);
	free(body);
	free(uid);
	return (rc);
}

void
store_set_events(struct store *s, int on)
{
	s->events = on;
}

int
store_events(const struct store *s)
{
	return (s->events);
}

const char *
store_path(const struct store *s)
{
	return (s->path);
}

int
store_record_digest(struct store *s, const char *repo, const char *tag,
    const char *digest, const char *media_type, time_t now,
    enum store_change *change, char **cause)
{
	enum store_change	 ch;
	int64_t			 repo_id, tag_id, period_id = 0, t = now;
	char			*cur = NULL;
	int			 found, rc = -1;

	if (store_begin(s, cause) == -1)
		return (-1);
	if (store_repo(s, repo, &repo_id, cause) == -1 ||
	    store_run(s, SQL_TAG_SEEN, cause, "iti", repo_id, tag, t) == -1 ||
	    store_must(s, store_int(s, SQL_TAG_ID, &tag_id, cause, "it",
	    repo_id, tag), cause) == -1)
		goto out;
	found = store_open_period(s, tag_id, &period_id, &cur, cause);
	if (found == -1)
		goto out;
	if (found && cur != NULL && digest != NULL &&
	    strcmp(cur, digest) == 0) {
		ch = STORE_SAME;
		if (store_run(s, SQL_PERIOD_EXTEND, cause, "iit", period_id, t,
		    media_type) == -1)
			goto out;
	} else {
		ch = found ? STORE_MOVED : STORE_NEW;
		if (found && store_run(s, SQL_PERIOD_CLOSE, cause, "ii",
		    period_id, t) == -1)
			goto out;
		if (found && s->events && store_moved_event(s, repo, tag,
		    digest, media_type, cur, period_id, now, cause) == -1)
			goto out;
		if (store_run(s, SQL_PERIOD_ADD, cause, "itti", tag_id, digest,
		    media_type, t) == -1)
			goto out;
	}
	if (store_commit(s, cause) == -1)
		goto out;
	if (change != NULL)
		*change = ch;
	rc = 0;
out:
	if (rc == -1)
		store_rollback(s);
	free(cur);
	return (rc);
}

int
store_record_tags(struct store *s, const char *repo,
    const char *const *tags, const time_t *pushed, size_t n, time_t now,
    char **cause)
{
	int64_t	 repo_id, gen, t = now, when;
	size_t	 i;
	int	 rc = -1;

	if (store_begin(s, cause) == -1)
		return (-1);
	if (store_repo(s, repo, &repo_id, cause) == -1 ||
	    store_run(s, SQL_REPO_FETCHED, cause, "ii", repo_id, t) == -1 ||
	    store_must(s, store_int(s, SQL_REPO_GEN, &gen, cause, "i",
	    repo_id), cause) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		when = pushed != NULL && pushed[i] > 0 ? pushed[i] : -1;
		if (store_run(s, SQL_TAG_LISTED, cause, "itiin", repo_id,
		    tags[i], t, gen, when) == -1)
			goto out;
	}
	if (store_run(s, SQL_TAGS_GONE, cause, "iii", repo_id, gen, t) == -1)
		goto out;
	if (store_commit(s, cause) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		store_rollback(s);
	return (rc);
}

int
store_record_index(struct store *s, const char *digest,
    const char *media_type, const struct store_platform *pl, size_t n,
    time_t now, char **cause)
{
	const struct store_platform	*p;
	size_t				 i;
	int				 rc = -1, fresh;

	if (store_begin(s, cause) == -1)
		return (-1);
	if (store_run(s, SQL_INDEX_ADD, cause, "tti", digest, media_type,
	    (int64_t)now) == -1)
		goto out;
	/* Known already: digests are immutable, keep the first answer. */
	fresh = sqlite3_changes(s->db) == 1;
	for (i = 0; fresh && i < n; i++) {
		p = &pl[i];
		if (store_run(s, SQL_PLATFORM_ADD, cause, "titttt", digest,
		    (int64_t)i, p->os != NULL ? p->os : "",
		    p->architecture != NULL ? p->architecture : "",
		    p->variant != NULL ? p->variant : "", p->digest) == -1)
			goto out;
	}
	if (store_commit(s, cause) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		store_rollback(s);
	return (rc);
}

/* Fill p from the PERIOD_COLS of the current row. */
static void
store_period_read(sqlite3_stmt *st, struct store_period *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->digest = store_column_text(st, 1);
	p->media_type = store_column_text(st, 2);
	p->first_seen = (time_t)sqlite3_column_int64(st, 3);
	p->last_seen = (time_t)sqlite3_column_int64(st, 4);
	p->closed = (time_t)sqlite3_column_int64(st, 5);
}

int
store_tag_current(struct store *s, const char *repo, const char *tag,
    struct store_period *p, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = store_stmt(s, SQL_TAG_CURRENT, cause, "tt", repo, tag);
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc == 1) {
		if (p != NULL)
			store_period_read(st, p);
		store_done(st);
	}
	return (rc);
}

/*
 * Step st to its end, reading each row with read into a growing array of
 * size-byte items; on failure release frees what was read.  *out is the
 * caller's.
 */
static int
store_rows(struct store *s, sqlite3_stmt *st, size_t size,
    void (*read)(sqlite3_stmt *, void *), void (*release)(void *, size_t),
    void **out, size_t *np, char **cause)
{
	char	*v = NULL;
	size_t	 n = 0, alloc = 0;
	int	 rc;

	for (;;) {
		rc = store_step(s, st, cause);
		if (rc != 1)
			break;
		if (n == alloc) {
			alloc = alloc == 0 ? 8 : alloc * 2;
			v = xreallocarray(v, alloc, size);
		}
		read(st, v + n * size);
		n++;
	}
	if (rc == -1) {
		release(v, n);
		return (-1);
	}
	*out = v;
	*np = n;
	return (0);
}

/* store_rows adapters: typed readers and freers behind void pointers. */
static void
store_period_row(sqlite3_stmt *st, void *item)
{
	store_period_read(st, item);
}

static void
store_periods_release(void *v, size_t n)
{
	store_periods_free(v, n);
}

static void
store_tag_row(sqlite3_stmt *st, void *item);

static void
store_tags_release(void *v, size_t n)
{
	store_tags_free(v, n);
}

static void
store_platform_row(sqlite3_stmt *st, void *item)
{
	struct store_platform	*p = item;

	p->os = store_column_text(st, 0);
	p->architecture = store_column_text(st, 1);
	p->variant = store_column_text(st, 2);
	p->digest = store_column_text(st, 3);
}

static void
store_platforms_release(void *v, size_t n)
{
	store_platforms_free(v, n);
}

int
store_tag_periods(struct store *s, const char *repo, const char *tag,
    struct store_period **pp, size_t *np, char **cause)
{
	sqlite3_stmt	*st;
	void		*v = NULL;
	int		 rc;

	*pp = NULL;
	*np = 0;
	st = store_stmt(s, SQL_TAG_PERIODS, cause, "tt", repo, tag);
	if (st == NULL)
		return (-1);
	rc = store_rows(s, st, sizeof **pp, store_period_row,
	    store_periods_release, &v, np, cause);
	*pp = v;
	return (rc);
}

int
store_digest_seen(struct store *s, const char *repo, const char *tag,
    const char *digest, struct store_period *p, size_t *later, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = store_stmt(s, SQL_DIGEST_SEEN, cause, "ttt", repo, tag, digest);
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc == 1) {
		if (p != NULL)
			store_period_read(st, p);
		if (later != NULL)
			*later = (size_t)sqlite3_column_int64(st, 6);
		store_done(st);
	}
	return (rc);
}

/* Fill t from the current row of SQL_TAGS. */
static void
store_tag_read(sqlite3_stmt *st, struct store_tag *t)
{
	t->name = store_column_text(st, 0);
	t->first_seen = (time_t)sqlite3_column_int64(st, 1);
	t->last_seen = (time_t)sqlite3_column_int64(st, 2);
	t->gone_since = (time_t)sqlite3_column_int64(st, 3);
	t->pushed = (time_t)sqlite3_column_int64(st, 4);
	t->listed = sqlite3_column_int(st, 5) != 0;
	t->digest = store_column_text(st, 6);
	t->since = (time_t)sqlite3_column_int64(st, 7);
	t->nperiods = (size_t)sqlite3_column_int64(st, 8);
}

static void
store_tag_row(sqlite3_stmt *st, void *item)
{
	store_tag_read(st, item);
}

int
store_tags(struct store *s, const char *repo, struct store_tag **tp,
    size_t *np, char **cause)
{
	sqlite3_stmt	*st;
	void		*v = NULL;
	int		 rc;

	*tp = NULL;
	*np = 0;
	st = store_stmt(s, SQL_TAGS, cause, "t", repo);
	if (st == NULL)
		return (-1);
	rc = store_rows(s, st, sizeof **tp, store_tag_row, store_tags_release,
	    &v, np, cause);
	*tp = v;
	return (rc);
}

int
store_tags_fetched_at(struct store *s, const char *repo, time_t *at,
    char **cause)
{
	int64_t	 v;
	int	 rc;

	rc = store_int(s, SQL_FETCHED_AT, &v, cause, "t", repo);
	if (rc == 1)
		*at = (time_t)v;
	return (rc);
}

int
store_index_known(struct store *s, const char *digest, char **cause)
{
	return (store_int(s, SQL_INDEX_KNOWN, NULL, cause, "t", digest));
}

int
store_index_platforms(struct store *s, const char *digest,
    struct store_platform **pp, size_t *np, char **cause)
{
	sqlite3_stmt	*st;
	void		*v = NULL;
	int		 rc;

	*pp = NULL;
	*np = 0;
	st = store_stmt(s, SQL_INDEX_PLATFORMS, cause, "t", digest);
	if (st == NULL)
		return (-1);
	rc = store_rows(s, st, sizeof **pp, store_platform_row,
	    store_platforms_release, &v, np, cause);
	*pp = v;
	return (rc);
}

int
store_digest_is_platform_of(struct store *s, const char *index,
    const char *digest, char **cause)
{
	return (store_int(s, SQL_IS_PLATFORM, NULL, cause, "tt", index,
	    digest));
}

void
store_period_clear(struct store_period *p)
{
	if (p == NULL)
		return;
	free(p->digest);
	free(p->media_type);
	p->digest = p->media_type = NULL;
}

void
store_periods_free(struct store_period *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		store_period_clear(&p[i]);
	free(p);
}

void
store_tags_free(struct store_tag *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].digest);
	}
	free(t);
}

void
store_platforms_free(struct store_platform *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free((char *)p[i].os);
		free((char *)p[i].architecture);
		free((char *)p[i].variant);
		free((char *)p[i].digest);
	}
	free(p);
}
