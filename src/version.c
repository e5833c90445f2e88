#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "eol.h"
#include "version.h"

/*
 * Parse dotted numbers at s, keeping the first VERSION_MAX_PARTS; returns
 * the characters used (0: s does not start with a digit).
 */
static size_t
version_numbers(const char *s, struct version *v)
{
	unsigned long	 n;
	size_t		 i = 0;

	while (isdigit((unsigned char)s[i])) {
		n = 0;
		while (isdigit((unsigned char)s[i])) {
			if (n < 100000000UL)
				n = n * 10 + (unsigned long)(s[i] - '0');
			i++;
		}
		if (v->nparts < VERSION_MAX_PARTS)
			v->part[v->nparts++] = n;
		if (s[i] != '.' || !isdigit((unsigned char)s[i + 1]))
			break;
		i++;
	}
	return (i);
}

/* Skip a build suffix: "_7" (Temurin) or "u502" / "u502-b07" (Java 8). */
static size_t
version_build(const char *s)
{
	size_t	 i = 0;

	if ((s[0] == '_' || s[0] == 'u') && isdigit((unsigned char)s[1])) {
		i = 1;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (s[0] == 'u' && s[i] == '-' && s[i + 1] == 'b' &&
		    isdigit((unsigned char)s[i + 2])) {
			i += 2;
			while (isdigit((unsigned char)s[i]))
				i++;
		}
	}
	return (i);
}

/* A pre-release marker: [-](rc|alpha|beta|a|b)[digits], then '-' or end. */
static size_t
version_pre(const char *s, int *pre)
{
	static const char	*words[] = { "alpha", "beta", "rc", "a", "b" };
	size_t			 i, j, n;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		j = s[0] == '-' ? 1 : 0;
		n = strlen(words[i]);
		if (strncmp(s + j, words[i], n) != 0)
			continue;
		j += n;
		while (isdigit((unsigned char)s[j]))
			j++;
		if (s[j] == '\0' || s[j] == '-') {
			*pre = 1;
			return (j);
		}
	}
	return (0);
}

void
version_parse(const char *tag, struct version *v)
{
	size_t	 i = 0, n;

	memset(v, 0, sizeof *v);
	if (tag[0] == 'v' && isdigit((unsigned char)tag[1]))
		i = 1;
	n = version_numbers(tag + i, v);
	if (n == 0 || (tag[i + n] != '\0' && tag[i + n] != '-' &&
	    tag[i + n] != '_' && tag[i + n] != 'u' && tag[i + n] != 'a' &&
	    tag[i + n] != 'b' && tag[i + n] != 'r')) {
		memset(v, 0, sizeof *v);
		return;
	}
	i += n;
	i += version_build(tag + i);
	i += version_pre(tag + i, &v->prerelease);
	if (tag[i] == '-')
		i++;
	else if (tag[i] != '\0') {
		memset(v, 0, sizeof *v);
		return;
	}
	v->variant_off = i;
}

const char *
version_variant(const char *tag, const struct version *v)
{
	return (tag + v->variant_off);
}

void
version_prefix(const struct version *v, int n, char *out, size_t len)
{
	size_t	 used = 0;
	int	 i, w;

	out[0] = '\0';
	for (i = 0; i < n && i < v->nparts && used < len; i++) {
		w = snprintf(out + used, len - used, "%s%lu", i > 0 ? "." : "",
		    v->part[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int
version_compare(const struct version *a, const struct version *b)
{
	int	 i;

	for (i = 0; i < a->nparts && i < b->nparts; i++) {
		if (a->part[i] != b->part[i])
			return (a->part[i] < b->part[i] ? -1 : 1);
	}
	if (a->nparts != b->nparts)
		return (a->nparts < b->nparts ? -1 : 1);
	if (a->prerelease != b->prerelease)
		return (a->prerelease ? -1 : 1);
	return (0);
}

/* Does the dash-separated word list contain a word starting with w? */
static int
version_has_word(const char *variant, const char *w, int prefix)
{
	const char	*p = variant;
	size_t		 n = strlen(w), len;

	while (*p != '\0') {
		len = strcspn(p, "-");
		if (prefix ? (len >= n && strncmp(p, w, n) == 0) :
		    (len == n && strncmp(p, w, n) == 0))
			return (1);
		p += len;
		if (*p == '-')
			p++;
	}
	return (0);
}

int
version_variant_minimal(const char *variant)
{
	return (version_has_word(variant, "alpine", 1) ||
	    version_has_word(variant, "slim", 0) ||
	    version_has_word(variant, "distroless", 1) ||
	    version_has_word(variant, "chiseled", 1) ||
	    version_has_word(variant, "minimal", 0) ||
	    version_has_word(variant, "nanoserver", 1) ||
	    version_has_word(variant, "busybox", 0));
}

/* A tag as the outdated rule compares it. */
struct version_key {
	struct version	 v;
	const char	*variant;
	int		 vprefix;	/* "v1.2.3" */
	int		 date;		/* "20240606" */
	int		 build_kind;	/* 0 none, 1 "_7", 2 "u502", 3 "u502-b07" */
	unsigned long	 build[2];
	int		 pre_rank;	/* 1 alpha, 2 beta, 3 rc, 4 stable */
	unsigned long	 pre_num;
};

/* A decimal number at s, saturating like version_numbers; *used digits. */
static unsigned long
version_number(const char *s, size_t *used)
{
	unsigned long	 n = 0;
	size_t		 i = 0;

	while (isdigit((unsigned char)s[i])) {
		if (n < 100000000UL)
			n = n * 10 + (unsigned long)(s[i] - '0');
		i++;
	}
	*used = i;
	return (n);
}

/* Is the 8-digit number n a plausible YYYYMMDD date? */
static int
version_date_like(unsigned long n)
{
	unsigned long	 y = n / 10000, m = (n / 100) % 100, d = n % 100;

	return (y >= 1970 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= 31);
}

/* Fill k from tag; -1 if the tag holds no version. */
static int
version_key_parse(const char *tag, struct version_key *k)
{
	static const struct {
		const char	*word;
		int		 rank;
	} words[] = {
		{ "alpha", 1 }, { "beta", 2 }, { "rc", 3 }, { "a", 1 }, { "b", 2 }
	};
	const char	*s;
	size_t		 i = 0, used, w, len = 0;

	memset(k, 0, sizeof *k);
	version_parse(tag, &k->v);
	if (k->v.nparts == 0)
		return (-1);
	k->variant = version_variant(tag, &k->v);
	k->vprefix = tag[0] == 'v';
	s = tag + k->vprefix;
	(void)version_number(s, &used);
	k->date = k->v.nparts == 1 && used == 8 &&
	    version_date_like(k->v.part[0]);
	while (isdigit((unsigned char)s[i]) ||
	    (s[i] == '.' && isdigit((unsigned char)s[i + 1])))
		i++;
	if ((s[i] == '_' || s[i] == 'u') && isdigit((unsigned char)s[i + 1])) {
		k->build_kind = s[i] == '_' ? 1 : 2;
		k->build[0] = version_number(s + i + 1, &used);
		i += 1 + used;
		if (k->build_kind == 2 && s[i] == '-' && s[i + 1] == 'b' &&
		    isdigit((unsigned char)s[i + 2])) {
			k->build_kind = 3;
			k->build[1] = version_number(s + i + 2, &used);
			i += 2 + used;
		}
	}
	k->pre_rank = 4;
	if (k->v.prerelease) {
		if (s[i] == '-')
			i++;
		for (w = 0; w < sizeof words / sizeof words[0]; w++) {
			len = strlen(words[w].word);
			if (strncmp(s + i, words[w].word, len) == 0)
				break;
		}
		if (w < sizeof words / sizeof words[0]) {
			i += len;
			k->pre_rank = words[w].rank;
		}
		k->pre_num = version_number(s + i, &used);
	}
	return (0);
}

/* Do a and b belong to the same family of tags? */
static int
version_key_family(const struct version_key *a, const struct version_key *b)
{
	return (a->vprefix == b->vprefix && a->date == b->date &&
	    a->v.nparts == b->v.nparts && a->build_kind == b->build_kind &&
	    strcmp(a->variant, b->variant) == 0);
}

/* -1, 0 or 1 as a is less than, equal to or greater than b. */
static int
version_ulcmp(unsigned long a, unsigned long b)
{
	return (a < b ? -1 : a > b);
}

/* Order two keys of one family: parts, build, then pre-release. */
static int
version_key_compare(const struct version_key *a, const struct version_key *b)
{
	unsigned long	 x[VERSION_MAX_PARTS + 5], y[VERSION_MAX_PARTS + 5];
	int		 i, n = 0, c = 0;

	for (i = 0; i < VERSION_MAX_PARTS; i++) {
		x[n] = i < a->v.nparts ? a->v.part[i] : 0;
		y[n++] = i < b->v.nparts ? b->v.part[i] : 0;
	}
	x[n] = (unsigned long)a->v.nparts;
	y[n++] = (unsigned long)b->v.nparts;
	x[n] = a->build[0];
	y[n++] = b->build[0];
	x[n] = a->build[1];
	y[n++] = b->build[1];
	x[n] = (unsigned long)a->pre_rank;
	y[n++] = (unsigned long)b->pre_rank;
	x[n] = a->pre_num;
	y[n++] = b->pre_num;
	for (i = 0; i < n && c == 0; i++)
		c = version_ulcmp(x[i], y[i]);
	return (c);
}

/* The level of the change from a to a newer b of its family, or -1. */
static int
version_key_level(const struct version_key *a, const struct version_key *b)
{
	if (!version_key_family(a, b) || version_key_compare(a, b) >= 0)
		return (-1);
	if (!a->v.prerelease && b->v.prerelease)
		return (-1);
	if (a->date)
		return (VERSION_PATCH);
	if (a->v.part[0] != b->v.part[0])
		return (VERSION_MAJOR);
	if (a->v.nparts > 1 && a->v.part[1] != b->v.part[1])
		return (VERSION_MINOR);
	return (VERSION_PATCH);
}

int
version_upgrade_level(const char *from, const char *to)
{
	struct version_key	 a, b;

	if (version_key_parse(from, &a) == -1 ||
	    version_key_parse(to, &b) == -1)
		return (-1);
	return (version_key_level(&a, &b));
}

int
version_newer_track(const char *pinned, const char *const *tags, size_t n,
    enum version_level level, version_track_cb cb, void *arg,
    const char **best)
{
	struct version_key	 pin, k, top;
	size_t			 i;
	int			 lvl, score, top_score = 0, c;

	*best = NULL;
	if (pinned == NULL || version_key_parse(pinned, &pin) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (tags[i] == NULL || version_key_parse(tags[i], &k) == -1)
			continue;
		lvl = version_key_level(&pin, &k);
		if (lvl == -1 || lvl > (int)level)
			continue;
		score = cb != NULL ? cb(tags[i], arg) : 0;
		if (score < 0)
			continue;
		if (*best != NULL) {
			if (score < top_score)
				continue;
			c = version_key_compare(&k, &top);
			if (score == top_score && c <= 0)
				continue;
		}
		*best = tags[i];
		top = k;
		top_score = score;
	}
	return (*best != NULL ? 0 : -1);
}

int
version_newer(const char *pinned, const char *const *tags, size_t n,
    enum version_level level, const char **best)
{
	return (version_newer_track(pinned, tags, n, level, NULL, NULL, best));
}

int
version_eol_track(const char *tag, void *arg)
{
	const struct version_eol	*e = arg;
	const struct eol_cycle		*c;

	if (e == NULL || e->image == NULL)
		return (1);
	c = eol_tag_cycle(e->image, tag);
	if (c == NULL)
		return (1);
	switch (eol_state(c, e->now, e->warn_days)) {
	case EOL_PAST:
		return (0);
	case EOL_SUPPORTED:
		if (c->lts && (c->lts_from == NULL ||
		    (eol_date(c->lts_from) != -1 &&
		    eol_date(c->lts_from) <= e->now)))
			return (3);
		return (2);
	default:
		return (1);
	}
}
