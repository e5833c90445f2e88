/*
 * Helpers shared by the cmocka test programs: files under TESTDATA, lines
 * of tab-separated fields, and the {H64}, {xHH} and {TEXT*N} notations
 * the vector files use for long or unprintable values.  A helper that
 * cannot go on (TESTDATA unset, a file that must exist missing) fails the
 * running test with fail_msg.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stddef.h>
#include <stdio.h>

/* What {H64} expands to: a digest's 64 hex digits. */
#define TESTLIB_H64 \
	"a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
/* {TEXT*N} with N above this stays literal. */
#define TESTLIB_REPEAT_MAX	100000

/* testlib_expand and testlib_fields flags. */
#define TESTLIB_EXPAND_HEX	0x1	/* {xHH} is the byte 0xHH */

/* A growable byte string: may hold NUL bytes, always NUL-terminated. */
struct testlib_str {
	char	*data;		/* owned; NULL until something is added */
	size_t	 len;
	size_t	 alloc;
};

void		 testlib_str_add(struct testlib_str *, const char *, size_t);
void		 testlib_str_adds(struct testlib_str *, const char *);

int		 testlib_hex(int);
void		 testlib_expand(const char *, int, struct testlib_str *);
size_t		 testlib_fields(const char *, int, struct testlib_str *,
		     size_t);
void		 testlib_fields_free(struct testlib_str *, size_t);
int		 testlib_split(char *, char **, int);
const char	*testlib_show(const char *);

const char	*testlib_datadir(void);
char		*testlib_path(const char *, ...)
		     __attribute__((format(printf, 1, 2)));
FILE		*testlib_open(char **, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
char		*testlib_line(FILE *, char **, size_t *, size_t *);
char		*testlib_read_file(const char *, size_t *);
char		*testlib_read_text(const char *);

/*
 * A new directory /tmp/NAME.XXXXXX (the caller frees the path), NULL when
 * mkdtemp fails; testlib_rmtree removes it and all it holds.
 */
char		*testlib_tmpdir(const char *name);
void		 testlib_rmtree(const char *);

#endif /* TESTLIB_H */
