/*
 * A small tree of nodes built from libyaml's events, one document at a time,
 * with capped nesting, anchors found through a hash table, aliases as shared
 * edges (never expanded, never cyclic), YAML 1.1 merge keys followed by the
 * lookups, and a work budget per file that every step is charged to.
 *
 * Nodes are named by index (size_t) into the tree; YAML_TREE_NONE is none.
 * An index is valid until the next document starts, a struct yaml_node
 * pointer until the next event.  The tree owns its nodes and their values;
 * a struct yaml_node_list or struct yaml_tree_table belongs to whoever
 * embeds it, who empties it with its _free or _clear function.
 */
#ifndef YAML_TREE_H
#define YAML_TREE_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#define YAML_TREE_NONE	SIZE_MAX

enum yaml_node_type {
	YAML_NODE_SCALAR,
	YAML_NODE_SEQUENCE,
	YAML_NODE_MAPPING
};

struct yaml_node {
	enum yaml_node_type	 type;
	int			 plain;		/* plain scalar style */
	int			 open;		/* collection not closed yet */
	int			 visited;	/* free for callers' walks */
	unsigned long		 mark;		/* lookup generation */
	unsigned		 line;		/* 0-based, where content is */
	unsigned		 column;	/* 0-based, in characters */
	size_t			 index;		/* libyaml character offset */
	char			*value;		/* scalar, NUL-terminated */
	size_t			 len;
	size_t			 first;		/* children: items, or keys */
	size_t			 nkids;		/* and values alternating */
};

/* A growable list of node indexes. */
struct yaml_node_list {
	size_t		*v;
	size_t		 n;
	size_t		 alloc;
};

/* String keys to indexes, open addressing; every probe is charged. */
struct yaml_tree_table {
	char		**keys;
	size_t		 *vals;
	size_t		  size;
	size_t		  count;
	unsigned long	 *work;
};

struct yaml_tree;

/*
 * A tree for one file's len bytes; buf is not copied and must outlive the
 * tree (node positions are read from it).  The work budget grows with
 * len.  The caller frees the tree with yaml_tree_free(); NULL is a no-op.
 */
struct yaml_tree	*yaml_tree_create(const char *buf, size_t len);
void			 yaml_tree_free(struct yaml_tree *);
/* Grow the tree by one parser event; -1 with cause to give up the file. */
int			 yaml_tree_event(struct yaml_tree *,
			     const yaml_event_t *, char **cause);
/* The current document's root node, or YAML_TREE_NONE. */
size_t			 yaml_tree_root(struct yaml_tree *);
/* Charge n steps of work; -1 once the file's budget is spent. */
int			 yaml_tree_charge(struct yaml_tree *, size_t n);
int			 yaml_tree_exhausted(struct yaml_tree *);
/* -1 with cause (the caller frees it) once the budget is spent. */
int			 yaml_tree_check_budget(struct yaml_tree *,
			     char **cause);

/* A table charging its probes to the tree's budget. */
void	yaml_tree_table_init(struct yaml_tree_table *, struct yaml_tree *);
/* Map key (copied) to val, replacing; 1 if the key was new. */
int	yaml_tree_table_put(struct yaml_tree_table *, const char *key,
	    size_t val);
void	yaml_tree_table_clear(struct yaml_tree_table *);

void	yaml_node_list_push(struct yaml_node_list *, size_t);
void	yaml_node_list_free(struct yaml_node_list *);

struct yaml_node	*yaml_tree_node(struct yaml_tree *, size_t id);
/* Child i of a collection: an item, or a mapping's key (even i) or value. */
size_t			 yaml_node_kid(struct yaml_tree *, size_t id,
			     size_t i);
/* Whether id is a node (not YAML_TREE_NONE) of the type. */
int			 yaml_node_is(struct yaml_tree *, size_t id,
			     enum yaml_node_type);
/* Whether id is a scalar whose text is exactly key. */
int			 yaml_node_key_is(struct yaml_tree *, size_t id,
			     const char *key, size_t keylen);
/* A null or empty scalar: nothing to report. */
int			 yaml_node_is_null(struct yaml_tree *, size_t id);

/*
 * The key and value for key in a mapping, merge keys followed (its own
 * pairs first, then the merged mappings in precedence order); or -1.
 */
int	yaml_node_find_n(struct yaml_tree *, size_t map, const char *key,
	    size_t keylen, size_t *k, size_t *v);
int	yaml_node_find(struct yaml_tree *, size_t map, const char *key,
	    size_t *k, size_t *v);
/* The value for key when it is of the given type, else YAML_TREE_NONE. */
size_t	yaml_node_get(struct yaml_tree *, size_t map, const char *key,
	    enum yaml_node_type);
/*
 * Append the effective pairs of a mapping to out, key and value ids
 * alternating, merge keys followed: its own pairs, then merged ones it
 * does not override.  Nothing when map is not a mapping.
 */
void	yaml_node_pairs(struct yaml_tree *, size_t map,
	    struct yaml_node_list *out);

#endif
