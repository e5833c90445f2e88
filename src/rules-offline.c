/*
 * The rules that need no registry: latest, eol, non-minimal,
 * build-image-final, not-recommended, unpinned, unresolved.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eol.h"
#include "rules.h"
#include "version.h"
#include "xmalloc.h"

#define RULES_DAY	(24 * 60 * 60)

struct rules_ctx {
	const struct config		*conf;
	time_t				 now;
	struct findings			*out;

	/* What is known of the reference being judged, looked up once. */
	char				*id;	/* ref_identity */
	const struct eol_image		*img;	/* NULL: no EOL data */
	const struct catalog_entry	*cat;	/* NULL: not in catalog */
};

/*
 * Images that only build software: a compiler or SDK has no place in the
 * image that ships.  The catalog adds its own build-only entries.
 */
static const char *rules_build_images[] = {
	"docker.io/library/golang",
	"docker.io/library/rust",
	"docker.io/library/gcc",
	"docker.io/library/maven",
	"docker.io/library/gradle",
	"docker.io/library/buildpack-deps",
	"mcr.microsoft.com/dotnet/sdk",
	NULL
};

/* Java images whose tags say jdk are build images; the jre ones ship. */
static const char *rules_java_images[] = {
	"docker.io/library/eclipse-temurin",
	"docker.io/library/openjdk",
	"docker.io/library/sapmachine",
	"docker.io/library/ibm-semeru-runtimes",
	NULL
};

static enum severity
rules_sev(const struct rules_ctx *rc, enum rule_id rule)
{
	return (rc->conf->severity[rule]);
}

static int
rules_in_list(const char *const *list, const char *id)
{
	size_t	 i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], id) == 0)
			return (1);
	}
	return (0);
}

static int
rules_tag_has_word(const char *tag, const char *word)
{
	const char	*p = tag;
	size_t		 len, n = strlen(word);

	while (*p != '\0') {
		len = strcspn(p, "-");
		if (len == n && strncmp(p, word, n) == 0)
			return (1);
		p += len;
		if (*p == '-')
			p++;
	}
	return (0);
}

static void
rules_unresolved(struct rules_ctx *rc, const struct scan_ref *r)
{
	findings_add(rc->out, RULE_UNRESOLVED, rules_sev(rc, RULE_UNRESOLVED),
	    r, "%s: %s; the image cannot be checked", r->text, r->problem);
}

/* A supported replacement for the 'latest' tag, from the EOL table. */
static char *
rules_latest_suggestion(const struct rules_ctx *rc, const struct scan_ref *r)
{
	const struct eol_image	*img;
	const struct eol_cycle	*c;

	img = rc->img;
	if (img == NULL)
		return (NULL);
	c = eol_newest_supported(img->product, rc->now,
	    rc->conf->eol_warn_days, img->image, "");
	if (c == NULL)
		return (NULL);
	return (ref_with(&r->ref, c->cycle, NULL));
}

static void
rules_latest(struct rules_ctx *rc, const struct scan_ref *r)
{
	struct finding	*f;

	if (r->ref.digest != NULL ||
	    (r->ref.tag != NULL && strcmp(r->ref.tag, "latest") != 0))
		return;
	f = findings_add(rc->out, RULE_LATEST, rules_sev(rc, RULE_LATEST), r,
	    "%s uses %s: the image changes under you, across major versions, "
	    "whenever it is pulled", r->text, r->ref.tag == NULL ?
	    "no tag (so 'latest')" : "the 'latest' tag");
	f->suggestion = rules_latest_suggestion(rc, r);
}

/*
 * The newer cycle's version written with as many parts as the pinned tag:
 * .NET's cycle "10" is tagged "10.0", a pin to node 20.18.1 becomes the
 * newest release of the new cycle, 26.7.0.
 */
static void
rules_version_like(const struct eol_cycle *c, int nparts, char *out,
    size_t len)
{
	struct version	 v;

	version_parse(c->latest != NULL ? c->latest : c->cycle, &v);
	if (v.nparts < nparts) {
		version_parse(c->cycle, &v);
		while (v.nparts < nparts && v.nparts < VERSION_MAX_PARTS)
			v.part[v.nparts++] = 0;
	}
	version_prefix(&v, nparts, out, len);
}

/* The replacement for an end-of-life tag: the same variant, newer cycle. */
static char *
rules_eol_suggestion(const struct rules_ctx *rc, const struct scan_ref *r,
    const struct eol_image *img, const struct eol_cycle **newest)
{
	struct version	 v;
	const char	*variant;
	char		*tag, *s, version[64];

	version_parse(r->ref.tag, &v);
	variant = version_variant(r->ref.tag, &v);
	*newest = eol_newest_supported(img->product, rc->now,
	    rc->conf->eol_warn_days, img->image, variant);
	if (*newest == NULL) {
		*newest = eol_newest_supported(img->product, rc->now,
		    rc->conf->eol_warn_days, NULL, NULL);
		return (NULL);
	}
	if (v.nparts == 0)
		return (NULL);
	rules_version_like(*newest, v.nparts, version, sizeof version);
	xasprintf(&tag, "%s%s%s", version, *variant != '\0' ? "-" : "",
	    variant);
	s = ref_with(&r->ref, tag, NULL);
	free(tag);
	return (s);
}

static void
rules_eol_one(struct rules_ctx *rc, const struct scan_ref *r,
    const struct eol_cycle *c, const struct eol_image *img)
{
	const struct eol_cycle	*newest = NULL;
	struct finding		*f;
	enum eol_state		 st;
	enum severity		 sev = rules_sev(rc, RULE_EOL);
	long			 days;
	char			 name[128];

	st = eol_state(c, rc->now, rc->conf->eol_warn_days);
	if (st != EOL_PAST && st != EOL_SOON)
		return;
	days = c->eol != NULL ? (long)((eol_date(c->eol) - rc->now) /
	    RULES_DAY) : 0;
	if (c->codename != NULL)
		snprintf(name, sizeof name, "%s %s (%s)",
		    eol_product_name(c->product), c->cycle, c->codename);
	else
		snprintf(name, sizeof name, "%s %s",
		    eol_product_name(c->product), c->cycle);

	/* Debian LTS keeps fixing a release after its end of life. */
	if (st == EOL_PAST && c->extended != NULL &&
	    strcmp(c->product, "debian") == 0 &&
	    eol_date(c->extended) > rc->now) {
		if (sev > SEV_WARNING)
			sev = SEV_WARNING;
		f = findings_add(rc->out, RULE_EOL, sev, r, "%s: "
		    "%s left regular security support on %s; only Debian LTS "
		    "fixes it until %s", r->text, name, c->eol, c->extended);
	} else if (st == EOL_PAST) {
		f = findings_add(rc->out, RULE_EOL, sev, r, "%s: %s reached "
		    "end of life%s%s; it gets no security fixes", r->text,
		    name, c->eol != NULL ? " on " : "", c->eol != NULL ? c->eol :
		    "");
		if (c->eol != NULL)
			finding_evidence(f, "days_past", "%ld", -days);
	} else {
		if (sev > SEV_WARNING)
			sev = SEV_WARNING;
		f = findings_add(rc->out, RULE_EOL, sev, r, "%s: %s reaches "
		    "end of life on %s, in %ld day%s", r->text, name, c->eol,
		    days, days == 1 ? "" : "s");
		finding_evidence(f, "days_left", "%ld", days);
	}
	finding_evidence(f, "cycle", "%s %s", c->product, c->cycle);
	if (c->eol != NULL)
		finding_evidence(f, "eol", "%s", c->eol);
	if (img != NULL)
		f->suggestion = rules_eol_suggestion(rc, r, img, &newest);
	else
		newest = eol_newest_supported(c->product, rc->now,
		    rc->conf->eol_warn_days, NULL, NULL);
	if (newest != NULL)
		finding_evidence(f, "newest_supported", "%s %s%s",
		    newest->product, newest->cycle, newest->lts ? " (LTS)" :
		    "");
}

static void
rules_eol(struct rules_ctx *rc, const struct scan_ref *r)
{
	const struct eol_image	*img;
	const struct eol_cycle	*c, *os = NULL;
	struct version		 v;

	if (r->ref.tag == NULL)
		return;
	img = rc->img;
	if (img != NULL && (c = eol_tag_cycle(img, r->ref.tag)) != NULL)
		rules_eol_one(rc, r, c, img);
	else
		c = NULL;
	version_parse(r->ref.tag, &v);
	if (v.nparts > 0)
		os = eol_variant_os(version_variant(r->ref.tag, &v));
	if (os != NULL && os != c)
		rules_eol_one(rc, r, os, NULL);
}

/*
 * A full variant where the same release publishes a minimal one: node:20 or
 * node:20-bookworm while node:20-bookworm-slim / node:20-slim exist.  Only
 * for images that ship (final stage, compose, Kubernetes): build stages
 * legitimately use full images for their compilers and headers.
 */
static void
rules_non_minimal(struct rules_ctx *rc, const struct scan_ref *r)
{
	const struct eol_image	*img;
	struct finding		*f;
	struct version		 v;
	const char		*variant;
	char			 cycle[64], cand[3][160], *tag;
	int			 i, n = 0;

	if (!r->final_stage || r->ref.tag == NULL || (img = rc->img) == NULL)
		return;
	version_parse(r->ref.tag, &v);
	variant = version_variant(r->ref.tag, &v);
	if (version_variant_minimal(variant) || strcmp(variant, "latest") == 0)
		return;
	if (v.nparts == 0)
		cycle[0] = '\0';
	else
		version_prefix(&v, img->precision, cycle, sizeof cycle);
	if (*variant == '\0') {
		snprintf(cand[n++], sizeof cand[0], "slim");
		snprintf(cand[n++], sizeof cand[0], "alpine");
	} else {
		snprintf(cand[n++], sizeof cand[0], "%s-slim", variant);
		snprintf(cand[n++], sizeof cand[0], "slim-%s", variant);
		snprintf(cand[n++], sizeof cand[0], "%s-alpine", variant);
	}
	for (i = 0; i < n; i++) {
		if (eol_variant_exists(img->image, cycle, cand[i]))
			break;
	}
	if (i == n)
		return;
	f = findings_add(rc->out, RULE_NON_MINIMAL,
	    rules_sev(rc, RULE_NON_MINIMAL), r, "%s is the full %s image; "
	    "the '%s' variant of the same release is smaller and has less to "
	    "patch", r->text, *variant == '\0' ? "default" : variant, cand[i]);
	finding_evidence(f, "minimal_variant", "%s", cand[i]);
	if (v.nparts == 0)
		tag = xstrdup(cand[i]);
	else
		xasprintf(&tag, "%.*s%s%s", (int)v.variant_off, r->ref.tag,
		    *variant == '\0' ? "-" : "", cand[i]);
	f->suggestion = ref_with(&r->ref, tag, NULL);
	free(tag);
}

/* Is this reference a build-only image, by the catalog or by nature? */
static int
rules_is_build_image(struct rules_ctx *rc, const struct scan_ref *r)
{
	const struct catalog_entry	*e = rc->cat;
	size_t				 i, nprod = 0;

	if (e != NULL) {
		for (i = 0; i < e->ntags; i++) {
			if (e->tags[i].stage == CATALOG_PRODUCTION)
				nprod++;
			else if (r->ref.tag != NULL &&
			    strcmp(e->tags[i].tag, r->ref.tag) == 0)
				return (1);
		}
		if (e->ntags > 0 && nprod == 0)
			return (1);
	}
	if (rules_in_list(rules_build_images, rc->id))
		return (1);
	return (r->ref.tag != NULL && rules_in_list(rules_java_images, rc->id) &&
	    rules_tag_has_word(r->ref.tag, "jdk"));
}

static void
rules_build_image_final(struct rules_ctx *rc, const struct scan_ref *r)
{
	struct finding	*f;

	if (!r->final_stage)
		return;
	if (rules_is_build_image(rc, r)) {
		f = findings_add(rc->out, RULE_BUILD_IMAGE_FINAL,
		    rules_sev(rc, RULE_BUILD_IMAGE_FINAL), r, "%s is a build "
		    "image (compiler/SDK) and it ends up in the image that "
		    "ships%s%s%s; build in an earlier stage and copy the result "
		    "into a minimal runtime image", r->text,
		    r->stage != NULL ? " (stage '" : "",
		    r->stage != NULL ? r->stage : "",
		    r->stage != NULL ? "')" : "");
		finding_evidence(f, "image", "%s", rc->id);
	}
}

static void
rules_not_recommended(struct rules_ctx *rc, const struct scan_ref *r)
{
	struct finding	*f;
	char		*name;

	if (rc->cat != NULL)
		return;
	name = ref_familiar_name(&r->ref);
	f = findings_add(rc->out, RULE_NOT_RECOMMENDED,
	    rules_sev(rc, RULE_NOT_RECOMMENDED), r, "%s is not in the "
	    "recommended catalog", name);
	finding_evidence(f, "image", "%s", name);
	free(name);
}

static void
rules_unpinned(struct rules_ctx *rc, const struct scan_ref *r)
{
	if (r->ref.digest != NULL)
		return;
	findings_add(rc->out, RULE_UNPINNED, rules_sev(rc, RULE_UNPINNED), r,
	    "%s has no digest pin: the tag can move to a different image "
	    "between two builds", r->text);
}

/* Run each enabled rule over one reference. */
static void
rules_check_ref(struct rules_ctx *rc, const struct scan_ref *r, int catalog)
{
	if (!r->resolved) {
		if (rules_sev(rc, RULE_UNRESOLVED) != SEV_OFF)
			rules_unresolved(rc, r);
		return;
	}
	rc->id = ref_identity(&r->ref);
	rc->img = eol_image_lookup(rc->id);
	rc->cat = config_catalog_find_id(rc->conf, rc->id);
	if (rules_sev(rc, RULE_LATEST) != SEV_OFF)
		rules_latest(rc, r);
	if (rules_sev(rc, RULE_EOL) != SEV_OFF)
		rules_eol(rc, r);
	if (rules_sev(rc, RULE_NON_MINIMAL) != SEV_OFF)
		rules_non_minimal(rc, r);
	if (rules_sev(rc, RULE_BUILD_IMAGE_FINAL) != SEV_OFF)
		rules_build_image_final(rc, r);
	if (!catalog && rules_sev(rc, RULE_NOT_RECOMMENDED) != SEV_OFF)
		rules_not_recommended(rc, r);
	if (!catalog && rules_sev(rc, RULE_UNPINNED) != SEV_OFF)
		rules_unpinned(rc, r);
	free(rc->id);
	rc->id = NULL;
}

void
rules_check(const struct config *conf, const struct scan_result *sr,
    time_t now, struct findings *out)
{
	struct rules_ctx	 rc = { conf, now, out, NULL, NULL, NULL };
	size_t			 i;

	for (i = 0; i < sr->nrefs; i++)
		rules_check_ref(&rc, &sr->refs[i], 0);
	findings_sort(out);
}

/*
 * The catalog audits itself: each tag becomes a reference at the line that
 * lists it, production tags counting as shipped images.
 */
void
rules_check_catalog(const struct config *conf, time_t now,
    struct findings *out)
{
	struct rules_ctx	 rc = { conf, now, out, NULL, NULL, NULL };
	struct scan_result	 sr;
	size_t			 i, j;
	char			*text;

	scan_result_init(&sr);
	for (i = 0; i < conf->ncatalog; i++) {
		const struct catalog_entry	*e = &conf->catalog[i];

		for (j = 0; j < e->ntags && !e->not_registry; j++) {
			xasprintf(&text, "%s:%s", e->image, e->tags[j].tag);
			scan_add_ref(&sr, e->file, e->tags[j].line != 0 ?
			    e->tags[j].line : e->line, 1, SCAN_NONE, NULL,
			    e->tags[j].stage == CATALOG_PRODUCTION, text, text,
			    NULL);
			free(text);
		}
	}
	for (i = 0; i < sr.nrefs; i++)
		rules_check_ref(&rc, &sr.refs[i], 1);
	scan_result_free(&sr);
	findings_sort(out);
}
