/*
 * What scanning finds: image references with where they were written, and
 * what was skipped.  The scanners (scan-dockerfile, scan-yaml) append to a
 * struct scan_result; walk decides which files reach them.
 */
#ifndef SCAN_H
#define SCAN_H

#include <stddef.h>

#include "ref.h"

enum scan_kind {
	SCAN_NONE = 0,
	SCAN_DOCKERFILE,
	SCAN_COMPOSE,
	SCAN_KUBERNETES,
	SCAN_GITHUB_ACTIONS,
	SCAN_GITLAB_CI
};

struct scan_ref {
	char		*file;		/* relative to the scanned root */
	unsigned	 line;		/* 1-based: where the instruction/key starts */
	unsigned	 column;	/* 1-based column of the reference text */
	enum scan_kind	 kind;
	char		*stage;		/* stage name, NULL when unnamed/none */
	int		 final_stage;	/* ends up in the shipped image */
	char		*text;		/* as written, before substitution */
	int		 resolved;	/* ref below is valid */
	char		*problem;	/* why not resolved (variable, syntax) */
	struct ref	 ref;
};

struct scan_skip {
	char		*path;
	char		*reason;
};

struct scan_result {
	struct scan_ref		*refs;
	size_t			 nrefs, arefs;
	struct scan_skip	*skips;
	size_t			 nskips, askips;
	size_t			 files_scanned;
};

void		 scan_result_init(struct scan_result *);
void		 scan_result_free(struct scan_result *);
/*
 * Name the references and skips from index r0 and s0 on (those found
 * under root) from the current directory instead of relative to root:
 * "root/svc/Dockerfile".  For several roots, whose relative paths could
 * be the same.
 */
void		 scan_result_prefix(struct scan_result *, size_t r0, size_t s0,
		     const char *root);
/*
 * Add a reference found at file:line:column.  value is the text after
 * substitution, or NULL when a variable could not be resolved (problem
 * then says which).  The strings are copied.
 */
struct scan_ref	*scan_add_ref(struct scan_result *, const char *file,
		     unsigned line, unsigned column, enum scan_kind,
		     const char *stage, int final_stage, const char *text,
		     const char *value, const char *problem);
void		 scan_add_skip(struct scan_result *, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char	*scan_kind_name(enum scan_kind);
/* What a file is by its path relative to the root; SCAN_NONE if nothing. */
enum scan_kind	 scan_kind_of(const char *relpath);
/* Scan one file's bytes according to its kind. */
void		 scan_buffer(struct scan_result *, const char *relpath,
		     enum scan_kind, const char *buf, size_t len);

#endif
