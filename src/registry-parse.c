/*
 * The registry's untrusted answers, parsed without I/O (registry.h): an
 * image index, a tags/list page, a page of Docker Hub's tag API; and the
 * small facts about media types and digests the client needs.  Fuzzed by
 * tests/fuzz/fuzz_registry_json.c.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "log.h"
#include "ref.h"
#include "registry.h"
#include "store.h"
#include "xmalloc.h"

int
registry_is_index_type(const char *type)
{
	if (type == NULL)
		return (0);
	return (strcmp(type, "application/vnd.oci.image.index.v1+json") == 0 ||
	    strcmp(type,
	    "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

char *
registry_digest_of(const char *algorithm, const void *p, size_t len)
{
	const EVP_MD	*md;
	unsigned char	 out[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;
	char		*s;
	static const char hex[] = "0123456789abcdef";

	if (strcmp(algorithm, "sha256") == 0)
		md = EVP_sha256();
	else if (strcmp(algorithm, "sha512") == 0)
		md = EVP_sha512();
	else
		return (NULL);
	if (EVP_Digest(p, len, out, &n, md, NULL) != 1)
		fatalx("EVP_Digest failed");
	s = xmalloc(strlen(algorithm) + 2 + 2 * n);
	memcpy(s, algorithm, strlen(algorithm));
	s[strlen(algorithm)] = ':';
	for (i = 0; i < n; i++) {
		s[strlen(algorithm) + 1 + 2 * i] = hex[out[i] >> 4];
		s[strlen(algorithm) + 2 + 2 * i] = hex[out[i] & 0xf];
	}
	s[strlen(algorithm) + 1 + 2 * n] = '\0';
	return (s);
}

/* Read one manifests[] entry; 0 to keep it, 1 to skip it, -1 if bad. */
static int
registry_platform(json_t *m, struct store_platform *p)
{
	json_t		*plat, *ann;
	const char	*type;

	memset(p, 0, sizeof *p);
	p->digest = json_string_value(json_object_get(m, "digest"));
	if (p->digest == NULL || ref_digest_valid(p->digest, NULL) != 0)
		return (-1);
	plat = json_object_get(m, "platform");
	p->os = json_string_value(json_object_get(plat, "os"));
	p->architecture = json_string_value(json_object_get(plat,
	    "architecture"));
	p->variant = json_string_value(json_object_get(plat, "variant"));
	ann = json_object_get(m, "annotations");
	type = json_string_value(json_object_get(ann,
	    "vnd.docker.reference.type"));
	if (type != NULL && strcmp(type, "attestation-manifest") == 0)
		return (1);
	if (p->os != NULL && p->architecture != NULL &&
	    strcmp(p->os, "unknown") == 0 &&
	    strcmp(p->architecture, "unknown") == 0)
		return (1);
	return (0);
}

/* Whether the body's mediaType, when present, contradicts Content-Type. */
static int
registry_media_mismatch(json_t *root, const char *type)
{
	const char	*mt;

	mt = json_string_value(json_object_get(root, "mediaType"));
	return (mt != NULL && type != NULL && strcmp(mt, type) != 0);
}

/* Fill plats from manifests[], skipping attestations; -1 if bad. */
static int
registry_platforms(json_t *list, struct store_platform *plats, size_t *n,
    char **cause)
{
	size_t	 i;
	int	 k;

	*n = 0;
	for (i = 0; i < json_array_size(list); i++) {
		k = registry_platform(json_array_get(list, i), &plats[*n]);
		if (k == -1) {
			xasprintf(cause, "manifests[%zu]: bad digest", i);
			return (-1);
		}
		if (k == 0)
			(*n)++;
	}
	return (0);
}

int
registry_parse_index(const char *buf, size_t len, const char *content_type,
    struct registry_index *idx, char **cause)
{
	json_t		*root, *list;
	json_error_t	 jerr;
	int		 rv = -1;

	memset(idx, 0, sizeof *idx);
	root = json_loadb(buf, len, 0, &jerr);
	list = json_object_get(root, "manifests");
	if (root == NULL || !json_is_array(list) ||
	    json_array_size(list) > REGISTRY_MAX_PLATFORMS) {
		*cause = xstrdup("not an image index");
		goto out;
	}
	if (registry_media_mismatch(root, content_type)) {
		xasprintf(cause, "mediaType differs from Content-Type %s",
		    content_type);
		goto out;
	}
	idx->platforms = xcalloc(json_array_size(list) + 1,
	    sizeof *idx->platforms);
	if (registry_platforms(list, idx->platforms, &idx->n, cause) != 0)
		goto out;
	idx->json = root;
	root = NULL;
	rv = 0;
out:
	if (rv != 0)
		registry_index_clear(idx);
	json_decref(root);
	return (rv);
}

void
registry_index_clear(struct registry_index *idx)
{
	free(idx->platforms);
	json_decref(idx->json);
	memset(idx, 0, sizeof *idx);
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int
registry_tag_valid(const char *t)
{
	static const char	 word[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
	size_t			 len, i;

	len = strlen(t);
	if (len == 0 || len > 128 || strchr(word, t[0]) == NULL)
		return (0);
	for (i = 1; i < len; i++) {
		if (strchr(word, t[i]) == NULL && t[i] != '.' && t[i] != '-')
			return (0);
	}
	return (1);
}

int
registry_parse_tags(const char *buf, size_t len, struct registry_tags *tl,
    char **cause)
{
	json_t		*root, *tags;
	json_error_t	 jerr;
	const char	*t;
	size_t		 i;
	int		 rv = -1;

	root = json_loadb(buf, len, 0, &jerr);
	tags = json_object_get(root, "tags");
	if (root == NULL || (!json_is_array(tags) && !json_is_null(tags) &&
	    tags != NULL)) {
		*cause = xstrdup("not a tag list");
		goto out;
	}
	for (i = 0; i < json_array_size(tags); i++) {
		t = json_string_value(json_array_get(tags, i));
		if (t == NULL || !registry_tag_valid(t))
			continue;
		if (tl->n >= REGISTRY_MAX_TAGS) {
			xasprintf(cause, "more than %d tags",
			    REGISTRY_MAX_TAGS);
			goto out;
		}
		if (tl->n == tl->alloc) {
			tl->alloc = tl->alloc == 0 ? 64 : tl->alloc * 2;
			tl->list = xreallocarray(tl->list, tl->alloc,
			    sizeof *tl->list);
		}
		tl->list[tl->n++] = xstrdup(t);
	}
	rv = 0;
out:
	json_decref(root);
	return (rv);
}

void
registry_tags_clear(struct registry_tags *tl)
{
	size_t	 i;

	for (i = 0; i < tl->n; i++)
		free(tl->list[i]);
	free(tl->list);
	memset(tl, 0, sizeof *tl);
}

/* The number n decimal digits at s spell (checked digits). */
static int
registry_digits(const char *s, int n)
{
	int	 v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return (v);
}

/* The zone that ends an RFC 3339 time, "Z" or "+hh:mm", in seconds. */
static int
registry_time_zone(const char *p, long *off)
{
	*off = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return (0);
	if ((*p != '+' && *p != '-') || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) || p[3] != ':' ||
	    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]) ||
	    p[6] != '\0')
		return (-1);
	*off = registry_digits(p + 1, 2) * 3600L +
	    registry_digits(p + 4, 2) * 60L;
	if (*p == '-')
		*off = -*off;
	return (0);
}

/*
 * An RFC 3339 time, "2024-05-01T12:34:56.789Z" or with "+hh:mm", as
 * seconds since the epoch; -1 if it is none or not after 1970.
 */
static time_t
registry_parse_time(const char *s)
{
	static const char	 form[] = "dddd-dd-ddTdd:dd:dd";
	struct tm		 tm;
	const char		*p;
	long			 off;
	size_t			 i;
	time_t			 t;

	if (s == NULL || strlen(s) < sizeof form - 1)
		return (-1);
	for (i = 0; i < sizeof form - 1; i++) {
		if (form[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != form[i] && !(form[i] == 'T' && s[i] == 't'))
			return (-1);
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = registry_digits(s, 4) - 1900;
	tm.tm_mon = registry_digits(s + 5, 2) - 1;
	tm.tm_mday = registry_digits(s + 8, 2);
	tm.tm_hour = registry_digits(s + 11, 2);
	tm.tm_min = registry_digits(s + 14, 2);
	tm.tm_sec = registry_digits(s + 17, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return (-1);
	p = s + sizeof form - 1;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		p += 1 + strspn(p + 1, "0123456789");
	if (registry_time_zone(p, &off) != 0)
		return (-1);
	t = timegm(&tm);
	if (t == (time_t)-1)
		return (-1);
	t -= off;
	return (t > 0 ? t : -1);
}

int
registry_parse_hub_tags(const char *buf, size_t len,
    struct registry_hub_page *pg, char **cause)
{
	json_t		*root, *results, *e;
	const char	*name;
	time_t		 t;
	size_t		 i;
	int		 rv = -1;

	memset(pg, 0, sizeof *pg);
	root = json_loadb(buf, len, 0, NULL);
	results = json_object_get(root, "results");
	if (root == NULL || !json_is_array(results)) {
		*cause = xstrdup("not a Docker Hub tag page");
		goto out;
	}
	if (json_array_size(results) > REGISTRY_MAX_HUB_TAGS) {
		xasprintf(cause, "more than %d results",
		    REGISTRY_MAX_HUB_TAGS);
		goto out;
	}
	pg->list = xcalloc(json_array_size(results) + 1, sizeof *pg->list);
	for (i = 0; i < json_array_size(results); i++) {
		e = json_array_get(results, i);
		name = json_string_value(json_object_get(e, "name"));
		if (name == NULL || !registry_tag_valid(name))
			continue;
		t = registry_parse_time(json_string_value(json_object_get(e,
		    "tag_last_pushed")));
		if (t == -1)
			t = registry_parse_time(json_string_value(
			    json_object_get(e, "last_updated")));
		if (t == -1)
			continue;
		pg->list[pg->n].name = xstrdup(name);
		pg->list[pg->n++].pushed = t;
	}
	rv = 0;
out:
	json_decref(root);
	return (rv);
}

void
registry_hub_page_clear(struct registry_hub_page *pg)
{
	size_t	 i;

	for (i = 0; i < pg->n; i++)
		free(pg->list[i].name);
	free(pg->list);
	memset(pg, 0, sizeof *pg);
}
