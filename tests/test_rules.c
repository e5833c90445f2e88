/*
 * Versions in tags, the end-of-life table and the offline rules, judged at
 * fixed dates (the clock is a parameter, never the wall clock).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "eol.h"
#include "rules.h"
#include "scan.h"
#include "testlib.h"
#include "version.h"
#include "xmalloc.h"

static time_t
day(const char *s)
{
	time_t	 t = eol_date(s);

	assert_true(t != -1);
	return (t);
}

static void
test_rules_version_vectors(void **state)
{
	struct version	 v;
	char		 line[512], *f[4], got[64];
	FILE		*fp;
	int		 nline = 0, nvec = 0;

	(void)state;
	fp = testlib_open(NULL, "version-vectors.txt");
	while (fgets(line, sizeof line, fp) != NULL) {
		nline++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (testlib_split(line, f, 4) != 4)
			fail_msg("version-vectors.txt:%d: want 4 fields", nline);
		version_parse(f[0], &v);
		version_prefix(&v, VERSION_MAX_PARTS, got, sizeof got);
		if (strcmp(got[0] == '\0' ? "-" : got, f[1]) != 0 ||
		    v.prerelease != atoi(f[2]) ||
		    strcmp(version_variant(f[0], &v), f[3]) != 0)
			fail_msg("version-vectors.txt:%d: %s parsed as %s pre=%d "
			    "variant '%s'", nline, f[0], got, v.prerelease,
			    version_variant(f[0], &v));
		nvec++;
	}
	fclose(fp);
	assert_true(nvec >= 25);
}

static void
test_rules_version_compare(void **state)
{
	struct version	 a, b;

	(void)state;
	version_parse("3.12.10", &a);
	version_parse("3.12.9", &b);
	assert_true(version_compare(&a, &b) > 0);
	version_parse("3.15.0rc1", &a);
	version_parse("3.15.0", &b);
	assert_true(version_compare(&a, &b) < 0);
	version_parse("22", &a);
	version_parse("22", &b);
	assert_int_equal(version_compare(&a, &b), 0);
	assert_true(version_variant_minimal("alpine3.21"));
	assert_true(version_variant_minimal("slim-bookworm"));
	assert_true(version_variant_minimal("jre-alpine"));
	assert_false(version_variant_minimal("bookworm"));
	assert_false(version_variant_minimal(""));
	assert_false(version_variant_minimal("slimy"));
}

static const struct eol_cycle *
tag_cycle(const char *image, const char *tag)
{
	const struct eol_image	*img;
	struct ref		 r;
	char			*cause;

	assert_int_equal(ref_parse(image, &r, &cause), 0);
	img = eol_image_find(&r);
	ref_deinit(&r);
	if (img == NULL)
		return (NULL);
	return (eol_tag_cycle(img, tag));
}

static void
test_rules_eol_cycles(void **state)
{
	const struct eol_cycle	*c;

	(void)state;
	c = tag_cycle("node", "20.18.1-alpine");
	assert_non_null(c);
	assert_string_equal(c->cycle, "20");
	assert_string_equal(c->eol, "2026-04-30");
	c = tag_cycle("mcr.microsoft.com/dotnet/aspnet", "8.0-alpine");
	assert_non_null(c);
	assert_string_equal(c->product, "dotnet");
	assert_string_equal(c->cycle, "8");
	c = tag_cycle("debian", "bookworm-slim");
	assert_non_null(c);
	assert_string_equal(c->cycle, "12");
	c = tag_cycle("golang", "1.22.5-alpine3.20");
	assert_non_null(c);
	assert_string_equal(c->cycle, "1.22");
	assert_null(tag_cycle("python", "3"));
	assert_null(tag_cycle("python", "3.15.0rc1"));
	assert_null(tag_cycle("redis", "7"));
	assert_null(tag_cycle("node", "lts-alpine"));

	c = eol_variant_os("alpine3.19");
	assert_non_null(c);
	assert_string_equal(c->product, "alpine");
	assert_string_equal(c->cycle, "3.19");
	c = eol_variant_os("slim-bookworm");
	assert_non_null(c);
	assert_string_equal(c->product, "debian");
	c = eol_variant_os("jammy");
	assert_non_null(c);
	assert_string_equal(c->cycle, "22.04");
	assert_null(eol_variant_os("alpine"));
	assert_null(eol_variant_os("slim"));
}

static void
test_rules_eol_state_by_date(void **state)
{
	const struct eol_cycle	*c;

	(void)state;
	c = eol_cycle_find("node", "20");
	assert_non_null(c);
	assert_int_equal(eol_state(c, day("2025-06-01"), 90), EOL_SUPPORTED);
	assert_int_equal(eol_state(c, day("2026-02-01"), 90), EOL_SOON);
	assert_int_equal(eol_state(c, day("2026-04-30"), 90), EOL_PAST);
	assert_int_equal(eol_state(c, day("2026-12-04"), 0), EOL_PAST);
	c = eol_cycle_find("go", "1.27");
	assert_non_null(c);
	assert_int_equal(eol_state(c, day("2030-01-01"), 90), EOL_SUPPORTED);
}

static void
test_rules_eol_newest_supported(void **state)
{
	const struct eol_cycle	*c;

	(void)state;
	/* Node 26 became LTS on 2026-10-28; before, 24 was the newest LTS. */
	c = eol_newest_supported("node", day("2026-12-04"), 90, NULL, NULL);
	assert_string_equal(c->cycle, "26");
	c = eol_newest_supported("node", day("2026-06-01"), 90, NULL, NULL);
	assert_string_equal(c->cycle, "24");
	c = eol_newest_supported("node", day("2025-06-01"), 90, NULL, NULL);
	assert_string_equal(c->cycle, "22");
	c = eol_newest_supported("python", day("2026-12-04"), 90, NULL, NULL);
	assert_string_equal(c->cycle, "3.14");
	c = eol_newest_supported("dotnet", day("2026-12-04"), 90,
	    "mcr.microsoft.com/dotnet/aspnet", "alpine");
	assert_string_equal(c->cycle, "10");
	/* Each product's cycles are contiguous (eol.c looks them up so). */
	for (size_t i = 1; i < eol_ncycles; i++) {
		if (strcmp(eol_cycles[i - 1].product, eol_cycles[i].product) ==
		    0)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(eol_cycles[j].product,
			    eol_cycles[i].product) == 0)
				fail_msg("product %s split in eol_cycles",
				    eol_cycles[i].product);
		}
	}
	for (size_t i = 1; i < eol_nvariants; i++) {
		const struct eol_variant	*a = &eol_variants[i - 1];
		const struct eol_variant	*b = &eol_variants[i];
		int				 d = strcmp(a->image, b->image);

		if (d == 0)
			d = strcmp(a->cycle, b->cycle);
		if (d == 0)
			d = strcmp(a->variant, b->variant);
		if (d >= 0)
			fail_msg("eol_variants not sorted at %zu", i);
	}
	assert_true(eol_variant_exists("docker.io/library/node", "20",
	    "bookworm-slim"));
	assert_true(eol_variant_exists("docker.io/library/alpine", "3.19",
	    ""));
	assert_true(eol_variant_exists("mcr.microsoft.com/dotnet/aspnet", "10",
	    "alpine"));
	assert_false(eol_variant_exists("docker.io/library/node", "20",
	    "no-such-variant"));
}

/* Render one reference's findings as "rule:sev[=suggestion],...". */
static void
render(const struct findings *fs, char *out, size_t len)
{
	size_t	 i, used = 0;

	out[0] = '\0';
	for (i = 0; i < fs->n; i++) {
		const struct finding	*f = &fs->v[i];

		used += snprintf(out + used, len - used, "%s%s:%s%s%s",
		    i > 0 ? "," : "", rules_table[f->rule].id,
		    severity_name(f->severity), f->suggestion != NULL ? "=" : "",
		    f->suggestion != NULL ? f->suggestion : "");
		assert_true(used < len);
		assert_non_null(f->message);
		assert_true(strlen(f->message) > 10);
	}
	if (fs->n == 0)
		snprintf(out, len, "-");
}

/*
 * Does every expected item appear in got?  An expectation without a
 * suggestion matches an item with any suggestion; counts must be equal.
 */
static int
same_findings(const char *want, const char *got)
{
	char	*w, *g, *item, *save, *gi, *gsave, *gcopy;
	int	 nw = 0, ng = 0, ok = 1;

	if (strcmp(want, "-") == 0 || strcmp(got, "-") == 0)
		return (strcmp(want, got) == 0);
	w = xstrdup(want);
	g = xstrdup(got);
	for (gi = strtok_r(g, ",", &gsave); gi != NULL;
	    gi = strtok_r(NULL, ",", &gsave))
		ng++;
	for (item = strtok_r(w, ",", &save); item != NULL && ok;
	    item = strtok_r(NULL, ",", &save)) {
		int	 found = 0;

		nw++;
		gcopy = xstrdup(got);
		for (gi = strtok_r(gcopy, ",", &gsave); gi != NULL;
		    gi = strtok_r(NULL, ",", &gsave)) {
			if (strcmp(gi, item) == 0 || (strchr(item, '=') ==
			    NULL && strncmp(gi, item, strlen(item)) == 0 &&
			    gi[strlen(item)] == '='))
				found = 1;
		}
		free(gcopy);
		ok = found;
	}
	free(w);
	free(g);
	return (ok && nw == ng);
}

static void
test_rules_cases(void **state)
{
	struct config		*conf;
	struct scan_result	 sr;
	struct findings		 fs;
	char			 line[1024], *f[3], got[2048];
	FILE			*fp;
	int			 nline = 0, ncase = 0, bad = 0;

	(void)state;
	conf = config_default();
	fp = testlib_open(NULL, "rules-cases.txt");
	while (fgets(line, sizeof line, fp) != NULL) {
		nline++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (testlib_split(line, f, 3) != 3)
			fail_msg("rules-cases.txt:%d: want 3 fields", nline);
		scan_result_init(&sr);
		findings_init(&fs);
		scan_add_ref(&sr, "Dockerfile", 1, 6, SCAN_DOCKERFILE, NULL,
		    atoi(f[1]), f[0], f[0], NULL);
		assert_true(sr.refs[0].resolved);
		rules_check(conf, &sr, day("2026-12-04"), &fs);
		render(&fs, got, sizeof got);
		if (!same_findings(f[2], got)) {
			print_error("rules-cases.txt:%d: %s (final %s)\n"
			    "    want %s\n    got  %s\n", nline, f[0], f[1],
			    f[2], got);
			bad++;
		}
		findings_free(&fs);
		scan_result_free(&sr);
		ncase++;
	}
	fclose(fp);
	config_free(conf);
	assert_int_equal(bad, 0);
	assert_true(ncase >= 30);
}

static void
test_rules_unresolved_and_severity_config(void **state)
{
	struct config		*conf;
	struct scan_result	 sr;
	struct findings		 fs;

	(void)state;
	conf = config_default();
	scan_result_init(&sr);
	findings_init(&fs);
	scan_add_ref(&sr, "Dockerfile", 3, 6, SCAN_DOCKERFILE, NULL, 1,
	    "${BASE}", NULL, "ARG BASE has no default value");
	scan_add_ref(&sr, "compose.yaml", 4, 12, SCAN_COMPOSE, NULL, 1,
	    "Not/Valid", "Not/Valid", NULL);
	scan_add_ref(&sr, "Dockerfile", 9, 6, SCAN_DOCKERFILE, NULL, 1,
	    "node:24-alpine", "node:24-alpine", NULL);
	rules_check(conf, &sr, day("2026-12-04"), &fs);
	assert_int_equal(fs.n, 2);
	assert_int_equal(fs.v[0].rule, RULE_UNRESOLVED);
	assert_string_equal(fs.v[0].file, "Dockerfile");
	assert_int_equal(fs.v[0].line, 3);
	assert_non_null(strstr(fs.v[0].message, "ARG BASE has no default"));
	assert_int_equal(fs.v[1].rule, RULE_UNRESOLVED);
	assert_non_null(strstr(fs.v[1].message, "lowercase"));
	findings_free(&fs);

	/* Opt-in unpinned; eol switched off; unresolved lowered to info. */
	conf->severity[RULE_UNPINNED] = SEV_WARNING;
	conf->severity[RULE_UNRESOLVED] = SEV_INFO;
	findings_init(&fs);
	rules_check(conf, &sr, day("2026-12-04"), &fs);
	assert_int_equal(fs.n, 3);
	assert_int_equal(fs.v[0].severity, SEV_INFO);
	assert_int_equal(fs.v[1].rule, RULE_UNPINNED);
	assert_int_equal(findings_max(&fs), SEV_WARNING);
	findings_free(&fs);
	scan_result_free(&sr);
	config_free(conf);
}

static void
test_rules_catalog_check_flags_eol_entries(void **state)
{
	struct config	*conf;
	struct findings	 fs;
	const char	*want[] = { "node:20-alpine", "golang:1.22-alpine",
		"rust:1.77-alpine", "alpine:3.19",
		"mcr.microsoft.com/dotnet/aspnet:8.0-alpine", NULL };
	size_t		 i, j;

	(void)state;
	conf = config_default();
	findings_init(&fs);
	rules_check_catalog(conf, day("2026-12-04"), &fs);
	for (i = 0; want[i] != NULL; i++) {
		for (j = 0; j < fs.n; j++) {
			if (fs.v[j].rule == RULE_EOL &&
			    strcmp(fs.v[j].text, want[i]) == 0)
				break;
		}
		if (j == fs.n)
			fail_msg("catalog --check did not flag %s", want[i]);
	}
	for (j = 0; j < fs.n; j++)
		assert_int_not_equal(fs.v[j].rule, RULE_NOT_RECOMMENDED);
	findings_free(&fs);
	config_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_version_vectors),
		cmocka_unit_test(test_rules_version_compare),
		cmocka_unit_test(test_rules_eol_cycles),
		cmocka_unit_test(test_rules_eol_state_by_date),
		cmocka_unit_test(test_rules_eol_newest_supported),
		cmocka_unit_test(test_rules_cases),
		cmocka_unit_test(test_rules_unresolved_and_severity_config),
		cmocka_unit_test(test_rules_catalog_check_flags_eol_entries),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
