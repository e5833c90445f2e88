/*
 * The rules that need registry data, judged from the history database
 * alone: stale-digest, unknown-digest, missing-tag, stale-tag, and
 * outdated from the repository's tag list.  What the database has never
 * seen is counted as unknown, never called fresh.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eol.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "version.h"
#include "xmalloc.h"

#define RREG_DAY	(24 * 60 * 60)

struct rreg_ctx {
	const struct config		*conf;
	struct store			*store;
	time_t				 now;
	struct findings			*out;
	struct rules_registry_stats	*stats;
};

/* What the history holds about one repository, looked up once per ref. */
struct rreg_repo {
	char			*id;		/* ref_identity */
	struct store_tag	*tags;
	size_t			 ntags;
	int			 fetched;	/* the tag list was fetched */
	time_t			 fetched_at;
};

static enum severity
rreg_sev(const struct rreg_ctx *rc, enum rule_id rule)
{
	return (rc->conf->severity[rule]);
}

/* t as RFC 3339 UTC (long) or a date (short) into buf; returns buf. */
static const char *
rreg_time(time_t t, int date_only, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, date_only ?
	    "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "an unknown time");
	return (buf);
}

/* Log a database error once per reference and free it. */
static void
rreg_store_error(const struct scan_ref *r, char *cause)
{
	log_warnx("%s: history database: %s", r->text,
	    cause != NULL ? cause : "error");
	free(cause);
}

static struct store_tag *
rreg_find_tag(const struct rreg_repo *rr, const char *tag)
{
	size_t	 i;

	for (i = 0; i < rr->ntags; i++) {
		if (strcmp(rr->tags[i].name, tag) == 0)
			return (&rr->tags[i]);
	}
	return (NULL);
}

/*
 * The manifest of the current index for the platform that pinned has in
 * the older index old; NULL when either index or the platform is unknown.
 */
static char *
rreg_same_platform(struct rreg_ctx *rc, const char *old, const char *pinned,
    const char *current)
{
	struct store_platform	*op = NULL, *cp = NULL;
	size_t			 on = 0, cn = 0, i, j;
	char			*cause = NULL, *found = NULL;

	if (store_index_platforms(rc->store, old, &op, &on, &cause) != 0 ||
	    store_index_platforms(rc->store, current, &cp, &cn, &cause) != 0)
		goto out;
	for (i = 0; i < on; i++) {
		if (strcmp(op[i].digest, pinned) == 0)
			break;
	}
	if (i == on)
		goto out;
	for (j = 0; j < cn; j++) {
		if (strcmp(cp[j].os, op[i].os) == 0 &&
		    strcmp(cp[j].architecture, op[i].architecture) == 0 &&
		    strcmp(cp[j].variant, op[i].variant) == 0) {
			found = xstrdup(cp[j].digest);
			break;
		}
	}
out:
	free(cause);
	store_platforms_free(op, on);
	store_platforms_free(cp, cn);
	return (found);
}

static void
rreg_stale_digest(struct rreg_ctx *rc, const struct scan_ref *r,
    const char *tag, const struct store_tag *t,
    const struct store_period *p, size_t later)
{
	struct finding	*f;
	const char	*pinned = r->ref.digest;
	char		 when[32], day[32], *repl = NULL;

	rreg_time(p->closed, 0, when, sizeof when);
	rreg_time(p->closed, 1, day, sizeof day);
	f = findings_add(rc->out, RULE_STALE_DIGEST,
	    rreg_sev(rc, RULE_STALE_DIGEST), r,
	    "%s: the pinned digest is no longer what tag '%s' points at: "
	    "the tag moved off it on %s and has been rebuilt %zu time%s "
	    "since", r->text, tag, day, later, later == 1 ? "" : "s");
	finding_evidence(f, "pinned", "%s", pinned);
	finding_evidence(f, "current", "%s", t->digest);
	finding_evidence(f, "moved_at", "%s", when);
	finding_evidence(f, "rebuilds_behind", "%zu", later);
	/* A pinned platform manifest is replaced by the same platform's. */
	if (strcmp(p->digest, pinned) != 0)
		repl = rreg_same_platform(rc, p->digest, pinned, t->digest);
	f->suggestion = ref_with(&r->ref, tag, repl != NULL ? repl :
	    t->digest);
	free(repl);
}

static void
rreg_unknown_digest(struct rreg_ctx *rc, const struct scan_ref *r,
    const char *tag, const struct store_tag *t)
{
	struct finding	*f;

	f = findings_add(rc->out, RULE_UNKNOWN_DIGEST,
	    rreg_sev(rc, RULE_UNKNOWN_DIGEST), r,
	    "%s: the pinned digest was never seen for tag '%s' (the history "
	    "holds %zu digest%s of it): it may belong to another tag or "
	    "image", r->text, tag, t->nperiods, t->nperiods == 1 ? "" : "s");
	finding_evidence(f, "pinned", "%s", r->ref.digest);
	finding_evidence(f, "current", "%s", t->digest);
}

/* stale-digest and unknown-digest: the pin against the tag's history. */
static int
rreg_digest(struct rreg_ctx *rc, const struct scan_ref *r,
    const struct rreg_repo *rr, const char *tag, const struct store_tag *t)
{
	struct store_period	 p;
	const char		*pinned = r->ref.digest;
	char			*cause = NULL;
	size_t			 later = 0;
	int			 found, ret = -1;

	memset(&p, 0, sizeof p);
	if (strcmp(t->digest, pinned) == 0)
		found = 1;	/* the current digest: fresh */
	else
		found = store_digest_is_platform_of(rc->store, t->digest,
		    pinned, &cause);
	if (found != 0) {
		ret = found == 1 ? 0 : -1;
		goto out;
	}
	found = store_digest_seen(rc->store, rr->id, tag, pinned, &p, &later,
	    &cause);
	if (found == -1)
		goto out;
	if (found == 0) {
		if (rreg_sev(rc, RULE_UNKNOWN_DIGEST) != SEV_OFF)
			rreg_unknown_digest(rc, r, tag, t);
	} else if (p.closed != 0 && rreg_sev(rc, RULE_STALE_DIGEST) !=
	    SEV_OFF)
		rreg_stale_digest(rc, r, tag, t, &p, later);
	ret = 0;
out:
	if (ret == -1)
		rreg_store_error(r, cause);
	store_period_clear(&p);
	return (ret);
}

static void
rreg_missing_tag(struct rreg_ctx *rc, const struct scan_ref *r,
    const struct rreg_repo *rr, const char *tag, const struct store_tag *t)
{
	struct finding	*f;
	char		 when[32], gone[32];

	rreg_time(rr->fetched_at, 0, when, sizeof when);
	if (t != NULL && t->gone_since != 0)
		f = findings_add(rc->out, RULE_MISSING_TAG,
		    rreg_sev(rc, RULE_MISSING_TAG), r,
		    "%s: tag '%s' is gone from the registry since %s: the "
		    "build will fail", r->text, tag,
		    rreg_time(t->gone_since, 1, gone, sizeof gone));
	else
		f = findings_add(rc->out, RULE_MISSING_TAG,
		    rreg_sev(rc, RULE_MISSING_TAG), r,
		    "%s: tag '%s' is not in the registry's tag list: the "
		    "build will fail", r->text, tag);
	finding_evidence(f, "fetched_at", "%s", when);
	if (t != NULL && t->gone_since != 0)
		finding_evidence(f, "gone_since", "%s",
		    rreg_time(t->gone_since, 0, gone, sizeof gone));
}

/* stale-tag: not rebuilt for long while another tag of the image moved. */
static void
rreg_stale_tag(struct rreg_ctx *rc, const struct scan_ref *r,
    const struct rreg_repo *rr, const struct store_tag *t)
{
	const struct store_tag	*o, *newest = NULL;
	struct finding		*f;
	time_t			 limit;
	size_t			 i;
	char			 a[32], b[32];

	/* A time the database cannot hold (0 or before) judges nothing. */
	limit = rc->now - (time_t)rc->conf->stale_tag_days * RREG_DAY;
	if (t->since <= 0 || t->since >= limit)
		return;
	for (i = 0; i < rr->ntags; i++) {
		o = &rr->tags[i];
		if (o == t || o->digest == NULL || o->gone_since != 0 ||
		    o->since <= limit || o->since > rc->now)
			continue;
		if (newest == NULL || o->since > newest->since)
			newest = o;
	}
	if (newest == NULL)
		return;
	f = findings_add(rc->out, RULE_STALE_TAG, rreg_sev(rc, RULE_STALE_TAG),
	    r, "%s: tag '%s' has not been rebuilt for %lld days (since %s) "
	    "while tag '%s' of the same image moved on %s: it is probably no "
	    "longer maintained", r->text, t->name,
	    (long long)((rc->now - t->since) / RREG_DAY),
	    rreg_time(t->since, 1, a, sizeof a), newest->name,
	    rreg_time(newest->since, 1, b, sizeof b));
	finding_evidence(f, "last_rebuild", "%s",
	    rreg_time(t->since, 0, a, sizeof a));
	finding_evidence(f, "newest_move", "%s",
	    rreg_time(newest->since, 0, b, sizeof b));
	finding_evidence(f, "newest_tag", "%s", newest->name);
}

static const char *
rreg_level_name(int level)
{
	switch (level) {
	case VERSION_MAJOR:
		return ("major");
	case VERSION_MINOR:
		return ("minor");
	default:
		return ("patch");
	}
}

/*
 * outdated: the best newer tag of the pin's family in the last tag list,
 * supported and LTS release tracks preferred.  The levels are nested
 * ranges (MAJOR holds MINOR holds PATCH), so one search at MAJOR finds the
 * highest level that has a candidate.
 */
static void
rreg_outdated(struct rreg_ctx *rc, const struct scan_ref *r,
    const struct rreg_repo *rr, const char *tag)
{
	struct version_eol	 ve;
	struct finding		*f;
	const char		**names, *best = NULL;
	size_t			 i, n = 0;
	int			 level;

	names = xreallocarray(NULL, rr->ntags + 1, sizeof *names);
	for (i = 0; i < rr->ntags; i++) {
		if (rr->tags[i].listed && rr->tags[i].gone_since == 0)
			names[n++] = rr->tags[i].name;
	}
	memset(&ve, 0, sizeof ve);
	ve.image = eol_image_find(&r->ref);
	ve.now = rc->now;
	ve.warn_days = rc->conf->eol_warn_days;
	if (version_newer_track(tag, names, n, VERSION_MAJOR,
	    version_eol_track, &ve, &best) != 0)
		goto out;
	level = version_upgrade_level(tag, best);
	if (level == -1)
		goto out;
	f = findings_add(rc->out, RULE_OUTDATED, rreg_sev(rc, RULE_OUTDATED),
	    r, "%s: %s is newer (%s)", r->text, best, rreg_level_name(level));
	finding_evidence(f, "newest", "%s", best);
	finding_evidence(f, "level", "%s", rreg_level_name(level));
	/* The digest is dropped: a pin is re-resolved for the new tag. */
	f->suggestion = ref_with(&r->ref, best, NULL);
out:
	free(names);
}

/* Judge one reference; 1 if it was checked, 0 if there was no data. */
static int
rreg_check_ref(struct rreg_ctx *rc, const struct scan_ref *r)
{
	struct rreg_repo	 rr;
	struct store_tag	*t;
	const char		*tag = r->ref.tag;
	char			*cause = NULL;
	int			 checked = 0, found;

	memset(&rr, 0, sizeof rr);
	if (tag == NULL && r->ref.digest == NULL)
		tag = "latest";
	if (tag == NULL || rc->store == NULL)
		goto out;	/* a bare digest names no tag to follow */
	rr.id = ref_identity(&r->ref);
	if (store_tags(rc->store, rr.id, &rr.tags, &rr.ntags, &cause) != 0)
		goto fail;
	found = store_tags_fetched_at(rc->store, rr.id, &rr.fetched_at,
	    &cause);
	if (found == -1)
		goto fail;
	rr.fetched = found == 1;
	t = rreg_find_tag(&rr, tag);
	if (rr.fetched && (t == NULL || !t->listed || t->gone_since != 0)) {
		if (rreg_sev(rc, RULE_MISSING_TAG) != SEV_OFF)
			rreg_missing_tag(rc, r, &rr, tag, t);
		checked = 1;
		goto out;
	}
	if (rr.fetched) {
		checked = 1;
		if (rreg_sev(rc, RULE_OUTDATED) != SEV_OFF)
			rreg_outdated(rc, r, &rr, tag);
	}
	if (t == NULL || t->digest == NULL)
		goto out;	/* never resolved: no digest to judge */
	checked = 1;
	if (r->ref.digest != NULL && rreg_digest(rc, r, &rr, tag, t) != 0)
		checked = 0;
	if (rreg_sev(rc, RULE_STALE_TAG) != SEV_OFF)
		rreg_stale_tag(rc, r, &rr, t);
	goto out;
fail:
	rreg_store_error(r, cause);
out:
	store_tags_free(rr.tags, rr.ntags);
	free(rr.id);
	return (checked);
}

void
rules_check_registry(const struct config *conf, struct store *store,
    const struct scan_result *sr, time_t now, struct findings *out,
    struct rules_registry_stats *stats, unsigned char *unknown)
{
	struct rules_registry_stats	 dummy;
	struct rreg_ctx			 rc;
	size_t				 i;

	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	rc.conf = conf;
	rc.store = store;
	rc.now = now;
	rc.out = out;
	rc.stats = stats;
	for (i = 0; i < sr->nrefs; i++) {
		if (!sr->refs[i].resolved)
			continue;
		if (rreg_check_ref(&rc, &sr->refs[i]))
			stats->checked++;
		else {
			stats->unknown++;
			if (unknown != NULL)
				unknown[i] = 1;
		}
	}
	findings_sort(out);
}
