/*
 * The registry rules judged from a history database built at run time in
 * a temporary directory through the store's write API at chosen times:
 * stale-digest (and how many rebuilds behind, moving back and forth),
 * platform manifests, unknown-digest, missing-tag, stale-tag, severities
 * from the configuration, and references the history never saw; outdated
 * against real tag lists (tests/data/version-families, TESTDATA).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "rules.h"
#include "scan.h"
#include "store.h"
#include "testlib.h"
#include "xmalloc.h"

#define REPO	"docker.io/library/node"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DAY	(24 * 60 * 60)
#define T0	((time_t)1767225600)	/* 2026-01-01T00:00:00Z */

/* A valid sha256 digest made of one repeated hex digit. */
#define H8(c)	c c c c c c c c
#define DIG(c)	"sha256:" H8(c) H8(c) H8(c) H8(c) H8(c) H8(c) H8(c) H8(c)
#define DA	DIG("a")
#define DB	DIG("b")
#define DC	DIG("c")
#define DX	DIG("9")
#define I1	DIG("1")	/* indexes and their manifests */
#define I2	DIG("2")
#define P1A	DIG("3")
#define P1B	DIG("4")
#define P2A	DIG("5")
#define P2B	DIG("6")

struct fixture {
	char			*dir;
	struct store		*store;
	struct config		*conf;
	struct scan_result	 sr;
	struct findings		 fs;
	struct rules_registry_stats st;
};

static int
setup(void **state)
{
	struct fixture	*fx;
	char		*path, *cause = NULL;

	fx = xcalloc(1, sizeof *fx);
	fx->dir = testlib_tmpdir("test_rules_registry");
	if (fx->dir == NULL)
		return (-1);
	xasprintf(&path, "%s/history.db", fx->dir);
	if (store_open(path, 0, 0, &fx->store, &cause) != 0) {
		print_error("store_open: %s\n", cause);
		free(cause);
		free(path);
		return (-1);
	}
	free(path);
	fx->conf = config_default();
	scan_result_init(&fx->sr);
	findings_init(&fx->fs);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	findings_free(&fx->fs);
	scan_result_free(&fx->sr);
	config_free(fx->conf);
	store_close(fx->store);
	testlib_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return (0);
}

static void
digest_at(struct fixture *fx, const char *repo, const char *tag,
    const char *digest, time_t when)
{
	enum store_change	 ch;
	char			*cause = NULL;

	if (store_record_digest(fx->store, repo, tag, digest, OCI_MANIFEST,
	    when, &ch, &cause) != 0)
		fail_msg("store_record_digest: %s", cause);
}

/* Record an index with two platform manifests, amd64 then arm64. */
static void
index_at(struct fixture *fx, const char *index, const char *amd64,
    const char *arm64, time_t when)
{
	struct store_platform	 p[2] = {
		{ "linux", "amd64", NULL, amd64 },
		{ "linux", "arm64", "v8", arm64 },
	};
	char			*cause = NULL;

	if (store_record_index(fx->store, index, OCI_INDEX, p, 2, when,
	    &cause) != 0)
		fail_msg("store_record_index: %s", cause);
}

static void
tags_at(struct fixture *fx, const char *const *tags, size_t n, time_t when)
{
	char	*cause = NULL;

	if (store_record_tags(fx->store, REPO, tags, NULL, n, when,
	    &cause) != 0)
		fail_msg("store_record_tags: %s", cause);
}

/*
 * Record the tag list tests/data/version-families/NAME.tags of repo, plus
 * the older tags given before a NULL (the file lists current tags only).
 */
static void
tags_file_at(struct fixture *fx, const char *repo, const char *name,
    time_t when, ...)
{
	const char	*extra;
	char		*cause = NULL, line[512], **tags = NULL;
	size_t		 n = 0, i;
	va_list		 ap;
	FILE		*f;

	f = testlib_open(NULL, "version-families/%s.tags", name);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		tags = xreallocarray(tags, n + 1, sizeof *tags);
		tags[n++] = xstrdup(line);
	}
	fclose(f);
	assert_true(n > 10);
	va_start(ap, when);
	for (;;) {
		extra = va_arg(ap, const char *);
		if (extra == NULL)
			break;
		tags = xreallocarray(tags, n + 1, sizeof *tags);
		tags[n++] = xstrdup(extra);
	}
	va_end(ap);
	if (store_record_tags(fx->store, repo, (const char *const *)tags,
	    NULL, n, when, &cause) != 0)
		fail_msg("store_record_tags: %s", cause);
	for (i = 0; i < n; i++)
		free(tags[i]);
	free(tags);
}

static void
add_ref(struct fixture *fx, const char *text)
{
	struct scan_ref	*r;

	r = scan_add_ref(&fx->sr, "Dockerfile", (unsigned)fx->sr.nrefs + 1, 6,
	    SCAN_DOCKERFILE, NULL, 1, text, text, NULL);
	assert_true(r->resolved);
}

static void
run(struct fixture *fx, time_t now)
{
	findings_free(&fx->fs);
	findings_init(&fx->fs);
	rules_check_registry(fx->conf, fx->store, &fx->sr, now, &fx->fs,
	    &fx->st, NULL);
}

static const char *
evidence(const struct finding *f, const char *key)
{
	size_t	 i;

	for (i = 0; i < f->nevidence; i++) {
		if (strcmp(f->evidence[i].key, key) == 0)
			return (f->evidence[i].value);
	}
	fail_msg("no evidence '%s' in finding: %s", key, f->message);
	return (NULL);
}

static void
assert_contains(const char *s, const char *want)
{
	if (s == NULL || strstr(s, want) == NULL)
		fail_msg("'%s' not in '%s'", want, s == NULL ? "(null)" : s);
}

/* The one finding of the run, of the given rule. */
static const struct finding *
only(struct fixture *fx, enum rule_id rule)
{
	if (fx->fs.n != 1)
		fail_msg("%zu findings, want 1 (%s)", fx->fs.n,
		    fx->fs.n > 0 ? fx->fs.v[0].message : "");
	assert_int_equal(fx->fs.v[0].rule, rule);
	return (&fx->fs.v[0]);
}

static void
test_rules_registry_stale_digest(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;

	digest_at(fx, REPO, "20", DA, T0);
	digest_at(fx, REPO, "20", DA, T0 + DAY);
	digest_at(fx, REPO, "20", DB, T0 + 10 * DAY);
	digest_at(fx, REPO, "20", DB, T0 + 11 * DAY);
	add_ref(fx, "node:20@" DA);
	run(fx, T0 + 12 * DAY);
	f = only(fx, RULE_STALE_DIGEST);
	assert_int_equal(f->severity, SEV_WARNING);
	assert_int_equal(f->line, 1);
	assert_contains(f->message, "node:20@" DA);
	assert_contains(f->message, "tag '20'");
	assert_contains(f->message, "moved off it on 2026-01-11");
	assert_contains(f->message, "rebuilt 1 time since");
	assert_string_equal(evidence(f, "pinned"), DA);
	assert_string_equal(evidence(f, "current"), DB);
	assert_string_equal(evidence(f, "moved_at"), "2026-01-11T00:00:00Z");
	assert_string_equal(evidence(f, "rebuilds_behind"), "1");
	assert_string_equal(f->suggestion, "node:20@" DB);
	assert_int_equal(fx->st.checked, 1);
	assert_int_equal(fx->st.unknown, 0);
}

static void
test_rules_registry_current_is_fresh(void **state)
{
	struct fixture	*fx = *state;

	digest_at(fx, REPO, "20", DA, T0);
	digest_at(fx, REPO, "20", DB, T0 + 10 * DAY);
	add_ref(fx, "node:20@" DB);
	add_ref(fx, "node:20");
	run(fx, T0 + 12 * DAY);
	assert_int_equal(fx->fs.n, 0);
	assert_int_equal(fx->st.checked, 2);
	assert_int_equal(fx->st.unknown, 0);
}

static void
test_rules_registry_back_and_forth(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;

	/* A, B, A, B, C: five periods. */
	digest_at(fx, REPO, "20", DA, T0);
	digest_at(fx, REPO, "20", DB, T0 + 1 * DAY);
	digest_at(fx, REPO, "20", DA, T0 + 2 * DAY);
	digest_at(fx, REPO, "20", DB, T0 + 3 * DAY);
	digest_at(fx, REPO, "20", DC, T0 + 4 * DAY);

	add_ref(fx, "node:20@" DA);
	run(fx, T0 + 5 * DAY);
	f = only(fx, RULE_STALE_DIGEST);
	assert_string_equal(evidence(f, "rebuilds_behind"), "2");
	assert_string_equal(evidence(f, "moved_at"), "2026-01-04T00:00:00Z");
	assert_contains(f->message, "rebuilt 2 times since");
	assert_string_equal(f->suggestion, "node:20@" DC);

	scan_result_free(&fx->sr);
	scan_result_init(&fx->sr);
	add_ref(fx, "node:20@" DB);
	run(fx, T0 + 5 * DAY);
	f = only(fx, RULE_STALE_DIGEST);
	assert_string_equal(evidence(f, "rebuilds_behind"), "1");
	assert_string_equal(evidence(f, "moved_at"), "2026-01-05T00:00:00Z");

	scan_result_free(&fx->sr);
	scan_result_init(&fx->sr);
	add_ref(fx, "node:20@" DC);
	run(fx, T0 + 5 * DAY);
	assert_int_equal(fx->fs.n, 0);
}

static void
test_rules_registry_platforms(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;

	index_at(fx, I1, P1A, P1B, T0);
	digest_at(fx, REPO, "20", I1, T0);
	index_at(fx, I2, P2A, P2B, T0 + 5 * DAY);
	digest_at(fx, REPO, "20", I2, T0 + 5 * DAY);

	/* A platform manifest of the current index is fresh. */
	add_ref(fx, "node:20@" P2B);
	add_ref(fx, "node:20@" I2);
	run(fx, T0 + 6 * DAY);
	assert_int_equal(fx->fs.n, 0);
	assert_int_equal(fx->st.checked, 2);

	/* One of the old index: stale, replaced by the same platform's. */
	scan_result_free(&fx->sr);
	scan_result_init(&fx->sr);
	add_ref(fx, "node:20@" P1B);
	run(fx, T0 + 6 * DAY);
	f = only(fx, RULE_STALE_DIGEST);
	assert_string_equal(evidence(f, "pinned"), P1B);
	assert_string_equal(evidence(f, "current"), I2);
	assert_string_equal(evidence(f, "rebuilds_behind"), "1");
	assert_string_equal(f->suggestion, "node:20@" P2B);

	/* The old index itself: replaced by the current index. */
	scan_result_free(&fx->sr);
	scan_result_init(&fx->sr);
	add_ref(fx, "node:20@" I1);
	run(fx, T0 + 6 * DAY);
	f = only(fx, RULE_STALE_DIGEST);
	assert_string_equal(f->suggestion, "node:20@" I2);
}

static void
test_rules_registry_unknown_digest(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;

	digest_at(fx, REPO, "20", DA, T0);
	digest_at(fx, REPO, "22", DX, T0);	/* another tag's */
	add_ref(fx, "node:20@" DX);
	run(fx, T0 + DAY);
	f = only(fx, RULE_UNKNOWN_DIGEST);
	assert_int_equal(f->severity, SEV_WARNING);
	assert_contains(f->message, "never seen for tag '20'");
	assert_string_equal(evidence(f, "pinned"), DX);
	assert_string_equal(evidence(f, "current"), DA);
	assert_null(f->suggestion);
}

static void
test_rules_registry_missing_tag(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;
	const char		*first[] = { "20", "22" }, *second[] = { "20" };

	tags_at(fx, first, 2, T0);
	digest_at(fx, REPO, "20", DA, T0);
	add_ref(fx, "node:18");
	run(fx, T0 + DAY);
	f = only(fx, RULE_MISSING_TAG);
	assert_int_equal(f->severity, SEV_ERROR);
	assert_contains(f->message, "tag '18' is not in the registry");
	assert_string_equal(evidence(f, "fetched_at"), "2026-01-01T00:00:00Z");
	assert_int_equal(fx->st.checked, 1);

	/* A tag the next list no longer holds is gone. */
	tags_at(fx, second, 1, T0 + 3 * DAY);
	scan_result_free(&fx->sr);
	scan_result_init(&fx->sr);
	add_ref(fx, "node:22");
	add_ref(fx, "node:20");
	run(fx, T0 + 4 * DAY);
	f = only(fx, RULE_MISSING_TAG);
	assert_string_equal(f->text, "node:22");
	assert_contains(f->message, "gone from the registry since 2026-01-04");
	assert_string_equal(evidence(f, "fetched_at"), "2026-01-04T00:00:00Z");
	assert_string_equal(evidence(f, "gone_since"), "2026-01-04T00:00:00Z");
}

static void
test_rules_registry_stale_tag(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;
	time_t			 now = T0 + 400 * DAY;

	digest_at(fx, REPO, "14", DA, T0);
	digest_at(fx, REPO, "14", DA, now - DAY);	/* still there */
	digest_at(fx, REPO, "22", DB, T0);
	digest_at(fx, REPO, "22", DC, now - 5 * DAY);
	add_ref(fx, "node:14");
	add_ref(fx, "node:22");
	run(fx, now);
	f = only(fx, RULE_STALE_TAG);
	assert_string_equal(f->text, "node:14");
	assert_contains(f->message, "not been rebuilt for 400 days");
	assert_contains(f->message, "tag '22'");
	assert_string_equal(evidence(f, "last_rebuild"),
	    "2026-01-01T00:00:00Z");
	assert_string_equal(evidence(f, "newest_move"), "2027-01-31T00:00:00Z");
	assert_string_equal(evidence(f, "newest_tag"), "22");

	/* Not stale when no other tag moved within stale_tag_days. */
	run(fx, now + 100 * DAY);
	assert_int_equal(fx->fs.n, 0);
	/* Nor when the threshold is longer than the tag's age. */
	fx->conf->stale_tag_days = 500;
	run(fx, now);
	assert_int_equal(fx->fs.n, 0);
}

static void
test_rules_registry_severity_config(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;

	digest_at(fx, REPO, "20", DA, T0);
	digest_at(fx, REPO, "20", DB, T0 + DAY);
	add_ref(fx, "node:20@" DA);
	fx->conf->severity[RULE_STALE_DIGEST] = SEV_ERROR;
	run(fx, T0 + 2 * DAY);
	f = only(fx, RULE_STALE_DIGEST);
	assert_int_equal(f->severity, SEV_ERROR);
	fx->conf->severity[RULE_STALE_DIGEST] = SEV_OFF;
	run(fx, T0 + 2 * DAY);
	assert_int_equal(fx->fs.n, 0);
}

static void
test_rules_registry_unknown_image(void **state)
{
	struct fixture	*fx = *state;
	unsigned char	 flags[6];

	digest_at(fx, REPO, "20", DA, T0);
	add_ref(fx, "alpine:3.20");		/* image never seen */
	add_ref(fx, "node:18@" DA);		/* tag never seen */
	add_ref(fx, "node@" DA);		/* no tag to follow */
	add_ref(fx, "node:20");
	scan_add_ref(&fx->sr, "Dockerfile", 9, 6, SCAN_DOCKERFILE, NULL, 1,
	    "${BASE}", NULL, "ARG BASE has no default value");
	run(fx, T0 + DAY);
	assert_int_equal(fx->fs.n, 0);
	assert_int_equal(fx->st.unknown, 3);
	assert_int_equal(fx->st.checked, 1);

	/* Which ones: the unknown flags, the unresolved one left alone. */
	memset(flags, 7, sizeof flags);
	memset(flags, 0, 5);
	rules_check_registry(fx->conf, fx->store, &fx->sr, T0 + DAY, &fx->fs,
	    &fx->st, flags);
	assert_int_equal(flags[0], 1);
	assert_int_equal(flags[1], 1);
	assert_int_equal(flags[2], 1);
	assert_int_equal(flags[3], 0);
	assert_int_equal(flags[4], 0);
	assert_int_equal(flags[5], 7);

	/* No database at all: everything resolved is unknown. */
	rules_check_registry(fx->conf, NULL, &fx->sr, T0 + DAY, &fx->fs,
	    &fx->st, NULL);
	assert_int_equal(fx->fs.n, 0);
	assert_int_equal(fx->st.unknown, 4);
	assert_int_equal(fx->st.checked, 0);
}

#define AUG21	((time_t)1787270400)	/* 2026-08-21T00:00:00Z */

/* The finding of rule for the reference text; fails when absent. */
static const struct finding *
find_rule(struct fixture *fx, enum rule_id rule, const char *text)
{
	size_t	 i;

	for (i = 0; i < fx->fs.n; i++) {
		if (fx->fs.v[i].rule == rule &&
		    strcmp(fx->fs.v[i].text, text) == 0)
			return (&fx->fs.v[i]);
	}
	fail_msg("no finding of rule %d for %s", (int)rule, text);
	return (NULL);
}

/* Each level, LTS preferred, the digest dropped from the suggestion. */
static void
test_rules_registry_outdated_levels(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;

	tags_file_at(fx, REPO, "node", AUG21, "22.1.0-alpine",
	    "24.1.0-alpine", (char *)NULL);
	tags_file_at(fx, "docker.io/library/python", "python", AUG21,
	    "3.12.1-slim-bookworm", "3.14.1-slim-bookworm", (char *)NULL);
	tags_file_at(fx, "docker.io/library/alpine", "alpine", AUG21,
	    "3.24.0", (char *)NULL);
	add_ref(fx, "node:22.1.0-alpine@" DA);
	add_ref(fx, "node:24.1.0-alpine");
	add_ref(fx, "python:3.12.1-slim-bookworm");
	add_ref(fx, "python:3.14.1-slim-bookworm");
	add_ref(fx, "alpine:3.24.0");
	add_ref(fx, "node:26.7.0-alpine");	/* the newest */
	add_ref(fx, "node:lts-alpine");		/* no version */
	run(fx, AUG21 + DAY);
	assert_int_equal(fx->fs.n, 5);
	assert_int_equal(fx->st.checked, 7);
	assert_int_equal(fx->st.unknown, 0);

	/* 26 is newer but not LTS before 2026-10-28: 24 is preferred. */
	f = find_rule(fx, RULE_OUTDATED, "node:22.1.0-alpine@" DA);
	assert_int_equal(f->severity, SEV_WARNING);
	assert_string_equal(f->message, "node:22.1.0-alpine@" DA
	    ": 24.19.0-alpine is newer (major)");
	assert_string_equal(evidence(f, "newest"), "24.19.0-alpine");
	assert_string_equal(evidence(f, "level"), "major");
	assert_string_equal(f->suggestion, "node:24.19.0-alpine");

	f = find_rule(fx, RULE_OUTDATED, "node:24.1.0-alpine");
	assert_string_equal(evidence(f, "newest"), "24.19.0-alpine");
	assert_string_equal(evidence(f, "level"), "minor");
	assert_contains(f->message, "(minor)");

	f = find_rule(fx, RULE_OUTDATED, "python:3.12.1-slim-bookworm");
	assert_string_equal(evidence(f, "newest"), "3.14.7-slim-bookworm");
	assert_string_equal(evidence(f, "level"), "minor");
	assert_string_equal(f->suggestion, "python:3.14.7-slim-bookworm");

	/* 3.15.0rc1 is no candidate for a stable pin. */
	f = find_rule(fx, RULE_OUTDATED, "python:3.14.1-slim-bookworm");
	assert_string_equal(evidence(f, "newest"), "3.14.7-slim-bookworm");
	assert_string_equal(evidence(f, "level"), "patch");

	f = find_rule(fx, RULE_OUTDATED, "alpine:3.24.0");
	assert_string_equal(f->message, "alpine:3.24.0: 3.24.1 is newer "
	    "(patch)");
	assert_string_equal(f->suggestion, "alpine:3.24.1");
}

/* Only listed tags are candidates; one past end of life still counts. */
static void
test_rules_registry_outdated_listed(void **state)
{
	struct fixture		*fx = *state;
	const struct finding	*f;
	const char		*first[] = { "20.18.1-alpine", "20.19.2-alpine",
				    "20.19.3-alpine", "20.19.2" };
	const char		*second[] = { "20.18.1-alpine",
				    "20.19.2-alpine", "20.19.2" };

	tags_at(fx, first, 4, T0);
	tags_at(fx, second, 3, T0 + DAY);	/* 20.19.3-alpine is gone */
	add_ref(fx, "node:20.18.1-alpine");
	run(fx, AUG21);
	f = only(fx, RULE_OUTDATED);
	assert_string_equal(f->message, "node:20.18.1-alpine: 20.19.2-alpine "
	    "is newer (minor)");
	assert_string_equal(f->suggestion, "node:20.19.2-alpine");

	fx->conf->severity[RULE_OUTDATED] = SEV_ERROR;
	run(fx, AUG21);
	assert_int_equal(only(fx, RULE_OUTDATED)->severity, SEV_ERROR);
	fx->conf->severity[RULE_OUTDATED] = SEV_OFF;
	run(fx, AUG21);
	assert_int_equal(fx->fs.n, 0);
	assert_int_equal(fx->st.checked, 1);
}

/* Without a fetched tag list there is nothing to compare: unknown. */
static void
test_rules_registry_outdated_never_listed(void **state)
{
	struct fixture	*fx = *state;

	digest_at(fx, REPO, "20.18.1-alpine", DA, T0);
	digest_at(fx, REPO, "20.19.2-alpine", DB, T0);
	add_ref(fx, "node:20.18.1-alpine");	/* resolved: checked */
	add_ref(fx, "node:20.1.0-alpine");	/* never seen: unknown */
	run(fx, T0 + DAY);
	assert_int_equal(fx->fs.n, 0);
	assert_int_equal(fx->st.checked, 1);
	assert_int_equal(fx->st.unknown, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_rules_registry_stale_digest),
		T(test_rules_registry_current_is_fresh),
		T(test_rules_registry_back_and_forth),
		T(test_rules_registry_platforms),
		T(test_rules_registry_unknown_digest),
		T(test_rules_registry_missing_tag),
		T(test_rules_registry_stale_tag),
		T(test_rules_registry_severity_config),
		T(test_rules_registry_unknown_image),
		T(test_rules_registry_outdated_levels),
		T(test_rules_registry_outdated_listed),
		T(test_rules_registry_outdated_never_listed),
#undef T
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
