/*
 * Versions in image tags: "20.18.1-alpine3.21" is version 20.18.1 with the
 * variant "alpine3.21"; "21.0.4_7-jre-alpine" is 21.0.4 build _7, variant
 * "jre-alpine"; "3.15.0rc1-trixie" is a pre-release.  scripts/gen-data.py
 * splits tags the same way.
 */
#ifndef VERSION_H
#define VERSION_H

#include <stddef.h>

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

#endif
