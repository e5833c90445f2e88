/*
 * Helpers shared by the cmocka test programs (see testlib.h): reading the
 * files under TESTDATA, splitting tab-separated lines, expanding the
 * vector files' brace notations.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ftw.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"
#include "xmalloc.h"

/* Append n bytes of p to s, keeping it NUL-terminated. */
void
testlib_str_add(struct testlib_str *s, const char *p, size_t n)
{
	while (s->len + n + 1 > s->alloc) {
		s->alloc = s->alloc == 0 ? 64 : s->alloc * 2;
		s->data = xreallocarray(s->data, 1, s->alloc);
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

void
testlib_str_adds(struct testlib_str *s, const char *p)
{
	testlib_str_add(s, p, strlen(p));
}

/* The value of a hex digit, or -1. */
int
testlib_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Is p (n bytes, between braces) "TEXT*N"?  Fill the text length and N. */
static int
testlib_repeat(const char *p, size_t n, size_t *textlen, long *count)
{
	const char	*star;
	size_t		 i;
	long		 value = 0;

	star = memchr(p, '*', n);
	if (star == NULL || star == p || star + 1 == p + n)
		return (0);
	for (i = star - p + 1; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (0);
		value = value * 10 + (p[i] - '0');
		if (value > TESTLIB_REPEAT_MAX)
			return (0);
	}
	if (value < 1 || memchr(p, '{', n) != NULL)
		return (0);
	*textlen = star - p;
	*count = value;
	return (1);
}

/* Is the brace group at p (n bytes inside) {xHH}?  Fill the byte. */
static int
testlib_hex_byte(const char *p, size_t n, char *byte)
{
	if (n != 3 || p[1] != 'x' || testlib_hex(p[2]) < 0 ||
	    testlib_hex(p[3]) < 0)
		return (0);
	*byte = (char)(testlib_hex(p[2]) * 16 + testlib_hex(p[3]));
	return (1);
}

/*
 * Append s to out with {H64} and {TEXT*N} expanded, and {xHH} with
 * TESTLIB_EXPAND_HEX in flags; other braces are literal.  out must be
 * zeroed or hold a string already; it is NUL-terminated even when empty.
 */
void
testlib_expand(const char *s, int flags, struct testlib_str *out)
{
	const char	*p = s, *close;
	size_t		 textlen, n;
	long		 count, i;
	char		 byte;

	testlib_str_add(out, "", 0);
	while (*p != '\0') {
		close = *p == '{' ? strchr(p + 1, '}') : NULL;
		n = close != NULL ? (size_t)(close - p - 1) : 0;
		if (close != NULL && n == 3 && strncmp(p + 1, "H64", 3) == 0) {
			testlib_str_adds(out, TESTLIB_H64);
			p = close + 1;
		} else if (close != NULL && (flags & TESTLIB_EXPAND_HEX) &&
		    testlib_hex_byte(p, n, &byte)) {
			testlib_str_add(out, &byte, 1);
			p = close + 1;
		} else if (close != NULL &&
		    testlib_repeat(p + 1, n, &textlen, &count)) {
			for (i = 0; i < count; i++)
				testlib_str_add(out, p + 1, textlen);
			p = close + 1;
		} else {
			testlib_str_add(out, p, 1);
			p++;
		}
	}
}

/*
 * Split line at tabs into at most max fields, each expanded (flags as
 * testlib_expand) into fields[i], which this zeroes first.  Returns the
 * count, or max + 1 when there are more fields: then max are filled.  The
 * caller frees the filled fields with testlib_fields_free.
 */
size_t
testlib_fields(const char *line, int flags, struct testlib_str *fields,
    size_t max)
{
	const char	*p = line, *tab;
	char		*raw;
	size_t		 n = 0;

	for (;;) {
		tab = strchr(p, '\t');
		if (n == max)
			return (max + 1);
		raw = xstrndup(p, tab != NULL ? (size_t)(tab - p) : strlen(p));
		memset(&fields[n], 0, sizeof fields[n]);
		testlib_expand(raw, flags, &fields[n++]);
		free(raw);
		if (tab == NULL)
			return (n);
		p = tab + 1;
	}
}

void
testlib_fields_free(struct testlib_str *fields, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(fields[i].data);
}

/*
 * Cut line at its first CR or LF, then split it at tabs in place into at
 * most max fields (the last keeps any further tabs); returns how many.
 */
int
testlib_split(char *line, char **field, int max)
{
	int	 n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		field[n++] = line;
		line = strchr(line, '\t');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return (n);
}

/* s, or "(null)" to print in its place. */
const char *
testlib_show(const char *s)
{
	return (s == NULL ? "(null)" : s);
}

/* The test data directory, from TESTDATA (make check sets it). */
const char *
testlib_datadir(void)
{
	const char	*d = getenv("TESTDATA");

	if (d == NULL || *d == '\0')
		fail_msg("TESTDATA is not set: run the tests with make check, "
		    "or set TESTDATA to the absolute path of tests/data");
	return (d);
}

/* A path formatted from fmt; the caller frees it. */
char *
testlib_path(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	xvasprintf(&p, fmt, ap);
	va_end(ap);
	return (p);
}

/*
 * Open the file fmt names under TESTDATA for reading; fail the test if it
 * cannot.  With path not NULL, *path gets the full path (caller frees).
 */
FILE *
testlib_open(char **path, const char *fmt, ...)
{
	va_list	 ap;
	char	*name, *full;
	FILE	*fp;

	va_start(ap, fmt);
	xvasprintf(&name, fmt, ap);
	va_end(ap);
	full = testlib_path("%s/%s", testlib_datadir(), name);
	free(name);
	fp = fopen(full, "r");
	if (fp == NULL)
		fail_msg("cannot open %s", full);
	if (path != NULL)
		*path = full;
	else
		free(full);
	return (fp);
}

/*
 * The next vector line of fp without its newline, skipping blank lines
 * and # comments, or NULL at the end (check ferror).  *line and *size are
 * getline's buffer (the caller frees *line); *lineno counts every line.
 */
char *
testlib_line(FILE *fp, char **line, size_t *size, size_t *lineno)
{
	ssize_t	 len;

	for (;;) {
		len = getline(line, size, fp);
		if (len == -1)
			return (NULL);
		(*lineno)++;
		if (len > 0 && (*line)[len - 1] == '\n')
			(*line)[--len] = '\0';
		if ((*line)[0] != '\0' && (*line)[0] != '#')
			return (*line);
	}
}

/*
 * The bytes of the file at path in a buffer of exactly its size (no
 * terminator, so a sanitizer catches over-reads), or NULL if it cannot be
 * opened.  The caller frees it.
 */
char *
testlib_read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n = -1;

	f = fopen(path, "rb");
	if (f == NULL)
		return (NULL);
	if (fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
		fail_msg("%s: cannot size", path);
	p = xmalloc(n > 0 ? (size_t)n : 1);
	if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n)
		fail_msg("%s: short read", path);
	fclose(f);
	*len = (size_t)n;
	return (p);
}

/* A NUL-terminated copy of a text file, or NULL if there is none. */
char *
testlib_read_text(const char *path)
{
	char	*p, *s;
	size_t	 n;

	p = testlib_read_file(path, &n);
	if (p == NULL)
		return (NULL);
	s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	free(p);
	return (s);
}

char *
testlib_tmpdir(const char *name)
{
	char	*tmpl;

	xasprintf(&tmpl, "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tmpl) == NULL) {
		free(tmpl);
		return (NULL);
	}
	return (tmpl);
}

static int
testlib_rm_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *f)
{
	(void)sb;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path));
}

void
testlib_rmtree(const char *dir)
{
	if (dir != NULL)
		nftw(dir, testlib_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
