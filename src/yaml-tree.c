#include "autoconf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "xmalloc.h"
#include "yaml-tree.h"

/*
 * The node tree the YAML scanners read, built from libyaml's event parser.
 *
 * We do not use libyaml's document loader: in 0.2.5 it looks anchors up by
 * linear search (an alias-heavy file costs quadratic time) and has no
 * nesting limit, and its scanner does quadratic work on deep flow nesting.
 * Building the tree ourselves lets us cap the nesting depth
 * (YAML_TREE_MAX_DEPTH) before the scanner gets far, find anchors through a
 * hash table, and refuse aliases that would make a cycle, so the tree is a
 * DAG.
 *
 * Aliases are never expanded: an alias is one more edge to the anchored
 * node.  Walks over the DAG mark what they visited, and every step of work
 * is charged to a per-file budget proportional to the input size; a file
 * that exhausts it is given up by the caller, keeping what was found.  So
 * "billion laughs" costs what its bytes cost.
 *
 * Positions: libyaml marks are 0-based and count characters (code points),
 * and so are a node's line and column.  They are where the content starts:
 * after an anchor or a tag, inside the quotes of a quoted scalar.
 */

#define YAML_TREE_MAX_DEPTH	512		/* collections nested */
#define YAML_TREE_MAX_NODES	(1UL << 20)	/* nodes in one document */
#define YAML_TREE_WORK_BASE	4000000UL	/* work budget per file ... */
#define YAML_TREE_WORK_BYTE	16UL		/* ... plus this per byte */

/* A collection being built. */
struct yaml_tree_open {
	size_t		 node;
	size_t		 base;		/* its first item in pending */
};

struct yaml_tree {
	struct yaml_node	*nodes;
	size_t			 nnodes, anodes;
	struct yaml_node_list	 kids;
	struct yaml_node_list	 pending;	/* items of open collections */
	struct yaml_tree_open	*open;
	size_t			 nopen, aopen;
	struct yaml_tree_table	 anchors;
	size_t			 root;
	unsigned long		 gen;

	const char		*buf;
	size_t			 len;
	int			 utf8;		/* byte offsets computable */
	size_t			 cur_char;	/* a libyaml character offset */
	size_t			 cur_byte;	/* and the byte where it is */
	unsigned long		 work;
	unsigned long		 budget;
};

void
yaml_node_list_push(struct yaml_node_list *l, size_t x)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc == 0 ? 64 : l->alloc * 2;
		l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
	}
	l->v[l->n++] = x;
}

void
yaml_node_list_free(struct yaml_node_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static uint64_t
yaml_tree_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
yaml_tree_table_slot(struct yaml_tree_table *t, const char *key)
{
	size_t	 i;

	i = yaml_tree_hash(key) & (t->size - 1);
	while (t->keys[i] != NULL && strcmp(t->keys[i], key) != 0) {
		(*t->work)++;
		i = (i + 1) & (t->size - 1);
	}
	(*t->work)++;
	return (i);
}

static size_t
yaml_tree_table_get(struct yaml_tree_table *t, const char *key)
{
	size_t	 i;

	if (t->size == 0)
		return (YAML_TREE_NONE);
	i = yaml_tree_table_slot(t, key);
	return (t->keys[i] == NULL ? YAML_TREE_NONE : t->vals[i]);
}

static void
yaml_tree_table_grow(struct yaml_tree_table *t)
{
	struct yaml_tree_table	 old = *t;
	size_t			 i, j;

	t->size = old.size == 0 ? 64 : old.size * 2;
	t->keys = xcalloc(t->size, sizeof *t->keys);
	t->vals = xcalloc(t->size, sizeof *t->vals);
	for (i = 0; i < old.size; i++) {
		if (old.keys[i] == NULL)
			continue;
		j = yaml_tree_table_slot(t, old.keys[i]);
		t->keys[j] = old.keys[i];
		t->vals[j] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

void
yaml_tree_table_init(struct yaml_tree_table *t, struct yaml_tree *tree)
{
	memset(t, 0, sizeof *t);
	t->work = &tree->work;
}

int
yaml_tree_table_put(struct yaml_tree_table *t, const char *key, size_t val)
{
	size_t	 i;

	if (t->count * 2 >= t->size)
		yaml_tree_table_grow(t);
	i = yaml_tree_table_slot(t, key);
	t->vals[i] = val;
	if (t->keys[i] != NULL)
		return (0);
	t->keys[i] = xstrdup(key);
	t->count++;
	return (1);
}

/* Empty the table and give its memory back, so clearing costs its size. */
void
yaml_tree_table_clear(struct yaml_tree_table *t)
{
	size_t	 i;

	for (i = 0; i < t->size; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->vals);
	t->keys = NULL;
	t->vals = NULL;
	t->size = t->count = 0;
}

int
yaml_tree_charge(struct yaml_tree *t, size_t n)
{
	t->work += n;
	return (t->work > t->budget ? -1 : 0);
}

int
yaml_tree_exhausted(struct yaml_tree *t)
{
	return (t->work > t->budget);
}

int
yaml_tree_check_budget(struct yaml_tree *t, char **cause)
{
	if (!yaml_tree_exhausted(t))
		return (0);
	xasprintf(cause, "YAML too costly to scan: anchors, aliases or merge "
	    "keys exceed the work budget (%lu steps)", t->budget);
	return (-1);
}

struct yaml_node *
yaml_tree_node(struct yaml_tree *t, size_t id)
{
	return (&t->nodes[id]);
}

size_t
yaml_tree_root(struct yaml_tree *t)
{
	return (t->root);
}

size_t
yaml_node_kid(struct yaml_tree *t, size_t id, size_t i)
{
	return (t->kids.v[yaml_tree_node(t, id)->first + i]);
}

int
yaml_node_is(struct yaml_tree *t, size_t id, enum yaml_node_type type)
{
	return (id != YAML_TREE_NONE && yaml_tree_node(t, id)->type == type);
}

int
yaml_node_key_is(struct yaml_tree *t, size_t id, const char *key,
    size_t keylen)
{
	struct yaml_node	*n = yaml_tree_node(t, id);

	return (n->type == YAML_NODE_SCALAR && n->len == keylen &&
	    memcmp(n->value, key, keylen) == 0);
}

static int
yaml_node_same_key(struct yaml_tree *t, size_t a, size_t b)
{
	struct yaml_node	*n = yaml_tree_node(t, b);

	return (n->type == YAML_NODE_SCALAR &&
	    yaml_node_key_is(t, a, n->value, n->len));
}

/* The YAML 1.1 merge key, "<<" written plain. */
static int
yaml_node_is_merge(struct yaml_tree *t, size_t id)
{
	return (yaml_tree_node(t, id)->plain &&
	    yaml_node_key_is(t, id, "<<", 2));
}

int
yaml_node_is_null(struct yaml_tree *t, size_t id)
{
	struct yaml_node	*n = yaml_tree_node(t, id);

	if (n->len == 0)
		return (1);
	return (n->plain && (strcmp(n->value, "~") == 0 ||
	    strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	    strcmp(n->value, "NULL") == 0));
}

static unsigned long
yaml_tree_next_gen(struct yaml_tree *t)
{
	size_t	 i;

	if (++t->gen == 0) {
		for (i = 0; i < t->nnodes; i++)
			t->nodes[i].mark = 0;
		t->gen = 1;
	}
	return (t->gen);
}

/* Forget the document: nodes, anchors and collections still open. */
static void
yaml_tree_reset(struct yaml_tree *t)
{
	size_t	 i;

	for (i = 0; i < t->nnodes; i++)
		free(t->nodes[i].value);
	t->nnodes = 0;
	t->kids.n = 0;
	t->pending.n = 0;
	t->nopen = 0;
	t->root = YAML_TREE_NONE;
	t->gen = 0;
	yaml_tree_table_clear(&t->anchors);
}

struct yaml_tree *
yaml_tree_create(const char *buf, size_t len)
{
	const unsigned char	*b = (const unsigned char *)buf;
	struct yaml_tree	*t;

	t = xcalloc(1, sizeof *t);
	t->buf = buf;
	t->len = len;
	/* libyaml reads UTF-16 too; we map positions in UTF-8 only. */
	t->utf8 = !(len >= 2 && ((b[0] == 0xfe && b[1] == 0xff) ||
	    (b[0] == 0xff && b[1] == 0xfe)));
	if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		t->cur_byte = 3;
	t->budget = YAML_TREE_WORK_BASE;
	if (len > (ULONG_MAX - t->budget) / YAML_TREE_WORK_BYTE)
		t->budget = ULONG_MAX;
	else
		t->budget += len * YAML_TREE_WORK_BYTE;
	t->anchors.work = &t->work;
	t->root = YAML_TREE_NONE;
	return (t);
}

void
yaml_tree_free(struct yaml_tree *t)
{
	if (t == NULL)
		return;
	yaml_tree_reset(t);
	free(t->nodes);
	free(t->open);
	yaml_node_list_free(&t->kids);
	yaml_node_list_free(&t->pending);
	free(t);
}

static size_t
yaml_tree_utf8_width(unsigned char c)
{
	if ((c & 0xe0) == 0xc0)
		return (2);
	if ((c & 0xf0) == 0xe0)
		return (3);
	if ((c & 0xf8) == 0xf0)
		return (4);
	return (1);
}

static int
yaml_tree_is_anchor_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

/*
 * The byte where libyaml character offset index is, in *at; -1 when it
 * cannot be known.  The cursor only moves forward, so all calls cost the
 * input's length.
 */
static int
yaml_tree_seek(struct yaml_tree *t, size_t index, size_t *at)
{
	const unsigned char	*b = (const unsigned char *)t->buf;

	if (!t->utf8 || index < t->cur_char)
		return (-1);
	while (t->cur_char < index && t->cur_byte < t->len) {
		t->cur_byte += yaml_tree_utf8_width(b[t->cur_byte]);
		t->cur_char++;
	}
	*at = t->cur_byte;
	return (0);
}

/*
 * Where the content of a node that starts with an anchor or a tag begins:
 * libyaml's mark is on the property.  Moves line and column past the
 * properties, blanks and comments from the mark.
 */
static void
yaml_tree_skip_properties(struct yaml_tree *t, const yaml_mark_t *m,
    unsigned *line, unsigned *column)
{
	const unsigned char	*b = (const unsigned char *)t->buf;
	size_t			 i;

	if (yaml_tree_seek(t, m->index, &i) != 0)
		return;
	while (i < t->len) {
		if (b[i] == '&') {
			do {
				i++;
				(*column)++;
			} while (i < t->len && yaml_tree_is_anchor_char(b[i]));
		} else if (b[i] == '!') {
			while (i < t->len && b[i] != ' ' && b[i] != '\t' &&
			    b[i] != '\n' && b[i] != '\r') {
				i += yaml_tree_utf8_width(b[i]);
				(*column)++;
			}
		} else if (b[i] == ' ' || b[i] == '\t') {
			i++;
			(*column)++;
		} else if (b[i] == '\n' || b[i] == '\r') {
			i += (b[i] == '\r' && i + 1 < t->len &&
			    b[i + 1] == '\n') ? 2 : 1;
			(*line)++;
			*column = 0;
		} else if (b[i] == '#') {
			while (i < t->len && b[i] != '\n' && b[i] != '\r')
				i++;
		} else
			break;
	}
}

/* A new node for the event; -1 with cause when the document is too big. */
static int
yaml_tree_add(struct yaml_tree *t, enum yaml_node_type type,
    const yaml_event_t *ev, const yaml_char_t *anchor, size_t *id,
    char **cause)
{
	struct yaml_node	*n;

	if (t->nnodes >= YAML_TREE_MAX_NODES) {
		xasprintf(cause, "more than %lu YAML nodes in one document",
		    YAML_TREE_MAX_NODES);
		return (-1);
	}
	if (t->nnodes == t->anodes) {
		t->anodes = t->anodes == 0 ? 64 : t->anodes * 2;
		t->nodes = xreallocarray(t->nodes, t->anodes,
		    sizeof *t->nodes);
	}
	*id = t->nnodes++;
	n = &t->nodes[*id];
	memset(n, 0, sizeof *n);
	n->type = type;
	n->index = ev->start_mark.index;
	n->line = (unsigned)ev->start_mark.line;
	n->column = (unsigned)ev->start_mark.column;
	if (anchor != NULL)
		yaml_tree_table_put(&t->anchors, (const char *)anchor, *id);
	return (0);
}

/* Hand a finished node (or an alias) to the collection being built. */
static void
yaml_tree_attach(struct yaml_tree *t, size_t id)
{
	if (t->nopen > 0)
		yaml_node_list_push(&t->pending, id);
	else if (t->root == YAML_TREE_NONE)
		t->root = id;
}

static int
yaml_tree_scalar(struct yaml_tree *t, const yaml_event_t *ev, char **cause)
{
	const yaml_char_t	*anchor = ev->data.scalar.anchor;
	struct yaml_node	*n;
	size_t			 id;

	if (yaml_tree_add(t, YAML_NODE_SCALAR, ev, anchor, &id, cause) != 0)
		return (-1);
	n = yaml_tree_node(t, id);
	n->len = ev->data.scalar.length;
	n->value = xmalloc(n->len + 1);
	memcpy(n->value, ev->data.scalar.value, n->len);
	n->value[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (anchor != NULL || ev->data.scalar.tag != NULL)
		yaml_tree_skip_properties(t, &ev->start_mark, &n->line,
		    &n->column);
	if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		n->column++;
	yaml_tree_attach(t, id);
	return (0);
}

static int
yaml_tree_open(struct yaml_tree *t, const yaml_event_t *ev, char **cause)
{
	const yaml_char_t	*anchor;
	enum yaml_node_type	 type;
	size_t			 id;

	if (t->nopen >= YAML_TREE_MAX_DEPTH) {
		xasprintf(cause, "YAML nested deeper than %d levels at line "
		    "%zu", YAML_TREE_MAX_DEPTH, ev->start_mark.line + 1);
		return (-1);
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT) {
		type = YAML_NODE_SEQUENCE;
		anchor = ev->data.sequence_start.anchor;
	} else {
		type = YAML_NODE_MAPPING;
		anchor = ev->data.mapping_start.anchor;
	}
	if (yaml_tree_add(t, type, ev, anchor, &id, cause) != 0)
		return (-1);
	yaml_tree_node(t, id)->open = 1;
	if (t->nopen == t->aopen) {
		t->aopen = t->aopen == 0 ? 16 : t->aopen * 2;
		t->open = xreallocarray(t->open, t->aopen, sizeof *t->open);
	}
	t->open[t->nopen].node = id;
	t->open[t->nopen].base = t->pending.n;
	t->nopen++;
	return (0);
}

/* Close the innermost collection: its items move to kids, in order. */
static void
yaml_tree_close(struct yaml_tree *t)
{
	struct yaml_tree_open	*o;
	struct yaml_node	*n;
	size_t			 i;

	if (t->nopen == 0)
		return;
	o = &t->open[--t->nopen];
	n = yaml_tree_node(t, o->node);
	n->open = 0;
	n->first = t->kids.n;
	n->nkids = t->pending.n - o->base;
	for (i = o->base; i < t->pending.n; i++)
		yaml_node_list_push(&t->kids, t->pending.v[i]);
	t->pending.n = o->base;
	/* A mapping has key, value pairs; libyaml guarantees it. */
	if (n->type == YAML_NODE_MAPPING && n->nkids % 2 != 0)
		n->nkids--;
	yaml_tree_attach(t, o->node);
}

static int
yaml_tree_alias(struct yaml_tree *t, const yaml_event_t *ev, char **cause)
{
	const char	*name = (const char *)ev->data.alias.anchor;
	size_t		 id;

	id = yaml_tree_table_get(&t->anchors, name);
	if (id == YAML_TREE_NONE) {
		xasprintf(cause, "invalid YAML at line %zu: found undefined "
		    "alias '%s'", ev->start_mark.line + 1, name);
		return (-1);
	}
	if (yaml_tree_node(t, id)->open) {
		xasprintf(cause, "invalid YAML at line %zu: anchor '%s' "
		    "contains itself", ev->start_mark.line + 1, name);
		return (-1);
	}
	yaml_tree_attach(t, id);
	return (0);
}

int
yaml_tree_event(struct yaml_tree *t, const yaml_event_t *ev, char **cause)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		yaml_tree_reset(t);
		return (0);
	case YAML_SCALAR_EVENT:
		return (yaml_tree_scalar(t, ev, cause));
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return (yaml_tree_open(t, ev, cause));
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		yaml_tree_close(t);
		return (0);
	case YAML_ALIAS_EVENT:
		return (yaml_tree_alias(t, ev, cause));
	default:
		return (0);
	}
}

/* Push the mappings a merge key's value v brings, first one on top. */
static void
yaml_node_push_merged(struct yaml_tree *t, size_t v,
    struct yaml_node_list *stack)
{
	size_t	 j, item;

	if (yaml_node_is(t, v, YAML_NODE_MAPPING))
		yaml_node_list_push(stack, v);
	if (!yaml_node_is(t, v, YAML_NODE_SEQUENCE))
		return;
	yaml_tree_charge(t, yaml_tree_node(t, v)->nkids);
	for (j = yaml_tree_node(t, v)->nkids; j > 0; j--) {
		item = yaml_node_kid(t, v, j - 1);
		if (yaml_node_is(t, item, YAML_NODE_MAPPING))
			yaml_node_list_push(stack, item);
	}
}

/*
 * The mappings whose pairs a mapping has, in precedence order: itself, then
 * what its merge keys bring (each "<<" value, a mapping or a sequence of
 * them, depth first), as YAML 1.1 merge keys and Docker Compose have it.
 * Each mapping is listed once, so shared or repeated merges cost nothing.
 */
static void
yaml_node_sources(struct yaml_tree *t, size_t map, struct yaml_node_list *out)
{
	struct yaml_node_list	 stack = { NULL, 0, 0 };
	struct yaml_node	*n;
	unsigned long		 gen = yaml_tree_next_gen(t);
	size_t			 m, i, k;

	yaml_node_list_push(&stack, map);
	while (stack.n > 0 && !yaml_tree_exhausted(t)) {
		m = stack.v[--stack.n];
		n = yaml_tree_node(t, m);
		if (n->mark == gen)
			continue;
		n->mark = gen;
		yaml_node_list_push(out, m);
		yaml_tree_charge(t, 1 + n->nkids / 2);
		for (i = n->nkids / 2; i > 0; i--) {
			k = yaml_node_kid(t, m, 2 * (i - 1));
			if (yaml_node_is_merge(t, k))
				yaml_node_push_merged(t,
				    yaml_node_kid(t, m, 2 * (i - 1) + 1),
				    &stack);
		}
	}
	yaml_node_list_free(&stack);
}

static int
yaml_node_has_merge(struct yaml_tree *t, size_t map)
{
	size_t	 i, n = yaml_tree_node(t, map)->nkids / 2;

	for (i = 0; i < n; i++) {
		if (yaml_node_is_merge(t, yaml_node_kid(t, map, 2 * i)))
			return (1);
	}
	return (0);
}

/* Find key among the own pairs of one mapping, merge keys aside. */
static int
yaml_node_find_own(struct yaml_tree *t, size_t map, const char *key,
    size_t keylen, size_t *k, size_t *v)
{
	size_t	 i, n = yaml_tree_node(t, map)->nkids / 2;

	yaml_tree_charge(t, n);
	for (i = 0; i < n; i++) {
		*k = yaml_node_kid(t, map, 2 * i);
		*v = yaml_node_kid(t, map, 2 * i + 1);
		if (yaml_node_key_is(t, *k, key, keylen) &&
		    !yaml_node_is_merge(t, *k))
			return (0);
	}
	return (-1);
}

int
yaml_node_find_n(struct yaml_tree *t, size_t map, const char *key,
    size_t keylen, size_t *k, size_t *v)
{
	struct yaml_node_list	 src = { NULL, 0, 0 };
	size_t			 i;
	int			 rc = -1;

	if (!yaml_node_is(t, map, YAML_NODE_MAPPING))
		return (-1);
	if (yaml_node_find_own(t, map, key, keylen, k, v) == 0)
		return (0);
	if (!yaml_node_has_merge(t, map))
		return (-1);
	yaml_node_sources(t, map, &src);
	for (i = 1; i < src.n && rc != 0 && !yaml_tree_exhausted(t); i++)
		rc = yaml_node_find_own(t, src.v[i], key, keylen, k, v);
	yaml_node_list_free(&src);
	return (rc);
}

int
yaml_node_find(struct yaml_tree *t, size_t map, const char *key, size_t *k,
    size_t *v)
{
	return (yaml_node_find_n(t, map, key, strlen(key), k, v));
}

size_t
yaml_node_get(struct yaml_tree *t, size_t map, const char *key,
    enum yaml_node_type type)
{
	size_t	 k, v;

	if (yaml_node_find(t, map, key, &k, &v) != 0 ||
	    !yaml_node_is(t, v, type))
		return (YAML_TREE_NONE);
	return (v);
}

/* Whether key is defined in one of the first n sources. */
static int
yaml_node_shadowed(struct yaml_tree *t, const struct yaml_node_list *src,
    size_t n, size_t key)
{
	size_t	 i, j, m;

	for (i = 0; i < n; i++) {
		m = yaml_tree_node(t, src->v[i])->nkids / 2;
		yaml_tree_charge(t, m);
		for (j = 0; j < m; j++) {
			if (yaml_node_same_key(t,
			    yaml_node_kid(t, src->v[i], 2 * j), key))
				return (1);
		}
	}
	return (0);
}

void
yaml_node_pairs(struct yaml_tree *t, size_t map, struct yaml_node_list *out)
{
	struct yaml_node_list	 src = { NULL, 0, 0 };
	size_t			 i, j, n, m, k;

	if (!yaml_node_is(t, map, YAML_NODE_MAPPING))
		return;
	if (yaml_node_has_merge(t, map))
		yaml_node_sources(t, map, &src);
	else
		yaml_node_list_push(&src, map);
	for (i = 0; i < src.n && !yaml_tree_exhausted(t); i++) {
		m = src.v[i];
		n = yaml_tree_node(t, m)->nkids / 2;
		yaml_tree_charge(t, n);
		for (j = 0; j < n; j++) {
			k = yaml_node_kid(t, m, 2 * j);
			if (yaml_node_is_merge(t, k) ||
			    (i > 0 && yaml_node_shadowed(t, &src, i, k)))
				continue;
			yaml_node_list_push(out, k);
			yaml_node_list_push(out,
			    yaml_node_kid(t, m, 2 * j + 1));
		}
	}
	yaml_node_list_free(&src);
}
