/*
 * libFuzzer target for the JSON parsers of src/registry.c and src/auth.c.
 * The first byte chooses the parser: i (image index, no Content-Type),
 * c (image index: a Content-Type line, '\n', the body), t (tags/list
 * pages, '\f' apart, appended to one list), a (token response), h (a page
 * of Docker Hub's tag API); any other byte chooses by its value modulo 5.
 * The rest is the input, handed over in buffers of their exact length.
 * Besides surviving, every result must keep the contract in src/registry.h
 * and src/auth.h.
 * Seeds: tests/data/fuzz/registry-json/.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "ref.h"
#include "registry.h"
#include "store.h"
#include "xmalloc.h"

#define FUZZ_RJ_NOW	((time_t)1700000000)	/* 2023-11-14T22:13:20Z */
#define FUZZ_RJ_DAY	86400

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void __attribute__((noreturn))
fuzz_rj_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_registry_json: %s: %.300s\n", what,
	    detail != NULL ? detail : "(null)");
	abort();
}

/* A heap copy of exactly n bytes, so that reading past them is caught. */
static char *
fuzz_rj_exact(const uint8_t *d, size_t n)
{
	char	*p;

	p = xmalloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(p, d, n);
	return (p);
}

/* rc and cause agree: a cause exactly on failure. */
static void
fuzz_rj_rc(const char *what, int rc, char *cause)
{
	if ((rc != 0) != (cause != NULL) || (rc != 0 && rc != -1))
		fuzz_rj_fail(what, "return code and cause disagree");
	free(cause);
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, checked independently. */
static int
fuzz_rj_tag_ok(const char *t)
{
	size_t	 i, len = strlen(t);

	if (len == 0 || len > 128 || t[0] == '.' || t[0] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '_' ||
		    t[i] == '.' || t[i] == '-'))
			return (0);
	}
	return (1);
}

static void
fuzz_rj_index(const uint8_t *d, size_t n, int with_type)
{
	struct registry_index		 idx;
	const struct store_platform	*p;
	const uint8_t			*nl = NULL;
	char				*buf, *type = NULL, *cause = NULL;
	size_t				 i;
	int				 rc;

	if (with_type) {
		nl = memchr(d, '\n', n);
		if (nl != NULL) {
			type = xstrndup((const char *)d, (size_t)(nl - d));
			n -= (size_t)(nl - d) + 1;
			d = nl + 1;
		}
	}
	buf = fuzz_rj_exact(d, n);
	rc = registry_parse_index(buf, n, type, &idx, &cause);
	fuzz_rj_rc("parse_index", rc, cause);
	if (rc != 0 && (idx.platforms != NULL || idx.n != 0 ||
	    idx.json != NULL))
		fuzz_rj_fail("failed parse left an index", NULL);
	if (rc == 0 && idx.n > REGISTRY_MAX_PLATFORMS)
		fuzz_rj_fail("too many platforms", NULL);
	for (i = 0; rc == 0 && i < idx.n; i++) {
		p = &idx.platforms[i];
		if (p->digest == NULL || ref_digest_valid(p->digest, NULL) != 0)
			fuzz_rj_fail("invalid platform digest", p->digest);
		if (p->os != NULL && p->architecture != NULL &&
		    strcmp(p->os, "unknown") == 0 &&
		    strcmp(p->architecture, "unknown") == 0)
			fuzz_rj_fail("unknown/unknown kept", p->digest);
	}
	registry_index_clear(&idx);
	if (idx.platforms != NULL || idx.n != 0 || idx.json != NULL)
		fuzz_rj_fail("index_clear left something", NULL);
	free(type);
	free(buf);
}

static void
fuzz_rj_tags(const uint8_t *d, size_t n)
{
	struct registry_tags	 tl;
	const uint8_t		*ff;
	char			*page, *cause;
	size_t			 len, i, before;
	int			 rc;

	memset(&tl, 0, sizeof tl);
	for (;;) {
		ff = memchr(d, '\f', n);
		len = ff != NULL ? (size_t)(ff - d) : n;
		page = fuzz_rj_exact(d, len);
		before = tl.n;
		cause = NULL;
		rc = registry_parse_tags(page, len, &tl, &cause);
		fuzz_rj_rc("parse_tags", rc, cause);
		free(page);
		if (tl.n < before || tl.n > REGISTRY_MAX_TAGS ||
		    tl.n > tl.alloc)
			fuzz_rj_fail("tag count out of range", NULL);
		if (ff == NULL)
			break;
		d = ff + 1;
		n -= len + 1;
	}
	for (i = 0; i < tl.n; i++) {
		if (!fuzz_rj_tag_ok(tl.list[i]))
			fuzz_rj_fail("invalid tag kept", tl.list[i]);
	}
	registry_tags_clear(&tl);
	if (tl.list != NULL || tl.n != 0)
		fuzz_rj_fail("tags_clear left something", NULL);
}

static void
fuzz_rj_hub(const uint8_t *d, size_t n)
{
	struct registry_hub_page	 pg;
	char				*buf, *cause = NULL;
	size_t				 i;
	int				 rc;

	buf = fuzz_rj_exact(d, n);
	rc = registry_parse_hub_tags(buf, n, &pg, &cause);
	fuzz_rj_rc("parse_hub_tags", rc, cause);
	if (rc != 0 && (pg.list != NULL || pg.n != 0))
		fuzz_rj_fail("failed parse left a page", NULL);
	if (pg.n > REGISTRY_MAX_HUB_TAGS)
		fuzz_rj_fail("too many Hub tags", NULL);
	for (i = 0; i < pg.n; i++) {
		if (!fuzz_rj_tag_ok(pg.list[i].name))
			fuzz_rj_fail("invalid Hub tag kept", pg.list[i].name);
		if (pg.list[i].pushed <= 0)
			fuzz_rj_fail("push time not after 1970",
			    pg.list[i].name);
	}
	registry_hub_page_clear(&pg);
	if (pg.list != NULL || pg.n != 0)
		fuzz_rj_fail("hub_page_clear left something", NULL);
	free(buf);
}

static void
fuzz_rj_token(const uint8_t *d, size_t n)
{
	char	*buf, *header = NULL, *cause = NULL;
	time_t	 expires = 0, lo, hi;
	int	 rc;

	buf = fuzz_rj_exact(d, n);
	rc = auth_parse_token(buf, n, FUZZ_RJ_NOW, &header, &expires, &cause);
	fuzz_rj_rc("parse_token", rc, cause);
	if (rc != 0 && header != NULL)
		fuzz_rj_fail("failed parse left a header", header);
	if (rc == 0) {
		if (header == NULL || strncmp(header, "Bearer ", 7) != 0 ||
		    header[7] == '\0' || strlen(header) > 7 + 8192 ||
		    strpbrk(header, "\r\n") != NULL)
			fuzz_rj_fail("bad Authorization value", header);
		lo = FUZZ_RJ_NOW - FUZZ_RJ_DAY + AUTH_MIN_LIFETIME -
		    AUTH_EXPIRY_MARGIN;
		hi = FUZZ_RJ_NOW + FUZZ_RJ_DAY - AUTH_EXPIRY_MARGIN;
		if (expires < lo || expires > hi)
			fuzz_rj_fail("expiry out of range", buf);
	}
	free(header);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 kinds[] = "ictah";
	const char		*k;
	int			 kind;

	if (size == 0)
		return (0);
	k = strchr(kinds, data[0]);
	kind = data[0] != '\0' && k != NULL ? k - kinds : data[0] % 5;
	data++;
	size--;
	switch (kind) {
	case 0:
	case 1:
		fuzz_rj_index(data, size, kind == 1);
		break;
	case 2:
		fuzz_rj_tags(data, size);
		break;
	case 4:
		fuzz_rj_hub(data, size);
		break;
	default:
		fuzz_rj_token(data, size);
		break;
	}
	return (0);
}
