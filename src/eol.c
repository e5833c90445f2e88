#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eol.h"
#include "version.h"

#define EOL_DAY	(24 * 60 * 60)

const struct eol_image *
eol_image_find(const struct ref *r)
{
	const struct eol_image	*found = NULL;
	char			*id;
	size_t			 i;

	id = ref_identity(r);
	for (i = 0; i < eol_nimages; i++) {
		if (strcmp(eol_images[i].image, id) == 0) {
			found = &eol_images[i];
			break;
		}
	}
	free(id);
	return (found);
}

const struct eol_cycle *
eol_cycle_find(const char *product, const char *cycle)
{
	size_t	 i;

	for (i = 0; i < eol_ncycles; i++) {
		if (strcmp(eol_cycles[i].product, product) == 0 &&
		    strcmp(eol_cycles[i].cycle, cycle) == 0)
			return (&eol_cycles[i]);
	}
	return (NULL);
}

/* Debian and Ubuntu tags may name the release: debian:bookworm-slim. */
static const struct eol_cycle *
eol_codename_find(const char *product, const char *word, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < eol_ncycles; i++) {
		const struct eol_cycle	*c = &eol_cycles[i];

		if (c->codename == NULL || strcmp(c->product, product) != 0)
			continue;
		/* Ubuntu codenames are two words: match the first. */
		n = strcspn(c->codename, " ");
		if (n == len && strncasecmp(c->codename, word, len) == 0)
			return (c);
	}
	return (NULL);
}

const struct eol_cycle *
eol_tag_cycle(const struct eol_image *img, const char *tag)
{
	struct version	 v;
	char		 cycle[64];

	version_parse(tag, &v);
	if (v.nparts == 0)
		return (eol_codename_find(img->product, tag, strcspn(tag, "-")));
	if (v.nparts < img->precision || v.prerelease)
		return (NULL);
	version_prefix(&v, img->precision, cycle, sizeof cycle);
	return (eol_cycle_find(img->product, cycle));
}

const struct eol_cycle *
eol_variant_os(const char *variant)
{
	const struct eol_cycle	*c;
	const char		*p = variant;
	char			 cycle[16];
	size_t			 len;

	while (*p != '\0') {
		len = strcspn(p, "-");
		if (len > 6 && len < 6 + sizeof cycle &&
		    strncmp(p, "alpine", 6) == 0 &&
		    isdigit((unsigned char)p[6])) {
			memcpy(cycle, p + 6, len - 6);
			cycle[len - 6] = '\0';
			if ((c = eol_cycle_find("alpine", cycle)) != NULL)
				return (c);
		}
		if ((c = eol_codename_find("debian", p, len)) != NULL ||
		    (c = eol_codename_find("ubuntu", p, len)) != NULL)
			return (c);
		p += len;
		if (*p == '-')
			p++;
	}
	return (NULL);
}

time_t
eol_date(const char *s)
{
	struct tm	 tm;
	char		*end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return (-1);
	return (timegm(&tm));
}

enum eol_state
eol_state(const struct eol_cycle *c, time_t now, int warn_days)
{
	time_t	 t;

	if (c->eol_undated)
		return (EOL_PAST);
	if (c->eol == NULL)
		return (EOL_SUPPORTED);
	t = eol_date(c->eol);
	if (t == -1)
		return (EOL_UNKNOWN);
	if (now >= t)
		return (EOL_PAST);
	if (now + (time_t)warn_days * EOL_DAY >= t)
		return (EOL_SOON);
	return (EOL_SUPPORTED);
}

int
eol_variant_exists(const char *image, const char *cycle, const char *variant)
{
	size_t	 i;

	for (i = 0; i < eol_nvariants; i++) {
		if (strcmp(eol_variants[i].image, image) == 0 &&
		    strcmp(eol_variants[i].cycle, cycle) == 0 &&
		    strcmp(eol_variants[i].variant, variant) == 0)
			return (1);
	}
	return (0);
}

/* Is cycle a newer than b?  Cycles compare as versions. */
static int
eol_cycle_newer(const struct eol_cycle *a, const struct eol_cycle *b)
{
	struct version	 va, vb;

	version_parse(a->cycle, &va);
	version_parse(b->cycle, &vb);
	return (version_compare(&va, &vb) > 0);
}

const struct eol_cycle *
eol_newest_supported(const char *product, time_t now, int warn_days,
    const char *image, const char *variant)
{
	const struct eol_cycle	*best = NULL, *best_lts = NULL;
	size_t			 i;
	time_t			 rel;

	for (i = 0; i < eol_ncycles; i++) {
		const struct eol_cycle	*c = &eol_cycles[i];

		if (strcmp(c->product, product) != 0)
			continue;
		rel = eol_date(c->released);
		if (rel == -1 || rel > now ||
		    eol_state(c, now, warn_days) != EOL_SUPPORTED)
			continue;
		if (image != NULL &&
		    !eol_variant_exists(image, c->cycle, variant))
			continue;
		if (best == NULL || eol_cycle_newer(c, best))
			best = c;
		if (c->lts && (c->lts_from == NULL ||
		    eol_date(c->lts_from) <= now) &&
		    (best_lts == NULL || eol_cycle_newer(c, best_lts)))
			best_lts = c;
	}
	return (best_lts != NULL ? best_lts : best);
}

const char *
eol_product_name(const char *product)
{
	static const struct {
		const char	*product, *name;
	} names[] = {
		{ "node", "Node.js" }, { "python", "Python" }, { "go", "Go" },
		{ "rust", "Rust" }, { "ruby", "Ruby" },
		{ "eclipse-temurin", "Eclipse Temurin" },
		{ "amazon-corretto", "Amazon Corretto" }, { "dotnet", ".NET" },
		{ "alpine", "Alpine" }, { "debian", "Debian" },
		{ "ubuntu", "Ubuntu" }
	};
	size_t	 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(names[i].product, product) == 0)
			return (names[i].name);
	}
	return (product);
}
