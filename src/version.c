#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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
