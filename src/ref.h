/*
 * Docker image references: the grammar and normalization of
 * distribution/reference (ParseNormalizedNamed), written for tagdrift.
 */
#ifndef REF_H
#define REF_H

#define REF_DEFAULT_REGISTRY	"docker.io"
#define REF_PATH_MAX		255
#define REF_TAG_MAX		128

struct ref {
	char	*registry;	/* "docker.io", "localhost:5000" */
	char	*repository;	/* "library/node" */
	char	*tag;		/* as written, NULL when absent */
	char	*digest;	/* as written, NULL when absent */
	char	*written;	/* the name part as written: "node" */
};

/*
 * Parse and normalize s into r, whose strings r owns (ref_deinit frees
 * them); on error r is zeroed and cause is filled (the caller frees it).
 * registry-1.docker.io is kept as written, as upstream does.
 */
int	 ref_parse(const char *s, struct ref *r, char **cause);
/* Free what r owns and zero it; NULL is a no-op. */
void	 ref_deinit(struct ref *);
/* Fill dst (uninitialized) with copies of src's strings, owned by dst. */
void	 ref_copy(struct ref *, const struct ref *);

/* The functions below return allocated strings the caller frees. */

/* registry/repository[:tag][@digest]; ":latest" when neither is present. */
char	*ref_canonical(const struct ref *);
/*
 * The short name people write: "node", "bitnami/redis", "ghcr.io/o/r".
 * Every Hub spelling is shortened; parsing the result gives the same
 * ref_identity.
 */
char	*ref_familiar_name(const struct ref *);
/*
 * Image identity, registry/path without tag or digest: docker.io,
 * index.docker.io and registry-1.docker.io (where Docker reaches the Hub)
 * are one registry, "docker.io", with library/ on single components.
 */
char	*ref_identity(const struct ref *);
/* Nonzero when both references name the same image (ref_identity). */
int	 ref_same_image(const struct ref *, const struct ref *);
/* Replacement text: the name as written with a new tag and/or digest. */
char	*ref_with(const struct ref *, const char *tag, const char *digest);
/*
 * Check a digest as go-digest does with sha256 and sha512 registered;
 * on error fill cause (when not NULL; the caller frees it).
 */
int	 ref_digest_valid(const char *, char **cause);

#endif
