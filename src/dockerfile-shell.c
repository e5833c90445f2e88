#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "xmalloc.h"

/*
 * The shell-word rules of BuildKit's lexer: where a word ends (for finding
 * heredoc delimiters) and how a word expands (for FROM, ARG and ENV).
 */

#define DFS_LEX_DEPTH	32	/* ${...} nesting the word lexer follows */

static int
dfs_alpha(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

static int
dfs_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/* c is one of the characters of set (never for NUL). */
static int
dfs_oneof(char c, const char *set)
{
	return (c != '\0' && strchr(set, c) != NULL);
}

struct dfs_lex {
	const char	*s;
	size_t		 n;
	size_t		 i;
	int		 depth;
};

static int	dfs_lex_until(struct dfs_lex *, int);

static int
dfs_lex_squote(struct dfs_lex *x)
{
	const char	*q;

	x->i++;
	q = memchr(x->s + x->i, '\'', x->n - x->i);
	if (q == NULL)
		return (-1);
	x->i = (size_t)(q - x->s) + 1;
	return (0);
}

/* End of the variable name at s[i]: digits, one special or [A-Za-z0-9_]*. */
static size_t
dfs_name_end(const char *s, size_t n, size_t i)
{
	if (i < n && dfs_digit(s[i])) {
		while (i < n && dfs_digit(s[i]))
			i++;
		return (i);
	}
	if (i < n && dfs_oneof(s[i], "@*#?-$!"))
		return (i + 1);
	while (i < n && (dfs_alpha(s[i]) || dfs_digit(s[i]) || s[i] == '_'))
		i++;
	return (i);
}

static int
dfs_lex_dollar(struct dfs_lex *x)
{
	int	 rc;

	x->i++;
	if (x->i >= x->n || x->s[x->i] != '{')
		return (0);
	x->i++;
	if (x->i >= x->n || dfs_oneof(x->s[x->i], "{}:"))
		return (-1);
	x->i = dfs_name_end(x->s, x->n, x->i);
	if (x->i >= x->n)
		return (-1);
	if (x->s[x->i] == '}') {
		x->i++;
		return (0);
	}
	if (x->s[x->i++] == ':' && x->i < x->n)
		x->i++;
	if (++x->depth > DFS_LEX_DEPTH)
		return (-1);
	rc = dfs_lex_until(x, '}');
	x->depth--;
	return (rc);
}

static int
dfs_lex_dquote(struct dfs_lex *x)
{
	char	 c;

	x->i++;
	while (x->i < x->n) {
		c = x->s[x->i];
		if (c == '"') {
			x->i++;
			return (0);
		}
		if (c == '$') {
			if (dfs_lex_dollar(x) != 0)
				return (-1);
			continue;
		}
		if (c == '\\' && x->i + 1 < x->n &&
		    dfs_oneof(x->s[x->i + 1], "\"$\\"))
			x->i++;
		x->i++;
	}
	return (-1);
}

/* One part of a word: a quoted string, a substitution or a character. */
static int
dfs_lex_part(struct dfs_lex *x)
{
	switch (x->s[x->i]) {
	case '\'':
		return (dfs_lex_squote(x));
	case '"':
		return (dfs_lex_dquote(x));
	case '$':
		return (dfs_lex_dollar(x));
	case '\\':
		x->i += x->i + 1 < x->n ? 2 : 1;
		return (0);
	}
	x->i++;
	return (0);
}

/* Skip to stop (consumed), or to white space when stop is -1. */
static int
dfs_lex_until(struct dfs_lex *x, int stop)
{
	while (x->i < x->n) {
		if (stop == -1 &&
		    dockerfile_space(x->s + x->i, x->n - x->i) != 0)
			return (0);
		if (stop != -1 && x->s[x->i] == (char)stop) {
			x->i++;
			return (0);
		}
		if (dfs_lex_part(x) != 0)
			return (-1);
	}
	return (stop == -1 ? 0 : -1);
}

/*
 * Word expansion.  A variable without a known value does not stop the
 * expansion (it may sit in a default that is not used); a word that cannot
 * be processed does.
 */

#define DFS_EXP_DEPTH	32

struct dfs_exp {
	const char		*s;
	size_t			 n;
	size_t			 i;
	char			 esc;
	dockerfile_lookup_cb	 cb;
	void			*arg;
	int			 depth;
	char			*hard;		/* why the word is unusable */
	char			*unknown;	/* the first unknown variable */
};

static int	dfs_exp_until(struct dfs_exp *, int, struct buf *);
static int	dfs_exp_dollar(struct dfs_exp *, struct buf *);

static int
dfs_exp_fail(struct dfs_exp *x, const char *why)
{
	if (x->hard == NULL)
		x->hard = xstrdup(why);
	return (-1);
}

static int
dfs_exp_add(struct dfs_exp *x, struct buf *out, const char *s, size_t n)
{
	if (buf_add(out, s, n) == 0)
		return (0);
	if (x->hard == NULL)
		xasprintf(&x->hard, "value longer than %zu bytes", out->cap);
	return (-1);
}

/* Remember why the value is unknown (the first reason wins); takes why. */
static void
dfs_exp_unknown(struct dfs_exp *x, char *why)
{
	if (x->unknown == NULL)
		x->unknown = why;
	else
		free(why);
}

static enum dockerfile_var
dfs_exp_lookup(struct dfs_exp *x, const char *name, size_t n, const char **v,
    size_t *vlen, char **why)
{
	enum dockerfile_var	 st;

	*v = NULL;
	*vlen = 0;
	*why = NULL;
	st = x->cb(x->arg, name, n, v, vlen, why);
	if (st != DOCKERFILE_VAR_SET && *why == NULL)
		xasprintf(why, "variable %.*s has no known value", (int)n,
		    name);
	if (st == DOCKERFILE_VAR_SET && *v == NULL)
		*v = "";
	return (st);
}

static int
dfs_exp_var(struct dfs_exp *x, struct buf *out, const char *name, size_t n)
{
	const char	*v;
	size_t		 vlen;
	char		*why;

	if (dfs_exp_lookup(x, name, n, &v, &vlen, &why) != DOCKERFILE_VAR_SET) {
		dfs_exp_unknown(x, why);
		return (0);
	}
	free(why);
	return (dfs_exp_add(x, out, v, vlen));
}

static int
dfs_exp_squote(struct dfs_exp *x, struct buf *out)
{
	const char	*q;
	size_t		 n;

	x->i++;
	q = memchr(x->s + x->i, '\'', x->n - x->i);
	if (q == NULL)
		return (dfs_exp_fail(x, "unmatched single quote"));
	n = (size_t)(q - (x->s + x->i));
	if (dfs_exp_add(x, out, x->s + x->i, n) != 0)
		return (-1);
	x->i += n + 1;
	return (0);
}

static int
dfs_exp_dquote(struct dfs_exp *x, struct buf *out)
{
	char	 c;

	x->i++;
	while (x->i < x->n) {
		c = x->s[x->i];
		if (c == '"') {
			x->i++;
			return (0);
		}
		if (c == '$') {
			if (dfs_exp_dollar(x, out) != 0)
				return (-1);
			continue;
		}
		x->i++;
		if (c == x->esc) {
			if (x->i >= x->n)
				continue;
			if (x->s[x->i] == '"' || x->s[x->i] == '$' ||
			    x->s[x->i] == x->esc)
				c = x->s[x->i++];
		}
		if (dfs_exp_add(x, out, &c, 1) != 0)
			return (-1);
	}
	return (dfs_exp_fail(x, "unmatched double quote"));
}

/*
 * What ${name<op>word} gives: 0 the variable's value, 1 the word, -1
 * nothing (with a reason when the variable was required).
 */
static int
dfs_exp_choose(struct dfs_exp *x, enum dockerfile_var st, size_t vlen,
    int colon, char op, const char *name, size_t n, const struct buf *w)
{
	int	 set = st == DOCKERFILE_VAR_SET && (!colon || vlen > 0);
	char	*why;

	if (op == '-')
		return (set ? 0 : 1);
	if (op == '+')
		return (set ? 1 : -1);
	if (set)
		return (0);
	if (w->len > 0)
		xasprintf(&why, "%.*s is required: %.*s", (int)n, name,
		    (int)(w->len > 200 ? 200 : w->len), w->data);
	else
		xasprintf(&why, "%.*s is required", (int)n, name);
	dfs_exp_unknown(x, why);
	return (-1);
}

/* Apply ${name<op>word} once the word is read into w (unknowns in wwhy). */
static int
dfs_exp_apply(struct dfs_exp *x, struct buf *out, const char *name, size_t n,
    int colon, char op, struct buf *w, char **wwhy)
{
	enum dockerfile_var	 st;
	const char		*v;
	size_t			 vlen;
	char			*why;
	int			 rc = 0, pick;

	st = dfs_exp_lookup(x, name, n, &v, &vlen, &why);
	if (op == '#' || op == '%' || op == '/') {
		free(why);
		xasprintf(&why, "${%.*s%c...} is a pattern substitution, "
		    "which is not evaluated", (int)n, name, op);
		dfs_exp_unknown(x, why);
		return (0);
	}
	if (st == DOCKERFILE_VAR_UNKNOWN) {
		dfs_exp_unknown(x, why);
		return (0);
	}
	free(why);
	pick = dfs_exp_choose(x, st, vlen, colon, op, name, n, w);
	if (pick == 0)
		rc = dfs_exp_add(x, out, v, vlen);
	else if (pick == 1) {
		rc = dfs_exp_add(x, out, w->data != NULL ? w->data : "",
		    w->len);
		if (*wwhy != NULL)
			dfs_exp_unknown(x, *wwhy);
		*wwhy = NULL;
	}
	return (rc);
}

/* ${name<op>word}: read the word, then decide what it gives. */
static int
dfs_exp_modifier(struct dfs_exp *x, struct buf *out, const char *name,
    size_t n, int colon, char op)
{
	struct buf	 w;
	char		*saved = x->unknown, *wwhy;
	int		 rc;

	if (x->depth >= DFS_EXP_DEPTH)
		return (dfs_exp_fail(x, "substitutions nested too deeply"));
	buf_init(&w, out->cap);
	x->unknown = NULL;
	x->depth++;
	rc = dfs_exp_until(x, '}', &w);
	x->depth--;
	wwhy = x->unknown;
	x->unknown = saved;
	if (rc == 0)
		rc = dfs_exp_apply(x, out, name, n, colon, op, &w, &wwhy);
	free(wwhy);
	buf_deinit(&w);
	return (rc);
}

/* After "${": a name and "}", or a name, a modifier, a word and "}". */
static int
dfs_exp_brace(struct dfs_exp *x, struct buf *out)
{
	size_t	 name, n;
	char	 op;
	int	 colon = 0;

	if (x->i >= x->n)
		return (dfs_exp_fail(x, "missing '}'"));
	if (dfs_oneof(x->s[x->i], "{}:"))
		return (dfs_exp_fail(x, "bad substitution"));
	name = x->i;
	x->i = dfs_name_end(x->s, x->n, x->i);
	n = x->i - name;
	if (x->i >= x->n)
		return (dfs_exp_fail(x, "missing '}'"));
	op = x->s[x->i++];
	if (op == '}')
		return (dfs_exp_var(x, out, x->s + name, n));
	if (op == ':') {
		if (x->i >= x->n)
			return (dfs_exp_fail(x, "missing '}'"));
		colon = 1;
		op = x->s[x->i++];
		if (!dfs_oneof(op, "-+?"))
			return (dfs_exp_fail(x, "unsupported modifier in "
			    "substitution"));
	} else if (!dfs_oneof(op, "-+?#%/"))
		return (dfs_exp_fail(x, "bad substitution"));
	return (dfs_exp_modifier(x, out, x->s + name, n, colon, op));
}

static int
dfs_exp_dollar(struct dfs_exp *x, struct buf *out)
{
	size_t	 name;

	x->i++;
	if (x->i < x->n && x->s[x->i] == '{') {
		x->i++;
		return (dfs_exp_brace(x, out));
	}
	name = x->i;
	x->i = dfs_name_end(x->s, x->n, x->i);
	if (x->i == name)
		return (dfs_exp_add(x, out, "$", 1));
	return (dfs_exp_var(x, out, x->s + name, x->i - name));
}

/* Expand up to stop (consumed), or to the end when stop is -1. */
static int
dfs_exp_until(struct dfs_exp *x, int stop, struct buf *out)
{
	char	 c;
	int	 rc;

	while (x->i < x->n) {
		c = x->s[x->i];
		if (stop != -1 && c == (char)stop) {
			x->i++;
			return (0);
		}
		if (c == '\'')
			rc = dfs_exp_squote(x, out);
		else if (c == '"')
			rc = dfs_exp_dquote(x, out);
		else if (c == '$')
			rc = dfs_exp_dollar(x, out);
		else {
			x->i++;
			if (c == x->esc) {
				if (x->i >= x->n)
					break;
				c = x->s[x->i++];
			}
			rc = dfs_exp_add(x, out, &c, 1);
		}
		if (rc != 0)
			return (-1);
	}
	if (stop != -1)
		return (dfs_exp_fail(x, "missing '}'"));
	return (0);
}

int
dockerfile_expand(const char *s, size_t len, char esc,
    dockerfile_lookup_cb cb, void *arg, struct buf *out, char **problem)
{
	struct dfs_exp	 x;

	memset(&x, 0, sizeof x);
	x.s = s;
	x.n = len;
	x.esc = esc;
	x.cb = cb;
	x.arg = arg;
	*problem = NULL;
	if (dfs_exp_until(&x, -1, out) != 0) {
		*problem = x.hard;
		free(x.unknown);
		return (-1);
	}
	if (x.unknown != NULL) {
		*problem = x.unknown;
		return (-1);
	}
	return (0);
}

int
dockerfile_shell_word(const char *s, size_t n, size_t *i)
{
	struct dfs_lex	 x;

	memset(&x, 0, sizeof x);
	x.s = s;
	x.n = n;
	x.i = *i;
	if (dfs_lex_until(&x, -1) != 0)
		return (-1);
	*i = x.i;
	return (0);
}
