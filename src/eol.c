#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eol.h"
#include "log.h"
#include "xmalloc.h"
#include "version.h"

#define EOL_DAY	(24 * 60 * 60)

const struct eol_image *
eol_image_find(const struct ref *r)
{
	const struct eol_image	*found;
	char			*id;

	id = ref_identity(r);
	found = eol_image_lookup(id);
	free(id);
	return (found);
}

const struct eol_image *
eol_image_lookup(const char *id)
{
	size_t	 i;

	for (i = 0; i < eol_nimages; i++) {
		if (strcmp(eol_images[i].image, id) == 0)
			return (&eol_images[i]);
	}
	return (NULL);
}

/*
 * The cycles of one product: the generated table keeps each product's
 * cycles together, so a product is a range [*lo, *hi).
 */
static void
eol_product_range(const char *product, size_t *lo, size_t *hi)
{
	static struct {
		const char	*product;
		size_t		 lo, hi;
	}			 ranges[32];
	static size_t		 nranges;
	size_t			 i;

	if (nranges == 0) {
		for (i = 0; i < eol_ncycles; i++) {
			if (nranges > 0 && strcmp(ranges[nranges - 1].product,
			    eol_cycles[i].product) == 0) {
				ranges[nranges - 1].hi = i + 1;
				continue;
			}
			if (nranges == sizeof ranges / sizeof ranges[0])
				fatalx("eol table: too many products");
			ranges[nranges].product = eol_cycles[i].product;
			ranges[nranges].lo = i;
			ranges[nranges++].hi = i + 1;
		}
	}
	*lo = *hi = 0;
	for (i = 0; i < nranges; i++) {
		if (strcmp(ranges[i].product, product) == 0) {
			*lo = ranges[i].lo;
			*hi = ranges[i].hi;
			return;
		}
	}
}

const struct eol_cycle *
eol_cycle_find(const char *product, const char *cycle)
{
	size_t	 i, lo, hi;

	eol_product_range(product, &lo, &hi);
	for (i = lo; i < hi; i++) {
		if (strcmp(eol_cycles[i].cycle, cycle) == 0)
			return (&eol_cycles[i]);
	}
	return (NULL);
}

/* Debian and Ubuntu tags may name the release: debian:bookworm-slim. */
static const struct eol_cycle *
eol_codename_find(const char *product, const char *word, size_t len)
{
	size_t	 i, n, lo, hi;

	eol_product_range(product, &lo, &hi);
	for (i = lo; i < hi; i++) {
		const struct eol_cycle	*c = &eol_cycles[i];

		if (c->codename == NULL)
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
			c = eol_cycle_find("alpine", cycle);
			if (c != NULL)
				return (c);
		}
		c = eol_codename_find("debian", p, len);
		if (c == NULL)
			c = eol_codename_find("ubuntu", p, len);
		if (c != NULL)
			return (c);
		p += len;
		if (*p == '-')
			p++;
	}
	return (NULL);
}

/* Parsed dates of eol_cycles, filled on first use: judging thousands of
 * references must not parse the same few hundred dates again and again. */
static time_t	*eol_released_cache, *eol_eol_cache;

static void
eol_cache_fill(void)
{
	size_t	 i;

	if (eol_released_cache != NULL)
		return;
	eol_released_cache = xcalloc(eol_ncycles, sizeof (time_t));
	eol_eol_cache = xcalloc(eol_ncycles, sizeof (time_t));
	for (i = 0; i < eol_ncycles; i++) {
		eol_released_cache[i] = eol_date(eol_cycles[i].released);
		eol_eol_cache[i] = eol_cycles[i].eol != NULL ?
		    eol_date(eol_cycles[i].eol) : -1;
	}
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
	if (c >= eol_cycles && c < eol_cycles + eol_ncycles) {
		eol_cache_fill();
		t = eol_eol_cache[c - eol_cycles];
	} else
		t = eol_date(c->eol);
	if (t == -1)
		return (EOL_UNKNOWN);
	if (now >= t)
		return (EOL_PAST);
	if (now + (time_t)warn_days * EOL_DAY >= t)
		return (EOL_SOON);
	return (EOL_SUPPORTED);
}

static int
eol_variant_cmp(const void *key, const void *elem)
{
	const struct eol_variant	*a = key, *b = elem;
	int				 c;

	c = strcmp(a->image, b->image);
	if (c == 0)
		c = strcmp(a->cycle, b->cycle);
	if (c == 0)
		c = strcmp(a->variant, b->variant);
	return (c);
}

/* eol_variants is sorted by (image, cycle, variant): gen-data.py sorts it. */
int
eol_variant_exists(const char *image, const char *cycle, const char *variant)
{
	struct eol_variant	 key = { image, cycle, variant };

	return (bsearch(&key, eol_variants, eol_nvariants,
	    sizeof eol_variants[0], eol_variant_cmp) != NULL);
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
	size_t			 i, lo, hi;
	time_t			 rel;

	eol_product_range(product, &lo, &hi);
	for (i = lo; i < hi; i++) {
		const struct eol_cycle	*c = &eol_cycles[i];

		eol_cache_fill();
		rel = eol_released_cache[i];
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
