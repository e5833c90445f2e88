/*
 * Versions in image tags: "20.18.1-alpine3.21" is version 20.18.1 with the
 * variant "alpine3.21"; "21.0.4_7-jre-alpine" is 21.0.4 build _7, variant
 * "jre-alpine"; "3.15.0rc1-trixie" is a pre-release.  scripts/gen-data.py
 * splits tags the same way.
 */
#ifndef VERSION_H
#define VERSION_H

#include <stddef.h>
#include <time.h>

#define VERSION_MAX_PARTS	4

struct version {
	unsigned long	 part[VERSION_MAX_PARTS];
	int		 nparts;	/* 0: the tag holds no version */
	int		 prerelease;	/* rc, alpha, beta */
	size_t		 variant_off;	/* offset of the variant in the tag */
};

/* Split tag; returns 0 and fills v (variant "" when none). */
void	 version_parse(const char *tag, struct version *v);
/* The variant part of tag as parsed into v ("" when none). */
const char *version_variant(const char *tag, const struct version *v);
/* The first n parts joined by dots, into out. */
void	 version_prefix(const struct version *, int n, char *out, size_t);
int	 version_compare(const struct version *, const struct version *);
/* A variant that is already small: alpine*, *slim*, distroless, ... */
int	 version_variant_minimal(const char *variant);

/*
 * Newer tags of the same family as a pinned tag (the outdated rule).  A
 * candidate belongs to the pin's family when it has the same variant string
 * exactly ("alpine3.20" and "alpine3.21" are different variants: the eol rule
 * judges the OS), the same precision ("20-alpine" only sees "N-alpine"), the
 * same build-suffix form ("_7", "u502", "u502-b07") and the same "v" prefix.
 * Date tags ("20240606") form their own family, never compared with dotted
 * versions.  A stable pin never gets a pre-release; a pre-release pin may get
 * either.  Levels are ranges, each holding the one before: PATCH keeps
 * major.minor, MINOR keeps major, MAJOR takes any newer tag; a newer date
 * tag is newer at every level.
 */
enum version_level {
	VERSION_PATCH = 0,
	VERSION_MINOR,
	VERSION_MAJOR
};

/* A candidate tag's track score: higher preferred, 0 unsupported. */
typedef int	(*version_track_cb)(const char *tag, void *arg);

/*
 * The newest tag of tags[0..n) newer than pinned at level, into *best (a
 * pointer into tags); 0 if found, -1 (and *best NULL) if none.
 */
int	 version_newer(const char *pinned, const char *const *tags, size_t n,
	     enum version_level level, const char **best);
/*
 * As version_newer, but among candidates the highest track score wins, the
 * newest version breaking ties; a negative score excludes the candidate.
 */
int	 version_newer_track(const char *pinned, const char *const *tags,
	     size_t n, enum version_level level, version_track_cb cb,
	     void *arg, const char **best);
/*
 * The level of the change from one tag to a newer one of its family; -1 if
 * to is not newer or not of the same family.
 */
int	 version_upgrade_level(const char *from, const char *to);

struct eol_image;

/* The argument of version_eol_track. */
struct version_eol {
	const struct eol_image	*image;
	time_t			 now;
	int			 warn_days;
};

/*
 * A version_track_cb from the EOL table: 3 for a supported LTS cycle, 2 for
 * another supported cycle, 1 when ending soon or unknown, 0 past its end.
 */
int	 version_eol_track(const char *tag, void *arg);

#endif
