#include "autoconf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rules.h"
#include "xmalloc.h"

/*
 * The rule table: stable ids, default severities (SEV_OFF = opt-in), and the
 * text reports and SARIF rule metadata show.
 */
const struct rule_info rules_table[RULE_COUNT] = {
	[RULE_LATEST] = { "latest", SEV_ERROR, 0,
	    "Image uses the mutable 'latest' tag (or no tag at all)",
	    "Pin a specific version tag, such as node:22-alpine, so builds "
	    "are reproducible and updates are deliberate." },
	[RULE_STALE_DIGEST] = { "stale-digest", SEV_WARNING, 1,
	    "Pinned digest is no longer what the tag points at",
	    "Update the digest to the tag's current one to pick up the "
	    "rebuilds (security fixes) made since." },
	[RULE_UNKNOWN_DIGEST] = { "unknown-digest", SEV_WARNING, 1,
	    "Pinned digest was never seen for this tag",
	    "Check that the digest belongs to the tag written next to it." },
	[RULE_MISSING_TAG] = { "missing-tag", SEV_ERROR, 1,
	    "Tag or digest does not exist in the registry",
	    "The build will fail: use a tag that exists." },
	[RULE_OUTDATED] = { "outdated", SEV_WARNING, 1,
	    "A newer version exists in the same variant",
	    "Move to the newer version shown in the suggestion." },
	[RULE_EOL] = { "eol", SEV_ERROR, 0,
	    "Release cycle is past (or near) its end of life",
	    "Move to a supported release track; end-of-life versions get no "
	    "security fixes." },
	[RULE_STALE_TAG] = { "stale-tag", SEV_WARNING, 1,
	    "Tag has not been rebuilt for a long time while newer tags move",
	    "The tag is probably abandoned; move to a maintained tag." },
	[RULE_NON_MINIMAL] = { "non-minimal", SEV_WARNING, 0,
	    "Full image variant where a minimal one exists",
	    "Use the -slim or -alpine variant of the same version to cut "
	    "size and attack surface." },
	[RULE_BUILD_IMAGE_FINAL] = { "build-image-final", SEV_ERROR, 0,
	    "Build-only image (compiler, JDK) in the final stage",
	    "Compile in a build stage and copy the result into a minimal "
	    "runtime image (distroless, alpine, a JRE)." },
	[RULE_NOT_RECOMMENDED] = { "not-recommended", SEV_INFO, 0,
	    "Image is not in the recommended catalog",
	    "Prefer an image from the catalog, or add this one to it." },
	[RULE_UNPINNED] = { "unpinned", SEV_OFF, 0,
	    "Tag without a digest pin",
	    "Append the tag's current digest (image:tag@sha256:...) so the "
	    "build cannot change under you." },
	[RULE_UNRESOLVED] = { "unresolved", SEV_WARNING, 0,
	    "Reference holds a variable that cannot be resolved",
	    "Give the variable a default (ARG NAME=value) so the reference "
	    "can be checked, or ignore the warning." },
};

static const char *severity_names[] = { "off", "info", "warning", "error" };

const char *
severity_name(enum severity s)
{
	if ((int)s < 0 || s > SEV_ERROR)
		return ("off");
	return (severity_names[s]);
}

int
severity_parse(const char *s, enum severity *out)
{
	int	 i;

	for (i = SEV_OFF; i <= SEV_ERROR; i++) {
		if (strcmp(s, severity_names[i]) == 0) {
			*out = (enum severity)i;
			return (0);
		}
	}
	if (strcmp(s, "warn") == 0) {
		*out = SEV_WARNING;
		return (0);
	}
	return (-1);
}

int
rules_lookup(const char *id)
{
	int	 i;

	for (i = 0; i < RULE_COUNT; i++) {
		if (strcmp(rules_table[i].id, id) == 0)
			return (i);
	}
	return (-1);
}

void
findings_init(struct findings *fs)
{
	memset(fs, 0, sizeof *fs);
}

void
findings_free(struct findings *fs)
{
	size_t	 i, j;

	for (i = 0; i < fs->n; i++) {
		struct finding	*f = &fs->v[i];

		free(f->file);
		free(f->text);
		free(f->message);
		free(f->suggestion);
		for (j = 0; j < f->nevidence; j++)
			free(f->evidence[j].value);
	}
	free(fs->v);
	memset(fs, 0, sizeof *fs);
}

struct finding *
findings_add(struct findings *fs, enum rule_id rule, enum severity sev,
    const struct scan_ref *r, const char *fmt, ...)
{
	struct finding	*f;
	va_list		 ap;

	if (fs->n == fs->alloc) {
		fs->alloc = fs->alloc == 0 ? 16 : fs->alloc * 2;
		fs->v = xreallocarray(fs->v, fs->alloc, sizeof *fs->v);
	}
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof *f);
	f->rule = rule;
	f->severity = sev;
	f->file = xstrdup(r->file);
	f->line = r->line;
	f->column = r->column;
	f->text = xstrdup(r->text);
	va_start(ap, fmt);
	xvasprintf(&f->message, fmt, ap);
	va_end(ap);
	return (f);
}

/* Attach one piece of evidence; keys are static strings. */
void
finding_evidence(struct finding *f, const char *key, const char *fmt, ...)
{
	va_list	 ap;

	if (f->nevidence == sizeof f->evidence / sizeof f->evidence[0])
		return;
	f->evidence[f->nevidence].key = key;
	va_start(ap, fmt);
	xvasprintf(&f->evidence[f->nevidence].value, fmt, ap);
	va_end(ap);
	f->nevidence++;
}

static int
findings_cmp(const void *a, const void *b)
{
	const struct finding	*fa = a, *fb = b;
	int			 c;

	c = strcmp(fa->file, fb->file);
	if (c != 0)
		return (c);
	if (fa->line != fb->line)
		return (fa->line < fb->line ? -1 : 1);
	if (fa->column != fb->column)
		return (fa->column < fb->column ? -1 : 1);
	if (fa->rule != fb->rule)
		return (fa->rule < fb->rule ? -1 : 1);
	return (strcmp(fa->message, fb->message));
}

void
findings_sort(struct findings *fs)
{
	if (fs->n > 1)
		qsort(fs->v, fs->n, sizeof *fs->v, findings_cmp);
}

enum severity
findings_max(const struct findings *fs)
{
	enum severity	 max = SEV_OFF;
	size_t		 i;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].severity > max)
			max = fs->v[i].severity;
	}
	return (max);
}
