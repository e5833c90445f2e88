/*
 * Tests for src/http-header.c: one vector file per parser under
 * tests/data/http-header/ (formats in the README there and in each file's
 * header), then what tables cannot say well (several lines, ownership).
 * Every input is handed to the parser in a heap buffer of its exact length,
 * without a terminating NUL, so that a sanitizer build catches over-reads.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-header.h"
#include "testlib.h"
#include "xmalloc.h"

#define TEST_HH_FIELDS_MAX	40

typedef int (*test_hh_vector_cb)(const char *, struct testlib_str *,
    size_t);

/* A copy of f in a buffer of exactly its length, without a NUL. */
static char *
test_hh_exact(const struct testlib_str *f)
{
	char	*p;

	p = xmalloc(f->len);
	memcpy(p, f->data, f->len);
	return (p);
}

/*
 * Compare a result with a want field: "-" wants NULL, "error: TEXT" wants
 * a failure whose cause holds TEXT, anything else that exact string.
 */
static int
test_hh_check(const char *where, const char *input, const char *want,
    int rc, const char *got, const char *cause)
{
	const char	*text;

	if (strncmp(want, "error: ", 7) == 0) {
		text = want + 7;
		if (rc == 0 || cause == NULL || strstr(cause, text) == NULL ||
		    got != NULL)
			goto fail;
		return (0);
	}
	if (rc != 0 || cause != NULL)
		goto fail;
	if (strcmp(want, "-") == 0 ? got != NULL :
	    got == NULL || strcmp(got, want) != 0)
		goto fail;
	return (0);
fail:
	print_error("%s: %.100s: want \"%.200s\", got rc %d \"%.200s\" cause "
	    "\"%.200s\"\n", where, input, want, rc, testlib_show(got),
	    testlib_show(cause));
	return (-1);
}

/* Flags named in a field: "-" or a comma-separated list. */
static int
test_hh_flags(const char *s)
{
	int	 flags = 0;

	if (strstr(s, "insecure") != NULL)
		flags |= HTTP_HEADER_INSECURE;
	if (strstr(s, "private") != NULL)
		flags |= HTTP_HEADER_PRIVATE_REALM;
	if (strstr(s, "cross-origin") != NULL)
		flags |= HTTP_HEADER_CROSS_ORIGIN;
	return (flags);
}

/* Run every vector of tests/data/http-header/name; assert at least min. */
static void
test_hh_run(const char *name, size_t nfields, test_hh_vector_cb cb,
    size_t min)
{
	struct testlib_str	 fields[TEST_HH_FIELDS_MAX + 1];
	char			*path, *line = NULL, *where;
	size_t			 linesize = 0, lineno = 0, nf;
	size_t			 vectors = 0, failures = 0;
	FILE			*fp;

	fp = testlib_open(&path, "http-header/%s", name);
	while (testlib_line(fp, &line, &linesize, &lineno) != NULL) {
		vectors++;
		xasprintf(&where, "%s:%zu", name, lineno);
		nf = testlib_fields(line, TESTLIB_EXPAND_HEX, fields,
		    TEST_HH_FIELDS_MAX);
		if (nf > TEST_HH_FIELDS_MAX || (nfields != 0 &&
		    nf != nfields)) {
			print_error("%s: %zu fields\n", where, nf);
			failures++;
		} else if (cb(where, fields, nf) != 0)
			failures++;
		testlib_fields_free(fields, nf > TEST_HH_FIELDS_MAX ?
		    TEST_HH_FIELDS_MAX : nf);
		free(where);
	}
	assert_false(ferror(fp));
	fclose(fp);
	free(line);
	print_message("%s: %zu vectors, %zu failed\n", path, vectors,
	    failures);
	free(path);
	assert_int_equal(failures, 0);
	assert_true(vectors >= min);
}

/* The challenge list as the vector files write it. */
static char *
test_hh_auth_dump(const struct http_header_auth *a)
{
	struct testlib_str	 out = { NULL, 0, 0 };
	const struct http_header_challenge *c;
	size_t			 i, j;

	testlib_str_add(&out, a->n == 0 ? "-" : "", a->n == 0 ? 1 : 0);
	for (i = 0; i < a->n; i++) {
		c = &a->list[i];
		if (i > 0)
			testlib_str_adds(&out, " | ");
		testlib_str_adds(&out, c->scheme);
		if (c->token68 != NULL) {
			testlib_str_adds(&out, " token68=");
			testlib_str_adds(&out, c->token68);
		}
		for (j = 0; j < c->nparams; j++) {
			testlib_str_adds(&out, " ");
			testlib_str_adds(&out, c->params[j].name);
			testlib_str_adds(&out, "=\"");
			testlib_str_adds(&out, c->params[j].value);
			testlib_str_adds(&out, "\"");
		}
	}
	return (out.data);
}

/* The named fields are the first param of their name. */
static int
test_hh_auth_fields(const struct http_header_auth *a)
{
	const struct http_header_challenge	*c;
	size_t					 i;

	for (i = 0; i < a->n; i++) {
		c = &a->list[i];
		if (c->realm != http_header_challenge_param(c, "realm") ||
		    c->service != http_header_challenge_param(c, "service") ||
		    c->scope != http_header_challenge_param(c, "scope") ||
		    c->error != http_header_challenge_param(c, "error") ||
		    *c->scheme == '\0')
			return (-1);
	}
	return (0);
}

/* Do the causes match the " | "-separated substrings in want? */
static int
test_hh_causes(const char *want, char **causes, size_t n)
{
	const char	*p = want, *bar;
	char		*text;
	size_t		 i = 0;
	int		 ok = 1;

	if (strcmp(want, "-") == 0)
		return (n == 0);
	while (p != NULL) {
		bar = strstr(p, " | ");
		text = xstrndup(p, bar != NULL ? (size_t)(bar - p) : strlen(p));
		if (i >= n || strstr(causes[i], text) == NULL)
			ok = 0;
		free(text);
		i++;
		p = bar != NULL ? bar + 3 : NULL;
	}
	return (ok && i == n);
}

/* line [TAB line]... TAB "=>" TAB dump TAB causes */
static int
test_hh_auth_vector(const char *where, struct testlib_str *f, size_t nf)
{
	struct http_header_auth	 a;
	char			*causes[TEST_HH_FIELDS_MAX], *cause, *in;
	char			*dump = NULL;
	size_t			 k, i, ncauses = 0;
	int			 failed = 0;

	for (k = 0; k < nf && strcmp(f[k].data, "=>") != 0; k++)
		;
	if (k == 0 || k + 3 != nf) {
		print_error("%s: malformed vector\n", where);
		return (-1);
	}
	http_header_auth_init(&a);
	for (i = 0; i < k; i++) {
		cause = NULL;
		in = test_hh_exact(&f[i]);
		if (http_header_auth_add(&a, in, f[i].len, &cause) != 0) {
			if (cause == NULL)
				failed = 1;
			else
				causes[ncauses++] = cause;
		} else if (cause != NULL) {
			failed = 1;
			free(cause);
		}
		free(in);
	}
	dump = test_hh_auth_dump(&a);
	if (failed || strcmp(dump, f[k + 1].data) != 0 ||
	    !test_hh_causes(f[k + 2].data, causes, ncauses) ||
	    test_hh_auth_fields(&a) != 0) {
		print_error("%s: %.100s: got \"%.300s\", %zu rejected "
		    "(first: %s)\n", where, f[0].data, dump, ncauses,
		    ncauses > 0 ? causes[0] : "-");
		failed = 1;
	}
	for (i = 0; i < ncauses; i++)
		free(causes[i]);
	free(dump);
	http_header_auth_deinit(&a);
	return (failed ? -1 : 0);
}

static void
test_http_header_www_authenticate(void **state)
{
	(void)state;
	test_hh_run("www-authenticate.txt", 0, test_hh_auth_vector, 50);
}

/* kind TAB value TAB request-url TAB flags TAB want */
static int
test_hh_link_vector(const char *where, struct testlib_str *f, size_t nf)
{
	char	*in, *got = NULL, *cause = NULL;
	int	 rc, failed;

	(void)nf;
	in = test_hh_exact(&f[1]);
	if (strcmp(f[0].data, "next") == 0)
		rc = http_header_link_next(f[2].data, in, f[1].len,
		    test_hh_flags(f[3].data), &got, &cause);
	else if (strncmp(f[0].data, "rel=", 4) == 0)
		rc = http_header_link_find(in, f[1].len, f[0].data + 4, &got,
		    &cause);
	else {
		print_error("%s: unknown kind %s\n", where, f[0].data);
		free(in);
		return (-1);
	}
	failed = test_hh_check(where, f[1].data, f[4].data, rc, got, cause);
	free(got);
	free(cause);
	free(in);
	return (failed);
}

static void
test_http_header_link(void **state)
{
	(void)state;
	test_hh_run("link.txt", 5, test_hh_link_vector, 40);
}

/* kind TAB value TAB now TAB want */
static int
test_hh_retry_vector(const char *where, struct testlib_str *f, size_t nf)
{
	char	*in, *got = NULL, *cause = NULL;
	long	 delay = -1;
	time_t	 now;
	int	 rc, failed;

	(void)nf;
	now = (time_t)strtoll(f[2].data, NULL, 10);
	in = test_hh_exact(&f[1]);
	if (strcmp(f[0].data, "retry-after") == 0)
		rc = http_header_retry_after(in, f[1].len, now, &delay, &cause);
	else if (strcmp(f[0].data, "x-retry-after") == 0)
		rc = http_header_x_retry_after(in, f[1].len, now, &delay,
		    &cause);
	else {
		print_error("%s: unknown kind %s\n", where, f[0].data);
		free(in);
		return (-1);
	}
	if (rc == 0)
		xasprintf(&got, "%ld", delay);
	else if (delay != 0)
		xasprintf(&got, "delay %ld after an error", delay);
	failed = test_hh_check(where, f[1].data, f[3].data, rc, got, cause);
	free(got);
	free(cause);
	free(in);
	return (failed);
}

static void
test_http_header_retry_after(void **state)
{
	(void)state;
	test_hh_run("retry-after.txt", 4, test_hh_retry_vector, 35);
}

/* now TAB header [TAB header]... TAB "=>" TAB state TAB results */
static int
test_hh_ratelimit_vector(const char *where, struct testlib_str *f,
    size_t nf)
{
	struct http_header_ratelimit	 rl;
	struct testlib_str		 results = { NULL, 0, 0 };
	const char			*colon;
	char				*value, *cause, *got, *name;
	size_t				 k, i, namelen;
	time_t				 now;
	int				 rc, failed = 0;

	for (k = 1; k < nf && strcmp(f[k].data, "=>") != 0; k++)
		;
	if (k == 1 || k + 3 != nf) {
		print_error("%s: malformed vector\n", where);
		return (-1);
	}
	now = (time_t)strtoll(f[0].data, NULL, 10);
	http_header_ratelimit_init(&rl);
	testlib_str_add(&results, "", 0);
	for (i = 1; i < k; i++) {
		colon = memchr(f[i].data, ':', f[i].len);
		namelen = colon != NULL ? (size_t)(colon - f[i].data) : 0;
		name = xstrndup(f[i].data, namelen);
		value = xmalloc(f[i].len - namelen);
		memcpy(value, f[i].data + namelen + (colon != NULL),
		    f[i].len - namelen - (colon != NULL));
		cause = NULL;
		rc = http_header_ratelimit_add(&rl, name, namelen, value,
		    f[i].len - namelen - (colon != NULL), now, &cause);
		if ((rc == -1) != (cause != NULL))
			failed = 1;
		testlib_str_adds(&results, i > 1 ? "," : "");
		testlib_str_adds(&results,
		    rc == 1 ? "1" : rc == 0 ? "0" : "-1");
		free(cause);
		free(value);
		free(name);
	}
	xasprintf(&got, "limit=%ld window=%ld remaining=%ld reset=%ld",
	    rl.limit, rl.window, rl.remaining, rl.reset);
	if (failed || strcmp(got, f[k + 1].data) != 0 ||
	    strcmp(results.data, f[k + 2].data) != 0) {
		print_error("%s: %.100s: got \"%s\" results %s\n", where,
		    f[1].data, got, results.data);
		failed = 1;
	}
	free(got);
	free(results.data);
	return (failed ? -1 : 0);
}

static void
test_http_header_ratelimit(void **state)
{
	(void)state;
	test_hh_run("ratelimit.txt", 0, test_hh_ratelimit_vector, 30);
}

/* value TAB want */
static int
test_hh_content_type_vector(const char *where, struct testlib_str *f,
    size_t nf)
{
	char	*in, *got;
	int	 failed;

	(void)nf;
	in = test_hh_exact(&f[0]);
	got = http_header_content_type(in, f[0].len);
	failed = test_hh_check(where, f[0].data, f[1].data, 0, got, NULL);
	free(got);
	free(in);
	return (failed);
}

static void
test_http_header_content_type(void **state)
{
	(void)state;
	test_hh_run("content-type.txt", 2, test_hh_content_type_vector, 15);
}

/* value TAB want */
static int
test_hh_digest_vector(const char *where, struct testlib_str *f, size_t nf)
{
	char	*in, *got = NULL, *cause = NULL;
	int	 rc, failed;

	(void)nf;
	in = test_hh_exact(&f[0]);
	rc = http_header_digest(in, f[0].len, &got, &cause);
	failed = test_hh_check(where, f[0].data, f[1].data, rc, got, cause);
	free(got);
	free(cause);
	free(in);
	return (failed);
}

static void
test_http_header_digest(void **state)
{
	(void)state;
	test_hh_run("digest.txt", 2, test_hh_digest_vector, 10);
}

/* request-url TAB realm TAB flags TAB want: resolve, then check. */
static int
test_hh_realm_vector(const char *where, struct testlib_str *f, size_t nf)
{
	char	*url = NULL, *cause = NULL;
	int	 rc, failed;

	(void)nf;
	rc = http_header_realm_resolve(f[0].data, f[1].data, &url, &cause);
	if (rc == 0 && http_header_realm_check(url, f[0].data,
	    test_hh_flags(f[2].data), &cause) != 0) {
		rc = -1;
		free(url);
		url = NULL;
	}
	failed = test_hh_check(where, f[1].data, f[3].data, rc, url, cause);
	free(url);
	free(cause);
	return (failed);
}

static void
test_http_header_realm(void **state)
{
	(void)state;
	test_hh_run("realm.txt", 4, test_hh_realm_vector, 35);
}

static void
test_http_header_expand(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
		size_t		 len;
	} t[] = {
		{ "{a*3}", "aaa", 3 },
		{ "x{ab*2}y", "xababy", 6 },
		{ "{H64}", TESTLIB_H64, 64 },
		{ "a{x00}b", "a\0b", 3 },
		{ "{xc3}{xA9}", "\xc3\xa9", 2 },
		{ "{x0}", "{x0}", 4 },
		{ "{xzz}", "{xzz}", 5 },
		{ "{a*0}", "{a*0}", 5 },
		{ "{a*100001}", "{a*100001}", 10 },
		{ "{{a*2}", "{aa", 3 },
		{ "realm=\"{}\"", "realm=\"{}\"", 10 },
		{ "", "", 0 },
	};
	struct testlib_str	 s;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&s, 0, sizeof s);
		testlib_expand(t[i].in, TESTLIB_EXPAND_HEX, &s);
		if (s.len != t[i].len || memcmp(s.data, t[i].out, s.len) != 0)
			fail_msg("%s: expanded to %zu bytes", t[i].in, s.len);
		free(s.data);
	}
}

/* Lines accumulate; a rejected line leaves the list as it was. */
static void
test_http_header_auth_lines(void **state)
{
	struct http_header_auth			 a;
	const struct http_header_challenge	*c;
	struct testlib_str			 many = { NULL, 0, 0 };
	char					*cause = NULL;
	size_t					 i;

	(void)state;
	http_header_auth_init(&a);
	assert_int_equal(http_header_auth_add(&a, "Basic realm=\"r\"", 15,
	    &cause), 0);
	assert_int_equal(http_header_auth_add(&a, "Bearer realm=\"x\",service",
	    24, &cause), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(http_header_auth_add(&a, "Bearer realm=\"y", 15,
	    &cause), -1);
	assert_non_null(strstr(cause, "unterminated"));
	free(cause);
	cause = NULL;
	assert_int_equal(a.n, 3);
	c = http_header_auth_find(&a, "BEARER");
	assert_non_null(c);
	assert_string_equal(c->realm, "x");
	assert_null(c->service);
	assert_null(http_header_auth_find(&a, "digest"));
	assert_string_equal(http_header_challenge_param(c, "REALM"), "x");

	/* 13 more fit (16 in all), then a line of 14 is refused whole. */
	for (i = 0; i < 14; i++)
		testlib_str_adds(&many, "Basic, ");
	assert_int_equal(http_header_auth_add(&a, many.data, many.len,
	    &cause), -1);
	assert_non_null(strstr(cause, "too many challenges"));
	free(cause);
	assert_int_equal(a.n, 3);
	assert_int_equal(http_header_auth_add(&a, many.data, 13 * 7, NULL), 0);
	assert_int_equal(a.n, 16);
	assert_int_equal(http_header_auth_add(&a, "Basic", 5, NULL), -1);
	free(many.data);

	/* The realm is the first one; the raw params keep both. */
	http_header_auth_deinit(&a);
	http_header_auth_init(&a);
	assert_int_equal(http_header_auth_add(&a,
	    "Bearer realm=\"a\",realm=\"b\"", 26, NULL), 0);
	assert_string_equal(a.list[0].realm, "a");
	assert_int_equal(a.list[0].nparams, 2);
	http_header_auth_deinit(&a);
	http_header_auth_deinit(NULL);
}

/* Values are (pointer, length): bytes past the length are never read. */
static void
test_http_header_length_bound(void **state)
{
	const char	*v = "Bearer realm=\"x\"GARBAGE";
	char		*next = NULL, *ct;
	struct http_header_auth	 a;
	long		 delay;

	(void)state;
	http_header_auth_init(&a);
	assert_int_equal(http_header_auth_add(&a, v, 16, NULL), 0);
	assert_string_equal(a.list[0].realm, "x");
	http_header_auth_deinit(&a);
	assert_int_equal(http_header_retry_after("120x", 3, 0, &delay, NULL),
	    0);
	assert_int_equal(delay, 120);
	ct = http_header_content_type("text/plainXYZ", 10);
	assert_string_equal(ct, "text/plain");
	free(ct);
	assert_int_equal(http_header_link_next("https://r.example/v2/",
	    "</v2/x>; rel=next; junk", 17, 0, &next, NULL), 0);
	assert_string_equal(next, "https://r.example/v2/x");
	free(next);
	assert_int_equal(http_header_auth_add(&a, NULL, 0, NULL), -1);
	http_header_auth_deinit(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_header_expand),
		cmocka_unit_test(test_http_header_www_authenticate),
		cmocka_unit_test(test_http_header_link),
		cmocka_unit_test(test_http_header_retry_after),
		cmocka_unit_test(test_http_header_ratelimit),
		cmocka_unit_test(test_http_header_content_type),
		cmocka_unit_test(test_http_header_digest),
		cmocka_unit_test(test_http_header_realm),
		cmocka_unit_test(test_http_header_auth_lines),
		cmocka_unit_test(test_http_header_length_bound),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
