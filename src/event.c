/*
 * Event documents (event.h), built with jansson so every string is
 * escaped; keys sorted so the same event is the same bytes.
 */
#include "autoconf.h"

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "event.h"
#include "log.h"
#include "rules.h"
#include "xmalloc.h"

#define EVENT_DUMP	(JSON_COMPACT | JSON_SORT_KEYS)

static void
event_hex(const unsigned char *in, size_t n, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

char *
event_new_id(void)
{
	unsigned char	 r[EVENT_ID_LEN / 2];
	char		*s;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < sizeof r) {
		n = getrandom(r + got, sizeof r - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("getrandom");
		got += (size_t)n;
	}
	s = xmalloc(EVENT_ID_LEN + 1);
	event_hex(r, sizeof r, s);
	return (s);
}

/* t as RFC 3339 UTC. */
static json_t *
event_time(time_t t)
{
	struct tm	 tm;
	char		 buf[32];

	if (t <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return (json_null());
	return (json_string(buf));
}

/* The length of the valid UTF-8 sequence at s, 0 if there is none. */
static size_t
event_utf8(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	}
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) ||
	    (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
	    (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return (0);		/* overlong, surrogate, too big */
	return (n);
}

/*
 * A JSON string of s; bytes that are not UTF-8 (a file name in Latin-1)
 * become '?', so the field is never dropped (json_string refuses them).
 */
static json_t *
event_str(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	json_t			*j;
	char			*copy;
	size_t			 i = 0, n, len;

	if (s == NULL)
		return (json_null());
	j = json_string(s);
	if (j != NULL)
		return (j);
	len = strlen(s);
	copy = xmalloc(len + 1);
	while (i < len) {
		n = event_utf8(p + i);
		if (n == 0) {
			copy[i++] = '?';
			continue;
		}
		memcpy(copy + i, s + i, n);
		i += n;
	}
	copy[len] = '\0';
	j = json_string(copy);
	free(copy);
	return (j != NULL ? j : json_string("?"));
}

/* The envelope around data (taken), as text. */
static char *
event_wrap(const char *id, const char *type, time_t now, json_t *data)
{
	json_t	*o;
	char	*s, *out;

	o = json_object();
	json_object_set_new(o, "schema", json_string(EVENT_SCHEMA));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "time", event_time(now));
	json_object_set_new(o, "data", data != NULL ? data : json_object());
	s = json_dumps(o, EVENT_DUMP);
	json_decref(o);
	if (s == NULL)
		fatalx("%s: json_dumps failed", __func__);
	out = xstrdup(s);
	free(s);
	return (out);
}

char *
event_tag_moved(const char *id, time_t now, const char *image,
    const char *tag, const char *digest, const char *media_type,
    const char *previous, time_t previous_since)
{
	json_t	*d;

	d = json_object();
	json_object_set_new(d, "image", event_str(image));
	json_object_set_new(d, "tag", event_str(tag));
	json_object_set_new(d, "digest", event_str(digest));
	json_object_set_new(d, "media_type", event_str(media_type));
	json_object_set_new(d, "previous", event_str(previous));
	/* When the previous digest was first seen under this tag. */
	json_object_set_new(d, "first_seen", event_time(previous_since));
	/* An index's platforms are fetched after the move is recorded. */
	json_object_set_new(d, "platforms", json_array());
	return (event_wrap(id, "tag.moved", now, d));
}

char *
event_tag_added(const char *id, time_t now, const char *image,
    const char *tag, const char *family, const char *replaces)
{
	json_t	*d;

	d = json_object();
	json_object_set_new(d, "image", event_str(image));
	json_object_set_new(d, "tag", event_str(tag));
	json_object_set_new(d, "family", family != NULL && *family != '\0' ?
	    json_string(family) : json_null());
	json_object_set_new(d, "replaces", event_str(replaces));
	return (event_wrap(id, "tag.added", now, d));
}

char *
event_finding_data(const struct finding *f, const char *fingerprint)
{
	json_t	*d, *ev;
	char	*s, *out;
	size_t	 i;

	d = json_object();
	json_object_set_new(d, "fingerprint", event_str(fingerprint));
	json_object_set_new(d, "rule", json_string(rules_table[f->rule].id));
	json_object_set_new(d, "severity", json_string(
	    severity_name(f->severity)));
	json_object_set_new(d, "file", event_str(f->file));
	json_object_set_new(d, "line", json_integer(f->line));
	json_object_set_new(d, "image", event_str(f->text));
	json_object_set_new(d, "message", event_str(f->message));
	json_object_set_new(d, "suggestion", event_str(f->suggestion));
	ev = json_object();
	for (i = 0; i < f->nevidence; i++)
		json_object_set_new(ev, f->evidence[i].key,
		    event_str(f->evidence[i].value));	/* keys are ours */
	json_object_set_new(d, "evidence", ev);
	s = json_dumps(d, EVENT_DUMP);
	json_decref(d);
	if (s == NULL)
		fatalx("%s: json_dumps failed", __func__);
	out = xstrdup(s);
	free(s);
	return (out);
}

char *
event_finding(const char *id, const char *type, time_t now,
    const char *data)
{
	json_error_t	 err;
	json_t		*d;

	d = json_loads(data, 0, &err);
	if (d == NULL || !json_is_object(d)) {
		/* Our own text from the database, damaged: say so. */
		json_decref(d);
		d = json_object();
		json_object_set_new(d, "error", json_string(
		    "the finding's stored data could not be read"));
	}
	return (event_wrap(id, type, now, d));
}

char *
event_fingerprint(const char *rule, const char *file, const char *image)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	char		*s;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, rule, strlen(rule) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, file, strlen(file) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, image, strlen(image) + 1) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1)
		fatalx("%s: SHA-256 failed", __func__);
	EVP_MD_CTX_free(ctx);
	s = xmalloc(2 * n + 1);
	event_hex(md, n, s);
	return (s);
}
