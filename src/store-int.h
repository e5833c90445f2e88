/*
 * The store's insides, for the modules that keep their own tables in the
 * history database (store-outbox.c): statements prepared once and kept in
 * a slot each module owns, and the transaction helpers.  Same conventions
 * as store.h: 0/-1 (lookups 1/0/-1) and an allocated *cause.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

struct store;

#define STORE_MAX_EXT		32	/* statement slots */
#define STORE_EXT_OUTBOX	0	/* store-outbox.c: slots 0 to 23 */
#define STORE_EXT_ANNOUNCE	24	/* store-announce.c: slots 24 to 27 */

/*
 * The statement in slot, prepared from sql on first use, its parameters
 * bound from fmt ('t' text, NULL binds NULL; 'i' int64_t; 'n' int64_t,
 * negative binds NULL).  A slot always holds the same sql.  Step it with
 * store_step; after a row, store_done.
 */
sqlite3_stmt	*store_ext_stmt(struct store *, int slot, const char *sql,
		     char **cause, const char *fmt, ...);
/* Run a statement of a slot that returns no rows. */
int		 store_ext_run(struct store *, int slot, const char *sql,
		     char **cause, const char *fmt, ...);
/* A lookup of one integer in slot: 1 found (*v), 0 not, -1 error. */
int		 store_ext_int(struct store *, int slot, const char *sql,
		     int64_t *v, char **cause, const char *fmt, ...);
/* Rows changed by the last statement. */
size_t		 store_changes(struct store *);
/* 1 a row (then store_done), 0 done (reset), -1 error (reset). */
int		 store_step(struct store *, sqlite3_stmt *, char **cause);
void		 store_done(sqlite3_stmt *);
void		 store_cause(struct store *, int rc, char **cause);
int		 store_begin(struct store *, char **cause);
int		 store_commit(struct store *, char **cause);
void		 store_rollback(struct store *);
char		*store_column_text(sqlite3_stmt *, int col);
/* Queue an event (inside the caller's transaction). */
int		 store_outbox_add(struct store *, const char *uid,
		     const char *type, const char *subject, const char *body,
		     time_t now, char **cause);

#endif
