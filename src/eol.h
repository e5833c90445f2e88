/*
 * The bundled end-of-life table (src/eol-data.c, generated from
 * endoflife.date data by scripts/gen-data.py) and which images follow which
 * product's release cycles.
 */
#ifndef EOL_H
#define EOL_H

#include <stddef.h>
#include <time.h>

#include "ref.h"

struct eol_cycle {
	const char	*product;	/* endoflife.date product: "node" */
	const char	*cycle;		/* "20", "3.12" */
	const char	*released;	/* YYYY-MM-DD */
	const char	*eol;		/* YYYY-MM-DD, NULL when not set */
	int		 eol_undated;	/* end of life, date unknown */
	const char	*extended;	/* extended support end, or NULL */
	int		 lts;
	const char	*lts_from;	/* when it became LTS, NULL if always */
	const char	*latest;	/* newest release of the cycle */
	const char	*codename;	/* Debian/Ubuntu: "Bookworm" */
};

struct eol_image {
	const char	*image;		/* identity: docker.io/library/node */
	const char	*product;
	int		 precision;	/* version parts in a cycle */
};

struct eol_variant {
	const char	*image;
	const char	*cycle;		/* "" for tags without a version */
	const char	*variant;
};

enum eol_state {
	EOL_UNKNOWN = 0,
	EOL_SUPPORTED,
	EOL_SOON,		/* within the warning window */
	EOL_PAST
};

extern const struct eol_cycle	eol_cycles[];
extern const size_t		eol_ncycles;
extern const struct eol_image	eol_images[];
extern const size_t		eol_nimages;
extern const struct eol_variant	eol_variants[];
extern const size_t		eol_nvariants;

const struct eol_image	*eol_image_find(const struct ref *);
const struct eol_image	*eol_image_lookup(const char *identity);
const struct eol_cycle	*eol_cycle_find(const char *product, const char *);
/* The release cycle a tag belongs to, e.g. node "20.18.1-alpine" is "20". */
const struct eol_cycle	*eol_tag_cycle(const struct eol_image *,
			     const char *tag);
/* The operating system a variant names: "alpine3.19", "bookworm". */
const struct eol_cycle	*eol_variant_os(const char *variant);
enum eol_state		 eol_state(const struct eol_cycle *, time_t now,
			     int warn_days);
/* The newest supported cycle, LTS preferred when the product has them. */
const struct eol_cycle	*eol_newest_supported(const char *product,
			     time_t now, int warn_days, const char *image,
			     const char *variant);
int			 eol_variant_exists(const char *image,
			     const char *cycle, const char *variant);
/* Midnight UTC of a YYYY-MM-DD date; -1 if malformed. */
time_t			 eol_date(const char *);
/* A product's display name: "Node.js", "Debian". */
const char		*eol_product_name(const char *product);

#endif
