#include "autoconf.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dockerfile.h"
#include "scan-dockerfile.h"
#include "scan.h"
#include "xmalloc.h"

/*
 * Image references in a Dockerfile: FROM, COPY --from and RUN
 * --mount=from=, with ARG and ENV values substituted the way BuildKit
 * does.  A reference whose value depends on something we cannot know (a
 * build argument without default, the base image's environment, the build
 * platform) is reported unresolved, never guessed.
 */

#define SDF_VALUE_MAX	1024	/* longest variable value kept */
#define SDF_CHAIN_MAX	64	/* FROM <stage> links followed for ENV */

/*
 * Names to indexes, in a balanced tree (tsearch): O(log n) whatever the
 * names are, where a hash table could be flooded with colliding names.
 */
struct sdf_key {
	char		*key;
	size_t		 len;
	size_t		 idx;
};

struct sdf_map {
	void		*root;
};

struct sdf_var {
	int		 env;		/* set by ENV: ARG cannot change it */
	int		 known;
	char		*value;		/* when known; may hold NULs */
	size_t		 len;
	char		*problem;	/* when not known */
};

struct sdf_scope {
	struct sdf_map	 map;
	struct sdf_var	*vars;
	size_t		 nvars;
};

struct sdf_stage {
	char		*name;		/* AS name as written, NULL if none */
	long		 parent;	/* FROM <stage>: its index, else -1 */
	int		 image;		/* its chain starts at an image */
	int		 final;		/* ends up in the shipped image */
	struct sdf_scope vars;
};

struct sdf_ref {
	unsigned	 line;
	unsigned	 column;
	size_t		 stage;
	int		 from;		/* a FROM, else a build input */
	char		*text;
	char		*value;		/* NULL: unresolved */
	char		*problem;
};

struct sdf_scan {
	const struct dockerfile_instr *in;
	char			 esc;
	struct sdf_scope	 globals;
	struct sdf_stage	*stages;
	size_t			 nstages;
	struct sdf_map		 names;		/* lowercase stage names */
	struct sdf_ref		*refs;
	size_t			 nrefs;
};

static const char *sdf_platform_args[] = {
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", NULL
};

/* Room for element n of an array of n (doubling at powers of two). */
static void *
sdf_grow(void *p, size_t n, size_t size)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return (p);
	return (xreallocarray(p, n == 0 ? 4 : n * 2, size));
}

static int
sdf_key_cmp(const void *a, const void *b)
{
	const struct sdf_key	*x = a, *y = b;
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c;

	c = n > 0 ? memcmp(x->key, y->key, n) : 0;
	if (c != 0)
		return (c);
	return ((x->len > y->len) - (x->len < y->len));
}

static int
sdf_map_get(const struct sdf_map *m, const char *key, size_t len,
    size_t *idx)
{
	struct sdf_key	 k;
	void		*found;

	k.key = (char *)key;
	k.len = len;
	found = tfind(&k, &m->root, sdf_key_cmp);
	if (found == NULL)
		return (-1);
	*idx = (*(struct sdf_key **)found)->idx;
	return (0);
}

static void
sdf_map_put(struct sdf_map *m, const char *key, size_t len, size_t idx)
{
	struct sdf_key	*k, **found;

	k = xmalloc(sizeof *k);
	k->key = xmalloc(len + 1);
	memcpy(k->key, key, len);
	k->key[len] = '\0';
	k->len = len;
	k->idx = idx;
	found = tsearch(k, &m->root, sdf_key_cmp);
	if (found == NULL)
		abort();
	if (*found != k) {
		(*found)->idx = idx;
		free(k->key);
		free(k);
	}
}

static void
sdf_key_free(void *p)
{
	struct sdf_key	*k = p;

	free(k->key);
	free(k);
}

static void
sdf_map_free(struct sdf_map *m)
{
	if (m->root != NULL)
		tdestroy(m->root, sdf_key_free);
	m->root = NULL;
}

static struct sdf_var *
sdf_get(const struct sdf_scope *sc, const char *name, size_t n)
{
	size_t	 idx;

	if (sdf_map_get(&sc->map, name, n, &idx) != 0)
		return (NULL);
	return (&sc->vars[idx]);
}

/* Set a variable: value (may be NULL) and problem are taken. */
static void
sdf_set(struct sdf_scope *sc, const char *name, size_t n, int env,
    struct buf *value, char *problem)
{
	struct sdf_var	*v;

	v = sdf_get(sc, name, n);
	if (v == NULL) {
		sc->vars = sdf_grow(sc->vars, sc->nvars, sizeof *sc->vars);
		sdf_map_put(&sc->map, name, n, sc->nvars);
		v = &sc->vars[sc->nvars++];
	} else {
		free(v->value);
		free(v->problem);
	}
	memset(v, 0, sizeof *v);
	v->env = env;
	v->known = value != NULL;
	if (value != NULL) {
		v->len = value->len;
		v->value = buf_take(value);
		free(problem);
	} else
		v->problem = problem;
}

static void
sdf_scope_free(struct sdf_scope *sc)
{
	size_t	 i;

	for (i = 0; i < sc->nvars; i++) {
		free(sc->vars[i].value);
		free(sc->vars[i].problem);
	}
	free(sc->vars);
	sdf_map_free(&sc->map);
}

static int
sdf_platform(const char *name, size_t n)
{
	size_t	 i;

	for (i = 0; sdf_platform_args[i] != NULL; i++) {
		if (strlen(sdf_platform_args[i]) == n &&
		    memcmp(sdf_platform_args[i], name, n) == 0)
			return (1);
	}
	return (0);
}

/* Why an ARG declared without a default has no value. */
static char *
sdf_no_default(const char *name, size_t n)
{
	char	*why;

	if (sdf_platform(name, n))
		xasprintf(&why, "%.*s depends on the build platform", (int)n,
		    name);
	else
		xasprintf(&why, "ARG %.*s has no default value", (int)n, name);
	return (why);
}

static enum dockerfile_var
sdf_result(const struct sdf_var *v, const char **value, size_t *len,
    char **problem)
{
	if (v->known) {
		*value = v->value;
		*len = v->len;
		return (DOCKERFILE_VAR_SET);
	}
	*problem = xstrdup(v->problem);
	return (DOCKERFILE_VAR_UNKNOWN);
}

/* Variables FROM sees: the ARGs before the first FROM. */
static enum dockerfile_var
sdf_lookup_global(void *arg, const char *name, size_t n, const char **value,
    size_t *len, char **problem)
{
	struct sdf_scan		*s = arg;
	const struct sdf_var	*v;

	v = sdf_get(&s->globals, name, n);
	if (v != NULL)
		return (sdf_result(v, value, len, problem));
	if (sdf_platform(name, n)) {
		*problem = sdf_no_default(name, n);
		return (DOCKERFILE_VAR_UNKNOWN);
	}
	xasprintf(problem, "variable %.*s is not declared (no ARG %.*s "
	    "before the first FROM)", (int)n, name, (int)n, name);
	return (DOCKERFILE_VAR_UNSET);
}

/* An ENV set by a stage this one is built FROM; *deep if too far. */
static const struct sdf_var *
sdf_inherited(const struct sdf_scan *s, const struct sdf_stage *st,
    const char *name, size_t n, int *deep)
{
	const struct sdf_var	*v;
	long			 p;
	int			 hops = 0;

	*deep = 0;
	for (p = st->parent; p >= 0; p = s->stages[p].parent) {
		if (++hops > SDF_CHAIN_MAX) {
			*deep = 1;
			return (NULL);
		}
		v = sdf_get(&s->stages[p].vars, name, n);
		if (v != NULL && v->env)
			return (v);
	}
	return (NULL);
}

/* Variables a stage sees: its ARGs and ENVs, and ENVs of its parents. */
static enum dockerfile_var
sdf_lookup_stage(void *arg, const char *name, size_t n, const char **value,
    size_t *len, char **problem)
{
	struct sdf_scan		*s = arg;
	const struct sdf_stage	*st = &s->stages[s->nstages - 1];
	const struct sdf_var	*v;
	int			 deep;

	v = sdf_get(&st->vars, name, n);
	if (v == NULL)
		v = sdf_inherited(s, st, name, n, &deep);
	if (v != NULL)
		return (sdf_result(v, value, len, problem));
	if (deep) {
		xasprintf(problem, "%.*s: stages are chained too deeply to "
		    "follow", (int)n, name);
		return (DOCKERFILE_VAR_UNKNOWN);
	}
	if (sdf_get(&s->globals, name, n) != NULL)
		xasprintf(problem, "ARG %.*s is declared before FROM but not "
		    "in this stage", (int)n, name);
	else if (st->image)
		xasprintf(problem, "variable %.*s is not declared in this "
		    "stage (the base image may set it)", (int)n, name);
	else
		xasprintf(problem, "variable %.*s is not set", (int)n, name);
	return (st->image ? DOCKERFILE_VAR_UNKNOWN : DOCKERFILE_VAR_UNSET);
}

/* Expand a word in the global scope or the current stage's. */
static int
sdf_expand(struct sdf_scan *s, int global, const char *w, size_t n,
    struct buf *out, char **problem)
{
	buf_init(out, SDF_VALUE_MAX);
	return (dockerfile_expand(w, n, s->esc, global ? sdf_lookup_global :
	    sdf_lookup_stage, s, out, problem));
}

/* A C string for scan_add_ref; NUL bytes become "\0" so none is lost. */
static char *
sdf_cstr(const char *s, size_t n)
{
	struct buf	 b;
	size_t		 i;

	if (memchr(s, '\0', n) == NULL) {
		b.data = xmalloc(n + 1);
		memcpy(b.data, s, n);
		b.data[n] = '\0';
		return (b.data);
	}
	buf_init(&b, 2 * n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			(void)buf_add(&b, "\\0", 2);
		else
			(void)buf_addc(&b, s[i]);
	}
	return (buf_take(&b));
}

/* Record a reference; value (NULL when unresolved) and problem are taken. */
static void
sdf_ref(struct sdf_scan *s, size_t off, int from, const char *text,
    size_t n, struct buf *value, char *problem)
{
	struct sdf_ref	*r;
	unsigned	 col = dockerfile_column(s->in, off);

	s->refs = sdf_grow(s->refs, s->nrefs, sizeof *s->refs);
	r = &s->refs[s->nrefs++];
	r->line = s->in->line;
	r->column = col != 0 ? col : 1;
	r->stage = s->nstages - 1;
	r->from = from;
	r->text = sdf_cstr(text, n);
	r->value = NULL;
	if (value != NULL) {
		r->value = sdf_cstr(value->data != NULL ? value->data : "",
		    value->len);
		buf_deinit(value);
	}
	r->problem = problem;
}

static int
sdf_is_scratch(const struct buf *v)
{
	return (v->len == 7 && strncasecmp(v->data, "scratch", 7) == 0);
}

static int
sdf_blank(char c)
{
	return (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r');
}

/* FROM's words are split at blanks only, quotes or not. */
static size_t
sdf_fields(const char *s, size_t n, struct dockerfile_word *w, size_t max)
{
	size_t	 i = 0, nw = 0, start;

	for (;;) {
		while (i < n && sdf_blank(s[i]))
			i++;
		if (i >= n)
			return (nw);
		start = i;
		while (i < n && !sdf_blank(s[i]))
			i++;
		if (nw < max) {
			w[nw].off = start;
			w[nw].len = i - start;
		}
		nw++;
	}
}

static void
sdf_new_stage(struct sdf_scan *s, const char *name, size_t n)
{
	struct sdf_stage	*st;

	s->stages = sdf_grow(s->stages, s->nstages, sizeof *s->stages);
	st = &s->stages[s->nstages++];
	memset(st, 0, sizeof *st);
	st->parent = -1;
	st->image = 1;
	if (name != NULL)
		st->name = sdf_cstr(name, n);
}

static void
sdf_lower(char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] - 'A' + 'a');
	}
}

/* The stage a name refers to (without case), or -1. */
static long
sdf_stage_named(const struct sdf_scan *s, const char *name, size_t n)
{
	char	*lower;
	size_t	 idx;
	long	 rc = -1;

	if (n == 0)
		return (-1);
	lower = xmalloc(n);
	memcpy(lower, name, n);
	sdf_lower(lower, n);
	if (sdf_map_get(&s->names, lower, n, &idx) == 0)
		rc = (long)idx;
	free(lower);
	return (rc);
}

/* What the new stage is built on: an image, scratch or an earlier stage. */
static void
sdf_from_base(struct sdf_scan *s, const struct dockerfile_word *w)
{
	struct sdf_stage	*st = &s->stages[s->nstages - 1];
	const char		*text = s->in->args + w->off;
	size_t			 off = s->in->argsoff + w->off;
	struct buf		 v;
	char			*problem;
	long			 base;

	if (sdf_expand(s, 1, text, w->len, &v, &problem) != 0) {
		buf_deinit(&v);
		sdf_ref(s, off, 1, text, w->len, NULL, problem);
		return;
	}
	base = sdf_stage_named(s, v.data, v.len);
	if (sdf_is_scratch(&v))
		st->image = 0;
	else if (base >= 0) {
		st->parent = base;
		st->image = s->stages[base].image;
	} else {
		sdf_ref(s, off, 1, text, w->len, &v, NULL);
		return;
	}
	buf_deinit(&v);
}

/* FROM [--platform=...] image [AS name]: opens a stage. */
static void
sdf_from(struct sdf_scan *s)
{
	const struct dockerfile_instr	*in = s->in;
	struct dockerfile_word		 w[3];
	struct sdf_stage		*st;
	size_t				 nw;
	char				*lower;

	nw = sdf_fields(in->args, in->argslen, w, 3);
	if (nw == 3 && w[1].len == 2 &&
	    strncasecmp(in->args + w[1].off, "as", 2) == 0)
		sdf_new_stage(s, in->args + w[2].off, w[2].len);
	else
		sdf_new_stage(s, NULL, 0);
	if (nw > 0)
		sdf_from_base(s, &w[0]);
	st = &s->stages[s->nstages - 1];
	if (st->name != NULL) {
		lower = xstrdup(st->name);
		sdf_lower(lower, strlen(lower));
		sdf_map_put(&s->names, lower, strlen(lower), s->nstages - 1);
		free(lower);
	}
}

/* Whether an ENV of this stage or its parents sets name (ENV beats ARG). */
static int
sdf_env_set(const struct sdf_scan *s, const char *name, size_t n)
{
	const struct sdf_stage	*st = &s->stages[s->nstages - 1];
	const struct sdf_var	*v;
	int			 deep;

	v = sdf_get(&st->vars, name, n);
	if (v != NULL)
		return (v->env);
	return (sdf_inherited(s, st, name, n, &deep) != NULL);
}

/* One name[=value] of an ARG, before the first FROM or in a stage. */
static void
sdf_arg_one(struct sdf_scan *s, const char *name, size_t n, const char *val,
    size_t vlen)
{
	struct sdf_scope	*sc;
	const struct sdf_var	*g;
	struct buf		 v;
	char			*problem;
	int			 global = s->nstages == 0;

	sc = global ? &s->globals : &s->stages[s->nstages - 1].vars;
	if (!global && sdf_env_set(s, name, n))
		return;
	if (val != NULL) {
		if (sdf_expand(s, global, val, vlen, &v, &problem) != 0) {
			buf_deinit(&v);
			sdf_set(sc, name, n, 0, NULL, problem);
		} else
			sdf_set(sc, name, n, 0, &v, NULL);
		return;
	}
	g = global || sdf_platform(name, n) ? NULL :
	    sdf_get(&s->globals, name, n);
	if (g != NULL && g->known) {
		buf_init(&v, SDF_VALUE_MAX);
		(void)buf_add(&v, g->value, g->len);
		sdf_set(sc, name, n, 0, &v, NULL);
	} else if (g != NULL)
		sdf_set(sc, name, n, 0, NULL, xstrdup(g->problem));
	else
		sdf_set(sc, name, n, 0, NULL, sdf_no_default(name, n));
}

/* ARG name[=value] ...: each sees the ones before it. */
static void
sdf_arg(struct sdf_scan *s)
{
	const struct dockerfile_instr	*in = s->in;
	struct dockerfile_word		*w;
	const char			*p, *eq;
	size_t				 nw, i;

	nw = dockerfile_words(in->args, in->argslen, s->esc, &w);
	for (i = 0; i < nw; i++) {
		p = in->args + w[i].off;
		eq = memchr(p, '=', w[i].len);
		if (eq == p)
			continue;
		if (eq == NULL)
			sdf_arg_one(s, p, w[i].len, NULL, 0);
		else
			sdf_arg_one(s, p, (size_t)(eq - p), eq + 1,
			    w[i].len - (size_t)(eq - p) - 1);
	}
	free(w);
}

/* ENV name value (the legacy form): the value is the rest of the line. */
static void
sdf_env_legacy(struct sdf_scan *s)
{
	const struct dockerfile_instr	*in = s->in;
	struct buf			 v;
	char				*problem;
	size_t				 k = 0, j;

	while (k < in->argslen && !sdf_blank(in->args[k]))
		k++;
	for (j = k; j < in->argslen && sdf_blank(in->args[j]); j++)
		;
	if (j >= in->argslen)
		return;
	if (sdf_expand(s, 0, in->args + j, in->argslen - j, &v,
	    &problem) != 0) {
		buf_deinit(&v);
		sdf_set(&s->stages[s->nstages - 1].vars, in->args, k, 1, NULL,
		    problem);
	} else
		sdf_set(&s->stages[s->nstages - 1].vars, in->args, k, 1, &v,
		    NULL);
}

/* ENV name=value ...: all values are expanded before any is set. */
static void
sdf_env(struct sdf_scan *s)
{
	const struct dockerfile_instr	*in = s->in;
	struct dockerfile_word		*w;
	struct buf			*v;
	char				**problem;
	const char			*p, *eq;
	size_t				 nw, i;

	nw = dockerfile_words(in->args, in->argslen, s->esc, &w);
	if (nw > 0 && memchr(in->args + w[0].off, '=', w[0].len) == NULL) {
		free(w);
		sdf_env_legacy(s);
		return;
	}
	v = xcalloc(nw + 1, sizeof *v);
	problem = xcalloc(nw + 1, sizeof *problem);
	for (i = 0; i < nw; i++) {
		p = in->args + w[i].off;
		eq = memchr(p, '=', w[i].len);
		if (eq != NULL && sdf_expand(s, 0, eq + 1, w[i].len -
		    (size_t)(eq - p) - 1, &v[i], &problem[i]) != 0)
			buf_deinit(&v[i]);
	}
	for (i = 0; i < nw; i++) {
		p = in->args + w[i].off;
		eq = memchr(p, '=', w[i].len);
		if (eq != NULL && eq != p)
			sdf_set(&s->stages[s->nstages - 1].vars, p,
			    (size_t)(eq - p), 1, problem[i] == NULL ? &v[i] :
			    NULL, problem[i]);
		else
			free(problem[i]);
		buf_deinit(&v[i]);
	}
	free(v);
	free(problem);
	free(w);
}

/*
 * COPY --from=X or a mount's from=X: a build input unless it names a stage.
 * text is X as written (at off), word as BuildKit's flag parser read it.
 */
static void
sdf_input(struct sdf_scan *s, size_t off, const char *text, size_t tn,
    const char *word, size_t wn)
{
	struct buf	 v;
	char		*problem;
	size_t		 i;

	if (wn == 0)
		return;
	if (sdf_expand(s, 0, word, wn, &v, &problem) != 0) {
		buf_deinit(&v);
		sdf_ref(s, off, 0, text, tn, NULL, problem);
		return;
	}
	for (i = 0; i < v.len && v.data[i] >= '0' && v.data[i] <= '9'; i++)
		;
	if (v.len == 0 || i == v.len || sdf_is_scratch(&v) ||
	    sdf_stage_named(s, v.data, v.len) >= 0) {
		buf_deinit(&v);
		return;
	}
	sdf_ref(s, off, 0, text, tn, &v, NULL);
}

static void
sdf_copy(struct sdf_scan *s)
{
	const struct dockerfile_flag	*f;
	const char			*raw;
	size_t				 k = 0;

	for (;;) {
		f = dockerfile_flag(s->in, "from", &k);
		if (f == NULL)
			break;
		if (f->len < 7 || f->word[6] != '=')
			continue;
		raw = s->in->text + f->off;
		if (f->rawlen >= 7 && memcmp(raw, "--from=", 7) == 0)
			sdf_input(s, f->off + 7, raw + 7, f->rawlen - 7,
			    f->word + 7, f->len - 7);
		else
			sdf_input(s, f->off, f->word + 7, f->len - 7,
			    f->word + 7, f->len - 7);
	}
}

/*
 * The last from= field of a --mount value (CSV, quotes allowed): its value
 * into out, where it starts into *at, whether it was quoted into *quoted.
 */
static int
sdf_mount_from(const char *p, size_t n, struct buf *out, size_t *at,
    int *quoted)
{
	struct buf	 field;
	size_t		 i = 0, start;
	int		 q, found = 0;

	buf_init(&field, n + 1);
	while (i <= n) {
		buf_reset(&field);
		start = i;
		q = i < n && p[i] == '"';
		for (i += q; i < n && (q || p[i] != ','); i++) {
			if (q && p[i] == '"' && i + 1 < n && p[i + 1] == '"')
				i++;
			else if (q && p[i] == '"') {
				q = 0;
				continue;
			}
			(void)buf_addc(&field, p[i]);
		}
		if (field.len >= 5 && field.data[4] == '=' &&
		    strncasecmp(field.data, "from", 4) == 0) {
			buf_reset(out);
			(void)buf_add(out, field.data + 5, field.len - 5);
			*at = start + 5;
			*quoted = p[start] == '"';
			found = 1;
		}
		i++;
	}
	buf_deinit(&field);
	return (found);
}

/* RUN --mount=...,from=X,...: any mount type may name an image. */
static void
sdf_run(struct sdf_scan *s)
{
	const struct dockerfile_flag	*f;
	struct buf			 from;
	size_t				 k = 0, at, off;
	int				 quoted;

	for (;;) {
		f = dockerfile_flag(s->in, "mount", &k);
		if (f == NULL)
			break;
		if (f->len < 8 || f->word[7] != '=')
			continue;
		buf_init(&from, f->len);
		if (sdf_mount_from(f->word + 8, f->len - 8, &from, &at,
		    &quoted)) {
			off = f->off;
			if (f->rawlen == f->len && !quoted)
				off += 8 + at;
			sdf_input(s, off, from.data != NULL ? from.data : "",
			    from.len, from.data != NULL ? from.data : "",
			    from.len);
		}
		buf_deinit(&from);
	}
}

static void
sdf_instr(struct sdf_scan *s, const struct dockerfile_instr *in)
{
	const char	*kw = in->keyword;

	s->in = in;
	if (strcmp(kw, "from") == 0)
		sdf_from(s);
	else if (strcmp(kw, "arg") == 0)
		sdf_arg(s);
	else if (s->nstages == 0)
		return;
	else if (strcmp(kw, "env") == 0)
		sdf_env(s);
	else if (strcmp(kw, "copy") == 0)
		sdf_copy(s);
	else if (strcmp(kw, "run") == 0)
		sdf_run(s);
}

/* Mark the last stage and the stages it is built FROM as final. */
static void
sdf_finals(struct sdf_scan *s)
{
	long	 i;

	if (s->nstages == 0)
		return;
	for (i = (long)s->nstages - 1; i >= 0; i = s->stages[i].parent)
		s->stages[i].final = 1;
}

static void
sdf_free(struct sdf_scan *s)
{
	size_t	 i;

	for (i = 0; i < s->nrefs; i++) {
		free(s->refs[i].text);
		free(s->refs[i].value);
		free(s->refs[i].problem);
	}
	for (i = 0; i < s->nstages; i++) {
		free(s->stages[i].name);
		sdf_scope_free(&s->stages[i].vars);
	}
	free(s->refs);
	free(s->stages);
	sdf_scope_free(&s->globals);
	sdf_map_free(&s->names);
}

void
scan_dockerfile(struct scan_result *sr, const char *file, const char *buf,
    size_t len)
{
	struct sdf_scan		 s;
	struct dockerfile	*df;
	const struct sdf_ref	*r;
	const struct sdf_stage	*st;
	size_t			 i;

	memset(&s, 0, sizeof s);
	df = dockerfile_parse(buf, len);
	s.esc = df->escape;
	for (i = 0; i < df->ninstrs; i++)
		sdf_instr(&s, &df->instrs[i]);
	sdf_finals(&s);
	for (i = 0; i < s.nrefs; i++) {
		r = &s.refs[i];
		st = &s.stages[r->stage];
		scan_add_ref(sr, file, r->line, r->column, SCAN_DOCKERFILE,
		    st->name, r->from && st->final, r->text, r->value,
		    r->problem);
	}
	sdf_free(&s);
	dockerfile_free(df);
}
