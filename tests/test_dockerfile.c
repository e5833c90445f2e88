/*
 * The Dockerfile parser and reference scanner, driven by data: the cases
 * in tests/data/dockerfile (see its README for the format) and BuildKit's
 * own parser test files in tests/data/buildkit.
 */
#include "autoconf.h"

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <time.h>
#include <cmocka.h>

#include "buf.h"
#include "dockerfile.h"
#include "ref.h"
#include "scan-dockerfile.h"
#include "scan.h"
#include "testlib.h"
#include "xmalloc.h"

#define MIN_CASES	50
#define BUILDKIT_CASES	33

static int	 failures;

static void
fail_case(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_case(const char *name, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

/* Undo the C-style escapes of the data files: \t \r \n \\ \0 \xHH. */
static size_t
unescape(const char *s, char *out)
{
	size_t	 n = 0;

	while (*s != '\0') {
		if (*s != '\\' || s[1] == '\0') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case '0':
			out[n++] = '\0';
			break;
		case 'x':
			out[n++] = (char)(testlib_hex(s[1]) * 16 +
			    testlib_hex(s[2]));
			s += 2;
			break;
		default:
			out[n++] = *s;
		}
		s++;
	}
	out[n] = '\0';
	return (n);
}

/* The next data line of a file (not blank, not a comment), or NULL. */
static char *
next_line(char **cursor)
{
	char	*line, *nl;

	while (**cursor != '\0') {
		line = *cursor;
		nl = strchr(line, '\n');
		if (nl != NULL) {
			*nl = '\0';
			*cursor = nl + 1;
		} else
			*cursor = line + strlen(line);
		if (*line != '\0' && *line != '#')
			return (line);
	}
	return (NULL);
}

static char *
canonical_of(const char *value)
{
	struct ref	 r;
	char		*cause = NULL, *c;

	memset(&r, 0, sizeof r);
	if (ref_parse(value, &r, &cause) != 0) {
		free(cause);
		return (NULL);
	}
	c = ref_canonical(&r);
	ref_deinit(&r);
	return (c);
}

/* The result field: =VALUE (same normalized reference) or ?PROBLEM. */
static void
check_result(const char *name, size_t i, const struct scan_ref *r,
    const char *result)
{
	char	*want, *got;

	if (result[0] == '?') {
		if (r->resolved || r->problem == NULL ||
		    strstr(r->problem, result + 1) == NULL)
			fail_case(name, "ref %zu: problem '%s', want one with "
			    "'%s'", i, r->problem != NULL ? r->problem : "",
			    result + 1);
		return;
	}
	if (result[0] != '=')
		fail_msg("%s: ref %zu: result must start with = or ?", name, i);
	want = canonical_of(result + 1);
	if (want == NULL)
		fail_msg("%s: ref %zu: '%s' does not parse", name, i,
		    result + 1);
	got = r->resolved ? ref_canonical(&r->ref) : NULL;
	if (got == NULL || strcmp(got, want) != 0)
		fail_case(name, "ref %zu: resolved to %s (%s), want %s", i,
		    got != NULL ? got : "nothing",
		    r->problem != NULL ? r->problem : "", want);
	free(want);
	free(got);
}

/* Compare one found reference with one line of a .refs file. */
static void
check_ref(const char *name, size_t i, const struct scan_ref *r, char *line)
{
	char	*f[6], text[1024];
	int	 nf;

	nf = testlib_split(line, f, 6);
	if (nf != 6) {
		fail_case(name, "ref %zu: expected 6 fields, got %d", i, nf);
		return;
	}
	if (r->line != (unsigned)atoi(f[0]) ||
	    r->column != (unsigned)atoi(f[1]))
		fail_case(name, "ref %zu: at %u:%u, want %s:%s", i, r->line,
		    r->column, f[0], f[1]);
	if (strcmp(f[2], "-") == 0 ? r->stage != NULL : (r->stage == NULL ||
	    strcmp(r->stage, f[2]) != 0))
		fail_case(name, "ref %zu: stage %s, want %s", i,
		    r->stage != NULL ? r->stage : "-", f[2]);
	if (r->final_stage != atoi(f[3]))
		fail_case(name, "ref %zu: final %d, want %s", i,
		    r->final_stage, f[3]);
	if (strlen(f[4]) >= sizeof text)
		fail_msg("%s: ref %zu: text too long", name, i);
	unescape(f[4], text);
	if (strcmp(r->text, text) != 0)
		fail_case(name, "ref %zu: text '%s', want '%s'", i, r->text,
		    text);
	check_result(name, i, r, f[5]);
}

static void
check_refs(const char *name, const struct scan_result *sr, char *expect)
{
	char	*cursor = expect, *line;
	size_t	 i = 0;

	while ((line = next_line(&cursor)) != NULL) {
		if (i < sr->nrefs)
			check_ref(name, i, &sr->refs[i], line);
		i++;
	}
	if (i != sr->nrefs)
		fail_case(name, "%zu references, want %zu", sr->nrefs, i);
}

static void
check_heredoc(const char *name, const struct dockerfile_instr *in,
    size_t h, char **f, int nf)
{
	const struct dockerfile_heredoc	*hd;
	char				*body;
	size_t				 n;

	if (h >= in->nheredocs || nf != 4) {
		fail_case(name, "line %u: heredoc %zu missing", in->line, h);
		return;
	}
	hd = &in->heredocs[h];
	body = xmalloc(strlen(f[3]) + 1);
	n = unescape(f[3], body);
	if (strcmp(hd->name, f[1]) != 0 ||
	    hd->terminated != atoi(f[2]) || hd->bodylen != n ||
	    memcmp(hd->body, body, n) != 0)
		fail_case(name, "line %u: heredoc %s (terminated %d) body "
		    "'%s', want %s (%s) '%s'", in->line, hd->name,
		    hd->terminated, hd->body, f[1], f[2], f[3]);
	free(body);
}

static void
check_instr(const char *name, const struct dockerfile_instr *in, char **f,
    int nf)
{
	char	*args;
	size_t	 n;

	if (nf != 4) {
		fail_case(name, "instruction lines have 4 fields");
		return;
	}
	args = xmalloc(strlen(f[3]) + 1);
	n = unescape(f[3], args);
	if (in->line != (unsigned)atoi(f[0]) ||
	    in->column != (unsigned)atoi(f[1]) ||
	    strcmp(in->keyword, f[2]) != 0 || in->argslen != n ||
	    memcmp(in->args, args, n) != 0)
		fail_case(name, "instruction %u:%u %s '%s', want %s:%s %s "
		    "'%s'", in->line, in->column, in->keyword, in->args,
		    f[0], f[1], f[2], f[3]);
	free(args);
}

/* Compare the parse with a .instrs file; heredocs follow their owner. */
static void
check_instrs(const char *name, const struct dockerfile *df, char *expect)
{
	char				*cursor = expect, *line, *f[4];
	const struct dockerfile_instr	*in = NULL;
	size_t				 i = 0, h = 0;
	int				 nf;

	while ((line = next_line(&cursor)) != NULL) {
		nf = testlib_split(line, f, 4);
		if (strcmp(f[0], "<<") == 0) {
			if (in != NULL)
				check_heredoc(name, in, h++, f, nf);
			continue;
		}
		if (in != NULL && h != in->nheredocs)
			fail_case(name, "line %u: %zu heredocs, want %zu",
			    in->line, in->nheredocs, h);
		in = i < df->ninstrs ? &df->instrs[i] : NULL;
		if (in != NULL)
			check_instr(name, in, f, nf);
		i++;
		h = 0;
	}
	if (in != NULL && h != in->nheredocs)
		fail_case(name, "line %u: %zu heredocs, want %zu", in->line,
		    in->nheredocs, h);
	if (i != df->ninstrs)
		fail_case(name, "%zu instructions, want %zu", df->ninstrs, i);
}

static void
run_case(const char *dir, const char *name)
{
	struct scan_result	 sr;
	struct dockerfile	*df;
	char			*path, *buf, *expect;
	size_t			 len;

	path = testlib_path("%s/%s.df", dir, name);
	buf = testlib_read_file(path, &len);
	if (buf == NULL)
		fail_msg("%s: cannot read", path);
	free(path);
	path = testlib_path("%s/%s.refs", dir, name);
	expect = testlib_read_text(path);
	if (expect == NULL)
		fail_msg("%s: missing", path);
	free(path);
	scan_result_init(&sr);
	scan_dockerfile(&sr, name, buf, len);
	check_refs(name, &sr, expect);
	scan_result_free(&sr);
	free(expect);
	path = testlib_path("%s/%s.instrs", dir, name);
	expect = testlib_read_text(path);
	free(path);
	if (expect != NULL) {
		df = dockerfile_parse(buf, len);
		check_instrs(name, df, expect);
		dockerfile_free(df);
		free(expect);
	}
	free(buf);
}

static int
compare_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Names in dir, sorted; with suffix, those ending in it (suffix cut). */
static size_t
list_dir(const char *dir, const char *suffix, char ***names)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0, l, sl = suffix != NULL ? strlen(suffix) : 0;

	*names = NULL;
	d = opendir(dir);
	if (d == NULL)
		fail_msg("%s: cannot open", dir);
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (e->d_name[0] == '.' || (suffix != NULL && (l <= sl ||
		    strcmp(e->d_name + l - sl, suffix) != 0)))
			continue;
		*names = xreallocarray(*names, n + 1, sizeof **names);
		(*names)[n++] = xstrndup(e->d_name, l - sl);
	}
	closedir(d);
	qsort(*names, n, sizeof **names, compare_names);
	return (n);
}

static void
free_names(char **names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
test_dockerfile_cases(void **state)
{
	char	*dir, **names;
	size_t	 n, i;

	(void)state;
	dir = testlib_path("%s/dockerfile", testlib_datadir());
	n = list_dir(dir, ".df", &names);
	failures = 0;
	for (i = 0; i < n; i++)
		run_case(dir, names[i]);
	free_names(names, n);
	free(dir);
	if (n < MIN_CASES)
		fail_msg("%zu cases in %s, expected at least %d", n, dir,
		    MIN_CASES);
	assert_int_equal(failures, 0);
}

/* Decode a Go-quoted string at *p (strconv.Quote) into out. */
static int
go_unquote(const char **p, struct buf *out)
{
	const char	*s = *p + 1;
	unsigned long	 cp;
	char		 c, hex[9];
	int		 w;

	while (*s != '"') {
		if (*s == '\0')
			return (-1);
		c = *s++;
		if (c == '\\') {
			c = *s++;
			w = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
			if (w != 0) {
				if (strlen(s) < (size_t)w)
					return (-1);
				memcpy(hex, s, (size_t)w);
				hex[w] = '\0';
				cp = strtoul(hex, NULL, 16);
				s += w;
				if (c == 'x' || cp < 0x80)
					c = (char)cp;
				else if (cp < 0x800) {
					buf_addc(out, (char)(0xc0 | cp >> 6));
					c = (char)(0x80 | (cp & 0x3f));
				} else {
					buf_addc(out, (char)(0xe0 | cp >> 12));
					buf_addc(out, (char)(0x80 |
					    ((cp >> 6) & 0x3f)));
					c = (char)(0x80 | (cp & 0x3f));
				}
			} else if (c != '\0' && strchr("tnrabfv", c) != NULL)
				c = "\t\n\r\a\b\f\v"[strchr("tnrabfv", c) -
				    "tnrabfv"];
		}
		buf_addc(out, c);
	}
	*p = s + 1;
	return (0);
}

/* Our FROM arguments split at blanks must be the (from "...") strings. */
static void
check_from(const char *name, const struct dockerfile_instr *in,
    const char *rl)
{
	struct buf	 want;
	const char	*p = rl + 5, *a = in->args, *e;
	size_t		 n;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '[') {
			p = strchr(p, ']');
			if (p == NULL)
				break;
			p++;
			continue;
		}
		if (*p != '"')
			break;
		buf_init(&want, 4096);
		if (go_unquote(&p, &want) != 0)
			fail_msg("%s: bad result line %s", name, rl);
		while (*a == ' ' || *a == '\t')
			a++;
		for (e = a; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			;
		n = (size_t)(e - a);
		if (n != want.len || memcmp(a, want.data, n) != 0)
			fail_case(name, "FROM '%s', result has '%s'", in->args,
			    want.data);
		a = e;
		buf_deinit(&want);
	}
	while (*a == ' ' || *a == '\t')
		a++;
	if (*a != '\0')
		fail_case(name, "FROM '%s' has more than %s", in->args, rl);
}

/* A shell-form RUN, CMD or ENTRYPOINT: the one string is our arguments. */
static void
check_shell(const char *name, const struct dockerfile_instr *in,
    const char *rl)
{
	struct buf	 want;
	const char	*p = strchr(rl, ' ');

	if (in->json || p == NULL)
		return;
	p++;
	if (*p == '[') {
		p = strchr(p, ']');
		if (p == NULL || p[1] != ' ')
			return;
		p += 2;
	}
	buf_init(&want, strlen(p) + 1);
	if (*p != '"' || go_unquote(&p, &want) != 0 || strcmp(p, ")") != 0)
		fail_case(name, "unexpected result line %s", rl);
	else if (want.len != in->argslen ||
	    memcmp(want.data, in->args, want.len) != 0)
		fail_case(name, "%s '%s', result has '%s'", in->keyword,
		    in->args, want.data);
	buf_deinit(&want);
}

static void
run_buildkit(const char *dir, const char *name)
{
	struct dockerfile	*df;
	char			*path, *buf, *result, *cursor, *line;
	char			 kw[32];
	size_t			 len, i = 0, k;

	path = testlib_path("%s/%s/Dockerfile", dir, name);
	buf = testlib_read_file(path, &len);
	free(path);
	path = testlib_path("%s/%s/result", dir, name);
	result = testlib_read_text(path);
	free(path);
	if (buf == NULL || result == NULL)
		fail_msg("%s: Dockerfile or result missing", name);
	df = dockerfile_parse(buf, len);
	cursor = result;
	while ((line = next_line(&cursor)) != NULL) {
		for (k = 0; line[0] == '(' && k + 1 < sizeof kw &&
		    line[k + 1] >= 'a' && line[k + 1] <= 'z'; k++)
			kw[k] = line[k + 1];
		kw[k] = '\0';
		if (i >= df->ninstrs)
			fail_case(name, "missing instruction %zu (%s)", i, kw);
		else if (strcmp(df->instrs[i].keyword, kw) != 0)
			fail_case(name, "instruction %zu is %s, want %s", i,
			    df->instrs[i].keyword, kw);
		else if (strcmp(kw, "from") == 0)
			check_from(name, &df->instrs[i], line);
		else if (strcmp(kw, "run") == 0 || strcmp(kw, "cmd") == 0 ||
		    strcmp(kw, "entrypoint") == 0)
			check_shell(name, &df->instrs[i], line);
		i++;
	}
	if (df->ninstrs != i)
		fail_case(name, "%zu instructions, want %zu", df->ninstrs, i);
	dockerfile_free(df);
	free(buf);
	free(result);
}

static void
test_dockerfile_buildkit(void **state)
{
	char	*dir, **names;
	size_t	 n, i;

	(void)state;
	dir = testlib_path("%s/buildkit", testlib_datadir());
	n = list_dir(dir, NULL, &names);
	failures = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], "README.md") != 0)
			run_buildkit(dir, names[i]);
	}
	free_names(names, n);
	free(dir);
	assert_int_equal(n, BUILDKIT_CASES + 1);
	assert_int_equal(failures, 0);
}

/* Variables for the expansion table: name=value, or no value (unknown). */
struct expand_var {
	char	 name[64];
	char	 value[256];
	size_t	 len;
	int	 state;
};

static struct expand_var	 expand_vars[32];
static size_t			 nexpand_vars;

static enum dockerfile_var
expand_lookup(void *arg, const char *name, size_t n, const char **value,
    size_t *len, char **problem)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < nexpand_vars; i++) {
		if (strlen(expand_vars[i].name) != n ||
		    memcmp(expand_vars[i].name, name, n) != 0)
			continue;
		if (expand_vars[i].state == DOCKERFILE_VAR_SET) {
			*value = expand_vars[i].value;
			*len = expand_vars[i].len;
		} else
			xasprintf(problem, "no value for %s",
			    expand_vars[i].name);
		return (expand_vars[i].state);
	}
	xasprintf(problem, "%.*s unset", (int)n, name);
	return (DOCKERFILE_VAR_UNSET);
}

/* expand.txt is literal but for ^@, which stands for a NUL byte. */
static size_t
unnul(const char *s, char *out)
{
	size_t	 n = 0;

	while (*s != '\0') {
		if (s[0] == '^' && s[1] == '@') {
			out[n++] = '\0';
			s += 2;
		} else
			out[n++] = *s++;
	}
	out[n] = '\0';
	return (n);
}

/* A set, unknown or escape line of expand.txt (fields split by tabs). */
static int
expand_directive(char *line, char *esc)
{
	struct expand_var	*v;
	char			*f[3];
	int			 nf;

	if (strncmp(line, "escape\t", 7) == 0) {
		*esc = line[7];
		return (1);
	}
	if (strncmp(line, "set\t", 4) != 0 &&
	    strncmp(line, "unknown\t", 8) != 0)
		return (0);
	nf = testlib_split(line, f, 3);
	if (nexpand_vars == sizeof expand_vars / sizeof expand_vars[0] ||
	    nf < 2 || strlen(f[1]) >= sizeof v->name ||
	    (nf == 3 && strlen(f[2]) >= sizeof v->value))
		fail_msg("expand.txt: bad line %s", line);
	v = &expand_vars[nexpand_vars++];
	snprintf(v->name, sizeof v->name, "%s", f[1]);
	v->state = f[0][0] == 's' ? DOCKERFILE_VAR_SET :
	    DOCKERFILE_VAR_UNKNOWN;
	v->len = nf == 3 ? unnul(f[2], v->value) : 0;
	return (1);
}

static void
expand_one(char *line, char esc)
{
	struct buf	 out;
	char		*f[2] = { "", "" }, *problem, *in, *want;
	size_t		 n, wn;
	int		 rc, ok;

	if (testlib_split(line, f, 2) != 2 ||
	    (f[1][0] != '=' && f[1][0] != '?'))
		fail_msg("expand.txt: bad line %s", line);
	in = xmalloc(strlen(f[0]) + 1);
	n = unnul(f[0], in);
	want = xmalloc(strlen(f[1]) + 1);
	wn = unnul(f[1] + 1, want);
	buf_init(&out, 1024);
	rc = dockerfile_expand(in, n, esc, expand_lookup, NULL, &out,
	    &problem);
	if (f[1][0] == '=')
		ok = rc == 0 && out.len == wn && (wn == 0 ||
		    memcmp(out.data, want, wn) == 0);
	else
		ok = rc != 0 && problem != NULL && strstr(problem, want) !=
		    NULL;
	if (!ok)
		fail_case("expand.txt", "%s gave '%s' (%s), want %s", f[0],
		    out.data != NULL ? out.data : "",
		    problem != NULL ? problem : "ok", f[1]);
	free(problem);
	free(in);
	free(want);
	buf_deinit(&out);
}

static void
test_dockerfile_expand(void **state)
{
	char	*path, *text, *cursor, *line, esc = '\\';
	int	 cases = 0;

	(void)state;
	path = testlib_path("%s/dockerfile/expand.txt", testlib_datadir());
	text = testlib_read_text(path);
	if (text == NULL)
		fail_msg("%s: missing", path);
	free(path);
	failures = 0;
	nexpand_vars = 0;
	cursor = text;
	while ((line = next_line(&cursor)) != NULL) {
		if (expand_directive(line, &esc))
			continue;
		expand_one(line, esc);
		cases++;
	}
	free(text);
	assert_true(cases >= 20);
	assert_int_equal(failures, 0);
}

/* A long single line parses in linear time (a quadratic parser would not
 * finish 4 MB in seconds). */
static void
test_dockerfile_long_line(void **state)
{
	struct scan_result	 sr;
	struct dockerfile	*df;
	size_t			 len = 4 * 1024 * 1024, i;
	char			*buf;
	clock_t			 t0;

	(void)state;
	buf = xmalloc(len);
	memcpy(buf, "FROM a AS b\nRUN --mount=from=", 30);
	for (i = 30; i < len; i++)
		buf[i] = "x<${\"' \\$"[i % 9];
	t0 = clock();
	df = dockerfile_parse(buf, len);
	assert_int_equal(df->ninstrs, 2);
	assert_string_equal(df->instrs[1].keyword, "run");
	dockerfile_free(df);
	scan_result_init(&sr);
	scan_dockerfile(&sr, "Dockerfile", buf, len);
	assert_true(sr.nrefs >= 1);
	scan_result_free(&sr);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dockerfile_cases),
		cmocka_unit_test(test_dockerfile_buildkit),
		cmocka_unit_test(test_dockerfile_expand),
		cmocka_unit_test(test_dockerfile_long_line),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
