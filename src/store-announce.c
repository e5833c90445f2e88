/*
 * The tags new since the last tag list considered, for tag.added
 * (store.h: store_tags_new, store_tags_considered).
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store.h"
#include "store-int.h"
#include "xmalloc.h"

#define ASQL_SLOT	STORE_EXT_ANNOUNCE

enum announce_sql {
	ASQL_GENS,
	ASQL_NEW,
	ASQL_MARK,
	ASQL_COUNT
};

static const char *announce_sql[ASQL_COUNT] = {
	[ASQL_GENS] =
	    "SELECT tags_gen, announced_gen FROM repo WHERE name = ?1",
	[ASQL_NEW] =
	    "SELECT t.name FROM repo r JOIN tag t ON t.repo_id = r.id "
	    "WHERE r.name = ?1 AND t.first_listed_gen > r.announced_gen "
	    "AND t.first_listed_gen > 1 AND t.gone_since IS NULL "
	    "AND NOT EXISTS (SELECT 1 FROM period p WHERE p.tag_id = t.id) "
	    "ORDER BY t.name",
	/* Parenthesized: clang takes a split literal here for a typo. */
	[ASQL_MARK] =
	    ("UPDATE repo SET announced_gen = max(announced_gen, ?2) "
	    "WHERE name = ?1"),
};

int
store_tags_new(struct store *s, const char *repo, char ***tags, size_t *n,
    int64_t *gen, char **cause)
{
	sqlite3_stmt	*st;
	char		**v = NULL;
	size_t		 len = 0;
	int		 rc;

	*tags = NULL;
	*n = 0;
	*gen = 0;
	st = store_ext_stmt(s, ASQL_SLOT + ASQL_GENS, announce_sql[ASQL_GENS],
	    cause, "t", repo);
	if (st == NULL)
		return (-1);
	rc = store_step(s, st, cause);
	if (rc != 1)
		return (rc);
	*gen = sqlite3_column_int64(st, 0);
	store_done(st);
	st = store_ext_stmt(s, ASQL_SLOT + ASQL_NEW, announce_sql[ASQL_NEW],
	    cause, "t", repo);
	if (st == NULL)
		return (-1);
	while ((rc = store_step(s, st, cause)) == 1) {
		v = xreallocarray(v, len + 1, sizeof *v);
		v[len++] = store_column_text(st, 0);
	}
	if (rc == -1) {
		store_names_free(v, len);
		return (-1);
	}
	*tags = v;
	*n = len;
	return (0);
}

int
store_tags_considered(struct store *s, const char *repo, int64_t gen,
    const struct store_event *ev, size_t n, time_t now, char **cause)
{
	size_t	 i;
	int	 rc = -1;

	if (store_begin(s, cause) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (store_outbox_add(s, ev[i].uid, ev[i].type, ev[i].subject,
		    ev[i].body, now, cause) == -1)
			goto out;
	}
	if (store_ext_run(s, ASQL_SLOT + ASQL_MARK, announce_sql[ASQL_MARK],
	    cause, "ti", repo, gen) == -1)
		goto out;
	if (store_commit(s, cause) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		store_rollback(s);
	return (rc);
}

void
store_names_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
