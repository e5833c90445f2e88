#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "scan-yaml.h"
#include "xmalloc.h"
#include "yaml-tree.h"

/*
 * Image references in YAML sources: the extractors for Compose, Kubernetes,
 * GitHub Actions and GitLab CI, the substitution each kind does, and
 * scan_yaml(), which feeds libyaml's events to a node tree (yaml-tree.c)
 * one document at a time and runs the file kind's extractor on each.
 *
 * A reference reached through an alias or a merge key ("<<: *defaults") is
 * reported at the anchored scalar, where a fix would be made, once per
 * distinct position and resolved value: two services sharing one anchored
 * image give one reference; two GitLab jobs resolving one anchored "$IMAGE"
 * to different values give two.  Every step is charged to the tree's work
 * budget; a file that exhausts it is skipped with a reason, keeping what
 * was found.
 *
 * Substitution: Compose's ${VAR:-default} family is interpolated with no
 * variable set, since audits must not depend on the environment (and .env
 * is not read in this version); GitLab's $VAR from the file's and the job's
 * variables:; Kubernetes and GitHub Actions substitute nothing.  What is
 * left unresolved is reported so, naming the variable, never guessed.
 *
 * Positions: the tree's are 0-based, ours are 1-based.  The line is the
 * line of the key holding the reference (of the sequence item for a bare
 * list item, of the anchored scalar for an alias) and the column is the
 * first character of the reference text, inside the quotes of a quoted
 * scalar and after "docker://".
 *
 * The strings handed to scan_add_ref() are copied there; every string
 * allocated here is freed here.
 */

#define SCAN_YAML_VALUE_MAX	4096		/* bytes after substitution */
#define SCAN_YAML_NEST_MAX	16		/* ${...} or variables nested */
#define SCAN_YAML_EXPAND_MAX	256		/* substitutions in one value */
#define SCAN_YAML_QUOTE_MAX	80		/* bytes quoted in a problem */

struct yscan {
	struct scan_result	*sr;
	const char		*file;
	enum scan_kind		 kind;
	const char		*buf;
	size_t			 len;
	struct yaml_tree	*tree;
	struct yaml_tree_table	 done;		/* node and context reported */
	struct yaml_tree_table	 seen;		/* position, value reported */
	size_t			 vars[2];	/* GitLab: job's, file's */
};

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

/*
 * The scalar node defining GitLab variable name in *v, from the job's or
 * the file's variables, *expand cleared if it says "expand: false"; -1
 * with ip's problem set.
 */
static int
gitlab_definition(struct yscan *ys, struct interp *ip, const char *name,
    size_t n, size_t *v, int *expand)
{
	struct yaml_tree	*t = ys->tree;
	size_t			 k, ek, ev;
	int			 found = 0;

	if (ys->vars[0] != YAML_TREE_NONE)
		found = yaml_node_find_n(t, ys->vars[0], name, n, &k, v) == 0;
	if (!found && ys->vars[1] != YAML_TREE_NONE)
		found = yaml_node_find_n(t, ys->vars[1], name, n, &k, v) == 0;
	if (!found)
		return (interp_fail(ip, "variable %.*s is not defined in this "
		    "file", (int)n, name));
	if (yaml_node_is(t, *v, YAML_NODE_MAPPING)) {
		if (yaml_node_find(t, *v, "expand", &ek, &ev) == 0 &&
		    yaml_node_key_is(t, ev, "false", 5))
			*expand = 0;
		if (yaml_node_find(t, *v, "value", &ek, &ev) != 0)
			return (interp_fail(ip, "variable %.*s has no value",
			    (int)n, name));
		*v = ev;
	}
	if (!yaml_node_is(t, *v, YAML_NODE_SCALAR))
		return (interp_fail(ip, "variable %.*s is not a string",
		    (int)n, name));
	return (0);
}

/* Substitute the value of a GitLab variable into ip->out. */
static int
gitlab_variable(struct yscan *ys, struct interp *ip, const char *name,
    size_t n, int depth)
{
	struct yaml_node	*val;
	size_t			 v;
	int			 expand = 1;

	if (++ip->count > SCAN_YAML_EXPAND_MAX)
		return (interp_fail(ip, "more than %d variable substitutions",
		    SCAN_YAML_EXPAND_MAX));
	if (depth >= SCAN_YAML_NEST_MAX)
		return (interp_fail(ip, "variable %.*s nested deeper than %d "
		    "levels", (int)n, name, SCAN_YAML_NEST_MAX));
	if (gitlab_definition(ys, ip, name, n, &v, &expand) != 0)
		return (-1);
	val = yaml_tree_node(ys->tree, v);
	if (yaml_tree_charge(ys->tree, val->len) != 0)
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

static int
yscan_final(enum scan_kind kind)
{
	return (kind == SCAN_COMPOSE || kind == SCAN_KUBERNETES);
}

/*
 * Report the image in scalar val, held by key (YAML_TREE_NONE for a
 * sequence item), its first skip bytes left out.
 */
static void
yscan_report(struct yscan *ys, size_t key, size_t val, size_t skip)
{
	struct yaml_tree	*t = ys->tree;
	struct yaml_node	*v;
	char			*ctx = NULL, *seen = NULL, *value = NULL;
	char			*problem = NULL;
	unsigned		 line, column;

	if (!yaml_node_is(t, val, YAML_NODE_SCALAR) ||
	    yaml_node_is_null(t, val))
		return;
	/* The same node in the same context resolves the same way. */
	xasprintf(&ctx, "%zu %zu %zu %zu", val, skip, ys->vars[0],
	    ys->vars[1]);
	if (!yaml_tree_table_put(&ys->done, ctx, 0))
		goto out;
	v = yaml_tree_node(t, val);
	if (yaml_tree_charge(t, v->len) != 0)
		goto out;
	line = v->line;
	if (key != YAML_TREE_NONE && yaml_tree_node(t, key)->index < v->index)
		line = yaml_tree_node(t, key)->line;
	column = v->column + (unsigned)skip;
	if (strlen(v->value) != v->len)
		problem = xstrdup("NUL character in the image reference");
	else
		value = yscan_resolve(ys, v->value + skip, &problem);
	xasprintf(&seen, "%u %u %s%s", line, column, value != NULL ? "=" : "!",
	    value != NULL ? value : problem);
	if (yaml_tree_table_put(&ys->seen, seen, 0))
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

	if (!yaml_node_is(ys->tree, val, YAML_NODE_MAPPING))
		yscan_report(ys, key, val, 0);
	else if (yaml_node_find(ys->tree, val, field, &k, &v) == 0)
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
	struct yaml_tree	*t = ys->tree;
	struct yaml_node_list	 pairs = { NULL, 0, 0 };
	size_t			 i, k, v;

	yaml_node_pairs(t, yaml_node_get(t, root, "services",
	    YAML_NODE_MAPPING), &pairs);
	for (i = 0; i + 1 < pairs.n && !yaml_tree_exhausted(t); i += 2) {
		if (yaml_node_find(t, pairs.v[i + 1], "build", &k, &v) == 0 &&
		    !(yaml_node_is(t, v, YAML_NODE_SCALAR) &&
		    yaml_node_is_null(t, v)))
			continue;
		if (yaml_node_find(t, pairs.v[i + 1], "image", &k, &v) == 0)
			yscan_report(ys, k, v, 0);
	}
	yaml_node_list_free(&pairs);
}

static int
k8s_is_containers(struct yscan *ys, size_t key)
{
	return (yaml_node_key_is(ys->tree, key, "containers", 10) ||
	    yaml_node_key_is(ys->tree, key, "initContainers", 14) ||
	    yaml_node_key_is(ys->tree, key, "ephemeralContainers", 19));
}

static void
k8s_containers(struct yscan *ys, size_t seq)
{
	struct yaml_tree	*t = ys->tree;
	size_t			 i, k, v;

	for (i = 0; i < yaml_tree_node(t, seq)->nkids; i++) {
		if (yaml_node_find(t, yaml_node_kid(t, seq, i), "image", &k,
		    &v) == 0)
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
	struct yaml_tree	*t = ys->tree;
	struct yaml_node_list	 stack = { NULL, 0, 0 };
	struct yaml_node	*n;
	size_t			 id, i, v;

	yaml_node_list_push(&stack, root);
	while (stack.n > 0 && !yaml_tree_exhausted(t)) {
		id = stack.v[--stack.n];
		n = yaml_tree_node(t, id);
		if (n->visited)
			continue;
		n->visited = 1;
		yaml_tree_charge(t, 1 + n->nkids);
		for (i = 0; n->type == YAML_NODE_MAPPING && i < n->nkids / 2;
		    i++) {
			v = yaml_node_kid(t, id, 2 * i + 1);
			if (k8s_is_containers(ys,
			    yaml_node_kid(t, id, 2 * i)) &&
			    yaml_node_is(t, v, YAML_NODE_SEQUENCE))
				k8s_containers(ys, v);
		}
		for (i = n->nkids; i > 0; i--)
			yaml_node_list_push(&stack,
			    yaml_node_kid(t, id, i - 1));
	}
	yaml_node_list_free(&stack);
}

/*
 * One GitHub Actions job: container and each service (a mapping with
 * image:, or a plain string, as actionlint and Renovate also accept), and
 * steps that use docker://.
 */
static void
gha_job(struct yscan *ys, size_t job)
{
	struct yaml_tree	*t = ys->tree;
	struct yaml_node_list	 svcs = { NULL, 0, 0 };
	size_t			 i, k, v, steps;

	if (yaml_node_find(t, job, "container", &k, &v) == 0)
		yscan_report_container(ys, k, v, "image");
	yaml_node_pairs(t, yaml_node_get(t, job, "services",
	    YAML_NODE_MAPPING), &svcs);
	for (i = 0; i + 1 < svcs.n; i += 2)
		yscan_report_container(ys, svcs.v[i], svcs.v[i + 1], "image");
	yaml_node_list_free(&svcs);
	steps = yaml_node_get(t, job, "steps", YAML_NODE_SEQUENCE);
	for (i = 0; steps != YAML_TREE_NONE &&
	    i < yaml_tree_node(t, steps)->nkids; i++) {
		if (yaml_node_find(t, yaml_node_kid(t, steps, i), "uses", &k,
		    &v) == 0 && yaml_node_is(t, v, YAML_NODE_SCALAR) &&
		    strncmp(yaml_tree_node(t, v)->value, "docker://", 9) == 0)
			yscan_report(ys, k, v, 9);
	}
}

static void
gha_document(struct yscan *ys, size_t root)
{
	struct yaml_tree	*t = ys->tree;
	struct yaml_node_list	 jobs = { NULL, 0, 0 };
	size_t			 i;

	yaml_node_pairs(t, yaml_node_get(t, root, "jobs", YAML_NODE_MAPPING),
	    &jobs);
	for (i = 0; i + 1 < jobs.n && !yaml_tree_exhausted(t); i += 2) {
		if (yaml_node_is(t, jobs.v[i + 1], YAML_NODE_MAPPING))
			gha_job(ys, jobs.v[i + 1]);
	}
	yaml_node_list_free(&jobs);
}

static void
gitlab_services(struct yscan *ys, size_t seq)
{
	struct yaml_tree	*t = ys->tree;
	size_t			 i;

	for (i = 0; yaml_node_is(t, seq, YAML_NODE_SEQUENCE) &&
	    i < yaml_tree_node(t, seq)->nkids; i++)
		yscan_report_container(ys, YAML_TREE_NONE,
		    yaml_node_kid(t, seq, i), "name");
}

/* A job (or default:): image and services, with the job's variables. */
static void
gitlab_job(struct yscan *ys, size_t job, int own_variables)
{
	struct yaml_tree	*t = ys->tree;
	size_t			 k, v;

	if (own_variables)
		ys->vars[0] = yaml_node_get(t, job, "variables",
		    YAML_NODE_MAPPING);
	if (yaml_node_find(t, job, "image", &k, &v) == 0)
		yscan_report_container(ys, k, v, "name");
	gitlab_services(ys, yaml_node_get(t, job, "services",
	    YAML_NODE_SEQUENCE));
	ys->vars[0] = YAML_TREE_NONE;
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
		if (yaml_node_key_is(ys->tree, key, words[i], strlen(words[i])))
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
	struct yaml_tree	*t = ys->tree;
	struct yaml_node_list	 pairs = { NULL, 0, 0 };
	size_t			 i, k, v;

	ys->vars[0] = YAML_TREE_NONE;
	ys->vars[1] = yaml_node_get(t, root, "variables", YAML_NODE_MAPPING);
	yaml_node_pairs(t, root, &pairs);
	for (i = 0; i + 1 < pairs.n && !yaml_tree_exhausted(t); i += 2) {
		k = pairs.v[i];
		v = pairs.v[i + 1];
		if (yaml_node_key_is(t, k, "image", 5))
			yscan_report_container(ys, k, v, "name");
		else if (yaml_node_key_is(t, k, "services", 8))
			gitlab_services(ys, v);
		else if (yaml_node_key_is(t, k, "default", 7))
			gitlab_job(ys, v, 0);
		else if (!gitlab_is_keyword(ys, k) &&
		    yaml_node_is(t, v, YAML_NODE_MAPPING))
			gitlab_job(ys, v, 1);
	}
	yaml_node_list_free(&pairs);
	ys->vars[1] = YAML_TREE_NONE;
}

/* Run the file kind's extractor on the document just finished. */
static void
yscan_document(struct yscan *ys)
{
	size_t	 root = yaml_tree_root(ys->tree);

	if (root == YAML_TREE_NONE)
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
	yaml_tree_table_clear(&ys->done);
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
	else if (yaml_tree_event(ys->tree, ev, cause) != 0)
		return (0);
	if (yaml_tree_check_budget(ys->tree, cause) != 0)
		return (0);
	return (1);
}

static void
yscan_init(struct yscan *ys, struct scan_result *sr, const char *file,
    enum scan_kind kind, const char *buf, size_t len)
{
	memset(ys, 0, sizeof *ys);
	ys->sr = sr;
	ys->file = file;
	ys->kind = kind;
	ys->buf = buf;
	ys->len = len;
	ys->tree = yaml_tree_create(buf, len);
	yaml_tree_table_init(&ys->done, ys->tree);
	yaml_tree_table_init(&ys->seen, ys->tree);
	ys->vars[0] = ys->vars[1] = YAML_TREE_NONE;
}

static void
yscan_free(struct yscan *ys)
{
	yaml_tree_free(ys->tree);
	yaml_tree_table_clear(&ys->done);
	yaml_tree_table_clear(&ys->seen);
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
