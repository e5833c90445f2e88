/*
 * libFuzzer target for src/alert.c.  The input is an outbox event, handed
 * over in a buffer of its exact length and rendered in every format.
 * Besides surviving, every result must keep the contract in src/alert.h:
 * all formats accept the same events; a refusal leaves a cause and an
 * empty request; a body is valid JSON of its exact length; the generic
 * body renders again to the same bytes; the headers are header-safe; a
 * Slack body has no raw <, > or control character in any text, & only
 * in entities, and keeps Slack's length limits; a CloudEvent carries the
 * event's id and type.  Seeds: tests/data/fuzz/alert/.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alert.h"
#include "config.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void __attribute__((noreturn))
fuzz_alert_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_alert: %s: %.300s\n", what,
	    detail != NULL ? detail : "(null)");
	abort();
}

/* Every "text" string below j is safe Slack text of at most max bytes. */
static void
fuzz_alert_slack_text(json_t *j, size_t max)
{
	const char	*key, *t, *p;
	json_t		*v;
	size_t		 i;

	if (json_is_array(j)) {
		for (i = 0; i < json_array_size(j); i++)
			fuzz_alert_slack_text(json_array_get(j, i), max);
		return;
	}
	json_object_foreach(j, key, v) {
		if (strcmp(key, "text") != 0 || !json_is_string(v)) {
			fuzz_alert_slack_text(v, max);
			continue;
		}
		t = json_string_value(v);
		if (json_string_length(v) > max)
			fuzz_alert_fail("Slack text too long", t);
		for (p = t; *p != '\0'; p++) {
			if (*p == '<' || *p == '>' || (*p > 0 && *p < 0x20 &&
			    *p != '\n') || *p == 0x7f)
				fuzz_alert_fail("raw character in Slack", t);
			if (*p == '&' && strncmp(p, "&amp;", 5) != 0 &&
			    strncmp(p, "&lt;", 4) != 0 &&
			    strncmp(p, "&gt;", 4) != 0)
				fuzz_alert_fail("bare & in Slack", t);
		}
	}
}

/* The checks that hold for a request in any format. */
static json_t *
fuzz_alert_common(const struct alert_request *r)
{
	static const char	 types[] = " tag.moved tag.added "
				    "finding.opened finding.resolved ";
	char			 word[32];
	size_t			 n;
	json_t			*j;

	if (r->body == NULL || strlen(r->body) != r->len ||
	    r->content_type == NULL || r->event == NULL || r->delivery == NULL)
		fuzz_alert_fail("incomplete request", r->body);
	n = strspn(r->delivery, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-");
	if (n == 0 || n > ALERT_MAX_ID || r->delivery[n] != '\0')
		fuzz_alert_fail("delivery id not header-safe", r->delivery);
	snprintf(word, sizeof word, " %s ", r->event);
	if (strlen(r->event) > 20 || strstr(types, word) == NULL)
		fuzz_alert_fail("unknown event type", r->event);
	j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j))
		fuzz_alert_fail("body is not a JSON object", r->body);
	return (j);
}

static void
fuzz_alert_generic(const struct alert_request *r)
{
	struct alert_request	 again;
	char			*cause = NULL;

	if (alert_render(CONFIG_WEBHOOK_GENERIC, r->body, r->len, &again,
	    &cause) != 0)
		fuzz_alert_fail("generic body refused", cause);
	if (again.len != r->len || memcmp(again.body, r->body, r->len) != 0)
		fuzz_alert_fail("generic body not stable", again.body);
	alert_request_clear(&again);
}

static void
fuzz_alert_check(int format, const struct alert_request *r)
{
	json_t		*j, *blocks;
	const char	*type;
	char		*want;

	j = fuzz_alert_common(r);
	switch (format) {
	case CONFIG_WEBHOOK_GENERIC:
		fuzz_alert_generic(r);
		break;
	case CONFIG_WEBHOOK_SLACK:
		blocks = json_object_get(j, "blocks");
		fuzz_alert_slack_text(json_object_get(j, "text"), 40000);
		fuzz_alert_slack_text(json_array_get(blocks, 0), 3000);
		fuzz_alert_slack_text(json_array_get(blocks, 1), 2000);
		fuzz_alert_slack_text(json_array_get(blocks, 2), 2000);
		break;
	default:
		type = json_string_value(json_object_get(j, "type"));
		xasprintf(&want, "%s%s", ALERT_CE_TYPE_PREFIX, r->event);
		if (type == NULL || strcmp(type, want) != 0 ||
		    strcmp(json_string_value(json_object_get(j, "id")),
		    r->delivery) != 0)
			fuzz_alert_fail("CloudEvent attributes", r->body);
		free(want);
		break;
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert_request	 r;
	char			*buf, *cause, *sig;
	int			 format, rc, first = 0;

	buf = xmalloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(buf, data, size);
	for (format = CONFIG_WEBHOOK_GENERIC;
	    format <= CONFIG_WEBHOOK_CLOUDEVENTS; format++) {
		cause = NULL;
		rc = alert_render(format, buf, size, &r, &cause);
		if ((rc != 0) != (cause != NULL) || (rc != 0 && rc != -1))
			fuzz_alert_fail("return code and cause disagree",
			    cause);
		if (format == CONFIG_WEBHOOK_GENERIC)
			first = rc;
		else if (rc != first)
			fuzz_alert_fail("formats disagree", cause);
		if (rc != 0) {
			if (r.body != NULL || r.event != NULL ||
			    r.delivery != NULL || r.len != 0)
				fuzz_alert_fail("refusal left a request", NULL);
			free(cause);
			continue;
		}
		fuzz_alert_check(format, &r);
		sig = alert_signature(buf, size, r.body, r.len);
		if (strlen(sig) != 71 || strncmp(sig, "sha256=", 7) != 0)
			fuzz_alert_fail("bad signature", sig);
		free(sig);
		alert_request_clear(&r);
	}
	free(buf);
	return (0);
}
