/*
 * Webhook alerts: an outbox event checked field by field, then rendered
 * as generic JSON, a Slack message or a CloudEvent, and signed (see
 * alert.h for the event schema).
 */
#include "autoconf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alert.h"
#include "alert-int.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "ref.h"
#include "xmalloc.h"


enum alert_kind {
	ALERT_WORD,		/* identifier: no space or control byte */
	ALERT_TEXT,		/* free text, 1 byte or more */
	ALERT_DIGEST,		/* "sha256:<hex>" */
	ALERT_TIME,		/* RFC 3339 UTC */
	ALERT_HEX,		/* lowercase hex */
	ALERT_SEVERITY,		/* info, warning, error */
	ALERT_LINE,		/* integer, 0 unknown */
	ALERT_WORDS,		/* array of identifiers */
	ALERT_STRINGS		/* object of text values */
};

enum alert_need {
	ALERT_REQUIRED,
	ALERT_NULLABLE,		/* null or absent: null */
	ALERT_EMPTY		/* absent: an empty object */
};

struct alert_field {
	const char	*name;
	enum alert_kind	 kind;
	enum alert_need	 need;
};

static const struct alert_field alert_moved_fields[] = {
	{ "image", ALERT_WORD, ALERT_REQUIRED },
	{ "tag", ALERT_WORD, ALERT_REQUIRED },
	{ "digest", ALERT_DIGEST, ALERT_REQUIRED },
	{ "previous", ALERT_DIGEST, ALERT_REQUIRED },
	{ "first_seen", ALERT_TIME, ALERT_REQUIRED },
	{ "platforms", ALERT_WORDS, ALERT_REQUIRED },
	{ NULL, 0, 0 }
};

static const struct alert_field alert_added_fields[] = {
	{ "image", ALERT_WORD, ALERT_REQUIRED },
	{ "tag", ALERT_WORD, ALERT_REQUIRED },
	{ "family", ALERT_WORD, ALERT_NULLABLE },
	{ "replaces", ALERT_WORD, ALERT_NULLABLE },
	{ NULL, 0, 0 }
};

static const struct alert_field alert_finding_fields[] = {
	{ "fingerprint", ALERT_HEX, ALERT_REQUIRED },
	{ "rule", ALERT_WORD, ALERT_REQUIRED },
	{ "severity", ALERT_SEVERITY, ALERT_REQUIRED },
	{ "file", ALERT_TEXT, ALERT_REQUIRED },
	{ "line", ALERT_LINE, ALERT_REQUIRED },
	{ "image", ALERT_WORD, ALERT_REQUIRED },
	{ "message", ALERT_TEXT, ALERT_REQUIRED },
	{ "suggestion", ALERT_TEXT, ALERT_NULLABLE },
	{ "evidence", ALERT_STRINGS, ALERT_EMPTY },
	{ NULL, 0, 0 }
};


static const struct {
	const char			*name;
	const struct alert_field	*fields;
} alert_types[] = {
	{ "tag.moved", alert_moved_fields },
	{ "tag.added", alert_added_fields },
	{ "finding.opened", alert_finding_fields },
	{ "finding.resolved", alert_finding_fields }
};
#define ALERT_NTYPES	(sizeof alert_types / sizeof alert_types[0])



static int
alert_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/* An identifier: 1 to ALERT_MAX_STRING bytes, no space or control byte. */
static int
alert_word_ok(const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return (0);
	}
	return (i > 0 && i <= max);
}

/* The event id, which goes into a header: [A-Za-z0-9._:-]{1,128}. */
static int
alert_id_ok(const char *s)
{
	size_t	 n;

	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._:-");
	return (n > 0 && n <= ALERT_MAX_ID && s[n] == '\0');
}

/* The number of two digits at s, or -1. */
static int
alert_two(const char *s)
{
	if (!alert_digit(s[0]) || !alert_digit(s[1]))
		return (-1);
	return ((s[0] - '0') * 10 + (s[1] - '0'));
}

/* YYYY-MM-DDTHH:MM:SS[.fraction]Z, fields in range. */
static int
alert_time_ok(const char *s)
{
	static const char	 form[] = "dddd-dd-ddTdd:dd:dd";
	size_t			 i, n;

	for (i = 0; form[i] != '\0'; i++) {
		if (form[i] == 'd' ? !alert_digit(s[i]) : s[i] != form[i])
			return (0);
	}
	if (alert_two(s + 5) < 1 || alert_two(s + 5) > 12 ||
	    alert_two(s + 8) < 1 || alert_two(s + 8) > 31 ||
	    alert_two(s + 11) > 23 || alert_two(s + 14) > 59 ||
	    alert_two(s + 17) > 60)
		return (0);
	s += i;
	if (*s == '.') {
		n = strspn(s + 1, "0123456789");
		if (n < 1 || n > 9)
			return (0);
		s += 1 + n;
	}
	return (strcmp(s, "Z") == 0);
}

static int
alert_hex_ok(const char *s)
{
	size_t	 n;

	n = strspn(s, "0123456789abcdef");
	return (n >= 8 && n <= ALERT_MAX_ID && s[n] == '\0');
}

/* Whether v is a JSON string of the given kind. */
static int
alert_string_ok(enum alert_kind kind, json_t *v)
{
	const char	*s;
	size_t		 len;

	s = json_string_value(v);
	if (s == NULL)
		return (0);
	len = json_string_length(v);
	if (len == 0 || len > ALERT_MAX_STRING || strlen(s) != len)
		return (0);
	switch (kind) {
	case ALERT_WORD:
		return (alert_word_ok(s, ALERT_MAX_STRING));
	case ALERT_DIGEST:
		return (ref_digest_valid(s, NULL) == 0);
	case ALERT_TIME:
		return (alert_time_ok(s));
	case ALERT_HEX:
		return (alert_hex_ok(s));
	case ALERT_SEVERITY:
		return (strcmp(s, "info") == 0 || strcmp(s, "warning") == 0 ||
		    strcmp(s, "error") == 0);
	default:
		return (1);
	}
}

/* An array of at most ALERT_MAX_PLATFORMS identifiers. */
static int
alert_words_ok(json_t *v)
{
	size_t	 i;

	if (!json_is_array(v) || json_array_size(v) > ALERT_MAX_PLATFORMS)
		return (0);
	for (i = 0; i < json_array_size(v); i++) {
		if (!alert_string_ok(ALERT_WORD, json_array_get(v, i)))
			return (0);
	}
	return (1);
}

/* An object of at most ALERT_MAX_EVIDENCE text values (may be ""). */
static int
alert_strings_ok(json_t *v)
{
	const char	*key;
	json_t		*value;

	if (!json_is_object(v) || json_object_size(v) > ALERT_MAX_EVIDENCE)
		return (0);
	json_object_foreach(v, key, value) {
		if (!alert_word_ok(key, ALERT_MAX_KEY) ||
		    !json_is_string(value) ||
		    json_string_length(value) > ALERT_MAX_STRING ||
		    strlen(json_string_value(value)) !=
		    json_string_length(value))
			return (0);
	}
	return (1);
}

static int
alert_value_ok(const struct alert_field *f, json_t *v)
{
	json_int_t	 line;

	switch (f->kind) {
	case ALERT_LINE:
		if (!json_is_integer(v))
			return (0);
		line = json_integer_value(v);
		return (line >= 0 && line <= INT_MAX);
	case ALERT_WORDS:
		return (alert_words_ok(v));
	case ALERT_STRINGS:
		return (alert_strings_ok(v));
	default:
		return (alert_string_ok(f->kind, v));
	}
}

/* Copy the documented fields of in to a new object; NULL and *cause. */
static json_t *
alert_data(const struct alert_field *fields, json_t *in, char **cause)
{
	const struct alert_field	*f;
	json_t				*out, *v;

	out = json_object();
	for (f = fields; f->name != NULL; f++) {
		v = json_object_get(in, f->name);
		if (v == NULL && f->need == ALERT_EMPTY)
			v = json_object();
		else if ((v == NULL || json_is_null(v)) &&
		    f->need == ALERT_NULLABLE)
			v = json_null();
		else if (v == NULL) {
			xasprintf(cause, "data.%s: missing", f->name);
			goto fail;
		} else if (!alert_value_ok(f, v)) {
			xasprintf(cause, "data.%s: invalid value", f->name);
			goto fail;
		} else
			json_incref(v);
		json_object_set_new(out, f->name, v);
	}
	return (out);
fail:
	json_decref(out);
	return (NULL);
}

/* The envelope's string member name, checked by ok; NULL and *cause. */
static const char *
alert_member(json_t *root, const char *name, int (*ok)(const char *),
    char **cause)
{
	json_t		*v;
	const char	*s;

	v = json_object_get(root, name);
	s = json_string_value(v);
	if (s == NULL || strlen(s) != json_string_length(v) || !ok(s)) {
		xasprintf(cause, "%s: %s", name, v == NULL ? "missing" :
		    "invalid value");
		return (NULL);
	}
	return (s);
}

static int
alert_schema_ok(const char *s)
{
	return (strcmp(s, ALERT_SCHEMA) == 0);
}

/* The index of type s in alert_types, or -1. */
static int
alert_type_index(const char *s)
{
	size_t	 i;

	for (i = 0; i < ALERT_NTYPES; i++) {
		if (strcmp(s, alert_types[i].name) == 0)
			return ((int)i);
	}
	return (-1);
}

static int
alert_type_ok(const char *s)
{
	return (alert_type_index(s) != -1);
}

static void
alert_event_clear(struct alert_event *ev)
{
	json_decref(ev->data);
	json_decref(ev->root);
	memset(ev, 0, sizeof *ev);
}

/* Parse and check one event; -1 and *cause if it is malformed. */
static int
alert_event_parse(const char *buf, size_t len, struct alert_event *ev,
    char **cause)
{
	json_error_t	 jerr;
	const char	*type;
	int		 rv = -1;

	memset(ev, 0, sizeof *ev);
	if (len > ALERT_MAX_EVENT) {
		xasprintf(cause, "event of %zu bytes, more than %d", len,
		    ALERT_MAX_EVENT);
		goto out;
	}
	ev->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (ev->root == NULL || !json_is_object(ev->root)) {
		xasprintf(cause, "event is not a JSON object: %s",
		    ev->root == NULL ? jerr.text : "another value");
		goto out;
	}
	if (alert_member(ev->root, "schema", alert_schema_ok, cause) == NULL)
		goto out;
	ev->id = alert_member(ev->root, "id", alert_id_ok, cause);
	if (ev->id == NULL)
		goto out;
	type = alert_member(ev->root, "type", alert_type_ok, cause);
	if (type == NULL)
		goto out;
	ev->time = alert_member(ev->root, "time", alert_time_ok, cause);
	if (ev->time == NULL)
		goto out;
	ev->type = (enum alert_type)alert_type_index(type);
	if (!json_is_object(json_object_get(ev->root, "data"))) {
		*cause = xstrdup("data: not an object");
		goto out;
	}
	ev->data = alert_data(alert_types[ev->type].fields,
	    json_object_get(ev->root, "data"), cause);
	if (ev->data != NULL)
		rv = 0;
out:
	if (rv != 0)
		alert_event_clear(ev);
	return (rv);
}

const char *
alert_type_name(enum alert_type t)
{
	return (alert_types[t].name);
}

/* A string member of the checked data; NULL for null. */
const char *
alert_get(const struct alert_event *ev, const char *name)
{
	return (json_string_value(json_object_get(ev->data, name)));
}

/* The generic format: the event itself, normalized. */
static json_t *
alert_generic(const struct alert_event *ev)
{
	return (json_pack("{s:s, s:s, s:s, s:s, s:O}", "schema", ALERT_SCHEMA,
	    "id", ev->id, "type", alert_types[ev->type].name, "time",
	    ev->time, "data", ev->data));
}

/* CloudEvents 1.0, structured mode, JSON format. */
static json_t *
alert_cloudevent(const struct alert_event *ev)
{
	json_t	*j;
	char	*type, *subject;

	xasprintf(&type, "%s%s", ALERT_CE_TYPE_PREFIX,
	    alert_types[ev->type].name);
	if (ev->type == ALERT_TAG_MOVED || ev->type == ALERT_TAG_ADDED)
		xasprintf(&subject, "%s:%s", alert_get(ev, "image"),
		    alert_get(ev, "tag"));
	else
		subject = xstrdup(alert_get(ev, "file"));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}",
	    "specversion", "1.0", "id", ev->id, "source", ALERT_CE_SOURCE,
	    "type", type, "time", ev->time, "datacontenttype",
	    "application/json", "dataschema", ALERT_CE_DATASCHEMA, "subject",
	    subject, "data", ev->data);
	free(subject);
	free(type);
	return (j);
}

/* Serialize j compactly with sorted keys into out; j is released. */
static int
alert_dump(json_t *j, struct alert_request *out, char **cause)
{
	const size_t	 flags = JSON_COMPACT | JSON_SORT_KEYS;
	size_t		 n;

	if (j == NULL) {
		*cause = xstrdup("cannot build the request body");
		return (-1);
	}
	n = json_dumpb(j, NULL, 0, flags);
	out->body = xmalloc(n + 1);
	out->len = json_dumpb(j, out->body, n, flags);
	out->body[out->len] = '\0';
	json_decref(j);
	return (0);
}

int
alert_render(int format, const char *event, size_t len,
    struct alert_request *out, char **cause)
{
	struct alert_event	 ev;
	json_t			*j;
	int			 rv = -1;

	memset(out, 0, sizeof *out);
	if (alert_event_parse(event, len, &ev, cause) != 0)
		return (-1);
	switch (format) {
	case CONFIG_WEBHOOK_GENERIC:
		j = alert_generic(&ev);
		out->content_type = "application/json";
		break;
	case CONFIG_WEBHOOK_SLACK:
		j = alert_slack(&ev);
		out->content_type = "application/json";
		break;
	case CONFIG_WEBHOOK_CLOUDEVENTS:
		j = alert_cloudevent(&ev);
		out->content_type = "application/cloudevents+json";
		break;
	default:
		xasprintf(cause, "unknown webhook format %d", format);
		goto out;
	}
	if (alert_dump(j, out, cause) != 0)
		goto out;
	out->event = xstrdup(alert_types[ev.type].name);
	out->delivery = xstrdup(ev.id);
	rv = 0;
out:
	if (rv != 0)
		alert_request_clear(out);
	alert_event_clear(&ev);
	return (rv);
}

void
alert_request_clear(struct alert_request *r)
{
	free(r->body);
	free(r->event);
	free(r->delivery);
	memset(r, 0, sizeof *r);
}

char *
alert_signature(const void *secret, size_t secretlen, const void *body,
    size_t len)
{
	static const unsigned char	 none[1];
	static const char		 hex[] = "0123456789abcdef";
	unsigned char			 md[EVP_MAX_MD_SIZE];
	unsigned int			 n = 0, i;
	char				*s;

	if (secretlen > INT_MAX)
		fatalx("%s: secret too long", __func__);
	if (HMAC(EVP_sha256(), secret != NULL ? secret : none,
	    (int)secretlen, body != NULL ? body : none, len, md, &n) == NULL ||
	    n != 32)
		fatalx("%s: HMAC-SHA256 failed", __func__);
	s = xmalloc(sizeof "sha256=" + 2 * n);
	memcpy(s, "sha256=", 7);
	for (i = 0; i < n; i++) {
		s[7 + 2 * i] = hex[md[i] >> 4];
		s[8 + 2 * i] = hex[md[i] & 0xf];
	}
	s[7 + 2 * n] = '\0';
	return (s);
}
