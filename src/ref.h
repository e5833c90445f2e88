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

/* Parse and normalize s into r (owned by r); on error fill cause. */
int	 ref_parse(const char *s, struct ref *r, char **cause);
void	 ref_deinit(struct ref *);
void	 ref_copy(struct ref *, const struct ref *);
/* Fully qualified form; ":latest" added when there is no tag nor digest. */
char	*ref_canonical(const struct ref *);
/* The short name people write: "node", "bitnami/redis", "ghcr.io/o/r". */
char	*ref_familiar_name(const struct ref *);
/* Image identity: registry-1.docker.io is Docker Hub, as Docker reaches it. */
char	*ref_identity(const struct ref *);
/* The same image (identity) in both references. */
int	 ref_same_image(const struct ref *, const struct ref *);
/* Replacement text: the name as written with a new tag and digest. */
char	*ref_with(const struct ref *, const char *tag, const char *digest);
int	 ref_digest_valid(const char *, char **cause);

#endif
