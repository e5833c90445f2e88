#include "autoconf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "scan-yaml.h"
#include "xmalloc.h"

/*
 * Image references in YAML sources.
 *
 * libyaml's event parser feeds a small tree of our own, one document at a
 * time, which the extractor for each kind then reads.  We do not use
 * libyaml's document loader: in 0.2.5 it looks anchors up by linear search
 * (an alias-heavy file costs quadratic time) and has no nesting limit, and
 * its scanner does quadratic work on deep flow nesting.  Building the tree
 * ourselves lets us cap the nesting depth (SCAN_YAML_MAX_DEPTH) before the
 * scanner gets far, find anchors through a hash table, and refuse aliases
 * that would make a cycle, so the tree is a DAG.
 *
 * Aliases are never expanded: an alias is one more edge to the anchored
 * node.  Walks over the DAG mark what they visited, and every step of work
 * is charged to a per-file budget proportional to the input size; a file
 * that exhausts it is skipped with a reason, keeping what was found.  So
 * "billion laughs" costs what its bytes cost.
 *
 * A reference reached through an alias or a merge key ("<<: *defaults") is
 * reported at the anchored scalar, where a fix would be made, once per
 * distinct position and resolved value: two services sharing one anchored
 * image give one reference; two GitLab jobs resolving one anchored "$IMAGE"
 * to different values give two.
 *
 * Substitution: Compose's ${VAR:-default} family is interpolated with no
 * variable set, since audits must not depend on the environment (and .env
 * is not read in this version); GitLab's $VAR from the file's and the job's
 * variables:; Kubernetes and GitHub Actions substitute nothing.  What is
 * left unresolved is reported so, naming the variable, never guessed.
 *
 * Positions: libyaml marks are 0-based and count characters (code points);
 * ours are 1-based.  The line is the line of the key holding the reference
 * (of the sequence item for a bare list item, of the anchored scalar for an
 * alias) and the column is the first character of the reference text,
 * inside the quotes of a quoted scalar and after "docker://".
 */

#define SCAN_YAML_MAX_DEPTH	512		/* collections nested */
#define SCAN_YAML_MAX_NODES	(1UL << 20)	/* nodes in one document */
#define SCAN_YAML_WORK_BASE	4000000UL	/* work budget per file ... */
#define SCAN_YAML_WORK_BYTE	16UL		/* ... plus this per byte */
#define SCAN_YAML_VALUE_MAX	4096		/* bytes after substitution */
#define SCAN_YAML_NEST_MAX	16		/* ${...} or variables nested */
#define SCAN_YAML_EXPAND_MAX	256		/* substitutions in one value */
#define SCAN_YAML_QUOTE_MAX	80		/* bytes quoted in a problem */
#define SCAN_YAML_NONE		SIZE_MAX

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING
};

struct ynode {
	enum ynode_type	 type;
	int		 plain;		/* plain scalar style */
	int		 open;		/* collection not yet closed */
	int		 visited;	/* by the Kubernetes walk */
	unsigned long	 mark;		/* lookup generation */
	unsigned	 line;		/* 0-based, where the content starts */
	unsigned	 column;	/* 0-based, in characters */
	size_t		 index;		/* libyaml character offset */
	char		*value;		/* scalar text, NUL-terminated */
	size_t		 len;
	size_t		 first;		/* children in ydoc.kids: items, or */
	size_t		 nkids;		/* keys and values alternating */
};

/* String keys to indexes, open addressing; every probe is charged. */
struct ytab {
	char		**keys;
	size_t		 *vals;
	size_t		  size;
	size_t		  count;
	unsigned long	 *work;
};

struct yvec {
	size_t		*v;
	size_t		 n;
	size_t		 alloc;
};

struct yopen {
	size_t		 node;
	size_t		 base;		/* its first item in ydoc.pending */
};

struct ydoc {
	struct ynode	*nodes;
	size_t		 nnodes, anodes;
	struct yvec	 kids;
	struct yvec	 pending;	/* items of collections still open */
	struct yopen	*open;
	size_t		 nopen, aopen;
	struct ytab	 anchors;
	size_t		 root;
	unsigned long	 gen;
};

struct yscan {
	struct scan_result	*sr;
	const char		*file;
	enum scan_kind		 kind;
	const char		*buf;
	size_t			 len;
	int			 utf8;		/* byte offsets computable */
	size_t			 cur_char;	/* a libyaml character offset */
	size_t			 cur_byte;	/* and the byte where it is */
	unsigned long		 work;
	unsigned long		 budget;
	struct ytab		 done;		/* node and context reported */
	struct ytab		 seen;		/* position, value reported */
	struct ydoc		 doc;
	size_t			 vars[2];	/* GitLab: job's, file's */
};

static void
yvec_push(struct yvec *v, size_t x)
{
	if (v->n == v->alloc) {
		v->alloc = v->alloc == 0 ? 64 : v->alloc * 2;
		v->v = xreallocarray(v->v, v->alloc, sizeof *v->v);
	}
	v->v[v->n++] = x;
}

static void
yvec_free(struct yvec *v)
{
	free(v->v);
	memset(v, 0, sizeof *v);
}

static uint64_t
ytab_hash(const char *s)
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
ytab_slot(struct ytab *t, const char *key)
{
	size_t	 i;

	i = ytab_hash(key) & (t->size - 1);
	while (t->keys[i] != NULL && strcmp(t->keys[i], key) != 0) {
		(*t->work)++;
		i = (i + 1) & (t->size - 1);
	}
	(*t->work)++;
	return (i);
}

static size_t
ytab_get(struct ytab *t, const char *key)
{
	size_t	 i;

	if (t->size == 0)
		return (SCAN_YAML_NONE);
	i = ytab_slot(t, key);
	return (t->keys[i] == NULL ? SCAN_YAML_NONE : t->vals[i]);
}

static void
ytab_grow(struct ytab *t)
{
	struct ytab	 old = *t;
	size_t		 i, j;

	t->size = old.size == 0 ? 64 : old.size * 2;
	t->keys = xcalloc(t->size, sizeof *t->keys);
	t->vals = xcalloc(t->size, sizeof *t->vals);
	for (i = 0; i < old.size; i++) {
		if (old.keys[i] == NULL)
			continue;
		j = ytab_slot(t, old.keys[i]);
		t->keys[j] = old.keys[i];
		t->vals[j] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

/* Map key (copied) to val, replacing; 1 if the key was new. */
static int
ytab_put(struct ytab *t, const char *key, size_t val)
{
	size_t	 i;

	if (t->count * 2 >= t->size)
		ytab_grow(t);
	i = ytab_slot(t, key);
	t->vals[i] = val;
	if (t->keys[i] != NULL)
		return (0);
	t->keys[i] = xstrdup(key);
	t->count++;
	return (1);
}

/* Empty the table and give its memory back, so clearing costs its size. */
static void
ytab_clear(struct ytab *t)
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

/* Charge n steps of work; -1 once the file's budget is spent. */
static int
yscan_charge(struct yscan *ys, size_t n)
{
	ys->work += n;
	return (ys->work > ys->budget ? -1 : 0);
}

static int
yscan_exhausted(const struct yscan *ys)
{
	return (ys->work > ys->budget);
}

static struct ynode *
ynode(struct yscan *ys, size_t id)
{
	return (&ys->doc.nodes[id]);
}

static size_t
ynode_kid(struct yscan *ys, size_t id, size_t i)
{
	return (ys->doc.kids.v[ynode(ys, id)->first + i]);
}

static int
ynode_is(struct yscan *ys, size_t id, enum ynode_type type)
{
	return (id != SCAN_YAML_NONE && ynode(ys, id)->type == type);
}

static int
ynode_key_is(struct yscan *ys, size_t id, const char *key, size_t keylen)
{
	struct ynode	*n = ynode(ys, id);

	return (n->type == YNODE_SCALAR && n->len == keylen &&
	    memcmp(n->value, key, keylen) == 0);
}

static int
ynode_same_key(struct yscan *ys, size_t a, size_t b)
{
	struct ynode	*n = ynode(ys, b);

	return (n->type == YNODE_SCALAR &&
	    ynode_key_is(ys, a, n->value, n->len));
}

/* The YAML 1.1 merge key, "<<" written plain. */
static int
ynode_is_merge(struct yscan *ys, size_t id)
{
	return (ynode(ys, id)->plain && ynode_key_is(ys, id, "<<", 2));
}

/* Null or empty: nothing to report. */
static int
ynode_is_null(struct yscan *ys, size_t id)
{
	struct ynode	*n = ynode(ys, id);

	if (n->len == 0)
		return (1);
	return (n->plain && (strcmp(n->value, "~") == 0 ||
	    strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	    strcmp(n->value, "NULL") == 0));
}

static unsigned long
ydoc_next_gen(struct ydoc *doc)
{
	size_t	 i;

	if (++doc->gen == 0) {
		for (i = 0; i < doc->nnodes; i++)
			doc->nodes[i].mark = 0;
		doc->gen = 1;
	}
	return (doc->gen);
}

static void
ydoc_reset(struct ydoc *doc)
{
	size_t	 i;

	for (i = 0; i < doc->nnodes; i++)
		free(doc->nodes[i].value);
	doc->nnodes = 0;
	doc->kids.n = 0;
	doc->pending.n = 0;
	doc->nopen = 0;
	doc->root = SCAN_YAML_NONE;
	doc->gen = 0;
	ytab_clear(&doc->anchors);
}

static void
ydoc_free(struct ydoc *doc)
{
	ydoc_reset(doc);
	free(doc->nodes);
	free(doc->open);
	yvec_free(&doc->kids);
	yvec_free(&doc->pending);
}

static size_t
yscan_utf8_width(unsigned char c)
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
yscan_is_anchor_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

/*
 * Where the content of a node that starts with an anchor or a tag begins:
 * libyaml's mark is on the property.  The cursor maps character offsets to
 * bytes and only moves forward, so all calls cost the input's length.
 */
static void
yscan_skip_properties(struct yscan *ys, const yaml_mark_t *m, unsigned *line,
    unsigned *column)
{
	const unsigned char	*b = (const unsigned char *)ys->buf;
	size_t			 i;

	if (!ys->utf8 || m->index < ys->cur_char)
		return;
	while (ys->cur_char < m->index && ys->cur_byte < ys->len) {
		ys->cur_byte += yscan_utf8_width(b[ys->cur_byte]);
		ys->cur_char++;
	}
	i = ys->cur_byte;
	while (i < ys->len) {
		if (b[i] == '&') {
			do {
				i++;
				(*column)++;
			} while (i < ys->len && yscan_is_anchor_char(b[i]));
		} else if (b[i] == '!') {
			while (i < ys->len && b[i] != ' ' && b[i] != '\t' &&
			    b[i] != '\n' && b[i] != '\r') {
				i += yscan_utf8_width(b[i]);
				(*column)++;
			}
		} else if (b[i] == ' ' || b[i] == '\t') {
			i++;
			(*column)++;
		} else if (b[i] == '\n' || b[i] == '\r') {
			i += (b[i] == '\r' && i + 1 < ys->len &&
			    b[i + 1] == '\n') ? 2 : 1;
			(*line)++;
			*column = 0;
		} else if (b[i] == '#') {
			while (i < ys->len && b[i] != '\n' && b[i] != '\r')
				i++;
		} else
			break;
	}
}

/* A new node for the event; -1 with cause when the document is too big. */
static int
ydoc_add(struct yscan *ys, enum ynode_type type, const yaml_event_t *ev,
    const yaml_char_t *anchor, size_t *id, char **cause)
{
	struct ydoc	*doc = &ys->doc;
	struct ynode	*n;

	if (doc->nnodes >= SCAN_YAML_MAX_NODES) {
		xasprintf(cause, "more than %lu YAML nodes in one document",
		    SCAN_YAML_MAX_NODES);
		return (-1);
	}
	if (doc->nnodes == doc->anodes) {
		doc->anodes = doc->anodes == 0 ? 64 : doc->anodes * 2;
		doc->nodes = xreallocarray(doc->nodes, doc->anodes,
		    sizeof *doc->nodes);
	}
	*id = doc->nnodes++;
	n = &doc->nodes[*id];
	memset(n, 0, sizeof *n);
	n->type = type;
	n->index = ev->start_mark.index;
	n->line = (unsigned)ev->start_mark.line;
	n->column = (unsigned)ev->start_mark.column;
	if (anchor != NULL)
		ytab_put(&doc->anchors, (const char *)anchor, *id);
	return (0);
}

/* Hand a finished node (or an alias) to the collection being built. */
static void
ydoc_attach(struct ydoc *doc, size_t id)
{
	if (doc->nopen > 0)
		yvec_push(&doc->pending, id);
	else if (doc->root == SCAN_YAML_NONE)
		doc->root = id;
}

static int
ydoc_scalar(struct yscan *ys, const yaml_event_t *ev, char **cause)
{
	const yaml_char_t	*anchor = ev->data.scalar.anchor;
	struct ynode		*n;
	size_t			 id;

	if (ydoc_add(ys, YNODE_SCALAR, ev, anchor, &id, cause) != 0)
		return (-1);
	n = ynode(ys, id);
	n->len = ev->data.scalar.length;
	n->value = xmalloc(n->len + 1);
	memcpy(n->value, ev->data.scalar.value, n->len);
	n->value[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (anchor != NULL || ev->data.scalar.tag != NULL)
		yscan_skip_properties(ys, &ev->start_mark, &n->line,
		    &n->column);
	if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		n->column++;
	ydoc_attach(&ys->doc, id);
	return (0);
}

static int
ydoc_open(struct yscan *ys, const yaml_event_t *ev, char **cause)
{
	struct ydoc		*doc = &ys->doc;
	const yaml_char_t	*anchor;
	enum ynode_type		 type;
	size_t			 id;

	if (doc->nopen >= SCAN_YAML_MAX_DEPTH) {
		xasprintf(cause, "YAML nested deeper than %d levels at line "
		    "%zu", SCAN_YAML_MAX_DEPTH, ev->start_mark.line + 1);
		return (-1);
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT) {
		type = YNODE_SEQUENCE;
		anchor = ev->data.sequence_start.anchor;
	} else {
		type = YNODE_MAPPING;
		anchor = ev->data.mapping_start.anchor;
	}
	if (ydoc_add(ys, type, ev, anchor, &id, cause) != 0)
		return (-1);
	ynode(ys, id)->open = 1;
	if (doc->nopen == doc->aopen) {
		doc->aopen = doc->aopen == 0 ? 16 : doc->aopen * 2;
		doc->open = xreallocarray(doc->open, doc->aopen,
		    sizeof *doc->open);
	}
	doc->open[doc->nopen].node = id;
	doc->open[doc->nopen].base = doc->pending.n;
	doc->nopen++;
	return (0);
}

/* Close the innermost collection: its items move to kids, in order. */
static void
ydoc_close(struct yscan *ys)
{
	struct ydoc	*doc = &ys->doc;
	struct yopen	*o;
	struct ynode	*n;
	size_t		 i;

	if (doc->nopen == 0)
		return;
	o = &doc->open[--doc->nopen];
	n = ynode(ys, o->node);
	n->open = 0;
	n->first = doc->kids.n;
	n->nkids = doc->pending.n - o->base;
	for (i = o->base; i < doc->pending.n; i++)
		yvec_push(&doc->kids, doc->pending.v[i]);
	doc->pending.n = o->base;
	/* A mapping has key, value pairs; libyaml guarantees it. */
	if (n->type == YNODE_MAPPING && n->nkids % 2 != 0)
		n->nkids--;
	ydoc_attach(doc, o->node);
}

static int
ydoc_alias(struct yscan *ys, const yaml_event_t *ev, char **cause)
{
	const char	*name = (const char *)ev->data.alias.anchor;
	size_t		 id;

	id = ytab_get(&ys->doc.anchors, name);
	if (id == SCAN_YAML_NONE) {
		xasprintf(cause, "invalid YAML at line %zu: found undefined "
		    "alias '%s'", ev->start_mark.line + 1, name);
		return (-1);
	}
	if (ynode(ys, id)->open) {
		xasprintf(cause, "invalid YAML at line %zu: anchor '%s' "
		    "contains itself", ev->start_mark.line + 1, name);
		return (-1);
	}
	ydoc_attach(&ys->doc, id);
	return (0);
}

/* Grow the tree by one event; -1 with cause to give up on the file. */
static int
ydoc_event(struct yscan *ys, const yaml_event_t *ev, char **cause)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		ydoc_reset(&ys->doc);
		return (0);
	case YAML_SCALAR_EVENT:
		return (ydoc_scalar(ys, ev, cause));
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return (ydoc_open(ys, ev, cause));
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		ydoc_close(ys);
		return (0);
	case YAML_ALIAS_EVENT:
		return (ydoc_alias(ys, ev, cause));
	default:
		return (0);
	}
}

/*
 * The mappings whose pairs a mapping has, in precedence order: itself, then
 * what its merge keys bring (each "<<" value, a mapping or a sequence of
 * them, depth first), as YAML 1.1 merge keys and Docker Compose have it.
 * Each mapping is listed once, so shared or repeated merges cost nothing.
 */
static void
ymap_sources(struct yscan *ys, size_t map, struct yvec *out)
{
	struct yvec	 stack = { NULL, 0, 0 };
	struct ynode	*n;
	unsigned long	 gen = ydoc_next_gen(&ys->doc);
	size_t		 m, i, j, k, v;

	yvec_push(&stack, map);
	while (stack.n > 0 && !yscan_exhausted(ys)) {
		m = stack.v[--stack.n];
		n = ynode(ys, m);
		if (n->mark == gen)
			continue;
		n->mark = gen;
		yvec_push(out, m);
		yscan_charge(ys, 1 + n->nkids / 2);
		for (i = n->nkids / 2; i > 0; i--) {
			k = ynode_kid(ys, m, 2 * (i - 1));
			v = ynode_kid(ys, m, 2 * (i - 1) + 1);
			if (!ynode_is_merge(ys, k))
				continue;
			if (ynode_is(ys, v, YNODE_MAPPING))
				yvec_push(&stack, v);
			if (!ynode_is(ys, v, YNODE_SEQUENCE))
				continue;
			yscan_charge(ys, ynode(ys, v)->nkids);
			for (j = ynode(ys, v)->nkids; j > 0; j--) {
				if (ynode_is(ys, ynode_kid(ys, v, j - 1),
				    YNODE_MAPPING))
					yvec_push(&stack, ynode_kid(ys, v,
					    j - 1));
			}
		}
	}
	yvec_free(&stack);
}

static int
ymap_has_merge(struct yscan *ys, size_t map)
{
	size_t	 i, n = ynode(ys, map)->nkids / 2;

	for (i = 0; i < n; i++) {
		if (ynode_is_merge(ys, ynode_kid(ys, map, 2 * i)))
			return (1);
	}
	return (0);
}

/* Find key among the own pairs of one mapping, merge keys aside. */
static int
ymap_find_own(struct yscan *ys, size_t map, const char *key, size_t keylen,
    size_t *k, size_t *v)
{
	size_t	 i, n = ynode(ys, map)->nkids / 2;

	yscan_charge(ys, n);
	for (i = 0; i < n; i++) {
		*k = ynode_kid(ys, map, 2 * i);
		*v = ynode_kid(ys, map, 2 * i + 1);
		if (ynode_key_is(ys, *k, key, keylen) &&
		    !ynode_is_merge(ys, *k))
			return (0);
	}
	return (-1);
}

/* The key and value for key in a mapping, merge keys followed; or -1. */
static int
ymap_find_n(struct yscan *ys, size_t map, const char *key, size_t keylen,
    size_t *k, size_t *v)
{
	struct yvec	 src = { NULL, 0, 0 };
	size_t		 i;
	int		 rc = -1;

	if (!ynode_is(ys, map, YNODE_MAPPING))
		return (-1);
	if (ymap_find_own(ys, map, key, keylen, k, v) == 0)
		return (0);
	if (!ymap_has_merge(ys, map))
		return (-1);
	ymap_sources(ys, map, &src);
	for (i = 1; i < src.n && rc != 0 && !yscan_exhausted(ys); i++)
		rc = ymap_find_own(ys, src.v[i], key, keylen, k, v);
	yvec_free(&src);
	return (rc);
}

static int
ymap_find(struct yscan *ys, size_t map, const char *key, size_t *k, size_t *v)
{
	return (ymap_find_n(ys, map, key, strlen(key), k, v));
}

/* The value for key when it is of the given type, else SCAN_YAML_NONE. */
static size_t
ymap_get(struct yscan *ys, size_t map, const char *key, enum ynode_type type)
{
	size_t	 k, v;

	if (ymap_find(ys, map, key, &k, &v) != 0 || !ynode_is(ys, v, type))
		return (SCAN_YAML_NONE);
	return (v);
}

/* Whether key is defined in one of the first n sources. */
static int
ymap_shadowed(struct yscan *ys, const struct yvec *src, size_t n, size_t key)
{
	size_t	 i, j, m;

	for (i = 0; i < n; i++) {
		m = ynode(ys, src->v[i])->nkids / 2;
		yscan_charge(ys, m);
		for (j = 0; j < m; j++) {
			if (ynode_same_key(ys, ynode_kid(ys, src->v[i], 2 * j),
			    key))
				return (1);
		}
	}
	return (0);
}

/*
 * The effective pairs of a mapping, merge keys followed, as key and value
 * ids alternating in out: its own pairs, then merged ones it does not
 * override.
 */
static void
ymap_pairs(struct yscan *ys, size_t map, struct yvec *out)
{
	struct yvec	 src = { NULL, 0, 0 };
	size_t		 i, j, n, m, k;

	if (!ynode_is(ys, map, YNODE_MAPPING))
		return;
	if (ymap_has_merge(ys, map))
		ymap_sources(ys, map, &src);
	else
		yvec_push(&src, map);
	for (i = 0; i < src.n && !yscan_exhausted(ys); i++) {
		m = src.v[i];
		n = ynode(ys, m)->nkids / 2;
		yscan_charge(ys, n);
		for (j = 0; j < n; j++) {
			k = ynode_kid(ys, m, 2 * j);
			if (ynode_is_merge(ys, k) ||
			    (i > 0 && ymap_shadowed(ys, &src, i, k)))
				continue;
			yvec_push(out, k);
			yvec_push(out, ynode_kid(ys, m, 2 * j + 1));
		}
	}
	yvec_free(&src);
}

struct interp {
	const char	*s;
	size_t		 pos;
	struct buf	 out;
	char		*problem;
	size_t		 count;		/* GitLab variables substituted */
};

static int
interp_fail(struct interp *ip, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record why interpolation stopped (the first reason only); -1. */
static int
interp_fail(struct interp *ip, const char *fmt, ...)
{
	va_list	 ap;

	if (ip->problem == NULL) {
		va_start(ap, fmt);
		xvasprintf(&ip->problem, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

static int
interp_name_char(int c, int first)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || (!first && c >= '0' && c <= '9'));
}

static size_t
interp_name_len(const char *s)
{
	size_t	 n = 0;

	if (!interp_name_char((unsigned char)s[0], 1))
		return (0);
	while (interp_name_char((unsigned char)s[n], n == 0))
		n++;
	return (n);
}

static int
interp_addc(struct interp *ip, int eval, char c)
{
	if (eval && buf_addc(&ip->out, c) != 0)
		return (interp_fail(ip, "value longer than %d bytes after "
		    "interpolation", SCAN_YAML_VALUE_MAX));
	return (0);
}

static int	interp_run(struct interp *, int, int, int);

/*
 * One "${NAME...}" at ip->pos.  No variable is ever set (the environment
 * is not read, nor is .env yet), so ":-" and "-" both take the default,
 * ":+" and "+" give nothing, and ":?" and "?" fail; the word is parsed in
 * every case, nested "${...}" included, to find the closing brace.
 */
static int
interp_braced(struct interp *ip, int eval, int depth)
{
	const char	*s = ip->s, *name;
	size_t		 namelen, word;
	char		 op;

	if (depth >= SCAN_YAML_NEST_MAX)
		return (interp_fail(ip, "interpolation nested deeper than %d "
		    "levels", SCAN_YAML_NEST_MAX));
	ip->pos += 2;
	name = s + ip->pos;
	namelen = interp_name_len(name);
	if (namelen == 0)
		return (interp_fail(ip, "invalid interpolation format"));
	ip->pos += namelen;
	if (s[ip->pos] == '}') {
		ip->pos++;
		if (eval)
			return (interp_fail(ip, "variable %.*s is not set and "
			    "has no default", (int)namelen, name));
		return (0);
	}
	if (s[ip->pos] == ':')
		ip->pos++;
	op = s[ip->pos];
	if (op != '-' && op != '+' && op != '?')
		return (interp_fail(ip, "invalid interpolation format"));
	word = ++ip->pos;
	if (interp_run(ip, 1, op == '-' ? eval : 0, depth + 1) != 0)
		return (-1);
	ip->pos++;
	if (op == '?' && eval)
		return (interp_fail(ip, "required variable %.*s is not set: "
		    "%.*s", (int)namelen, name, (int)(ip->pos - 1 - word),
		    s + word));
	return (0);
}

/*
 * Interpolate from ip->pos to the end of the text or, when braced, to the
 * '}' that closes this level (left for the caller); output only when eval.
 */
static int
interp_run(struct interp *ip, int braced, int eval, int depth)
{
	const char	*s = ip->s;
	size_t		 n;

	while (s[ip->pos] != '\0') {
		if (braced && s[ip->pos] == '}')
			return (0);
		if (s[ip->pos] == '$' && s[ip->pos + 1] == '{') {
			if (interp_braced(ip, eval, depth) != 0)
				return (-1);
			continue;
		}
		if (s[ip->pos] == '$' && s[ip->pos + 1] != '$') {
			n = interp_name_len(s + ip->pos + 1);
			if (n == 0)
				return (interp_fail(ip, "invalid interpolation "
				    "format"));
			if (eval)
				return (interp_fail(ip, "variable %.*s is not "
				    "set and has no default", (int)n,
				    s + ip->pos + 1));
			ip->pos += 1 + n;
			continue;
		}
		/* A character, or "$$" for a '$'. */
		if (interp_addc(ip, eval, s[ip->pos]) != 0)
			return (-1);
		ip->pos += s[ip->pos] == '$' ? 2 : 1;
	}
	if (braced)
		return (interp_fail(ip, "unclosed '${' in interpolation"));
	return (0);
}

/* Docker Compose interpolation of text: the value, or NULL and problem. */
static char *
compose_interpolate(const char *text, char **problem)
{
	struct interp	 ip;
	char		*value = NULL;

	memset(&ip, 0, sizeof ip);
	ip.s = text;
	buf_init(&ip.out, SCAN_YAML_VALUE_MAX);
	if (interp_run(&ip, 0, 1, 0) == 0)
		value = buf_take(&ip.out);
	buf_deinit(&ip.out);
	*problem = ip.problem;
	return (value);
}

static int
yscan_final(enum scan_kind kind)
{
	return (kind == SCAN_COMPOSE || kind == SCAN_KUBERNETES);
}

/* How long the expression starting at s is, up to its closing delimiter. */
static size_t
yscan_template_len(const char *s)
{
	const char	*close, *end;
	size_t		 n;

	if (strncmp(s, "${{", 3) == 0 || strncmp(s, "{{", 2) == 0)
		close = "}}";
	else if (strncmp(s, "$[[", 3) == 0)
		close = "]]";
	else if (strncmp(s, "${", 2) == 0)
		close = "}";
	else if (strncmp(s, "$(", 2) == 0)
		close = ")";
	else
		return (1 + interp_name_len(s + 1));
	end = strstr(s, close);
	n = end == NULL ? strlen(s) : (size_t)(end - s) + strlen(close);
	return (n);
}

/*
 * Kubernetes and GitHub Actions substitute nothing we can know: a
 * "${{ expr }}", "${VAR}", "$(VAR)", "$VAR" or "{{ template }}" left in an
 * image makes it unresolved.  The text itself, or NULL and problem.
 */
static char *
yscan_literal(const char *text, char **problem)
{
	const char	*p;
	size_t		 n;

	for (p = text; *p != '\0'; p++) {
		if ((p[0] == '$' && (p[1] == '{' || p[1] == '(' ||
		    interp_name_len(p + 1) > 0)) ||
		    (p[0] == '{' && p[1] == '{'))
			break;
	}
	if (*p == '\0')
		return (xstrdup(text));
	n = yscan_template_len(p);
	xasprintf(problem, "unresolved %s %.*s%s",
	    strncmp(p, "${{", 3) == 0 ? "expression" :
	    p[0] == '{' ? "template" : "variable",
	    (int)(n > SCAN_YAML_QUOTE_MAX ? SCAN_YAML_QUOTE_MAX : n), p,
	    n > SCAN_YAML_QUOTE_MAX ? "..." : "");
	return (NULL);
}

static int	gitlab_expand(struct yscan *, struct interp *, const char *,
		    int);

/* The value of a GitLab variable, from the job's or the file's variables. */
static int
gitlab_variable(struct yscan *ys, struct interp *ip, const char *name,
    size_t n, int depth)
{
	struct ynode	*val;
	size_t		 k, v, ek, ev;
	int		 found = 0, expand = 1;

	if (++ip->count > SCAN_YAML_EXPAND_MAX)
		return (interp_fail(ip, "more than %d variable substitutions",
		    SCAN_YAML_EXPAND_MAX));
	if (depth >= SCAN_YAML_NEST_MAX)
		return (interp_fail(ip, "variable %.*s nested deeper than %d "
		    "levels", (int)n, name, SCAN_YAML_NEST_MAX));
	if (ys->vars[0] != SCAN_YAML_NONE)
		found = ymap_find_n(ys, ys->vars[0], name, n, &k, &v) == 0;
	if (!found && ys->vars[1] != SCAN_YAML_NONE)
		found = ymap_find_n(ys, ys->vars[1], name, n, &k, &v) == 0;
	if (!found)
		return (interp_fail(ip, "variable %.*s is not defined in this "
		    "file", (int)n, name));
	if (ynode_is(ys, v, YNODE_MAPPING)) {
		if (ymap_find(ys, v, "expand", &ek, &ev) == 0 &&
		    ynode_key_is(ys, ev, "false", 5))
			expand = 0;
		if (ymap_find(ys, v, "value", &ek, &ev) != 0)
			return (interp_fail(ip, "variable %.*s has no value",
			    (int)n, name));
		v = ev;
	}
	if (!ynode_is(ys, v, YNODE_SCALAR))
		return (interp_fail(ip, "variable %.*s is not a string",
		    (int)n, name));
	val = ynode(ys, v);
	if (yscan_charge(ys, val->len) != 0)
		return (interp_fail(ip, "variables expand too far"));
	if (expand)
		return (gitlab_expand(ys, ip, val->value, depth + 1));
	if (buf_add(&ip->out, val->value, strlen(val->value)) != 0)
		return (interp_fail(ip, "value longer than %d bytes after "
		    "variable expansion", SCAN_YAML_VALUE_MAX));
	return (0);
}

/*
 * GitLab CI expansion of s into ip->out: "$VAR" and "${VAR}" from the
 * variables in the file, "$$" for a '$'.
 */
static int
gitlab_expand(struct yscan *ys, struct interp *ip, const char *s, int depth)
{
	const char	*name;
	size_t		 i = 0, n, braced;

	while (s[i] != '\0') {
		if (s[i] == '$' && s[i + 1] == '[' && s[i + 2] == '[') {
			n = yscan_template_len(s + i);
			return (interp_fail(ip, "unresolved input %.*s",
			    (int)(n > SCAN_YAML_QUOTE_MAX ?
			    SCAN_YAML_QUOTE_MAX : n), s + i));
		}
		braced = s[i] == '$' && s[i + 1] == '{';
		name = s + i + 1 + braced;
		n = s[i] == '$' ? interp_name_len(name) : 0;
		if (braced && (n == 0 || name[n] != '}'))
			return (interp_fail(ip, "unsupported variable syntax "
			    "%.*s", (int)yscan_template_len(s + i), s + i));
		if (n == 0) {
			/* A character, or "$$" for a '$'. */
			if (interp_addc(ip, 1, s[i]) != 0)
				return (-1);
			i += s[i] == '$' && s[i + 1] == '$' ? 2 : 1;
			continue;
		}
		i += 1 + n + 2 * braced;
		if (gitlab_variable(ys, ip, name, n, depth) != 0)
			return (-1);
	}
	return (0);
}

/* A GitLab image with its variables expanded, or NULL and problem. */
static char *
gitlab_resolve(struct yscan *ys, const char *text, char **problem)
{
	struct interp	 ip;
	char		*value = NULL;

	memset(&ip, 0, sizeof ip);
	buf_init(&ip.out, SCAN_YAML_VALUE_MAX);
	if (gitlab_expand(ys, &ip, text, 0) == 0)
		value = buf_take(&ip.out);
	buf_deinit(&ip.out);
	*problem = ip.problem;
	return (value);
}

static char *
yscan_resolve(struct yscan *ys, const char *text, char **problem)
{
	switch (ys->kind) {
	case SCAN_COMPOSE:
		return (compose_interpolate(text, problem));
	case SCAN_GITLAB_CI:
		return (gitlab_resolve(ys, text, problem));
	default:
		return (yscan_literal(text, problem));
	}
}

/*
 * Report the image in scalar val, held by key (SCAN_YAML_NONE for a
 * sequence item), its first skip bytes left out.
 */
static void
yscan_report(struct yscan *ys, size_t key, size_t val, size_t skip)
{
	struct ynode	*v;
	char		*ctx = NULL, *seen = NULL, *value = NULL;
	char		*problem = NULL;
	unsigned	 line, column;

	if (!ynode_is(ys, val, YNODE_SCALAR) || ynode_is_null(ys, val))
		return;
	/* The same node in the same context resolves the same way. */
	xasprintf(&ctx, "%zu %zu %zu %zu", val, skip, ys->vars[0],
	    ys->vars[1]);
	if (!ytab_put(&ys->done, ctx, 0))
		goto out;
	v = ynode(ys, val);
	if (yscan_charge(ys, v->len) != 0)
		goto out;
	line = v->line;
	if (key != SCAN_YAML_NONE && ynode(ys, key)->index < v->index)
		line = ynode(ys, key)->line;
	column = v->column + (unsigned)skip;
	if (strlen(v->value) != v->len)
		problem = xstrdup("NUL character in the image reference");
	else
		value = yscan_resolve(ys, v->value + skip, &problem);
	xasprintf(&seen, "%u %u %s%s", line, column, value != NULL ? "=" : "!",
	    value != NULL ? value : problem);
	if (ytab_put(&ys->seen, seen, 0))
		scan_add_ref(ys->sr, ys->file, line + 1, column + 1, ys->kind,
		    NULL, yscan_final(ys->kind), v->value + skip, value,
		    problem);
out:
	free(ctx);
	free(seen);
	free(value);
	free(problem);
}

/* An image given as a string, or as a mapping with the image in field. */
static void
yscan_report_container(struct yscan *ys, size_t key, size_t val,
    const char *field)
{
	size_t	 k, v;

	if (!ynode_is(ys, val, YNODE_MAPPING))
		yscan_report(ys, key, val, 0);
	else if (ymap_find(ys, val, field, &k, &v) == 0)
		yscan_report(ys, k, v, 0);
}

/*
 * Compose: services.<name>.image.  A service with build: is skipped: its
 * image: names what the build produces, not an image pulled from a
 * registry (as Renovate does).
 */
static void
compose_document(struct yscan *ys, size_t root)
{
	struct yvec	 pairs = { NULL, 0, 0 };
	size_t		 i, k, v;

	ymap_pairs(ys, ymap_get(ys, root, "services", YNODE_MAPPING), &pairs);
	for (i = 0; i + 1 < pairs.n && !yscan_exhausted(ys); i += 2) {
		if (ymap_find(ys, pairs.v[i + 1], "build", &k, &v) == 0 &&
		    !(ynode_is(ys, v, YNODE_SCALAR) && ynode_is_null(ys, v)))
			continue;
		if (ymap_find(ys, pairs.v[i + 1], "image", &k, &v) == 0)
			yscan_report(ys, k, v, 0);
	}
	yvec_free(&pairs);
}

static int
k8s_is_containers(struct yscan *ys, size_t key)
{
	return (ynode_key_is(ys, key, "containers", 10) ||
	    ynode_key_is(ys, key, "initContainers", 14) ||
	    ynode_key_is(ys, key, "ephemeralContainers", 19));
}

static void
k8s_containers(struct yscan *ys, size_t seq)
{
	size_t	 i, k, v;

	for (i = 0; i < ynode(ys, seq)->nkids; i++) {
		if (ymap_find(ys, ynode_kid(ys, seq, i), "image", &k, &v) == 0)
			yscan_report(ys, k, v, 0);
	}
}

/*
 * Kubernetes: every containers, initContainers or ephemeralContainers key,
 * at any depth, whose value is a sequence of mappings with an image.  The
 * walk visits each node once, in document order.
 */
static void
k8s_document(struct yscan *ys, size_t root)
{
	struct yvec	 stack = { NULL, 0, 0 };
	struct ynode	*n;
	size_t		 id, i, v;

	yvec_push(&stack, root);
	while (stack.n > 0 && !yscan_exhausted(ys)) {
		id = stack.v[--stack.n];
		n = ynode(ys, id);
		if (n->visited)
			continue;
		n->visited = 1;
		yscan_charge(ys, 1 + n->nkids);
		for (i = 0; n->type == YNODE_MAPPING && i < n->nkids / 2; i++) {
			v = ynode_kid(ys, id, 2 * i + 1);
			if (k8s_is_containers(ys, ynode_kid(ys, id, 2 * i)) &&
			    ynode_is(ys, v, YNODE_SEQUENCE))
				k8s_containers(ys, v);
		}
		for (i = n->nkids; i > 0; i--)
			yvec_push(&stack, ynode_kid(ys, id, i - 1));
	}
	yvec_free(&stack);
}

/*
 * One GitHub Actions job: container and each service (a mapping with
 * image:, or a plain string, as actionlint and Renovate also accept), and
 * steps that use docker://.
 */
static void
gha_job(struct yscan *ys, size_t job)
{
	struct yvec	 svcs = { NULL, 0, 0 };
	size_t		 i, k, v, steps;

	if (ymap_find(ys, job, "container", &k, &v) == 0)
		yscan_report_container(ys, k, v, "image");
	ymap_pairs(ys, ymap_get(ys, job, "services", YNODE_MAPPING), &svcs);
	for (i = 0; i + 1 < svcs.n; i += 2)
		yscan_report_container(ys, svcs.v[i], svcs.v[i + 1], "image");
	yvec_free(&svcs);
	steps = ymap_get(ys, job, "steps", YNODE_SEQUENCE);
	for (i = 0; steps != SCAN_YAML_NONE && i < ynode(ys, steps)->nkids;
	    i++) {
		if (ymap_find(ys, ynode_kid(ys, steps, i), "uses", &k,
		    &v) == 0 && ynode_is(ys, v, YNODE_SCALAR) &&
		    strncmp(ynode(ys, v)->value, "docker://", 9) == 0)
			yscan_report(ys, k, v, 9);
	}
}

static void
gha_document(struct yscan *ys, size_t root)
{
	struct yvec	 jobs = { NULL, 0, 0 };
	size_t		 i;

	ymap_pairs(ys, ymap_get(ys, root, "jobs", YNODE_MAPPING), &jobs);
	for (i = 0; i + 1 < jobs.n && !yscan_exhausted(ys); i += 2) {
		if (ynode_is(ys, jobs.v[i + 1], YNODE_MAPPING))
			gha_job(ys, jobs.v[i + 1]);
	}
	yvec_free(&jobs);
}

static void
gitlab_services(struct yscan *ys, size_t seq)
{
	size_t	 i;

	for (i = 0; ynode_is(ys, seq, YNODE_SEQUENCE) &&
	    i < ynode(ys, seq)->nkids; i++)
		yscan_report_container(ys, SCAN_YAML_NONE,
		    ynode_kid(ys, seq, i), "name");
}

/* A job (or default:): image and services, with the job's variables. */
static void
gitlab_job(struct yscan *ys, size_t job, int own_variables)
{
	size_t	 k, v;

	if (own_variables)
		ys->vars[0] = ymap_get(ys, job, "variables", YNODE_MAPPING);
	if (ymap_find(ys, job, "image", &k, &v) == 0)
		yscan_report_container(ys, k, v, "name");
	gitlab_services(ys, ymap_get(ys, job, "services", YNODE_SEQUENCE));
	ys->vars[0] = SCAN_YAML_NONE;
}

/* Top-level keys that are not jobs. */
static int
gitlab_is_keyword(struct yscan *ys, size_t key)
{
	static const char	*words[] = { "after_script", "before_script",
	    "cache", "default", "image", "include", "services", "spec",
	    "stages", "types", "variables", "workflow" };
	size_t			 i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (ynode_key_is(ys, key, words[i], strlen(words[i])))
			return (1);
	}
	return (0);
}

/*
 * GitLab CI: the global image and services, those under default:, and
 * each job's (hidden ".name" jobs included).  extends: is not followed:
 * a template's image is reported where it is written.
 */
static void
gitlab_document(struct yscan *ys, size_t root)
{
	struct yvec	 pairs = { NULL, 0, 0 };
	size_t		 i, k, v;

	ys->vars[0] = SCAN_YAML_NONE;
	ys->vars[1] = ymap_get(ys, root, "variables", YNODE_MAPPING);
	ymap_pairs(ys, root, &pairs);
	for (i = 0; i + 1 < pairs.n && !yscan_exhausted(ys); i += 2) {
		k = pairs.v[i];
		v = pairs.v[i + 1];
		if (ynode_key_is(ys, k, "image", 5))
			yscan_report_container(ys, k, v, "name");
		else if (ynode_key_is(ys, k, "services", 8))
			gitlab_services(ys, v);
		else if (ynode_key_is(ys, k, "default", 7))
			gitlab_job(ys, v, 0);
		else if (!gitlab_is_keyword(ys, k) &&
		    ynode_is(ys, v, YNODE_MAPPING))
			gitlab_job(ys, v, 1);
	}
	yvec_free(&pairs);
	ys->vars[1] = SCAN_YAML_NONE;
}

static void
yscan_document(struct yscan *ys)
{
	size_t	 root = ys->doc.root;

	if (root == SCAN_YAML_NONE)
		return;
	switch (ys->kind) {
	case SCAN_COMPOSE:
		compose_document(ys, root);
		break;
	case SCAN_KUBERNETES:
		k8s_document(ys, root);
		break;
	case SCAN_GITHUB_ACTIONS:
		gha_document(ys, root);
		break;
	case SCAN_GITLAB_CI:
		gitlab_document(ys, root);
		break;
	default:
		break;
	}
	ytab_clear(&ys->done);
}

static void
yscan_parse_error(struct yscan *ys, const yaml_parser_t *p)
{
	size_t	 line, i;

	if (p->error == YAML_MEMORY_ERROR) {
		scan_add_skip(ys->sr, ys->file, "out of memory parsing YAML");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		line = 1;
		for (i = 0; i < p->problem_offset && i < ys->len; i++) {
			if (ys->buf[i] == '\n')
				line++;
		}
	} else
		line = p->problem_mark.line + 1;
	scan_add_skip(ys->sr, ys->file, "invalid YAML at line %zu: %s", line,
	    p->problem != NULL ? p->problem : "unknown error");
}

/* One event: 1 to go on, 0 at the end or (cause set) to give up. */
static int
yscan_event(struct yscan *ys, const yaml_event_t *ev, char **cause)
{
	if (ev->type == YAML_STREAM_END_EVENT)
		return (0);
	if (ev->type == YAML_DOCUMENT_END_EVENT)
		yscan_document(ys);
	else if (ydoc_event(ys, ev, cause) != 0)
		return (0);
	if (yscan_exhausted(ys)) {
		xasprintf(cause, "YAML too costly to scan: anchors, aliases "
		    "or merge keys exceed the work budget (%lu steps)",
		    ys->budget);
		return (0);
	}
	return (1);
}

static void
yscan_init(struct yscan *ys, struct scan_result *sr, const char *file,
    enum scan_kind kind, const char *buf, size_t len)
{
	const unsigned char	*b = (const unsigned char *)buf;

	memset(ys, 0, sizeof *ys);
	ys->sr = sr;
	ys->file = file;
	ys->kind = kind;
	ys->buf = buf;
	ys->len = len;
	/* libyaml reads UTF-16 too; we map positions in UTF-8 only. */
	ys->utf8 = !(len >= 2 && ((b[0] == 0xfe && b[1] == 0xff) ||
	    (b[0] == 0xff && b[1] == 0xfe)));
	if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		ys->cur_byte = 3;
	ys->budget = SCAN_YAML_WORK_BASE;
	if (len > (ULONG_MAX - ys->budget) / SCAN_YAML_WORK_BYTE)
		ys->budget = ULONG_MAX;
	else
		ys->budget += len * SCAN_YAML_WORK_BYTE;
	ys->done.work = ys->seen.work = ys->doc.anchors.work = &ys->work;
	ys->doc.root = SCAN_YAML_NONE;
	ys->vars[0] = ys->vars[1] = SCAN_YAML_NONE;
}

static void
yscan_free(struct yscan *ys)
{
	ydoc_free(&ys->doc);
	ytab_clear(&ys->done);
	ytab_clear(&ys->seen);
}

void
scan_yaml(struct scan_result *sr, const char *file, enum scan_kind kind,
    const char *buf, size_t len)
{
	struct yscan	 ys;
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	char		*cause = NULL;
	int		 more = 1;

	yscan_init(&ys, sr, file, kind, buf, len);
	if (!yaml_parser_initialize(&parser)) {
		scan_add_skip(sr, file, "out of memory parsing YAML");
		goto out;
	}
	yaml_parser_set_input_string(&parser,
	    (const unsigned char *)(buf != NULL ? buf : ""), len);
	while (more) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yscan_parse_error(&ys, &parser);
			break;
		}
		more = yscan_event(&ys, &ev, &cause);
		yaml_event_delete(&ev);
	}
	if (cause != NULL)
		scan_add_skip(sr, file, "%s", cause);
	yaml_parser_delete(&parser);
out:
	yscan_free(&ys);
	free(cause);
}
