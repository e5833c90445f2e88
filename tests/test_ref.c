/*
 * Tests for src/ref.c: the vectors in tests/data/ref-vectors.txt (format in
 * its header comment), then the functions built on a parsed reference.
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

#include "ref.h"
#include "testlib.h"
#include "xmalloc.h"

#define TEST_REF_MIN_VECTORS	80
#define TEST_REF_FIELDS_MAX	8

/* want is "-" for an absent field. */
static int
test_ref_same(const char *want, const char *got)
{
	if (strcmp(want, "-") == 0)
		return (got == NULL);
	return (got != NULL && strcmp(want, got) == 0);
}

/* Run one vector; print why and return -1 when it fails. */
static int
test_ref_vector(const char *file, size_t lineno, char **f, size_t nf)
{
	struct ref	 r;
	char		*cause = NULL, *canonical = NULL;
	int		 rc, failed = 0;

	if (nf < 2 || (strcmp(f[1], "valid") == 0 && nf != 7) ||
	    (strcmp(f[1], "invalid") == 0 && nf != 3) ||
	    (strcmp(f[1], "valid") != 0 && strcmp(f[1], "invalid") != 0)) {
		print_error("%s:%zu: malformed vector (%zu fields)\n", file,
		    lineno, nf);
		return (-1);
	}
	rc = ref_parse(f[0], &r, &cause);
	if (strcmp(f[1], "invalid") == 0) {
		if (rc == 0 || cause == NULL || strstr(cause, f[2]) == NULL ||
		    r.registry != NULL || r.repository != NULL) {
			print_error("%s:%zu: %.80s: want error \"%s\", got rc "
			    "%d cause \"%.200s\"\n", file, lineno, f[0], f[2],
			    rc, testlib_show(cause));
			failed = 1;
		}
		goto out;
	}
	if (rc != 0 || cause != NULL) {
		print_error("%s:%zu: %.80s: want valid, got \"%.200s\"\n", file,
		    lineno, f[0], testlib_show(cause));
		failed = 1;
		goto out;
	}
	canonical = ref_canonical(&r);
	if (!test_ref_same(f[2], r.registry) ||
	    !test_ref_same(f[3], r.repository) ||
	    !test_ref_same(f[4], r.tag) || !test_ref_same(f[5], r.digest) ||
	    strcmp(f[6], canonical) != 0 || r.written == NULL) {
		print_error("%s:%zu: %.80s: got registry \"%.80s\" repository "
		    "\"%.80s\" tag \"%.80s\" digest \"%.80s\" canonical "
		    "\"%.80s\"\n", file, lineno, f[0],
		    testlib_show(r.registry), testlib_show(r.repository),
		    testlib_show(r.tag), testlib_show(r.digest), canonical);
		failed = 1;
	}
out:
	free(canonical);
	free(cause);
	ref_deinit(&r);
	return (failed ? -1 : 0);
}

static void
test_ref_vectors(void **state)
{
	struct testlib_str	 fields[TEST_REF_FIELDS_MAX + 1];
	char			*path, *line = NULL, *f[TEST_REF_FIELDS_MAX];
	size_t			 linesize = 0, lineno = 0, nf, i, vectors = 0;
	size_t			 failures = 0;
	FILE			*fp;

	(void)state;
	fp = testlib_open(&path, "ref-vectors.txt");
	while (testlib_line(fp, &line, &linesize, &lineno) != NULL) {
		vectors++;
		nf = testlib_fields(line, 0, fields, TEST_REF_FIELDS_MAX);
		if (nf > TEST_REF_FIELDS_MAX) {
			print_error("%s:%zu: too many fields\n", path, lineno);
			failures++;
			nf = TEST_REF_FIELDS_MAX;
		} else {
			for (i = 0; i < nf; i++)
				f[i] = fields[i].data;
			if (test_ref_vector(path, lineno, f, nf) != 0)
				failures++;
		}
		testlib_fields_free(fields, nf);
	}
	assert_false(ferror(fp));
	fclose(fp);
	free(line);
	print_message("%s: %zu vectors, %zu failed\n", path, vectors,
	    failures);
	free(path);
	assert_int_equal(failures, 0);
	assert_true(vectors >= TEST_REF_MIN_VECTORS);
}

/* The notation of the vector file, without {xHH}. */
static void
test_ref_expand_syntax(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} t[] = {
		{ "{a*3}", "aaa" },
		{ "x{ab*2}y", "xababy" },
		{ "{H64}", TESTLIB_H64 },
		{ "node:${TAG}", "node:${TAG}" },
		{ "{a*0}", "{a*0}" },
		{ "{*3}", "{*3}" },
		{ "{a*}", "{a*}" },
		{ "{a*3x}", "{a*3x}" },
		{ "{a*100001}", "{a*100001}" },
		{ "{{a*2}", "{aa" },
		{ "", "" },
	};
	struct testlib_str	 s;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&s, 0, sizeof s);
		testlib_expand(t[i].in, 0, &s);
		assert_string_equal(s.data, t[i].out);
		free(s.data);
	}
}

/* Parse s, which must be valid. */
static void
test_ref_must_parse(const char *s, struct ref *r)
{
	char	*cause = NULL;

	if (ref_parse(s, r, &cause) != 0)
		fail_msg("%s: %s", s, cause);
	assert_null(cause);
}

#define LONG50	"nginx444444444444444444444444444444444444444444444"
#define LONG247	LONG50 LONG50 LONG50 LONG50 \
	"nginx444444444444444444444444444444444444444444"
#define LONG250	LONG247 "-er"

static void
test_ref_familiar_name(void **state)
{
	static const struct {
		const char	*in;
		const char	*familiar;
	} t[] = {
		{ "nginx", "nginx" },
		{ "nginx:1.25@sha256:" TESTLIB_H64, "nginx" },
		{ "docker.io/library/nginx:1", "nginx" },
		{ "index.docker.io/library/nginx", "nginx" },
		{ "registry-1.docker.io/nginx", "nginx" },
		{ "registry-1.docker.io/library/nginx", "nginx" },
		{ "bitnami/redis:7.2", "bitnami/redis" },
		{ "registry-1.docker.io/bitnami/redis", "bitnami/redis" },
		{ "docker.io/library/foo/bar", "library/foo/bar" },
		{ "ghcr.io/owner/repo:v1", "ghcr.io/owner/repo" },
		{ "mcr.microsoft.com/dotnet/aspnet:8.0",
		    "mcr.microsoft.com/dotnet/aspnet" },
		{ "localhost:5000/app", "localhost:5000/app" },
		{ "localhost/app", "localhost/app" },
		{ "Foo/bar", "Foo/bar" },
		{ "[::1]:5000/repo", "[::1]:5000/repo" },
		/* Shortened, these would parse as another registry. */
		{ "docker.io/localhost/app", "docker.io/localhost/app" },
		{ "docker.io/foo.bar/app", "docker.io/foo.bar/app" },
		/* A bare 64-hex name would parse as an image ID. */
		{ "docker.io/" TESTLIB_H64, "library/" TESTLIB_H64 },
		/* 250 characters: library/ would pass the 255 limit. */
		{ "registry-1.docker.io/" LONG250, "registry-1.docker.io/"
		    LONG250 },
		{ "registry-1.docker.io/" LONG247, LONG247 },
	};
	struct ref	 r, again;
	size_t		 i;
	char		*familiar, *id, *id_again;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_ref_must_parse(t[i].in, &r);
		familiar = ref_familiar_name(&r);
		if (strcmp(familiar, t[i].familiar) != 0)
			fail_msg("%s: familiar %s, want %s", t[i].in, familiar,
			    t[i].familiar);
		test_ref_must_parse(familiar, &again);
		id = ref_identity(&r);
		id_again = ref_identity(&again);
		assert_string_equal(id, id_again);
		free(id);
		free(id_again);
		free(familiar);
		ref_deinit(&again);
		ref_deinit(&r);
	}
}

static void
test_ref_identity(void **state)
{
	static const struct {
		const char	*in;
		const char	*identity;
	} t[] = {
		{ "nginx", "docker.io/library/nginx" },
		{ "registry-1.docker.io/nginx", "docker.io/library/nginx" },
		{ "index.docker.io/nginx", "docker.io/library/nginx" },
		{ "docker.io/library/nginx:1.25", "docker.io/library/nginx" },
		{ "registry-1.docker.io/library/nginx:1",
		    "docker.io/library/nginx" },
		{ "nginx@sha256:" TESTLIB_H64, "docker.io/library/nginx" },
		{ "bitnami/redis", "docker.io/bitnami/redis" },
		{ "registry-1.docker.io/bitnami/redis",
		    "docker.io/bitnami/redis" },
		{ "ghcr.io/owner/repo:1", "ghcr.io/owner/repo" },
		{ "example.com/nginx", "example.com/nginx" },
		{ "mirror.gcr.io/library/nginx",
		    "mirror.gcr.io/library/nginx" },
		{ "localhost/nginx", "localhost/nginx" },
		{ "Foo/bar", "Foo/bar" },
	};
	struct ref	 r;
	size_t		 i;
	char		*id;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_ref_must_parse(t[i].in, &r);
		id = ref_identity(&r);
		if (strcmp(id, t[i].identity) != 0)
			fail_msg("%s: identity %s, want %s", t[i].in, id,
			    t[i].identity);
		free(id);
		ref_deinit(&r);
	}
}

static void
test_ref_same_image(void **state)
{
	static const struct {
		const char	*a;
		const char	*b;
		int		 same;
	} t[] = {
		{ "nginx", "registry-1.docker.io/nginx", 1 },
		{ "nginx", "index.docker.io/nginx", 1 },
		{ "registry-1.docker.io/nginx", "index.docker.io/nginx", 1 },
		{ "nginx:1", "docker.io/library/nginx:2", 1 },
		{ "nginx@sha256:" TESTLIB_H64, "nginx:latest", 1 },
		{ "bitnami/redis", "registry-1.docker.io/bitnami/redis", 1 },
		{ "nginx", "example.com/nginx", 0 },
		{ "nginx", "mirror.gcr.io/library/nginx", 0 },
		{ "nginx", "library/nginx/x", 0 },
		{ "nginx", "nginx-unprivileged", 0 },
		{ "Foo/bar", "foo/bar", 0 },
		{ "localhost/app", "localhost:5000/app", 0 },
	};
	struct ref	 a, b;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_ref_must_parse(t[i].a, &a);
		test_ref_must_parse(t[i].b, &b);
		if ((ref_same_image(&a, &b) != 0) != t[i].same ||
		    (ref_same_image(&b, &a) != 0) != t[i].same)
			fail_msg("%s, %s: want same %d", t[i].a, t[i].b,
			    t[i].same);
		ref_deinit(&a);
		ref_deinit(&b);
	}
}

static void
test_ref_with(void **state)
{
	static const struct {
		const char	*in;
		const char	*tag;
		const char	*digest;
		const char	*out;
	} t[] = {
		{ "node:20-alpine", "22-alpine", NULL, "node:22-alpine" },
		{ "docker.io/library/node:20", "22", NULL,
		    "docker.io/library/node:22" },
		{ "index.docker.io/library/ubuntu:latest", "24.04", NULL,
		    "index.docker.io/library/ubuntu:24.04" },
		{ "registry-1.docker.io/nginx", "1.27", NULL,
		    "registry-1.docker.io/nginx:1.27" },
		{ "localhost:5000/app:1", "2", NULL, "localhost:5000/app:2" },
		{ "[::1]:5000/repo:tag", "v2", NULL, "[::1]:5000/repo:v2" },
		{ "nginx@sha256:" TESTLIB_H64, NULL, "sha512:abc",
		    "nginx@sha512:abc" },
		{ "node:20@sha256:" TESTLIB_H64, "22", "sha256:00",
		    "node:22@sha256:00" },
		{ "python:3.12-slim", NULL, NULL, "python" },
	};
	struct ref	 r;
	size_t		 i;
	char		*s;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		test_ref_must_parse(t[i].in, &r);
		s = ref_with(&r, t[i].tag, t[i].digest);
		if (strcmp(s, t[i].out) != 0)
			fail_msg("%s: with gives %s, want %s", t[i].in, s,
			    t[i].out);
		free(s);
		ref_deinit(&r);
	}
}

static void
test_ref_digest_valid(void **state)
{
	static const struct {
		const char	*in;
		const char	*error;	/* NULL when valid */
	} t[] = {
		{ "sha256:" TESTLIB_H64, NULL },
		{ "sha512:" "0123456789abcdef0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef", NULL },
		{ "sha256:A3ED95CAEB02FFE68CDD9FD84406680AE93D633CB16422D00E8"
		    "A7C22955B46D4", "invalid checksum digest format" },
		{ "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8"
		    "a7c22955b46d", "invalid checksum digest length" },
		{ "sha512:" TESTLIB_H64, "invalid checksum digest length" },
		{ "md5:00000000000000000000000000000000",
		    "unsupported digest algorithm" },
		{ "sha384:" TESTLIB_H64 "0123456789abcdef0123456789abcdef",
		    "unsupported digest algorithm" },
		{ "SHA256:" TESTLIB_H64, "unsupported digest algorithm" },
		{ "sha256+b64:" TESTLIB_H64, "unsupported digest algorithm" },
		{ "sha256", "invalid checksum digest format" },
		{ "sha256:", "invalid checksum digest format" },
		{ ":" TESTLIB_H64, "invalid checksum digest format" },
		{ "", "invalid checksum digest format" },
		{ "sha256:0123456789abcdef0123456789abcde",
		    "invalid checksum digest format" },
		{ "sha256:g" TESTLIB_H64, "invalid checksum digest format" },
		{ "sha256:" TESTLIB_H64 " ",
		    "invalid checksum digest format" },
		{ "sha256:" TESTLIB_H64 ":",
		    "invalid checksum digest format" },
		{ "1sha:" TESTLIB_H64, "invalid checksum digest format" },
		{ "sha-:" TESTLIB_H64, "invalid checksum digest format" },
	};
	size_t	 i;
	char	*cause;
	int	 rc;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		cause = NULL;
		rc = ref_digest_valid(t[i].in, &cause);
		if (t[i].error == NULL) {
			if (rc != 0 || cause != NULL)
				fail_msg("%s: %s", t[i].in, cause);
		} else if (rc != -1 || cause == NULL ||
		    strcmp(cause, t[i].error) != 0)
			fail_msg("%s: got %s, want %s", t[i].in,
			    testlib_show(cause), t[i].error);
		free(cause);
		/* cause may be NULL when only the answer matters. */
		assert_int_equal(ref_digest_valid(t[i].in, NULL), rc);
	}
}

static void
test_ref_copy(void **state)
{
	struct ref	 r, c;
	char		*a, *b;

	(void)state;
	test_ref_must_parse("ghcr.io/o/r:1@sha256:" TESTLIB_H64, &r);
	ref_copy(&c, &r);
	assert_ptr_not_equal(c.registry, r.registry);
	a = ref_canonical(&r);
	b = ref_canonical(&c);
	assert_string_equal(a, b);
	assert_string_equal(c.written, "ghcr.io/o/r");
	free(a);
	free(b);
	ref_deinit(&r);
	assert_null(r.registry);
	ref_deinit(&c);
	ref_deinit(NULL);
}

/* Hostile shapes: big, repetitive, unbalanced; each must fail cleanly. */
static void
test_ref_hostile(void **state)
{
	static const char	*unit[] = {
		"a/", "/", ":", "@", "[", "]", "a:", "a@", "__", "-", ".",
		"sha256:", "{", "\xff", "A", "[::", "a_b.",
	};
	struct ref		 r;
	char			*s, *cause;
	size_t			 i, j, n, len;

	(void)state;
	n = 1 << 20;
	s = xmalloc(n + 1);
	for (i = 0; i < sizeof unit / sizeof unit[0]; i++) {
		len = strlen(unit[i]);
		for (j = 0; j + len <= n; j += len)
			memcpy(s + j, unit[i], len);
		s[j] = '\0';
		cause = NULL;
		if (ref_parse(s, &r, &cause) == 0)
			fail_msg("unit \"%s\" repeated parsed", unit[i]);
		assert_non_null(cause);
		assert_null(r.registry);
		free(cause);
	}
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_expand_syntax),
		cmocka_unit_test(test_ref_vectors),
		cmocka_unit_test(test_ref_familiar_name),
		cmocka_unit_test(test_ref_identity),
		cmocka_unit_test(test_ref_same_image),
		cmocka_unit_test(test_ref_with),
		cmocka_unit_test(test_ref_digest_valid),
		cmocka_unit_test(test_ref_copy),
		cmocka_unit_test(test_ref_hostile),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
