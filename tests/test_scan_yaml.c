#include "autoconf.h"

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "buf.h"
#include "scan-yaml.h"
#include "scan.h"
#include "xmalloc.h"

/*
 * Table-driven from tests/data/yaml: each <case>.yaml is scanned as the
 * kind its <case>.expect names, and what it finds must be exactly what the
 * .expect file lists, in order (the format is in tests/data/yaml/README).
 * Inputs too big to commit (deep nesting, many anchors, huge scalars) are
 * generated below.
 */

#define CASES_MIN	25

struct yaml_case {
	char	*name;
	char	*test_name;
};

static const char *
data_dir(void)
{
	static char	*dir;
	const char	*top;

	if (dir != NULL)
		return (dir);
	top = getenv("top_srcdir");
	if (getenv("TESTDATA") != NULL)
		dir = xstrdup(getenv("TESTDATA"));
	else if (top != NULL)
		xasprintf(&dir, "%s/tests/data", top);
	else
		dir = xstrdup("tests/data");
	return (dir);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*s;
	long	 n;

	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	s = xmalloc((size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return (s);
}

static enum scan_kind
kind_by_name(const char *name)
{
	enum scan_kind	 k;

	for (k = SCAN_COMPOSE; k <= SCAN_GITLAB_CI; k++) {
		if (strcmp(scan_kind_name(k), name) == 0)
			return (k);
	}
	fail_msg("unknown kind '%s'", name);
	return (SCAN_NONE);
}

static void
dump_result(const struct scan_result *sr)
{
	const struct scan_ref	*r;
	char			*c;
	size_t			 i;

	for (i = 0; i < sr->nrefs; i++) {
		r = &sr->refs[i];
		if (r->resolved) {
			c = ref_canonical(&r->ref);
			print_message("  got: ref %u:%u %s => %s\n", r->line,
			    r->column, r->text, c);
			free(c);
		} else
			print_message("  got: problem %u:%u %s => %s\n",
			    r->line, r->column, r->text, r->problem);
	}
	for (i = 0; i < sr->nskips; i++)
		print_message("  got: skip => %s\n", sr->skips[i].reason);
}

/* Check one reference against an expectation line "ref L:C TEXT => X". */
static int
check_ref(const struct scan_ref *r, const char *file, enum scan_kind kind,
    const char *line)
{
	const char	*sep;
	char		*text, *canon;
	unsigned	 l, c;
	int		 n = 0, problem, ok;

	problem = strncmp(line, "problem ", 8) == 0;
	if (sscanf(line + (problem ? 8 : 4), "%u:%u %n", &l, &c, &n) != 2 ||
	    n == 0)
		fail_msg("bad expectation: %s", line);
	sep = strstr(line, " => ");
	if (sep == NULL)
		fail_msg("no ' => ' in expectation: %s", line);
	text = xstrndup(line + (problem ? 8 : 4) + n,
	    (size_t)(sep - (line + (problem ? 8 : 4) + n)));
	ok = r->line == l && r->column == c && strcmp(r->text, text) == 0 &&
	    strcmp(r->file, file) == 0 && r->kind == kind &&
	    r->stage == NULL && r->final_stage == (kind == SCAN_COMPOSE ||
	    kind == SCAN_KUBERNETES);
	if (ok && problem)
		ok = !r->resolved && strstr(r->problem, sep + 4) != NULL;
	else if (ok) {
		ok = r->resolved;
		if (ok) {
			canon = ref_canonical(&r->ref);
			ok = strcmp(canon, sep + 4) == 0;
			free(canon);
		}
	}
	if (!ok)
		print_message("mismatch: want %s\n", line);
	free(text);
	return (ok);
}

/* Compare a scan result with the lines of an .expect file. */
static void
check_expect(const struct scan_result *sr, const char *file,
    enum scan_kind kind, char **lines, size_t nlines)
{
	size_t	 i, nref = 0, nskip = 0;
	int	 ok = 1;

	for (i = 0; i < nlines; i++) {
		if (strncmp(lines[i], "skip => ", 8) == 0) {
			if (nskip >= sr->nskips ||
			    strstr(sr->skips[nskip].reason, lines[i] + 8) ==
			    NULL) {
				print_message("mismatch: want %s\n", lines[i]);
				ok = 0;
			}
			nskip++;
		} else if (strncmp(lines[i], "ref ", 4) == 0 ||
		    strncmp(lines[i], "problem ", 8) == 0) {
			if (nref >= sr->nrefs || !check_ref(&sr->refs[nref],
			    file, kind, lines[i])) {
				if (nref >= sr->nrefs)
					print_message("missing: %s\n",
					    lines[i]);
				ok = 0;
			}
			nref++;
		}
	}
	if (nref != sr->nrefs || nskip != sr->nskips) {
		print_message("want %zu refs and %zu skips, got %zu and %zu\n",
		    nref, nskip, sr->nrefs, sr->nskips);
		ok = 0;
	}
	if (!ok) {
		dump_result(sr);
		fail_msg("%s: scan result differs from its .expect", file);
	}
}

static void
test_scan_yaml_case(void **state)
{
	const struct yaml_case	*c = *state;
	struct scan_result	 sr;
	enum scan_kind		 kind = SCAN_NONE;
	char			*path, *expect, *input, *file, **lines = NULL;
	char			*p, *nl;
	size_t			 len, nlines = 0;

	xasprintf(&path, "%s/yaml/%s.expect", data_dir(), c->name);
	expect = read_file(path, &len);
	free(path);
	for (p = expect; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			fail_msg("%s.expect: unterminated last line",
			    c->name);
		*nl = '\0';
		if (strncmp(p, "kind ", 5) == 0)
			kind = kind_by_name(p + 5);
		else if (*p != '\0' && *p != '#') {
			lines = xreallocarray(lines, nlines + 1, sizeof *lines);
			lines[nlines++] = p;
		}
	}
	assert_int_not_equal(kind, SCAN_NONE);

	xasprintf(&file, "%s.yaml", c->name);
	xasprintf(&path, "%s/yaml/%s", data_dir(), file);
	input = read_file(path, &len);
	scan_result_init(&sr);
	scan_yaml(&sr, file, kind, input, len);
	check_expect(&sr, file, kind, lines, nlines);
	scan_result_free(&sr);

	free(path);
	free(file);
	free(input);
	free(lines);
	free(expect);
}

static int
case_compare(const void *a, const void *b)
{
	return (strcmp(((const struct yaml_case *)a)->name,
	    ((const struct yaml_case *)b)->name));
}

static struct yaml_case *
list_cases(size_t *n)
{
	struct yaml_case	*cases = NULL;
	struct dirent		*de;
	DIR			*d;
	char			*dir;
	size_t			 len;

	*n = 0;
	xasprintf(&dir, "%s/yaml", data_dir());
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return (NULL);
	for (;;) {
		de = readdir(d);
		if (de == NULL)
			break;
		len = strlen(de->d_name);
		if (len <= 7 || strcmp(de->d_name + len - 7, ".expect") != 0)
			continue;
		cases = xreallocarray(cases, *n + 1, sizeof *cases);
		cases[*n].name = xstrndup(de->d_name, len - 7);
		xasprintf(&cases[*n].test_name, "test_scan_yaml_%s",
		    cases[*n].name);
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(cases, *n, sizeof *cases, case_compare);
	return (cases);
}

static void
test_scan_yaml_cases_found(void **state)
{
	size_t	 n = *(size_t *)*state;

	if (n < CASES_MIN)
		fail_msg("%zu cases in %s/yaml, want at least %d (set "
		    "TESTDATA?)", n, data_dir(), CASES_MIN);
}

/* Scan generated text, as kind, into sr. */
static void
scan_text(struct scan_result *sr, enum scan_kind kind, const char *s,
    size_t len)
{
	scan_result_init(sr);
	scan_yaml(sr, "gen.yaml", kind, s, len);
}

static const char pod[] = "kind: Pod\nspec:\n  containers:\n"
    "  - image: nginx:1.25\n";

/* A valid pod, then a document nested n deep made of open, then close. */
static char *
deep_text(const char *open, const char *middle, const char *close, int n,
    size_t *len)
{
	struct buf	 b;
	int		 i;

	buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(buf_adds(&b, pod), 0);
	assert_int_equal(buf_adds(&b, "---\n"), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_adds(&b, open), 0);
	assert_int_equal(buf_adds(&b, middle), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_adds(&b, close), 0);
	assert_int_equal(buf_adds(&b, "\n"), 0);
	*len = b.len;
	return (buf_take(&b));
}

static void
check_deep(const char *open, const char *close)
{
	struct scan_result	 sr;
	char			*s;
	size_t			 len;

	s = deep_text(open, "x", close, 10000, &len);
	scan_text(&sr, SCAN_KUBERNETES, s, len);
	assert_int_equal(sr.nrefs, 1);
	assert_int_equal(sr.refs[0].line, 4);
	assert_int_equal(sr.nskips, 1);
	assert_non_null(strstr(sr.skips[0].reason,
	    "nested deeper than 512 levels at line 6"));
	scan_result_free(&sr);
	free(s);
}

static void
test_scan_yaml_deep_flow_sequence(void **state)
{
	(void)state;
	check_deep("[", "]");
}

static void
test_scan_yaml_deep_flow_mapping(void **state)
{
	(void)state;
	check_deep("{a: ", "}");
}

static void
test_scan_yaml_deep_block_sequence(void **state)
{
	(void)state;
	check_deep("- ", "");
}

/* Nesting under the limit is scanned: containers 500 levels down. */
static void
test_scan_yaml_deep_but_allowed(void **state)
{
	struct scan_result	 sr;
	char			*s;
	size_t			 len;

	(void)state;
	s = deep_text("{a: ", "{containers: [{image: 'redis:7'}]}", "}", 500,
	    &len);
	scan_text(&sr, SCAN_KUBERNETES, s, len);
	assert_int_equal(sr.nskips, 0);
	assert_int_equal(sr.nrefs, 2);
	assert_int_equal(sr.refs[1].line, 6);
	assert_string_equal(sr.refs[1].text, "redis:7");
	assert_int_equal(sr.refs[1].column, 500 * 4 + 24);
	scan_result_free(&sr);
	free(s);
}

/*
 * Many anchors and aliases: libyaml's own loader looks anchors up by linear
 * search (quadratic); ours must stay linear.  100,000 take seconds there.
 */
static void
test_scan_yaml_many_anchors(void **state)
{
	struct scan_result	 sr;
	struct buf		 b;
	clock_t			 t0;
	double			 secs;
	int			 i, n = 100000;

	(void)state;
	buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(buf_adds(&b, "defs:\n"), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b, "- &a%d {image: 'app:%d'}\n",
		    i, i % 1000), 0);
	assert_int_equal(buf_adds(&b, "containers:\n"), 0);
	for (i = n - 1; i >= 0; i--)
		assert_int_equal(buf_printf(&b, "- *a%d\n", i), 0);
	t0 = clock();
	scan_text(&sr, SCAN_KUBERNETES, b.data, b.len);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(sr.nskips, 0);
	assert_int_equal(sr.nrefs, (size_t)n);
	assert_int_equal(sr.refs[0].line, (unsigned)n + 1);
	assert_string_equal(sr.refs[0].text, "app:999");
	if (secs > 10.0)
		fail_msg("%d anchors took %.1f s", n, secs);
	scan_result_free(&sr);
	buf_deinit(&b);
}

/* A huge scalar, aliased a thousand times: one problem, linear work. */
static void
test_scan_yaml_huge_scalar(void **state)
{
	struct scan_result	 sr;
	struct buf		 b;
	size_t			 i, big = 8 * 1024 * 1024;
	clock_t			 t0;

	(void)state;
	buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(buf_adds(&b, "big: &big \"node:"), 0);
	for (i = 0; i < big; i++)
		assert_int_equal(buf_addc(&b, 'x'), 0);
	assert_int_equal(buf_adds(&b, "\"\ncontainers:\n"), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_adds(&b, "- {image: *big}\n"), 0);
	t0 = clock();
	scan_text(&sr, SCAN_KUBERNETES, b.data, b.len);
	assert_int_equal(sr.nskips, 0);
	assert_int_equal(sr.nrefs, 1);
	assert_false(sr.refs[0].resolved);
	assert_int_equal(sr.refs[0].line, 1);
	assert_int_equal(sr.refs[0].column, 12);
	assert_int_equal(strlen(sr.refs[0].text), big + 5);
	if ((double)(clock() - t0) / CLOCKS_PER_SEC > 10.0)
		fail_msg("huge scalar took too long");
	scan_result_free(&sr);
	buf_deinit(&b);
}

/*
 * Work that grows as the product of two sizes (a 2,000-container list
 * aliased under 5,000 keys) stops at the budget with a skip, keeping what
 * was found.
 */
static void
test_scan_yaml_work_budget(void **state)
{
	struct scan_result	 sr;
	struct buf		 b;
	int			 i;

	(void)state;
	buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(buf_adds(&b, "list: &list\n"), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(buf_printf(&b, "- {image: 'app:%d'}\n", i), 0);
	assert_int_equal(buf_adds(&b, "uses:\n"), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(buf_adds(&b, "- containers: *list\n"), 0);
	scan_text(&sr, SCAN_KUBERNETES, b.data, b.len);
	assert_int_equal(sr.nrefs, 2000);
	assert_int_equal(sr.nskips, 1);
	assert_non_null(strstr(sr.skips[0].reason, "too costly"));
	scan_result_free(&sr);
	buf_deinit(&b);
}

/* CRLF line ends count as one line break. */
static void
test_scan_yaml_crlf(void **state)
{
	struct scan_result	 sr;
	const char		*s = "services:\r\n  web:\r\n"
	    "    image: &i\r\n      \"nginx:1.25\"\r\n  api:\r\n"
	    "    image: redis:7\r\n";

	(void)state;
	scan_text(&sr, SCAN_COMPOSE, s, strlen(s));
	assert_int_equal(sr.nrefs, 2);
	assert_int_equal(sr.refs[0].line, 3);
	assert_int_equal(sr.refs[0].column, 8);
	assert_int_equal(sr.refs[1].line, 6);
	assert_int_equal(sr.refs[1].column, 12);
	scan_result_free(&sr);
}

/* A UTF-8 byte order mark is not a column; NUL bytes are invalid YAML. */
static void
test_scan_yaml_bom_and_nul(void **state)
{
	struct scan_result	 sr;
	const char		 bom[] = "\xef\xbb\xbfservices:\n  web:\n"
	    "    image: !!str nginx:1.25\n";
	const char		 nul[] = "services:\n  web:\n    image: a\0b\n";

	(void)state;
	scan_text(&sr, SCAN_COMPOSE, bom, sizeof bom - 1);
	assert_int_equal(sr.nrefs, 1);
	assert_int_equal(sr.refs[0].column, 18);
	assert_true(sr.refs[0].resolved);
	scan_result_free(&sr);

	scan_text(&sr, SCAN_COMPOSE, nul, sizeof nul - 1);
	assert_int_equal(sr.nrefs, 0);
	assert_int_equal(sr.nskips, 1);
	assert_non_null(strstr(sr.skips[0].reason, "invalid YAML at line 3"));
	scan_result_free(&sr);
}

/* An escaped NUL inside a quoted image is reported, not truncated. */
static void
test_scan_yaml_escaped_nul(void **state)
{
	struct scan_result	 sr;
	const char		*s = "services:\n  web:\n"
	    "    image: \"nginx\\0:evil\"\n";

	(void)state;
	scan_text(&sr, SCAN_COMPOSE, s, strlen(s));
	assert_int_equal(sr.nrefs, 1);
	assert_false(sr.refs[0].resolved);
	assert_non_null(strstr(sr.refs[0].problem, "NUL"));
	scan_result_free(&sr);
}

/* Every data file under every kind: no crash, same answer twice. */
static void
test_scan_yaml_all_kinds(void **state)
{
	const struct yaml_case	*cases = *state;
	struct scan_result	 a, b;
	enum scan_kind		 k;
	char			*path, *input;
	size_t			 i, len;

	for (i = 0; cases != NULL && cases[i].name != NULL; i++) {
		xasprintf(&path, "%s/yaml/%s.yaml", data_dir(), cases[i].name);
		input = read_file(path, &len);
		for (k = SCAN_COMPOSE; k <= SCAN_GITLAB_CI; k++) {
			scan_text(&a, k, input, len);
			scan_text(&b, k, input, len);
			assert_int_equal(a.nrefs, b.nrefs);
			assert_int_equal(a.nskips, b.nskips);
			scan_result_free(&a);
			scan_result_free(&b);
		}
		free(input);
		free(path);
	}
}

int
main(void)
{
	struct CMUnitTest	*tests;
	struct yaml_case	*cases;
	const struct CMUnitTest	 fixed[] = {
		cmocka_unit_test(test_scan_yaml_deep_flow_sequence),
		cmocka_unit_test(test_scan_yaml_deep_flow_mapping),
		cmocka_unit_test(test_scan_yaml_deep_block_sequence),
		cmocka_unit_test(test_scan_yaml_deep_but_allowed),
		cmocka_unit_test(test_scan_yaml_many_anchors),
		cmocka_unit_test(test_scan_yaml_huge_scalar),
		cmocka_unit_test(test_scan_yaml_work_budget),
		cmocka_unit_test(test_scan_yaml_crlf),
		cmocka_unit_test(test_scan_yaml_bom_and_nul),
		cmocka_unit_test(test_scan_yaml_escaped_nul),
	};
	size_t			 nfixed = sizeof fixed / sizeof fixed[0];
	size_t			 ncases, n = 0, i;
	int			 rc;

	cases = list_cases(&ncases);
	cases = xreallocarray(cases, ncases + 1, sizeof *cases);
	memset(&cases[ncases], 0, sizeof cases[ncases]);
	tests = xcalloc(nfixed + ncases + 2, sizeof *tests);
	memcpy(tests, fixed, sizeof fixed);
	n = nfixed;
	tests[n].name = "test_scan_yaml_cases_found";
	tests[n].test_func = test_scan_yaml_cases_found;
	tests[n++].initial_state = &ncases;
	tests[n].name = "test_scan_yaml_all_kinds";
	tests[n].test_func = test_scan_yaml_all_kinds;
	tests[n++].initial_state = cases;
	for (i = 0; i < ncases; i++) {
		tests[n].name = cases[i].test_name;
		tests[n].test_func = test_scan_yaml_case;
		tests[n++].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("scan_yaml", tests, n, NULL, NULL);
	for (i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].test_name);
	}
	free(cases);
	free(tests);
	return (rc);
}
