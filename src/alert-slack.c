/*
 * The Slack format of an alert: a one-line text and blocks (a headline, a
 * section of fields, a context line), every value escaped for Slack's
 * mrkdwn (&, <, >) and cut to its budget on a character boundary.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alert.h"
#include "alert-int.h"
#include "buf.h"
#include "xmalloc.h"

#define ALERT_SLACK_VALUE	300	/* output bytes of a Slack value */
#define ALERT_SLACK_MESSAGE	1200	/* output bytes of the message */
#define ALERT_SLACK_FIELD	1900	/* Slack allows 2000 characters */
#define ALERT_SLACK_SHORT	12	/* hex digits of a short digest */

/* Bits for alert_slack_put. */
#define ALERT_SL_CODE	0x1	/* inside `...`: no backquote */
#define ALERT_SL_SHORT	0x2	/* shorten digests */

/* The length of the UTF-8 character starting with byte c. */
static size_t
alert_utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return (4);
	if (c >= 0xe0)
		return (3);
	if (c >= 0xc0)
		return (2);
	return (1);
}

/* How many hex digits of a digest at s to skip after the short form. */
static size_t
alert_digest_tail(const char *s)
{
	size_t	 n;

	if (strncmp(s, "sha256:", 7) != 0 && strncmp(s, "sha512:", 7) != 0)
		return (0);
	n = strspn(s + 7, "0123456789abcdef");
	return (n > ALERT_SLACK_SHORT ? n - ALERT_SLACK_SHORT : 0);
}

/* What stands for byte c in Slack text; NULL: the character itself. */
static const char *
alert_slack_escape(unsigned char c, int flags)
{
	if (c == '&')
		return ("&amp;");
	if (c == '<')
		return ("&lt;");
	if (c == '>')
		return ("&gt;");
	if (c < 0x20 || c == 0x7f)
		return ("?");
	if (c == '`' && (flags & ALERT_SL_CODE))
		return ("'");
	return (NULL);
}

/*
 * Append s to b as Slack mrkdwn text: &, < and > as entities, control
 * characters as '?', at most max bytes of output, cut at a character
 * with "…".  With ALERT_SL_SHORT, digests keep ALERT_SLACK_SHORT digits.
 */
static void
alert_slack_put(struct buf *b, const char *s, size_t max, int flags)
{
	const char	*esc;
	size_t		 used = 0, n, out, skip;

	while (*s != '\0') {
		skip = (flags & ALERT_SL_SHORT) ? alert_digest_tail(s) : 0;
		esc = alert_slack_escape((unsigned char)*s, flags);
		n = skip > 0 ? 7 + ALERT_SLACK_SHORT :
		    alert_utf8_len((unsigned char)*s);
		out = esc != NULL ? strlen(esc) : n;
		if (used + out + (skip > 0 || s[n] != '\0' ? 3 : 0) > max)
			break;
		if (esc != NULL)
			buf_adds(b, esc);
		else
			buf_add(b, s, n);
		used += out;
		s += n;
		if (skip > 0) {
			buf_adds(b, "…");
			used += 3;
			s += skip;
		}
	}
	if (*s != '\0')
		buf_adds(b, "…");
}

/* "node:22-alpine" for docker.io/library/node and tag 22-alpine. */
static void
alert_slack_image(struct buf *b, const char *image, const char *tag)
{
	if (strncmp(image, "docker.io/library/", 18) == 0 &&
	    strchr(image + 18, '/') == NULL)
		image += 18;
	else if (strncmp(image, "docker.io/", 10) == 0)
		image += 10;
	alert_slack_put(b, image, ALERT_SLACK_VALUE, 0);
	buf_addc(b, ':');
	alert_slack_put(b, tag, ALERT_SLACK_VALUE, 0);
}

/* A section field "*label*\n`value`"; nothing when value is NULL. */
static void
alert_slack_field(json_t *fields, const char *label, const char *value)
{
	struct buf	 b;

	if (value == NULL)
		return;
	buf_init(&b, ALERT_SLACK_FIELD);
	buf_printf(&b, "*%s*\n`", label);
	alert_slack_put(&b, value, ALERT_SLACK_VALUE, ALERT_SL_CODE);
	buf_addc(&b, '`');
	json_array_append_new(fields, json_pack("{s:s, s:s}", "type",
	    "mrkdwn", "text", b.data));
	buf_deinit(&b);
}

/* tag.moved: summary and fields. */
static void
alert_slack_moved(const struct alert_event *ev, struct buf *text,
    json_t *fields)
{
	json_t		*list = json_object_get(ev->data, "platforms");
	struct buf	 b;
	char		*s;
	size_t		 i;

	alert_slack_image(text, alert_get(ev, "image"), alert_get(ev, "tag"));
	buf_adds(text, " moved to ");
	alert_slack_put(text, alert_get(ev, "digest"), ALERT_SLACK_VALUE,
	    ALERT_SL_SHORT);
	buf_adds(text, " (was ");
	alert_slack_put(text, alert_get(ev, "previous"), ALERT_SLACK_VALUE,
	    ALERT_SL_SHORT);
	buf_addc(text, ')');

	xasprintf(&s, "%s:%s", alert_get(ev, "image"), alert_get(ev, "tag"));
	alert_slack_field(fields, "Image", s);
	free(s);
	alert_slack_field(fields, "Digest", alert_get(ev, "digest"));
	alert_slack_field(fields, "Previous", alert_get(ev, "previous"));
	alert_slack_field(fields, "Previous since",
	    alert_get(ev, "first_seen"));
	buf_init(&b, ALERT_MAX_STRING);
	for (i = 0; i < json_array_size(list); i++) {
		if (buf_printf(&b, "%s%s", i > 0 ? ", " : "",
		    json_string_value(json_array_get(list, i))) != 0)
			break;
	}
	if (b.len > 0)
		alert_slack_field(fields, "Platforms", b.data);
	buf_deinit(&b);
}

/* tag.added: summary and fields. */
static void
alert_slack_added(const struct alert_event *ev, struct buf *text,
    json_t *fields)
{
	const char	*replaces = alert_get(ev, "replaces");
	char		*s;

	buf_adds(text, "New tag ");
	alert_slack_image(text, alert_get(ev, "image"), alert_get(ev, "tag"));
	if (replaces != NULL) {
		buf_adds(text, " (newer than ");
		alert_slack_image(text, alert_get(ev, "image"), replaces);
		buf_addc(text, ')');
	}

	xasprintf(&s, "%s:%s", alert_get(ev, "image"), alert_get(ev, "tag"));
	alert_slack_field(fields, "Image", s);
	free(s);
	alert_slack_field(fields, "Family", alert_get(ev, "family"));
	alert_slack_field(fields, "Replaces", replaces);
}

static const char *
alert_slack_emoji(const char *severity)
{
	if (strcmp(severity, "error") == 0)
		return (":rotating_light:");
	if (strcmp(severity, "warning") == 0)
		return (":warning:");
	return (":information_source:");
}

/* "svc/Dockerfile:3", or the file alone when the line is unknown. */
static char *
alert_where(const struct alert_event *ev)
{
	json_int_t	 line;
	char		*s;

	line = json_integer_value(json_object_get(ev->data, "line"));
	if (line > 0)
		xasprintf(&s, "%s:%lld", alert_get(ev, "file"),
		    (long long)line);
	else
		s = xstrdup(alert_get(ev, "file"));
	return (s);
}

static int
alert_key_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* The evidence as one field, "key: `value`" lines in key order. */
static void
alert_slack_evidence(const struct alert_event *ev, json_t *fields)
{
	json_t		*o = json_object_get(ev->data, "evidence");
	const char	*keys[ALERT_MAX_EVIDENCE], *key;
	json_t		*value;
	struct buf	 b, one;
	size_t		 n = 0, i;

	json_object_foreach(o, key, value)
		keys[n++] = key;
	if (n == 0)
		return;
	qsort(keys, n, sizeof *keys, alert_key_cmp);
	buf_init(&b, ALERT_SLACK_FIELD);
	buf_init(&one, ALERT_SLACK_FIELD);
	buf_adds(&b, "*Evidence*");
	for (i = 0; i < n; i++) {
		buf_reset(&one);
		buf_addc(&one, '\n');
		alert_slack_put(&one, keys[i], ALERT_MAX_KEY, 0);
		buf_adds(&one, ": `");
		alert_slack_put(&one, json_string_value(json_object_get(o,
		    keys[i])), ALERT_SLACK_VALUE, ALERT_SL_CODE);
		buf_addc(&one, '`');
		if (buf_add(&b, one.data, one.len) != 0) {
			buf_adds(&b, "\n…");
			break;
		}
	}
	json_array_append_new(fields, json_pack("{s:s, s:s}", "type",
	    "mrkdwn", "text", b.data));
	buf_deinit(&one);
	buf_deinit(&b);
}

/* finding.opened and finding.resolved: summary, message, fields. */
static void
alert_slack_finding(const struct alert_event *ev, struct buf *text,
    struct buf *head, json_t *fields)
{
	const char	*suggestion = alert_get(ev, "suggestion");
	char		*where;

	where = alert_where(ev);
	if (ev->type == ALERT_FINDING_RESOLVED)
		buf_adds(text, ":white_check_mark: resolved: ");
	else {
		buf_adds(text, alert_slack_emoji(alert_get(ev, "severity")));
		buf_addc(text, ' ');
	}
	alert_slack_put(text, alert_get(ev, "rule"), ALERT_SLACK_VALUE, 0);
	buf_adds(text, " in ");
	alert_slack_put(text, where, ALERT_SLACK_VALUE, 0);
	buf_adds(text, " — ");
	alert_slack_put(text, alert_get(ev, "image"), ALERT_SLACK_VALUE,
	    ALERT_SL_SHORT);
	if (suggestion != NULL && ev->type == ALERT_FINDING_OPENED) {
		buf_adds(text, " → replace with ");
		alert_slack_put(text, suggestion, ALERT_SLACK_VALUE,
		    ALERT_SL_SHORT);
	}
	buf_add(head, text->data, text->len);
	buf_addc(head, '\n');
	alert_slack_put(head, alert_get(ev, "message"), ALERT_SLACK_MESSAGE,
	    0);

	alert_slack_field(fields, "File", where);
	alert_slack_field(fields, "Rule", alert_get(ev, "rule"));
	alert_slack_field(fields, "Severity", alert_get(ev, "severity"));
	alert_slack_field(fields, "Image", alert_get(ev, "image"));
	alert_slack_field(fields, "Replace with", suggestion);
	alert_slack_evidence(ev, fields);
	free(where);
}

/* The last block: "tagdrift · type · time · id". */
static json_t *
alert_slack_context(const struct alert_event *ev)
{
	char	*s;
	json_t	*j;

	xasprintf(&s, "tagdrift · %s · %s · %s", alert_type_name(ev->type),
	    ev->time, ev->id);
	j = json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements",
	    "type", "mrkdwn", "text", s);
	free(s);
	return (j);
}

/* A Slack incoming-webhook message: a summary and Block Kit blocks. */
json_t *
alert_slack(const struct alert_event *ev)
{
	struct buf	 text, head;
	json_t		*fields, *j;

	buf_init(&text, ALERT_MAX_EVENT);
	buf_init(&head, ALERT_MAX_EVENT);
	fields = json_array();
	if (ev->type == ALERT_TAG_MOVED)
		alert_slack_moved(ev, &text, fields);
	else if (ev->type == ALERT_TAG_ADDED)
		alert_slack_added(ev, &text, fields);
	else
		alert_slack_finding(ev, &text, &head, fields);
	if (head.len == 0)
		buf_add(&head, text.data, text.len);
	j = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:o}, o]}",
	    "text", text.data, "blocks",
	    "type", "section", "text", "type", "mrkdwn", "text", head.data,
	    "type", "section", "fields", fields,
	    alert_slack_context(ev));
	buf_deinit(&head);
	buf_deinit(&text);
	return (j);
}

