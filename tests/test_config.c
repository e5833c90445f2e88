/*
 * Tests for src/config.c: defaults, the built-in catalog against SPEC.md
 * section 1, option values (tests/data/config/values.txt), error files
 * (tests/data/config/NAME.conf against NAME.errors), the catalog file and
 * its overrides, catalog lookups, the database path and the dump.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ref.h"
#include "xmalloc.h"

#define TEST_CONFIG_LINE_LIMIT	197

/* tests/data/config (allocated); the suite sets TESTDATA. */
static char *
test_config_dir(void)
{
	const char	*dir = getenv("TESTDATA");
	char		*s;

	if (dir == NULL)
		fail_msg("TESTDATA is not set");
	xasprintf(&s, "%s/config", dir);
	return (s);
}

static char *
test_config_path(const char *name)
{
	char	*dir = test_config_dir(), *s;

	xasprintf(&s, "%s/%s", dir, name);
	free(dir);
	return (s);
}

/* A whole file (allocated), or NULL when it cannot be read. */
static char *
test_config_slurp(const char *path)
{
	FILE	*f;
	char	*data = NULL;
	size_t	 len = 0, n;
	char	 tmp[4096];

	f = fopen(path, "r");
	if (f == NULL)
		return (NULL);
	for (;;) {
		n = fread(tmp, 1, sizeof tmp, f);
		data = xreallocarray(data, len + n + 1, 1);
		memcpy(data + len, tmp, n);
		len += n;
		if (n < sizeof tmp)
			break;
	}
	data[len] = '\0';
	fclose(f);
	return (data);
}

/* Remove every occurrence of cut from s, in place. */
static void
test_config_cut(char *s, const char *cut)
{
	size_t	 n = strlen(cut);
	char	*p;

	for (p = strstr(s, cut); p != NULL; p = strstr(p, cut))
		memmove(p, p + n, strlen(p + n) + 1);
}

struct test_config_run {
	struct config	*c;
	int		 nerrors;
	char		*errors;	/* what was printed */
	size_t		 len;
};

/* Load path, capturing the messages. */
static void
test_config_load(struct test_config_run *run, const char *path, int required)
{
	FILE	*f;

	run->errors = NULL;
	run->len = 0;
	f = open_memstream(&run->errors, &run->len);
	assert_non_null(f);
	run->c = config_load(path, required, f, &run->nerrors);
	fclose(f);
}

/* Parse text as the file name, capturing the messages. */
static void
test_config_parse(struct test_config_run *run, const char *name,
    const char *text)
{
	FILE	*f;

	run->errors = NULL;
	run->len = 0;
	f = open_memstream(&run->errors, &run->len);
	assert_non_null(f);
	run->c = config_parse_buffer(name, text, strlen(text), f,
	    &run->nerrors);
	fclose(f);
}

static void
test_config_run_free(struct test_config_run *run)
{
	config_free(run->c);
	free(run->errors);
}

/* Load a file from tests/data/config that must be valid. */
static struct config *
test_config_good(const char *name)
{
	struct test_config_run	 run;
	char			*path = test_config_path(name);

	test_config_load(&run, path, 1);
	if (run.c == NULL)
		fail_msg("%s: %s", name, run.errors);
	assert_int_equal(run.nerrors, 0);
	free(run.errors);
	free(path);
	return (run.c);
}

static void
test_config_defaults(void **state)
{
	struct config	*c = config_default();
	int		 i;

	(void)state;
	assert_null(c->path);
	assert_null(c->db_path);
	assert_null(c->catalog_path);
	assert_int_equal(c->cache_ttl, 3600);
	assert_int_equal(c->log_json, 0);
	assert_int_equal(c->eol_warn_days, 90);
	assert_int_equal(c->stale_tag_days, 90);
	assert_int_equal(c->stale_digest_days, 7);
	assert_int_equal(c->max_file_size, 4 * 1024 * 1024);
	assert_int_equal(c->max_depth, 64);
	for (i = 0; i < RULE_COUNT; i++)
		assert_int_equal(c->severity[i], rules_table[i].severity);
	assert_int_equal(c->nregistries, 0);
	assert_int_equal(c->concurrency, 16);
	assert_int_equal(c->timeout, 30);
	assert_null(c->webhook_url);
	assert_int_equal(c->webhook_format, CONFIG_WEBHOOK_GENERIC);
	assert_int_equal(c->webhook_max_attempts, 20);
	assert_int_equal(c->webhook_max_age, 3 * 86400);
	assert_int_equal(c->poll_interval, 6 * 3600);
	assert_int_equal(c->scan_interval, 3600);
	assert_int_equal(c->nscan_paths, 0);
	assert_int_equal(c->ncatalog, 12);
	config_free(c);
}

static void
test_config_missing_file(void **state)
{
	struct test_config_run	 run;
	char			*path = test_config_path("no-such-file.conf");
	char			*want;

	(void)state;
	/* Optional: the defaults. */
	test_config_load(&run, path, 0);
	assert_non_null(run.c);
	assert_int_equal(run.nerrors, 0);
	assert_null(run.c->path);
	assert_int_equal(run.c->ncatalog, 12);
	assert_int_equal(run.len, 0);
	test_config_run_free(&run);

	/* Required (named with -c): an error. */
	test_config_load(&run, path, 1);
	assert_null(run.c);
	assert_int_equal(run.nerrors, 1);
	xasprintf(&want, "%s: No such file or directory\n", path);
	assert_string_equal(run.errors, want);
	free(want);
	test_config_run_free(&run);

	/* A directory is an error even when optional. */
	free(path);
	path = test_config_dir();
	test_config_load(&run, path, 0);
	assert_null(run.c);
	assert_int_equal(run.nerrors, 1);
	test_config_run_free(&run);
	free(path);
}

/* Tags of one stage of e, space separated (allocated). */
static char *
test_config_tags(const struct catalog_entry *e, enum catalog_stage stage)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < e->ntags; i++) {
		if (e->tags[i].stage != stage)
			continue;
		xasprintf(&t, "%s%s%s", s, *s != '\0' ? " " : "",
		    e->tags[i].tag);
		free(s);
		s = t;
	}
	return (s);
}

/* Check a catalog against "image|production|build|note" lines. */
static void
test_config_check_catalog(const struct config *c, const char *spec)
{
	char	*copy = xstrdup(spec), *line, *save = NULL, *f[4], *p, *t;
	size_t	 n = 0, i;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#')
			continue;
		p = line;
		for (i = 0; i < 4; i++)
			f[i] = strsep(&p, "|");
		assert_non_null(f[3]);
		if (n >= c->ncatalog)
			fail_msg("catalog has no entry for %s", f[0]);
		assert_string_equal(c->catalog[n].image, f[0]);
		t = test_config_tags(&c->catalog[n], CATALOG_PRODUCTION);
		assert_string_equal(t, f[1]);
		free(t);
		t = test_config_tags(&c->catalog[n], CATALOG_BUILD);
		assert_string_equal(t, f[2]);
		free(t);
		if (*f[3] == '\0')
			assert_null(c->catalog[n].note);
		else
			assert_string_equal(c->catalog[n].note, f[3]);
		assert_int_equal(c->catalog[n].not_registry,
		    strcmp(f[0], "scratch") == 0);
		n++;
	}
	assert_int_equal(c->ncatalog, n);
	free(copy);
}

static void
test_config_builtin_catalog(void **state)
{
	struct config	*c = config_default();
	char		*path = test_config_path("spec-catalog.txt");
	char		*spec = test_config_slurp(path);

	(void)state;
	assert_non_null(spec);
	test_config_check_catalog(c, spec);
	assert_string_equal(c->catalog[0].file, CONFIG_BUILTIN_NAME);
	assert_true(c->catalog[0].line > 1);
	assert_string_equal(c->catalog[7].ref.registry, "mcr.microsoft.com");
	assert_string_equal(c->catalog[7].ref.repository, "dotnet/aspnet");
	free(spec);
	free(path);
	config_free(c);
}

/* The stored value of an option, as values.txt writes it. */
static long long
test_config_value(const struct config *c, const char *section,
    const struct config_option *o)
{
	const void	*base = c;

	if (strncmp(section, "registry ", 9) == 0) {
		assert_int_equal(c->nregistries, 1);
		base = &c->registries[0];
	}
	if (o->type == CONFIG_SIZE)
		return (*(const long long *)((const char *)base + o->off));
	return (*(const int *)((const char *)base + o->off));
}

/* One line of values.txt: section|key|value|expected. */
static void
test_config_value_line(char *line, unsigned lineno)
{
	struct test_config_run		 run;
	const struct config_option	*o;
	char				*f[4], *p = line, *text, *want;
	char				 kind[32];
	const char			*base;
	size_t				 i;

	for (i = 0; i < 4; i++)
		f[i] = strsep(&p, "|");
	if (f[3] == NULL)
		fail_msg("values.txt:%u: needs 4 fields", lineno);
	snprintf(kind, sizeof kind, "%.*s", (int)strcspn(f[0], " "), f[0]);
	o = config_option_find(kind, f[1]);
	if (o == NULL)
		fail_msg("values.txt:%u: no option %s.%s", lineno, kind, f[1]);
	xasprintf(&text, "# values.txt line %u\n[%s]\n%s = %s\n", lineno,
	    f[0], f[1], f[2]);
	test_config_parse(&run, "values", text);
	if (strncmp(f[3], "error: ", 7) == 0) {
		xasprintf(&want, "values:3: %s\n", f[3] + 7);
		if (run.errors == NULL || strcmp(run.errors, want) != 0)
			fail_msg("values.txt:%u: want '%s', got '%s'", lineno,
			    want, run.errors);
		assert_null(run.c);
		free(want);
	} else {
		if (run.c == NULL)
			fail_msg("values.txt:%u: %s", lineno, run.errors);
		if (strcmp(f[3], "ok") == 0) {
			base = (const char *)run.c;
			if (strncmp(f[0], "registry ", 9) == 0)
				base = (const char *)&run.c->registries[0];
			assert_string_equal(*(char *const *)(base + o->off),
			    f[2]);
		} else if (test_config_value(run.c, f[0], o) !=
		    strtoll(f[3], NULL, 10))
			fail_msg("values.txt:%u: want %s, got %lld", lineno,
			    f[3], test_config_value(run.c, f[0], o));
	}
	test_config_run_free(&run);
	free(text);
}

static void
test_config_values(void **state)
{
	char		*path = test_config_path("values.txt");
	char		*data = test_config_slurp(path), *line, *save = NULL;
	unsigned	 n = 0, lineno = 0;
	const char	*p;

	(void)state;
	assert_non_null(data);
	/* strtok_r skips empty lines: count lines by hand for messages. */
	p = data;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		for (; p < line; p++)
			lineno += *p == '\n';
		if (*line == '#')
			continue;
		test_config_value_line(line, lineno + 1);
		n++;
	}
	assert_true(n >= 60);
	free(data);
	free(path);
}

/* Compare printed errors with the expected ones, line by line. */
static void
test_config_compare(const char *name, char *got, char *want)
{
	char	*g, *w, *gs = NULL, *ws = NULL;
	size_t	 n;

	g = strtok_r(got, "\n", &gs);
	w = strtok_r(want, "\n", &ws);
	while (g != NULL && w != NULL) {
		n = strlen(w);
		if (n > 0 && w[n - 1] == '*') {
			if (strncmp(g, w, n - 1) != 0)
				fail_msg("%s: want '%s', got '%s'", name, w, g);
		} else if (strcmp(g, w) != 0)
			fail_msg("%s: want '%s', got '%s'", name, w, g);
		g = strtok_r(NULL, "\n", &gs);
		w = strtok_r(NULL, "\n", &ws);
	}
	if (g != NULL)
		fail_msg("%s: unexpected error '%s'", name, g);
	if (w != NULL)
		fail_msg("%s: missing error '%s'", name, w);
}

/* One NAME.conf with its NAME.errors. */
static void
test_config_error_file(const char *dir, const char *name)
{
	struct test_config_run	 run;
	char			*path, *epath, *want, *cut;
	int			 nwant = 0;
	const char		*p;

	xasprintf(&path, "%s/%s", dir, name);
	xasprintf(&epath, "%s/%.*s.errors", dir, (int)(strlen(name) - 5),
	    name);
	want = test_config_slurp(epath);
	if (want == NULL)
		fail_msg("%s has no .errors file", name);
	for (p = want; *p != '\0'; p++)
		nwant += *p == '\n';
	test_config_load(&run, path, 1);
	xasprintf(&cut, "%s/", dir);
	test_config_cut(run.errors, cut);
	test_config_compare(name, run.errors, want);
	assert_int_equal(run.nerrors, nwant);
	if (nwant == 0)
		assert_non_null(run.c);
	else
		assert_null(run.c);
	test_config_run_free(&run);
	free(cut);
	free(want);
	free(epath);
	free(path);
}

static void
test_config_error_files(void **state)
{
	char		*dir = test_config_dir();
	DIR		*d;
	struct dirent	*de;
	size_t		 len, n = 0;

	(void)state;
	d = opendir(dir);
	assert_non_null(d);
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		test_config_error_file(dir, de->d_name);
		n++;
	}
	closedir(d);
	assert_true(n >= 15);
	free(dir);
}

/* Line 2 a key line of exactly len characters (with end), then tail. */
static char *
test_config_long(size_t len, const char *end, const char *tail)
{
	char	*s;

	xasprintf(&s, "[registry docker.io]\nusername = %0*d%s\n%s",
	    (int)(len - 11), 0, end, tail);
	return (s);
}

static void
test_config_line_limit(void **state)
{
	struct test_config_run	 run;
	char			*text;

	(void)state;
	/* At the limit: fine, and the value is whole. */
	text = test_config_long(TEST_CONFIG_LINE_LIMIT, "", "insecure = 1\n");
	test_config_parse(&run, "t", text);
	assert_non_null(run.c);
	assert_int_equal(strlen(run.c->registries[0].username),
	    TEST_CONFIG_LINE_LIMIT - 11);
	assert_int_equal(run.c->registries[0].insecure, 1);
	test_config_run_free(&run);
	free(text);

	/* A CR before the newline does not count. */
	text = test_config_long(TEST_CONFIG_LINE_LIMIT, "\r", "");
	test_config_parse(&run, "t", text);
	assert_non_null(run.c);
	test_config_run_free(&run);
	free(text);

	/*
	 * One over: an error on line 2, and line 3 is still line 3 (inih
	 * would otherwise see the tail of line 2 as a line of its own).
	 */
	text = test_config_long(TEST_CONFIG_LINE_LIMIT + 1, "",
	    "concurrency = 0\n");
	test_config_parse(&run, "t", text);
	assert_null(run.c);
	assert_int_equal(run.nerrors, 2);
	assert_string_equal(run.errors, "t:2: line too long (more than 197 "
	    "characters)\nt:3: concurrency: 0 is out of range (1 to 64)\n");
	test_config_run_free(&run);
	free(text);

	/* Far over, and the last line without a newline. */
	xasprintf(&text, "[general]\n# %05000d", 0);
	test_config_parse(&run, "t", text);
	assert_int_equal(run.nerrors, 1);
	assert_string_equal(run.errors, "t:2: line too long (more than 197 "
	    "characters)\n");
	test_config_run_free(&run);
	free(text);
}

static void
test_config_full(void **state)
{
	struct config	*c = test_config_good("good-full.conf");
	char		*dir = test_config_dir(), *want;

	(void)state;
	xasprintf(&want, "%s/state/history.db", dir);
	assert_string_equal(c->db_path, want);
	free(want);
	xasprintf(&want, "%s/extra.catalog", dir);
	assert_string_equal(c->catalog_path, want);
	free(want);
	assert_int_equal(c->cache_ttl, 7200);
	assert_int_equal(c->log_json, 1);
	assert_int_equal(c->eol_warn_days, 30);
	assert_int_equal(c->stale_tag_days, 120);
	assert_int_equal(c->stale_digest_days, 0);
	assert_int_equal(c->max_file_size, 512 * 1024);
	assert_int_equal(c->max_depth, 10);
	assert_int_equal(c->severity[RULE_UNPINNED], SEV_WARNING);
	assert_int_equal(c->severity[RULE_NOT_RECOMMENDED], SEV_OFF);
	assert_int_equal(c->severity[RULE_LATEST], SEV_WARNING);
	assert_int_equal(c->severity[RULE_EOL], SEV_ERROR);
	assert_int_equal(c->concurrency, 8);
	assert_int_equal(c->timeout, 60);

	assert_int_equal(c->nregistries, 2);
	assert_string_equal(c->registries[0].name, "docker.io");
	assert_string_equal(c->registries[0].mirror,
	    "https://mirror.example.com");
	assert_int_equal(c->registries[0].insecure, 0);
	assert_int_equal(c->registries[0].concurrency, 8);
	assert_string_equal(c->registries[0].username, "robot-user");
	xasprintf(&want, "%s/secrets/hub-password", dir);
	assert_string_equal(c->registries[0].password_file, want);
	free(want);
	assert_string_equal(c->registries[1].name, "localhost:5000");
	assert_int_equal(c->registries[1].insecure, 1);

	assert_string_equal(c->webhook_url,
	    "https://hooks.example.com/services/T0/B0/SECRETTOKEN");
	assert_string_equal(c->webhook_secret_file,
	    "/run/credentials/tagdrift.service/webhook");
	assert_int_equal(c->webhook_format, CONFIG_WEBHOOK_SLACK);
	assert_int_equal(c->webhook_max_attempts, 5);
	assert_int_equal(c->webhook_max_age, 12 * 3600);

	assert_int_equal(c->poll_interval, 12 * 3600);
	assert_int_equal(c->scan_interval, 30 * 60);
	assert_int_equal(c->nscan_paths, 3);
	assert_string_equal(c->scan_paths[0], "/srv/git/one");
	assert_string_equal(c->scan_paths[1], "/srv/git/two");
	xasprintf(&want, "%s/relative/tree", dir);
	assert_string_equal(c->scan_paths[2], want);
	free(want);

	/* extra.catalog's two images, then the inline one. */
	assert_int_equal(c->ncatalog, 3);
	assert_string_equal(c->catalog[0].image, "node");
	assert_string_equal(c->catalog[2].image, "ghcr.io/example/base");
	assert_string_equal(c->catalog[2].file, c->path);
	assert_int_equal(c->catalog[2].line, 47);
	free(dir);
	config_free(c);
}

static void
test_config_catalog_override(void **state)
{
	struct config	*c = test_config_good("good-override.conf");

	(void)state;
	assert_int_equal(c->ncatalog, 3);
	/* From extra.catalog, commas separating tags. */
	assert_string_equal(c->catalog[0].image, "node");
	assert_int_equal(c->catalog[0].ntags, 3);
	assert_string_equal(c->catalog[0].tags[1].tag, "22-slim");
	assert_int_equal(c->catalog[0].tags[2].stage, CATALOG_BUILD);
	assert_string_equal(c->catalog[0].file, c->catalog_path);
	assert_int_equal(c->catalog[0].line, 2);
	/* Replaced in place by the main file's entry. */
	assert_string_equal(c->catalog[1].image, "docker.io/library/python");
	assert_string_equal(c->catalog[1].note, "inline");
	assert_int_equal(c->catalog[1].ntags, 1);
	assert_string_equal(c->catalog[1].tags[0].tag, "3.12-slim");
	assert_string_equal(c->catalog[1].file, c->path);
	/* Added. */
	assert_string_equal(c->catalog[2].image, "alpine");
	config_free(c);
}

static void
test_config_inline_catalog(void **state)
{
	struct test_config_run	 run;

	(void)state;
	/* [image] sections in the main file replace the built-in catalog. */
	test_config_parse(&run, "t", "[image ghcr.io/o/r]\nproduction = 1\n"
	    "[policy]\nmax_depth = 3\n");
	assert_non_null(run.c);
	assert_int_equal(run.c->ncatalog, 1);
	assert_string_equal(run.c->catalog[0].ref.registry, "ghcr.io");
	assert_int_equal(run.c->max_depth, 3);
	test_config_run_free(&run);

	/* Without any, the built-in one applies. */
	test_config_parse(&run, "t", "[policy]\nmax_depth = 3\n");
	assert_non_null(run.c);
	assert_int_equal(run.c->ncatalog, 12);
	test_config_run_free(&run);

	/* An empty catalog file: an empty catalog. */
	test_config_parse(&run, "t", "[general]\ncatalog = /dev/null\n");
	assert_non_null(run.c);
	assert_int_equal(run.c->ncatalog, 0);
	test_config_run_free(&run);
}

/* The catalog entry image (or NULL) that lookup finds for text. */
static void
test_config_find_one(const struct config *c, const char *text,
    const char *image)
{
	const struct catalog_entry	*e;
	struct ref			 r;
	char				*cause;

	if (ref_parse(text, &r, &cause) != 0)
		fail_msg("%s: %s", text, cause);
	e = config_catalog_find(c, &r);
	if (image == NULL && e != NULL)
		fail_msg("%s matched %s", text, e->image);
	if (image != NULL && e == NULL)
		fail_msg("%s matched nothing", text);
	if (image != NULL)
		assert_string_equal(e->image, image);
	ref_deinit(&r);
}

static void
test_config_catalog_find(void **state)
{
	struct config	*c = config_default();

	(void)state;
	test_config_find_one(c, "node", "node");
	test_config_find_one(c, "node:20-alpine", "node");
	test_config_find_one(c, "docker.io/library/node", "node");
	test_config_find_one(c, "index.docker.io/library/node:20", "node");
	test_config_find_one(c, "nodejs/node", NULL);
	test_config_find_one(c, "ghcr.io/library/node", NULL);
	test_config_find_one(c, "python:3.12-slim@sha256:"
	    "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
	    "python");
	test_config_find_one(c, "mcr.microsoft.com/dotnet/runtime:8.0-alpine",
	    "mcr.microsoft.com/dotnet/runtime");
	test_config_find_one(c, "mcr.microsoft.com/dotnet/sdk", NULL);
	test_config_find_one(c, "scratch", "scratch");
	assert_true(config_catalog_find(c, NULL) == NULL);
	config_free(c);
}

/* Set or unset one environment variable. */
static void
test_config_env(const char *name, const char *value)
{
	if (value == NULL)
		unsetenv(name);
	else
		setenv(name, value, 1);
}

static void
test_config_db_path(void **state)
{
	static const struct {
		const char	*state_dir, *xdg, *home, *want;
	} cases[] = {
		{ "/var/lib/tagdrift", "/x", "/home/u",
		  "/var/lib/tagdrift/history.db" },
		{ "/var/lib/a:/var/lib/b", NULL, NULL,
		  "/var/lib/a/history.db" },
		{ NULL, "/xdg", "/home/u", "/xdg/tagdrift/history.db" },
		{ NULL, "relative", "/home/u",
		  "/home/u/.local/state/tagdrift/history.db" },
		{ NULL, NULL, "/home/u",
		  "/home/u/.local/state/tagdrift/history.db" },
		{ NULL, NULL, NULL, "/var/lib/tagdrift/history.db" },
		{ "", "", "", "/var/lib/tagdrift/history.db" },
	};
	struct config	*c = config_default();
	char		*s;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_config_env("STATE_DIRECTORY", cases[i].state_dir);
		test_config_env("XDG_STATE_HOME", cases[i].xdg);
		test_config_env("HOME", cases[i].home);
		s = config_db_path(c);
		assert_string_equal(s, cases[i].want);
		free(s);
		s = config_db_path(NULL);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	c->db_path = xstrdup("/etc/x.db");
	s = config_db_path(c);
	assert_string_equal(s, "/etc/x.db");
	free(s);
	config_free(c);
}

/* The dump of c (allocated), without its first (header) line. */
static char *
test_config_dump(const struct config *c)
{
	FILE	*f;
	char	*s = NULL, *nl;
	size_t	 len = 0;

	f = open_memstream(&s, &len);
	assert_non_null(f);
	config_dump(c, f);
	fclose(f);
	nl = strchr(s, '\n');
	assert_non_null(nl);
	memmove(s, nl + 1, strlen(nl + 1) + 1);
	return (s);
}

static void
test_config_dump_roundtrip(void **state)
{
	struct test_config_run	 run;
	struct config		*c = config_default();
	char			*d1, *d2;

	(void)state;
	test_config_env("HOME", "/home/u");
	test_config_env("STATE_DIRECTORY", NULL);
	test_config_env("XDG_STATE_HOME", NULL);
	d1 = test_config_dump(c);
	assert_non_null(strstr(d1, "\n[policy]\neol_warn_days = 90\n"));
	assert_non_null(strstr(d1, "max_file_size = 4M\n"));
	assert_non_null(strstr(d1, "# database default: /home/u/.local/"));
	assert_non_null(strstr(d1, "\n[image eclipse-temurin]\nproduction = "
	    "21-jre-alpine\nbuild = 21-jdk-alpine\n"));
	test_config_parse(&run, "dump", d1);
	if (run.c == NULL)
		fail_msg("the dump does not load: %s", run.errors);
	d2 = test_config_dump(run.c);
	/* The same, but for where the catalog came from. */
	test_config_cut(d1, "(built-in)");
	test_config_cut(d2, "(dump)");
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	test_config_run_free(&run);
	config_free(c);
}

static void
test_config_dump_secrets(void **state)
{
	struct config	*c = test_config_good("good-full.conf");
	char		*d = test_config_dump(c);

	(void)state;
	assert_null(strstr(d, "robot-user"));
	assert_null(strstr(d, "hub-password"));
	assert_null(strstr(d, "SECRETTOKEN"));
	assert_null(strstr(d, "credentials/tagdrift.service/webhook"));
	assert_non_null(strstr(d, "username = <set>\n"));
	assert_non_null(strstr(d, "password_file = <set>\n"));
	assert_non_null(strstr(d, "\n[webhook]\nurl = <set>\n"));
	assert_non_null(strstr(d, "secret_file = <set>\n"));
	assert_non_null(strstr(d, "mirror = https://mirror.example.com\n"));
	assert_non_null(strstr(d, "\n[registry localhost:5000]\n"
	    "mirror = http://127.0.0.1:5000\ninsecure = yes\n"
	    "concurrency = 8\n# username = (not set)\n"));
	free(d);
	config_free(c);
}

/*
 * good-full.conf and a section setting the registry options it leaves
 * unset, parsed as if it were good-full.conf (relative paths alike).
 */
static struct config *
test_config_fuller(void)
{
	struct test_config_run	 run;
	char			*path = test_config_path("good-full.conf");
	char			*text, *all;

	text = test_config_slurp(path);
	assert_non_null(text);
	xasprintf(&all, "%s\n[registry ghcr.io]\nca_file = certs/ghcr.pem\n",
	    text);
	test_config_parse(&run, path, all);
	if (run.c == NULL)
		fail_msg("good-full.conf and more: %s", run.errors);
	free(run.errors);
	free(all);
	free(text);
	free(path);
	return (run.c);
}

/* Every option of the table is in the dump of a full file, and back. */
static void
test_config_dump_table(void **state)
{
	struct config	*c = test_config_fuller();
	char		*d = test_config_dump(c), *key;
	size_t		 i;

	(void)state;
	for (i = 0; i < config_noptions; i++) {
		xasprintf(&key, "\n%s = ", config_options[i].name);
		if (strstr(d, key) == NULL)
			fail_msg("%s.%s is not in the dump",
			    config_options[i].section, config_options[i].name);
		free(key);
		assert_non_null(config_options[i].help);
		assert_true(strlen(config_options[i].name) < 32);
	}
	for (i = 0; i < RULE_COUNT; i++) {
		xasprintf(&key, "\n%s = ", rules_table[i].id);
		assert_non_null(strstr(d, key));
		free(key);
	}
	free(d);
	config_free(c);
}

/* ca_file: a path relative to the file, in the dump, reloadable. */
static void
test_config_registry_tls(void **state)
{
	struct config		*c = test_config_fuller();
	const struct registry_conf *r = NULL;
	char			*dir = test_config_dir(), *want, *d;
	size_t			 i;

	(void)state;
	for (i = 0; i < c->nregistries; i++) {
		if (strcmp(c->registries[i].name, "ghcr.io") == 0)
			r = &c->registries[i];
	}
	assert_non_null(r);
	xasprintf(&want, "%s/certs/ghcr.pem", dir);
	assert_string_equal(r->ca_file, want);
	assert_null(c->registries[0].ca_file);
	d = test_config_dump(c);
	free(want);
	xasprintf(&want, "\n[registry ghcr.io]\n# mirror = (not set)\n"
	    "insecure = no\nconcurrency = 8\n# username = (not set)\n"
	    "# password_file = (not set)\nca_file = %s/certs/ghcr.pem\n",
	    dir);
	if (strstr(d, want) == NULL)
		fail_msg("dump lacks %s:\n%s", want, d);
	assert_true(config_option_find("registry", "ca_file")->flags &
	    CONFIG_F_RELOAD);
	free(want);
	free(d);
	free(dir);
	config_free(c);
}

/*
 * hub_api: a URL or none; docker.io's defaults to Docker Hub's; plain
 * http:// only with insecure.
 */
static void
test_config_hub_api(void **state)
{
	struct test_config_run	 run;
	char			*d;

	(void)state;
	test_config_parse(&run, "t", "[registry docker.io]\n"
	    "[registry ghcr.io]\n[registry lan:5000]\nhub_api = none\n"
	    "[registry 127.0.0.1:5000]\ninsecure = yes\n"
	    "hub_api = http://127.0.0.1:5000/\n");
	if (run.c == NULL)
		fail_msg("%s", run.errors);
	assert_int_equal(run.c->nregistries, 4);
	assert_string_equal(run.c->registries[0].hub_api, CONFIG_HUB_API);
	assert_null(run.c->registries[1].hub_api);
	assert_string_equal(run.c->registries[2].hub_api, "none");
	assert_string_equal(run.c->registries[3].hub_api,
	    "http://127.0.0.1:5000/");
	d = test_config_dump(run.c);
	assert_non_null(strstr(d, "\nhub_api = https://hub.docker.com\n"));
	assert_non_null(strstr(d, "\nhub_api = none\n"));
	free(d);
	test_config_run_free(&run);

	test_config_parse(&run, "t", "[registry lan:5000]\n"
	    "hub_api = ftp://x/\n");
	assert_null(run.c);
	assert_string_equal(run.errors, "t:2: hub_api: not an http:// or "
	    "https:// URL\n");
	test_config_run_free(&run);
	test_config_parse(&run, "t", "[registry lan:5000]\n"
	    "hub_api = http://lan:8080\n");
	assert_null(run.c);
	assert_string_equal(run.errors, "t:2: hub_api: plain http:// needs "
	    "insecure = yes in [registry lan:5000]\n");
	test_config_run_free(&run);
	/* "none" is no word for other URL options. */
	test_config_parse(&run, "t", "[registry lan:5000]\nmirror = none\n");
	assert_null(run.c);
	test_config_run_free(&run);
}

static void
test_config_shipped_example(void **state)
{
	const char	*data = getenv("TESTDATA");
	char		*path, *d1, *d2;
	struct config	*c, *def;
	int		 nerrors;

	(void)state;
	assert_non_null(data);
	/* etc/tagdrift.conf sets nothing: it loads as the defaults. */
	xasprintf(&path, "%s/../../etc/tagdrift.conf", data);
	c = config_load(path, 1, stderr, &nerrors);
	assert_non_null(c);
	def = config_default();
	d1 = test_config_dump(c);
	d2 = test_config_dump(def);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	config_free(c);
	free(path);

	/* etc/catalog.conf as a catalog file gives the built-in catalog. */
	xasprintf(&path, "%s/../../etc/catalog.conf", data);
	c = config_load(path, 1, stderr, &nerrors);
	assert_non_null(c);
	d1 = test_config_dump(c);
	d2 = test_config_dump(def);
	test_config_cut(d1, path);
	test_config_cut(d2, "built-in");
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	config_free(c);
	config_free(def);
	free(path);
}

/*
 * etc/tagdrift.conf shows every option that has a default, commented out,
 * at that default (and every rule at its default severity).
 */
static void
test_config_shipped_defaults(void **state)
{
	const struct config_option	*o;
	const char			*data = getenv("TESTDATA");
	char				*path, *text, *line, *save = NULL;
	char				 section[64] = "", *eq;
	size_t				 nseen = 0, nwant = 0, i;
	int				 rule;

	(void)state;
	assert_non_null(data);
	xasprintf(&path, "%s/../../etc/tagdrift.conf", data);
	text = test_config_slurp(path);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#')
			line++;
		if (sscanf(line, "[%63[a-z]", section) == 1)
			continue;
		eq = strstr(line, " = ");
		if (eq == NULL || strchr(line, ' ') != eq)
			continue;
		*eq = '\0';
		rule = rules_lookup(line);
		if (strcmp(section, "rules") == 0 && rule >= 0) {
			assert_string_equal(eq + 3,
			    severity_name(rules_table[rule].severity));
			nseen++;
			continue;
		}
		o = config_option_find(section, line);
		if (o == NULL)
			fail_msg("etc/tagdrift.conf: unknown [%s] %s", section,
			    line);
		if (o->def != NULL) {
			if (strcmp(o->def, eq + 3) != 0)
				fail_msg("etc/tagdrift.conf: %s = %s, but the "
				    "default is %s", line, eq + 3, o->def);
			nseen++;
		}
	}
	for (i = 0; i < config_noptions; i++)
		nwant += config_options[i].def != NULL;
	assert_int_equal(nseen, nwant + RULE_COUNT);
	free(text);
	free(path);
}

static void
test_config_reload_check(void **state)
{
	struct config	*a = config_default(), *b = config_default();
	char		*cause = NULL;

	(void)state;
	b->max_depth = 3;
	b->poll_interval = 60;
	assert_int_equal(config_reload_check(a, b, &cause), 0);
	b->db_path = xstrdup("/tmp/other.db");
	assert_int_equal(config_reload_check(a, b, &cause), -1);
	assert_string_equal(cause, "[general] database changed: restart to "
	    "apply it");
	free(cause);
	config_free(a);
	config_free(b);
}

/* Hostile sizes: caps hold, and the work stays linear. */
static void
test_config_limits(void **state)
{
	struct test_config_run	 run;
	FILE			*f;
	char			*text = NULL;
	char			 path[] = "/tmp/test_config.XXXXXX";
	size_t			 len = 0, i;
	int			 fd;

	(void)state;
	f = open_memstream(&text, &len);
	fprintf(f, "[image many]\n");
	for (i = 0; i < CONFIG_MAX_TAGS + 2; i++)
		fprintf(f, "build = t%zu\n", i);
	for (i = 0; i < CONFIG_MAX_IMAGES + 5; i++)
		fprintf(f, "[image i%zu]\nproduction = 1\n", i);
	fclose(f);
	test_config_parse(&run, "t", text);
	assert_null(run.c);
	/* Two tags too many, and six images (with "many"). */
	assert_int_equal(run.nerrors, 8);
	assert_non_null(strstr(run.errors, "too many images (at most 1024)"));
	test_config_run_free(&run);
	free(text);

	/* Past CONFIG_FILE_MAX: one error, not a partial parse. */
	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	for (i = 0; i <= CONFIG_FILE_MAX / 16; i++)
		fprintf(f, "; %013zu\n", i);
	fclose(f);
	test_config_load(&run, path, 1);
	assert_null(run.c);
	assert_int_equal(run.nerrors, 1);
	assert_non_null(strstr(run.errors, "larger than"));
	test_config_run_free(&run);
	unlink(path);

	/* Many errors: all counted, a bounded number printed. */
	f = open_memstream(&text, &len);
	fprintf(f, "[policy]\n");
	for (i = 0; i < 5000; i++)
		fprintf(f, "x%zu = 1\n", i);
	fclose(f);
	test_config_parse(&run, "t", text);
	assert_int_equal(run.nerrors, 5000);
	assert_true(run.len < 200 * 100);
	assert_non_null(strstr(run.errors, "t: more errors not shown\n"));
	test_config_run_free(&run);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_missing_file),
		cmocka_unit_test(test_config_builtin_catalog),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_error_files),
		cmocka_unit_test(test_config_line_limit),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_catalog_override),
		cmocka_unit_test(test_config_inline_catalog),
		cmocka_unit_test(test_config_catalog_find),
		cmocka_unit_test(test_config_db_path),
		cmocka_unit_test(test_config_dump_roundtrip),
		cmocka_unit_test(test_config_dump_secrets),
		cmocka_unit_test(test_config_dump_table),
		cmocka_unit_test(test_config_registry_tls),
		cmocka_unit_test(test_config_hub_api),
		cmocka_unit_test(test_config_shipped_example),
		cmocka_unit_test(test_config_shipped_defaults),
		cmocka_unit_test(test_config_reload_check),
		cmocka_unit_test(test_config_limits),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
