/*
 * Newer tags of a pinned tag's family (version_newer), checked against the
 * real tag lists under tests/data/version-families/, and the EOL track
 * preference judged at fixed dates (never the wall clock).
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

#include "eol.h"
#include "testlib.h"
#include "version.h"
#include "xmalloc.h"

struct tagset {
	char	**tag;
	size_t	  n;
};

/* Read NAME.tags, one tag per line. */
static void
tagset_load(struct tagset *ts, const char *name)
{
	FILE	*f;
	char	 line[512];

	f = testlib_open(NULL, "version-families/%s.tags", name);
	ts->tag = NULL;
	ts->n = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		ts->tag = xreallocarray(ts->tag, ts->n + 1, sizeof *ts->tag);
		ts->tag[ts->n++] = xstrdup(line);
	}
	fclose(f);
	if (ts->n == 0)
		fail_msg("%s.tags is empty", name);
}

static void
tagset_free(struct tagset *ts)
{
	size_t	 i;

	for (i = 0; i < ts->n; i++)
		free(ts->tag[i]);
	free(ts->tag);
}

static int
parse_level(const char *s, enum version_level *level)
{
	if (strcmp(s, "patch") == 0)
		*level = VERSION_PATCH;
	else if (strcmp(s, "minor") == 0)
		*level = VERSION_MINOR;
	else if (strcmp(s, "major") == 0)
		*level = VERSION_MAJOR;
	else
		return (-1);
	return (0);
}

/* Run one case; the track field is "image@YYYY-MM-DD" or NULL. */
static void
run_case(int nline, char **f, const char *track)
{
	struct tagset		 ts;
	struct version_eol	 ve;
	enum version_level	 level = VERSION_PATCH;
	const char		*best, *at;
	char			 image[256];
	int			 rc;

	if (parse_level(f[2], &level) == -1)
		fail_msg("cases.txt:%d: bad level %s", nline, f[2]);
	tagset_load(&ts, f[0]);
	if (track == NULL)
		rc = version_newer(f[1], (const char *const *)ts.tag, ts.n,
		    level, &best);
	else {
		at = strchr(track, '@');
		if (at == NULL || (size_t)(at - track) >= sizeof image)
			fail_msg("cases.txt:%d: bad track %s", nline, track);
		memcpy(image, track, (size_t)(at - track));
		image[at - track] = '\0';
		ve.image = eol_image_lookup(image);
		if (ve.image == NULL)
			fail_msg("cases.txt:%d: no EOL image %s", nline, image);
		ve.now = eol_date(at + 1);
		if (ve.now == -1)
			fail_msg("cases.txt:%d: bad date %s", nline, at + 1);
		ve.warn_days = 30;
		rc = version_newer_track(f[1], (const char *const *)ts.tag,
		    ts.n, level, version_eol_track, &ve, &best);
	}
	if (strcmp(f[3], "-") == 0) {
		if (rc != -1 || best != NULL)
			fail_msg("cases.txt:%d: %s %s: want none, got %s",
			    nline, f[1], f[2], testlib_show(best));
	} else if (rc != 0 || best == NULL || strcmp(best, f[3]) != 0)
		fail_msg("cases.txt:%d: %s %s: want %s, got %s", nline, f[1],
		    f[2], f[3], best == NULL ? "none" : best);
	tagset_free(&ts);
}

static void
test_version_families(void **state)
{
	FILE	*fp;
	char	 line[1024], *f[5];
	int	 nline = 0, ncases = 0, ntrack = 0, nf;

	(void)state;
	fp = testlib_open(NULL, "version-families/cases.txt");
	while (fgets(line, sizeof line, fp) != NULL) {
		nline++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		nf = testlib_split(line, f, 5);
		if (nf < 4)
			fail_msg("cases.txt:%d: want 4 or 5 fields", nline);
		run_case(nline, f, nf == 5 ? f[4] : NULL);
		ncases++;
		if (nf == 5)
			ntrack++;
	}
	fclose(fp);
	assert_true(ncases >= 60);
	assert_true(ntrack >= 5);
}

static void
test_version_upgrade_level(void **state)
{
	(void)state;
	assert_int_equal(version_upgrade_level("20.18.1-alpine",
	    "20.18.2-alpine"), VERSION_PATCH);
	assert_int_equal(version_upgrade_level("20.18.1-alpine",
	    "20.19.0-alpine"), VERSION_MINOR);
	assert_int_equal(version_upgrade_level("20.18.1-alpine",
	    "22.0.0-alpine"), VERSION_MAJOR);
	assert_int_equal(version_upgrade_level("21.0.4_7", "21.0.4_11"),
	    VERSION_PATCH);
	assert_int_equal(version_upgrade_level("8u482-b08", "8u502-b07"),
	    VERSION_PATCH);
	assert_int_equal(version_upgrade_level("20240101", "20240606"),
	    VERSION_PATCH);
	assert_int_equal(version_upgrade_level("3.12", "3.12"), -1);
	assert_int_equal(version_upgrade_level("3.13", "3.12"), -1);
	assert_int_equal(version_upgrade_level("3.12", "3.13-alpine"), -1);
	assert_int_equal(version_upgrade_level("3.12", "3.13.0"), -1);
	assert_int_equal(version_upgrade_level("3.14", "3.15-rc"), -1);
	assert_int_equal(version_upgrade_level("3.15-rc", "3.15"),
	    VERSION_PATCH);
	assert_int_equal(version_upgrade_level("1.0rc2", "1.0rc10"),
	    VERSION_PATCH);
	assert_int_equal(version_upgrade_level("1.0rc1", "1.0beta9"), -1);
	assert_int_equal(version_upgrade_level("3", "20240606"), -1);
	assert_int_equal(version_upgrade_level("v1.2", "1.3"), -1);
	assert_int_equal(version_upgrade_level("latest", "1.0"), -1);
}

/* Scores from the test's table: "-" excludes, otherwise the number. */
static int
score_by_prefix(const char *tag, void *arg)
{
	(void)arg;
	if (strncmp(tag, "23.", 3) == 0)
		return (-1);
	if (strncmp(tag, "22.", 3) == 0)
		return (5);
	return (1);
}

static void
test_version_track_callback(void **state)
{
	const char	*tags[] = { "22.1.0", "22.3.0", "22.2.0", "23.5.0",
			    "24.0.0", NULL, "" };
	const char	*best;

	(void)state;
	assert_int_equal(version_newer_track("20.0.0", tags, 7,
	    VERSION_MAJOR, score_by_prefix, NULL, &best), 0);
	assert_string_equal(best, "22.3.0");
	assert_int_equal(version_newer("20.0.0", tags, 7, VERSION_MAJOR,
	    &best), 0);
	assert_string_equal(best, "24.0.0");
	assert_int_equal(version_newer_track("24.0.0", tags, 7,
	    VERSION_MAJOR, score_by_prefix, NULL, &best), -1);
	assert_null(best);
}

/* Hostile or empty input: no candidate, no crash. */
static void
test_version_hostile(void **state)
{
	char		 big[8192];
	const char	*tags[4], *best;

	(void)state;
	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	tags[0] = big;
	tags[1] = "1.0.0.0.0.0.0.1";
	tags[2] = "1.0_99999999999999999999u";
	tags[3] = "v";
	assert_int_equal(version_newer(NULL, tags, 4, VERSION_MAJOR, &best),
	    -1);
	assert_int_equal(version_newer("1.0", NULL, 0, VERSION_MAJOR, &best),
	    -1);
	assert_int_equal(version_newer("", tags, 4, VERSION_MAJOR, &best),
	    -1);
	assert_int_equal(version_newer("1", tags, 4, VERSION_MAJOR, &best),
	    0);
	assert_ptr_equal(best, tags[0]);
	assert_int_equal(version_newer(big, tags, 4, VERSION_MAJOR, &best),
	    -1);
	assert_int_equal(version_newer("1.0_1", tags, 4, VERSION_PATCH,
	    &best), -1);
	assert_int_equal(version_newer("1.0.0.0.0.0.0.0", tags, 4,
	    VERSION_PATCH, &best), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_families),
		cmocka_unit_test(test_version_upgrade_level),
		cmocka_unit_test(test_version_track_callback),
		cmocka_unit_test(test_version_hostile),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
