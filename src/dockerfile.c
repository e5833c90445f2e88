#include "autoconf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dockerfile.h"
#include "xmalloc.h"

/*
 * The line structure follows BuildKit's parser: a line ending in the escape
 * character (trailing blanks allowed, not itself escaped) continues on the
 * next; comment lines and blank lines inside a continuation are dropped;
 * continuation lines keep their leading whitespace.
 */

struct df_line {
	const char	*s;		/* without the line ending (or BOM) */
	size_t		 n;
	const char	*raw;		/* with the line ending */
	size_t		 rawn;
};

struct df_parser {
	const char		*buf;
	size_t			 len;
	size_t			 pos;
	unsigned		 lineno;
	int			 done;		/* past the parser directives */
	int			 seen_escape;
	struct dockerfile	*df;
	struct buf		 text;
};

/*
 * Make room for element n of an array that holds n: the allocation doubles
 * whenever n reaches a power of two, so appending stays linear.
 */
static void *
df_grow(void *p, size_t n, size_t size)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return (p);
	return (xreallocarray(p, n == 0 ? 4 : n * 2, size));
}

static char *
df_memdup(const char *s, size_t n)
{
	char	*p;

	p = xmalloc(n + 1);
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

size_t
dockerfile_space(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (n == 0)
		return (0);
	if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r'))
		return (1);
	if (u[0] == 0xc2 && n >= 2 && (u[1] == 0x85 || u[1] == 0xa0))
		return (2);
	if (n < 3)
		return (0);
	if ((u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) ||
	    (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) ||
	    (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f))
		return (3);
	if (u[0] == 0xe2 && u[1] == 0x80 && ((u[2] >= 0x80 && u[2] <= 0x8a) ||
	    u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return (3);
	return (0);
}

static size_t
df_lspace(const char *s, size_t n)
{
	size_t	 i = 0, w;

	for (;;) {
		w = dockerfile_space(s + i, n - i);
		if (w == 0)
			return (i);
		i += w;
	}
}

/* Length of s without trailing Unicode white space. */
static size_t
df_rtrim(const char *s, size_t n)
{
	for (;;) {
		if (n >= 1 && dockerfile_space(s + n - 1, 1) == 1)
			n--;
		else if (n >= 2 && dockerfile_space(s + n - 2, 2) == 2)
			n -= 2;
		else if (n >= 3 && dockerfile_space(s + n - 3, 3) == 3)
			n -= 3;
		else
			return (n);
	}
}

/* BuildKit's token separator between an instruction and its arguments. */
static int
df_tokspace(char c)
{
	return (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r');
}

/* White space as BuildKit's flag scanner sees a single byte. */
static int
df_flagspace(char c)
{
	unsigned char	 u = (unsigned char)c;

	return (df_tokspace(c) || u == '\n' || u == 0x85 || u == 0xa0);
}

static int
df_alpha(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

static int
df_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/* c is one of the characters of set (never for NUL). */
static int
df_oneof(char c, const char *set)
{
	return (c != '\0' && strchr(set, c) != NULL);
}

static char
df_lower(char c)
{
	return (c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
}

/* The next physical line; the BOM of the first one is dropped. */
static int
df_getline(struct df_parser *p, struct df_line *l)
{
	const char	*s, *nl;
	size_t		 left;

	if (p->pos >= p->len)
		return (0);
	s = p->buf + p->pos;
	left = p->len - p->pos;
	nl = memchr(s, '\n', left);
	l->raw = s;
	l->rawn = nl != NULL ? (size_t)(nl - s) + 1 : left;
	l->s = s;
	l->n = l->rawn;
	while (l->n > 0 && (s[l->n - 1] == '\n' || s[l->n - 1] == '\r'))
		l->n--;
	if (p->lineno == 0 && l->n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		l->s += 3;
		l->n -= 3;
	}
	p->pos += l->rawn;
	p->lineno++;
	return (1);
}

static int
df_dspace(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r');
}

static void
df_set_directive(struct df_parser *p, const char *name, size_t namelen,
    const char *v, size_t vlen)
{
	char	 key[8];
	size_t	 i;

	if (namelen >= sizeof key) {
		p->done = 1;
		return;
	}
	for (i = 0; i < namelen; i++)
		key[i] = df_lower(name[i]);
	key[namelen] = '\0';
	if (strcmp(key, "escape") == 0 && !p->seen_escape) {
		/* BuildKit rejects other values; we keep the default. */
		p->seen_escape = 1;
		if (vlen == 1 && (v[0] == '\\' || v[0] == '`'))
			p->df->escape = v[0];
	} else if (strcmp(key, "syntax") == 0 && p->df->syntax == NULL)
		p->df->syntax = df_memdup(v, vlen);
	else if (strcmp(key, "check") == 0 && p->df->check == NULL)
		p->df->check = df_memdup(v, vlen);
	else
		p->done = 1;
}

/*
 * A parser directive, "#" name "=" value, names compared without case; the
 * first line that is not one ends the directives.
 */
static void
df_directive(struct df_parser *p, const char *s, size_t n)
{
	size_t	 i = 1, name, namelen, v, e;

	if (n == 0 || s[0] != '#')
		goto done;
	while (i < n && df_dspace(s[i]))
		i++;
	name = i;
	if (i >= n || !df_alpha(s[i]))
		goto done;
	while (i < n && (df_alpha(s[i]) || df_digit(s[i])))
		i++;
	namelen = i - name;
	while (i < n && df_dspace(s[i]))
		i++;
	if (i >= n || s[i] != '=')
		goto done;
	v = ++i;
	while (i < n && df_dspace(s[i]))
		i++;
	e = n;
	while (e > i && df_dspace(s[e - 1]))
		e--;
	if (e == i) {
		/* Only blanks: the regexp takes the last one as the value. */
		if (n == v)
			goto done;
		i = n - 1;
		e = n;
	}
	df_set_directive(p, s + name, namelen, s + i, e - i);
	return;
done:
	p->done = 1;
}

/*
 * Whether the line ends in a continuation; if so *n is cut to drop the
 * escape character and the blanks after it.
 */
static int
df_continues(const struct df_parser *p, const char *s, size_t *n)
{
	size_t	 e = *n;
	char	 esc = p->df->escape;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e == 0 || s[e - 1] != esc)
		return (0);
	if (e >= 2 && s[e - 2] == esc)
		return (0);
	*n = e - 1;
	return (1);
}

static int
df_is_comment(const char *s, size_t n)
{
	size_t	 i = df_lspace(s, n);

	return (i < n && s[i] == '#');
}

static void
df_append(struct df_parser *p, const char *s, size_t n)
{
	/* The joined text is never longer than the input: the cap holds. */
	if (buf_add(&p->text, s, n) != 0)
		abort();
}

/* Whether args hold a JSON array of strings (the exec form). */
static int
df_is_json(const char *s, size_t n)
{
	json_t		*j;
	json_error_t	 err;
	size_t		 i;
	int		 ok = 0;

	if (n == 0 || s[0] != '[')
		return (0);
	j = json_loadb(s, n, JSON_ALLOW_NUL, &err);
	if (j == NULL)
		return (0);
	if (json_is_array(j)) {
		ok = 1;
		for (i = 0; i < json_array_size(j); i++) {
			if (!json_is_string(json_array_get(j, i)))
				ok = 0;
		}
	}
	json_decref(j);
	return (ok);
}

static void
df_add_flag(struct dockerfile_instr *in, size_t off, size_t rawlen,
    struct buf *w)
{
	struct dockerfile_flag	*f;

	in->flags = df_grow(in->flags, in->nflags, sizeof *f);
	f = &in->flags[in->nflags++];
	f->off = off;
	f->rawlen = rawlen;
	f->len = w->len;
	f->word = df_memdup(w->data != NULL ? w->data : "", w->len);
}

/* One flag word starting at t[*i]: quotes removed, backslashes processed. */
static int
df_flag_word(const char *t, size_t *i, size_t end, struct buf *w)
{
	size_t	 k = *i;
	char	 quote = 0, c;
	int	 blank = 0;

	buf_reset(w);
	while (k < end) {
		c = t[k];
		if (quote == 0 && df_flagspace(c))
			break;
		if (quote == 0 && (c == '\'' || c == '"')) {
			quote = c;
			blank = 1;
		} else if (quote != 0 && c == quote)
			quote = 0;
		else if (c == '\\' && k + 1 >= end)
			;
		else {
			if (c == '\\')
				c = t[++k];
			if (buf_addc(w, c) != 0)
				abort();
		}
		k++;
	}
	*i = k;
	return (blank || w->len > 0);
}

/*
 * Builder flags (words starting with "--") at t[i..end), as BuildKit's
 * extractBuilderFlags reads them; returns where the arguments start.
 */
static size_t
df_flags(struct dockerfile_instr *in, const char *t, size_t i, size_t end)
{
	struct buf	 w;
	size_t		 start;
	int		 keep;

	buf_init(&w, end - i + 1);
	for (;;) {
		while (i < end && df_flagspace(t[i]))
			i++;
		if (i >= end || t[i] != '-' || i + 1 >= end || t[i + 1] != '-')
			break;
		start = i;
		keep = df_flag_word(t, &i, end, &w);
		if (w.len == 2 && memcmp(w.data, "--", 2) == 0)
			break;
		if (keep)
			df_add_flag(in, start, i - start, &w);
	}
	buf_deinit(&w);
	return (i);
}

/* Split text into keyword, flags and arguments (BuildKit's splitCommand). */
static void
df_split(struct dockerfile_instr *in)
{
	const char	*t = in->text;
	size_t		 a, b, k, i;

	a = df_lspace(t, in->textlen);
	b = df_rtrim(t, in->textlen);
	if (b < a)
		b = a;
	for (k = a; k < b && !df_tokspace(t[k]); k++)
		;
	in->keyword = df_memdup(t + a, k - a);
	for (i = 0; i < k - a; i++)
		in->keyword[i] = df_lower(in->keyword[i]);
	while (k < b && df_tokspace(t[k]))
		k++;
	if (k < b)
		k = df_flags(in, t, k, b);
	k += df_lspace(t + k, b - k);
	in->argsoff = k;
	in->argslen = b - k;
	in->args = df_memdup(t + k, b - k);
	in->column = in->argslen > 0 ? dockerfile_column(in, k) : 0;
	in->json = df_is_json(in->args, in->argslen);
}

static void
df_instr_free(struct dockerfile_instr *in)
{
	size_t	 i;

	for (i = 0; i < in->nflags; i++)
		free(in->flags[i].word);
	for (i = 0; i < in->nheredocs; i++) {
		free(in->heredocs[i].name);
		free(in->heredocs[i].body);
	}
	free(in->flags);
	free(in->heredocs);
	free(in->keyword);
	free(in->args);
	free(in->text);
}

static int
df_heredoc_keyword(const char *kw)
{
	return (strcmp(kw, "run") == 0 || strcmp(kw, "copy") == 0 ||
	    strcmp(kw, "add") == 0);
}

/* RUN, COPY and ADD in shell form take heredocs, also under ONBUILD. */
static int
df_heredoc_capable(const struct dockerfile_instr *in)
{
	struct dockerfile_instr	 sub;
	int			 ok;

	if (strcmp(in->keyword, "onbuild") != 0)
		return (df_heredoc_keyword(in->keyword) && !in->json);
	memset(&sub, 0, sizeof sub);
	sub.text = df_memdup(in->args, in->argslen);
	sub.textlen = in->argslen;
	df_split(&sub);
	ok = df_heredoc_keyword(sub.keyword) && !sub.json;
	df_instr_free(&sub);
	return (ok);
}

/* The heredoc delimiter word with quotes and escapes removed. */
static char *
df_heredoc_name(const char *s, size_t n, int *quoted, size_t *len)
{
	struct buf	 b;
	size_t		 i;
	char		 q = 0;

	buf_init(&b, n + 1);
	*quoted = 0;
	for (i = 0; i < n; i++) {
		if (q == 0 && (s[i] == '\'' || s[i] == '"')) {
			q = s[i];
			*quoted = 1;
			continue;
		}
		if (q != 0 && s[i] == q) {
			q = 0;
			continue;
		}
		if (s[i] == '\\' && q != '\'' && i + 1 < n &&
		    (q == 0 || df_oneof(s[i + 1], "\"$\\")))
			i++;
		(void)buf_addc(&b, s[i]);
	}
	*len = b.len;
	if (b.len == 0) {
		buf_deinit(&b);
		return (NULL);
	}
	return (buf_take(&b));
}

/* A word [0-9]*<<-?DELIM (no '<' in DELIM) opens a heredoc. */
static void
df_heredoc_word(struct dockerfile_instr *in, const char *s, size_t n)
{
	struct dockerfile_heredoc	*h;
	size_t				 j = 0;
	int				 chomp = 0, quoted;
	char				*name;
	size_t				 len;

	while (j < n && df_digit(s[j]))
		j++;
	if (n - j < 3 || s[j] != '<' || s[j + 1] != '<')
		return;
	j += 2;
	if (s[j] == '-') {
		chomp = 1;
		j++;
	}
	if (j >= n || memchr(s + j, '<', n - j) != NULL)
		return;
	name = df_heredoc_name(s + j, n - j, &quoted, &len);
	if (name == NULL)
		return;
	in->heredocs = df_grow(in->heredocs, in->nheredocs, sizeof *h);
	h = &in->heredocs[in->nheredocs++];
	memset(h, 0, sizeof *h);
	h->name = name;
	h->namelen = len;
	h->chomp = chomp;
	h->quoted = quoted;
}

/*
 * Find the heredocs the text opens.  Like BuildKit, a text whose quoting
 * is broken opens none.
 */
static void
df_heredoc_find(struct dockerfile_instr *in)
{
	const char	*t = in->text;
	size_t		 n = in->textlen, start, i, at = 0;

	if (memmem(t, n, "<<", 2) == NULL)
		return;
	while (at < n) {
		at += df_lspace(t + at, n - at);
		if (at >= n)
			break;
		start = at;
		if (dockerfile_shell_word(t, n, &at) != 0)
			goto broken;
		df_heredoc_word(in, t + start, at - start);
	}
	return;
broken:
	for (i = 0; i < in->nheredocs; i++)
		free(in->heredocs[i].name);
	free(in->heredocs);
	in->heredocs = NULL;
	in->nheredocs = 0;
}

/* Read a heredoc body up to its delimiter line (or the end of the file). */
static void
df_heredoc_body(struct df_parser *p, struct dockerfile_heredoc *h)
{
	struct df_line	 l;
	struct buf	 body;
	size_t		 namelen = h->namelen, skip;

	buf_init(&body, p->len + 1);
	h->line = p->lineno + 1;
	while (df_getline(p, &l)) {
		skip = 0;
		if (h->chomp) {
			while (skip < l.n && l.s[skip] == '\t')
				skip++;
		}
		if (l.n - skip == namelen &&
		    memcmp(l.s + skip, h->name, namelen) == 0) {
			h->terminated = 1;
			break;
		}
		(void)buf_add(&body, l.raw + skip, l.rawn - skip);
	}
	h->bodylen = body.len;
	h->body = buf_take(&body);
}

static struct dockerfile_instr *
df_new_instr(struct dockerfile *df)
{
	struct dockerfile_instr	*in;

	if (df->ninstrs == df->ainstrs) {
		df->ainstrs = df->ainstrs == 0 ? 16 : df->ainstrs * 2;
		df->instrs = xreallocarray(df->instrs, df->ainstrs,
		    sizeof *df->instrs);
	}
	in = &df->instrs[df->ninstrs++];
	memset(in, 0, sizeof *in);
	return (in);
}

/* The joined text is complete: make it an instruction. */
static void
df_finish(struct df_parser *p, unsigned line, unsigned col, size_t first)
{
	struct dockerfile_instr	*in;
	size_t			 i;

	in = df_new_instr(p->df);
	in->text = df_memdup(p->text.data, p->text.len);
	in->textlen = p->text.len;
	in->line = line;
	in->textcol = col;
	in->textfirst = first;
	df_split(in);
	if (df_heredoc_capable(in))
		df_heredoc_find(in);
	for (i = 0; i < in->nheredocs; i++)
		df_heredoc_body(p, &in->heredocs[i]);
	in->end_line = p->lineno;
}

/* A line outside any instruction: a directive, comment, blank or start. */
static void
df_line(struct df_parser *p, const struct df_line *l)
{
	struct df_line	 next;
	const char	*s;
	size_t		 skip, n, first;
	unsigned	 line = p->lineno;
	int		 more;

	skip = df_lspace(l->s, l->n);
	s = l->s + skip;
	n = l->n - skip;
	if (!p->done)
		df_directive(p, s, n);
	if (n > 0 && s[0] == '#')
		return;
	more = df_continues(p, s, &n);
	if (!more && n == 0)
		return;
	buf_reset(&p->text);
	df_append(p, s, n);
	first = n;
	while (more && df_getline(p, &next)) {
		if (df_is_comment(next.s, next.n) ||
		    df_lspace(next.s, next.n) == next.n)
			continue;
		n = next.n;
		more = df_continues(p, next.s, &n);
		df_append(p, next.s, n);
	}
	df_finish(p, line, skip + 1 > UINT_MAX ? UINT_MAX :
	    (unsigned)(skip + 1), first);
}

struct dockerfile *
dockerfile_parse(const char *buf, size_t len)
{
	struct df_parser	 p;
	struct df_line		 l;

	memset(&p, 0, sizeof p);
	p.buf = buf;
	p.len = len;
	p.df = xcalloc(1, sizeof *p.df);
	p.df->escape = '\\';
	buf_init(&p.text, len + 1);
	while (df_getline(&p, &l))
		df_line(&p, &l);
	p.df->nlines = p.lineno;
	buf_deinit(&p.text);
	return (p.df);
}

void
dockerfile_free(struct dockerfile *df)
{
	size_t	 i;

	if (df == NULL)
		return;
	for (i = 0; i < df->ninstrs; i++)
		df_instr_free(&df->instrs[i]);
	free(df->instrs);
	free(df->syntax);
	free(df->check);
	free(df);
}

unsigned
dockerfile_column(const struct dockerfile_instr *in, size_t off)
{
	if (off >= in->textfirst || off >= UINT_MAX - in->textcol)
		return (0);
	return (in->textcol + (unsigned)off);
}

const struct dockerfile_flag *
dockerfile_flag(const struct dockerfile_instr *in, const char *name,
    size_t *from)
{
	const struct dockerfile_flag	*f;
	size_t				 i, n = strlen(name);

	for (i = *from; i < in->nflags; i++) {
		f = &in->flags[i];
		if (f->len >= n + 2 && memcmp(f->word + 2, name, n) == 0 &&
		    (f->len == n + 2 || f->word[n + 2] == '=')) {
			*from = i + 1;
			return (f);
		}
	}
	*from = in->nflags;
	return (NULL);
}

/* End of the word starting at s[i] (BuildKit's parseWords). */
static size_t
df_word_end(const char *s, size_t n, size_t i, char esc)
{
	char	 quote = 0;

	while (i < n) {
		if (quote == 0) {
			if (dockerfile_space(s + i, n - i) != 0)
				break;
			if (s[i] == '\'' || s[i] == '"')
				quote = s[i];
			else if (s[i] == esc && i + 1 < n)
				i++;
		} else if (s[i] == quote)
			quote = 0;
		else if (s[i] == esc && quote != '\'' && i + 1 < n)
			i++;
		i++;
	}
	return (i);
}

size_t
dockerfile_words(const char *s, size_t n, char esc,
    struct dockerfile_word **words)
{
	size_t	 i = 0, start, nw = 0, aw = 0;

	*words = NULL;
	for (;;) {
		i += df_lspace(s + i, n - i);
		if (i >= n)
			break;
		start = i;
		i = df_word_end(s, n, i, esc);
		if (nw == aw) {
			aw = aw == 0 ? 8 : aw * 2;
			*words = xreallocarray(*words, aw, sizeof **words);
		}
		(*words)[nw].off = start;
		(*words)[nw].len = i - start;
		nw++;
	}
	return (nw);
}

