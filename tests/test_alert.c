/* Webhook alerts: each format of each event, signatures, hostile events. */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "alert.h"
#include "config.h"
#include "xmalloc.h"

#define D1 "sha256:11111111111111111111111111111111" \
	"11111111111111111111111111111111"
#define D2 "sha256:22222222222222222222222222222222" \
	"22222222222222222222222222222222"
#define HEAD(id, type, time) \
	"{\"schema\":\"tagdrift.event/v1\",\"id\":\"" id "\",\"type\":\"" \
	type "\",\"time\":\"" time "\",\"data\":"

/* Events as the outbox stores them (keys in any order, extras ignored). */
static const char ev_moved[] = HEAD("0123456789abcdef0123456789abcdef",
    "tag.moved", "2026-03-01T12:00:00Z")
    "{\"tag\":\"22-alpine\",\"image\":\"docker.io/library/node\","
    "\"digest\":\"" D2 "\",\"previous\":\"" D1 "\","
    "\"first_seen\":\"2026-02-01T08:30:00Z\","
    "\"platforms\":[\"linux/amd64\",\"linux/arm64/v8\"],\"extra\":1}}";
static const char ev_added[] = HEAD("a1", "tag.added",
    "2026-03-01T12:00:00.5Z")
    "{\"image\":\"ghcr.io/acme/app\",\"tag\":\"24-alpine\","
    "\"family\":\"alpine\",\"replaces\":\"22-alpine\"}}";
static const char ev_opened[] = HEAD("f0", "finding.opened",
    "2026-03-01T12:00:00Z")
    "{\"fingerprint\":\"deadbeef01\",\"rule\":\"stale-digest\","
    "\"severity\":\"warning\",\"file\":\"svc/Dockerfile\",\"line\":3,"
    "\"image\":\"node:22-alpine@" D1 "\","
    "\"message\":\"node:22-alpine has moved on\","
    "\"suggestion\":\"node:22-alpine@" D2 "\","
    "\"evidence\":{\"tag_digest\":\"" D2 "\",\"age\":\"30d\"}}}";
/* No suggestion, no evidence, no line. */
static const char ev_resolved[] = HEAD("f1", "finding.resolved",
    "2026-03-02T00:00:00Z")
    "{\"fingerprint\":\"deadbeef02\",\"rule\":\"latest\","
    "\"severity\":\"error\",\"file\":\"compose.yaml\",\"line\":0,"
    "\"image\":\"redis\",\"message\":\"no tag\",\"suggestion\":null}}";

#define CTX(type, time, id) \
	"{\"elements\":[{\"text\":\"tagdrift · " type " · " time " · " id \
	"\",\"type\":\"mrkdwn\"}],\"type\":\"context\"}"
#define FIELD(label, value) \
	"{\"text\":\"*" label "*\\n`" value "`\",\"type\":\"mrkdwn\"}"
#define CE(type, time, id, subject) \
	"\"datacontenttype\":\"application/json\"," \
	"\"dataschema\":\"urn:tagdrift:event:v1\",\"id\":\"" id "\"," \
	"\"source\":\"urn:tagdrift\",\"specversion\":\"1.0\"," \
	"\"subject\":\"" subject "\",\"time\":\"" time "\"," \
	"\"type\":\"dev.tagdrift." type "\"}"

#define DATA_MOVED "{\"digest\":\"" D2 "\"," \
	"\"first_seen\":\"2026-02-01T08:30:00Z\"," \
	"\"image\":\"docker.io/library/node\"," \
	"\"platforms\":[\"linux/amd64\",\"linux/arm64/v8\"]," \
	"\"previous\":\"" D1 "\",\"tag\":\"22-alpine\"}"
#define DATA_ADDED "{\"family\":\"alpine\",\"image\":\"ghcr.io/acme/app\"," \
	"\"replaces\":\"22-alpine\",\"tag\":\"24-alpine\"}"
#define DATA_OPENED "{\"evidence\":{\"age\":\"30d\",\"tag_digest\":\"" D2 \
	"\"},\"file\":\"svc/Dockerfile\",\"fingerprint\":\"deadbeef01\"," \
	"\"image\":\"node:22-alpine@" D1 "\",\"line\":3," \
	"\"message\":\"node:22-alpine has moved on\"," \
	"\"rule\":\"stale-digest\"," \
	"\"severity\":\"warning\",\"suggestion\":\"node:22-alpine@" D2 "\"}"
#define DATA_RESOLVED "{\"evidence\":{},\"file\":\"compose.yaml\"," \
	"\"fingerprint\":\"deadbeef02\",\"image\":\"redis\",\"line\":0," \
	"\"message\":\"no tag\",\"rule\":\"latest\",\"severity\":\"error\"," \
	"\"suggestion\":null}"

#define S1 "sha256:111111111111…"
#define S2 "sha256:222222222222…"
#define TEXT_MOVED "node:22-alpine moved to " S2 " (was " S1 ")"
#define TEXT_ADDED "New tag ghcr.io/acme/app:24-alpine " \
	"(newer than ghcr.io/acme/app:22-alpine)"
#define TEXT_OPENED ":warning: stale-digest in svc/Dockerfile:3 — " \
	"node:22-alpine@" S1 " → replace with node:22-alpine@" S2
#define TEXT_RESOLVED ":white_check_mark: resolved: latest in " \
	"compose.yaml — redis"

struct alert_golden {
	const char	*event;
	int		 format;
	const char	*type;
	const char	*id;
	const char	*content_type;
	const char	*body;
};

static const struct alert_golden alert_goldens[] = {
	{ ev_moved, CONFIG_WEBHOOK_GENERIC, "tag.moved",
	  "0123456789abcdef0123456789abcdef", "application/json",
	  "{\"data\":" DATA_MOVED ","
	  "\"id\":\"0123456789abcdef0123456789abcdef\","
	  "\"schema\":\"tagdrift.event/v1\",\"time\":\"2026-03-01T12:00:00Z\","
	  "\"type\":\"tag.moved\"}" },
	{ ev_added, CONFIG_WEBHOOK_GENERIC, "tag.added", "a1",
	  "application/json",
	  "{\"data\":" DATA_ADDED ",\"id\":\"a1\","
	  "\"schema\":\"tagdrift.event/v1\","
	  "\"time\":\"2026-03-01T12:00:00.5Z\",\"type\":\"tag.added\"}" },
	{ ev_opened, CONFIG_WEBHOOK_GENERIC, "finding.opened", "f0",
	  "application/json",
	  "{\"data\":" DATA_OPENED ",\"id\":\"f0\","
	  "\"schema\":\"tagdrift.event/v1\",\"time\":\"2026-03-01T12:00:00Z\","
	  "\"type\":\"finding.opened\"}" },
	{ ev_resolved, CONFIG_WEBHOOK_GENERIC, "finding.resolved", "f1",
	  "application/json",
	  "{\"data\":" DATA_RESOLVED ",\"id\":\"f1\","
	  "\"schema\":\"tagdrift.event/v1\",\"time\":\"2026-03-02T00:00:00Z\","
	  "\"type\":\"finding.resolved\"}" },

	{ ev_moved, CONFIG_WEBHOOK_CLOUDEVENTS, "tag.moved",
	  "0123456789abcdef0123456789abcdef", "application/cloudevents+json",
	  "{\"data\":" DATA_MOVED "," CE("tag.moved", "2026-03-01T12:00:00Z",
	  "0123456789abcdef0123456789abcdef",
	  "docker.io/library/node:22-alpine") },
	{ ev_added, CONFIG_WEBHOOK_CLOUDEVENTS, "tag.added", "a1",
	  "application/cloudevents+json",
	  "{\"data\":" DATA_ADDED "," CE("tag.added", "2026-03-01T12:00:00.5Z",
	  "a1", "ghcr.io/acme/app:24-alpine") },
	{ ev_opened, CONFIG_WEBHOOK_CLOUDEVENTS, "finding.opened", "f0",
	  "application/cloudevents+json",
	  "{\"data\":" DATA_OPENED "," CE("finding.opened",
	  "2026-03-01T12:00:00Z", "f0", "svc/Dockerfile") },
	{ ev_resolved, CONFIG_WEBHOOK_CLOUDEVENTS, "finding.resolved", "f1",
	  "application/cloudevents+json",
	  "{\"data\":" DATA_RESOLVED "," CE("finding.resolved",
	  "2026-03-02T00:00:00Z", "f1", "compose.yaml") },

	{ ev_moved, CONFIG_WEBHOOK_SLACK, "tag.moved",
	  "0123456789abcdef0123456789abcdef", "application/json",
	  "{\"blocks\":[{\"text\":{\"text\":\"" TEXT_MOVED "\","
	  "\"type\":\"mrkdwn\"},\"type\":\"section\"},{\"fields\":["
	  FIELD("Image", "docker.io/library/node:22-alpine") ","
	  FIELD("Digest", D2) "," FIELD("Previous", D1) ","
	  FIELD("Previous since", "2026-02-01T08:30:00Z") ","
	  FIELD("Platforms", "linux/amd64, linux/arm64/v8")
	  "],\"type\":\"section\"},"
	  CTX("tag.moved", "2026-03-01T12:00:00Z",
	  "0123456789abcdef0123456789abcdef") "],"
	  "\"text\":\"" TEXT_MOVED "\"}" },
	{ ev_added, CONFIG_WEBHOOK_SLACK, "tag.added", "a1",
	  "application/json",
	  "{\"blocks\":[{\"text\":{\"text\":\"" TEXT_ADDED "\","
	  "\"type\":\"mrkdwn\"},\"type\":\"section\"},{\"fields\":["
	  FIELD("Image", "ghcr.io/acme/app:24-alpine") ","
	  FIELD("Family", "alpine") "," FIELD("Replaces", "22-alpine")
	  "],\"type\":\"section\"},"
	  CTX("tag.added", "2026-03-01T12:00:00.5Z", "a1") "],"
	  "\"text\":\"" TEXT_ADDED "\"}" },
	{ ev_opened, CONFIG_WEBHOOK_SLACK, "finding.opened", "f0",
	  "application/json",
	  "{\"blocks\":[{\"text\":{\"text\":\"" TEXT_OPENED
	  "\\nnode:22-alpine has moved on\","
	  "\"type\":\"mrkdwn\"},\"type\":\"section\"},{\"fields\":["
	  FIELD("File", "svc/Dockerfile:3") ","
	  FIELD("Rule", "stale-digest") "," FIELD("Severity", "warning") ","
	  FIELD("Image", "node:22-alpine@" D1) ","
	  FIELD("Replace with", "node:22-alpine@" D2) ","
	  "{\"text\":\"*Evidence*\\nage: `30d`\\ntag_digest: `" D2 "`\","
	  "\"type\":\"mrkdwn\"}],\"type\":\"section\"},"
	  CTX("finding.opened", "2026-03-01T12:00:00Z", "f0") "],"
	  "\"text\":\"" TEXT_OPENED "\"}" },
	{ ev_resolved, CONFIG_WEBHOOK_SLACK, "finding.resolved", "f1",
	  "application/json",
	  "{\"blocks\":[{\"text\":{\"text\":\"" TEXT_RESOLVED "\\nno tag\","
	  "\"type\":\"mrkdwn\"},\"type\":\"section\"},{\"fields\":["
	  FIELD("File", "compose.yaml") "," FIELD("Rule", "latest") ","
	  FIELD("Severity", "error") "," FIELD("Image", "redis")
	  "],\"type\":\"section\"},"
	  CTX("finding.resolved", "2026-03-02T00:00:00Z", "f1") "],"
	  "\"text\":\"" TEXT_RESOLVED "\"}" },
};

/* Render s (a C string) in format; the test fails if it is refused. */
static void
render_ok(int format, const char *s, struct alert_request *r)
{
	char	*cause = NULL;
	int	 rc;

	rc = alert_render(format, s, strlen(s), r, &cause);
	if (rc != 0)
		fail_msg("refused: %s\n  event: %s", cause, s);
	assert_null(cause);
	assert_non_null(r->body);
	assert_int_equal(strlen(r->body), r->len);
}

static void
test_alert_goldens(void **state)
{
	const struct alert_golden	*g;
	struct alert_request		 r;
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof alert_goldens / sizeof alert_goldens[0];
	    i++) {
		g = &alert_goldens[i];
		render_ok(g->format, g->event, &r);
		assert_string_equal(r.body, g->body);
		assert_string_equal(r.content_type, g->content_type);
		assert_string_equal(r.event, g->type);
		assert_string_equal(r.delivery, g->id);
		alert_request_clear(&r);
		assert_null(r.body);
		assert_null(r.event);
		assert_null(r.delivery);
	}
}

/* The generic body, rendered again, gives the same bytes. */
static void
test_alert_generic_is_stable(void **state)
{
	const char		*evs[] = { ev_moved, ev_added, ev_opened,
				    ev_resolved };
	struct alert_request	 a, b;
	size_t			 i;

	(void)state;
	for (i = 0; i < 4; i++) {
		render_ok(CONFIG_WEBHOOK_GENERIC, evs[i], &a);
		render_ok(CONFIG_WEBHOOK_GENERIC, a.body, &b);
		assert_string_equal(a.body, b.body);
		alert_request_clear(&a);
		alert_request_clear(&b);
	}
}

static void
test_alert_nullable_absent(void **state)
{
	struct alert_request	 r;

	(void)state;
	render_ok(CONFIG_WEBHOOK_GENERIC, HEAD("x1", "tag.added",
	    "2026-01-01T00:00:00Z") "{\"image\":\"redis\",\"tag\":\"8\"}}", &r);
	assert_non_null(strstr(r.body, "{\"family\":null,\"image\":\"redis\","
	    "\"replaces\":null,\"tag\":\"8\"}"));
	alert_request_clear(&r);
	render_ok(CONFIG_WEBHOOK_SLACK, HEAD("x1", "tag.added",
	    "2026-01-01T00:00:00Z") "{\"image\":\"docker.io/bitnami/redis\","
	    "\"tag\":\"8\",\"family\":null}}", &r);
	assert_non_null(strstr(r.body,
	    "\"text\":\"New tag bitnami/redis:8\"}"));
	assert_null(strstr(r.body, "Family"));
	alert_request_clear(&r);
}

/* HMAC-SHA256 vectors of RFC 4231 (test cases 1 and 2). */
static void
test_alert_signature(void **state)
{
	unsigned char	 key[20];
	char		*s;

	(void)state;
	s = alert_signature("Jefe", 4, "what do ya want for nothing?", 28);
	assert_string_equal(s, "sha256=5bdcc146bf60754e6a042426089575c75a"
	    "003f089d2739839dec58b964ec3843");
	free(s);
	memset(key, 0x0b, sizeof key);
	s = alert_signature(key, sizeof key, "Hi There", 8);
	assert_string_equal(s, "sha256=b0344c61d8db38535ca8afceaf0bf12b88"
	    "1dc200c9833da726e9376c2e32cff7");
	free(s);
	/* An empty body and an empty secret are still signed. */
	s = alert_signature("", 0, "", 0);
	assert_int_equal(strlen(s), 7 + 64);
	assert_memory_equal(s, "sha256=", 7);
	free(s);
}

/* Malformed events and what the cause names: refused in every format. */
static const struct {
	const char	*event;
	const char	*why;
} alert_bad[] = {
	{ "",
	  "JSON" },
	{ "not json",
	  "JSON" },
	{ "[]",
	  "JSON" },
	{ "null",
	  "JSON" },
	{ "{\"schema\":\"tagdrift.event/v1\"}",
	  "id" },
	/* envelope */
	{ "{\"id\":\"a\",\"type\":\"tag.added\","
	  "\"time\":\"2026-01-01T00:00:00Z\","
	  "\"data\":{\"image\":\"a\",\"tag\":\"b\"}}",
	  "schema" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"},\"schema\":\"x\"}",
	  "duplicate" },
	{ "{\"schema\":\"tagdrift.event/v2\",\"id\":\"a\","
	  "\"type\":\"tag.added\","
	  "\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"image\":\"a\","
	  "\"tag\":\"b\"}}",
	  "schema" },
	{ HEAD("", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "id" },
	{ HEAD("a\\r\\nX-Evil: 1", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "id" },
	{ HEAD("a b", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "id" },
	{ HEAD("a", "tag.deleted", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "type" },
	{ HEAD("a", "TAG.ADDED", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "type" },
	{ HEAD("a", "tag.added", "2026-01-01 00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00+01:00")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-13-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-00-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-01-01T24:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00.Z")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Zjunk")
	  "{\"image\":\"a\",\"tag\":\"b\"}}",
	  "time" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z") "[]}",
	  "data" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z") "null}",
	  "data" },
	{ "{\"schema\":\"tagdrift.event/v1\",\"id\":7,\"type\":\"tag.added\","
	  "\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"image\":\"a\","
	  "\"tag\":\"b\"}}",
	  "id" },
	/* duplicate keys, NUL */
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"tag\":\"c\"}}",
	  "duplicate" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\\u0000b\",\"tag\":\"b\"}}",
	  "NUL" },
	/* tag.added */
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z") "{\"image\":\"a\"}}",
	  "data.tag" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"\"}}",
	  "data.tag" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a b\",\"tag\":\"c\"}}",
	  "data.image" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\\n\"}}",
	  "data.tag" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":22}}",
	  "data.tag" },
	{ HEAD("a", "tag.added", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"family\":false}}",
	  "data.family" },
	/* tag.moved */
	{ HEAD("a", "tag.moved", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"digest\":\"" D2 "\",\"previous\":\""
	D1 "\",\"first_seen\":\"2026-01-01T00:00:00Z\"}}",
	  "data.platforms" },
	{ HEAD("a", "tag.moved", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"digest\":\"sha256:abc\","
	  "\"previous\":\"" D1 "\",\"first_seen\":\"2026-01-01T00:00:00Z\","
	  "\"platforms\":[]}}",
	  "data.digest" },
	{ HEAD("a", "tag.moved", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"digest\":\"" D2 "\",\"previous\":\""
	D1 "\",\"first_seen\":\"yesterday\",\"platforms\":[]}}",
	  "data.first_seen" },
	{ HEAD("a", "tag.moved", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"digest\":\"" D2 "\",\"previous\":\""
	D1 "\",\"first_seen\":\"2026-01-01T00:00:00Z\",\"platforms\":\"x\"}}",
	  "data.platforms" },
	{ HEAD("a", "tag.moved", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"digest\":\"" D2 "\",\"previous\":\""
	D1 "\",\"first_seen\":\"2026-01-01T00:00:00Z\",\"platforms\":[1]}}",
	  "data.platforms" },
	{ HEAD("a", "tag.moved", "2026-01-01T00:00:00Z")
	  "{\"image\":\"a\",\"tag\":\"b\",\"digest\":\"" D2 "\","
	  "\"previous\":null,"
	  "\"first_seen\":\"2026-01-01T00:00:00Z\",\"platforms\":[]}}",
	  "data.previous" },
	/* findings */
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":\"3\",\"image\":\"i\",\"message\":\"m\"}}",
	  "data.line" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3.0,\"image\":\"i\",\"message\":\"m\"}}",
	  "data.line" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":-1,\"image\":\"i\",\"message\":\"m\"}}",
	  "data.line" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":4294967296,\"image\":\"i\","
	  "\"message\":\"m\"}}",
	  "data.line" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\",\"severity\":\"fatal\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\",\"message\":\"m\"}}",
	  "data.severity" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"DEADBEEF\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\",\"message\":\"m\"}}",
	  "data.fingerprint" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"\",\"line\":3,\"image\":\"i\",\"message\":\"m\"}}",
	  "data.file" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\"}}",
	  "data.message" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\",\"message\":\"m\","
	  "\"evidence\":{\"k\":1}}}",
	  "data.evidence" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\",\"message\":\"m\","
	  "\"evidence\":null}}",
	  "data.evidence" },
	{ HEAD("a", "finding.opened", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\",\"message\":\"m\","
	  "\"evidence\":{\"a b\":\"v\"}}}",
	  "data.evidence" },
	{ HEAD("a", "finding.resolved", "2026-01-01T00:00:00Z")
	  "{\"fingerprint\":\"deadbeef\",\"rule\":\"r\","
	  "\"severity\":\"warning\","
	  "\"file\":\"f\",\"line\":3,\"image\":\"i\",\"message\":\"m\","
	  "\"suggestion\":[]}}",
	  "data.suggestion" },
};

/* s is refused, *out left empty, and the cause names why (NULL: any). */
static void
assert_refused(int format, const char *s, size_t len, const char *why)
{
	struct alert_request	 r;
	char			*cause = NULL;

	memset(&r, 0x5a, sizeof r);
	if (alert_render(format, s, len, &r, &cause) != -1)
		fail_msg("accepted: %.300s", s);
	assert_non_null(cause);
	if (why != NULL && strstr(cause, why) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, why);
	assert_null(r.body);
	assert_null(r.event);
	assert_null(r.delivery);
	assert_int_equal(r.len, 0);
	free(cause);
}

static void
test_alert_malformed(void **state)
{
	size_t	 i;
	int	 f;

	(void)state;
	for (i = 0; i < sizeof alert_bad / sizeof alert_bad[0]; i++) {
		for (f = CONFIG_WEBHOOK_GENERIC;
		    f <= CONFIG_WEBHOOK_CLOUDEVENTS; f++)
			assert_refused(f, alert_bad[i].event,
			    strlen(alert_bad[i].event), alert_bad[i].why);
	}
	/* Bytes past len are not read: a valid event cut short. */
	assert_refused(CONFIG_WEBHOOK_GENERIC, ev_added, sizeof ev_added - 2,
	    "JSON");
	/* An unknown format. */
	assert_refused(7, ev_added, strlen(ev_added), "format");
	assert_refused(-1, ev_added, strlen(ev_added), "format");
}

/* An event of n bytes whose message is padding. */
static char *
event_of(size_t n, char pad)
{
	static const char	 pre[] = HEAD("a", "finding.opened",
				    "2026-01-01T00:00:00Z")
				    "{\"fingerprint\":\"deadbeef\",\"rule\":"
				    "\"r\",\"severity\":\"info\",\"file\":"
				    "\"f\",\"line\":1,\"image\":\"i\","
				    "\"message\":\"";
	char			*s;

	assert_true(n > sizeof pre + 4);
	s = xmalloc(n + 1);
	memcpy(s, pre, sizeof pre - 1);
	memset(s + sizeof pre - 1, pad, n - (sizeof pre - 1) - 3);
	memcpy(s + n - 3, "\"}}", 4);
	return (s);
}

static void
test_alert_limits(void **state)
{
	struct alert_request	 r;
	char			*s, *id, *cause = NULL;
	size_t			 pre;

	(void)state;
	/* A whole event past ALERT_MAX_EVENT, even if valid JSON. */
	s = event_of(2 * 1024 * 1024, 'x');
	assert_refused(CONFIG_WEBHOOK_GENERIC, s, strlen(s), "bytes");
	free(s);
	/* A field at ALERT_MAX_STRING passes, one byte more does not. */
	s = event_of(2000, 'x');
	pre = strstr(s, "\"message\":\"") - s + 11;
	free(s);
	s = event_of(pre + ALERT_MAX_STRING + 3, 'x');
	render_ok(CONFIG_WEBHOOK_GENERIC, s, &r);
	alert_request_clear(&r);
	free(s);
	s = event_of(pre + ALERT_MAX_STRING + 4, 'x');
	assert_refused(CONFIG_WEBHOOK_GENERIC, s, strlen(s), "data.message");
	free(s);
	/* The id: 128 characters pass, 129 do not. */
	id = xmalloc(130);
	memset(id, 'a', 129);
	id[129] = '\0';
	xasprintf(&s, "{\"schema\":\"tagdrift.event/v1\",\"id\":\"%s\","
	    "\"type\":\"tag.added\",\"time\":\"2026-01-01T00:00:00Z\","
	    "\"data\":{\"image\":\"a\",\"tag\":\"b\"}}", id);
	assert_refused(CONFIG_WEBHOOK_GENERIC, s, strlen(s), "id");
	free(s);
	id[128] = '\0';
	xasprintf(&s, "{\"schema\":\"tagdrift.event/v1\",\"id\":\"%s\","
	    "\"type\":\"tag.added\",\"time\":\"2026-01-01T00:00:00Z\","
	    "\"data\":{\"image\":\"a\",\"tag\":\"b\"}}", id);
	assert_int_equal(alert_render(CONFIG_WEBHOOK_GENERIC, s, strlen(s),
	    &r, &cause), 0);
	assert_string_equal(r.delivery, id);
	alert_request_clear(&r);
	free(s);
	free(id);
}

/* Every "text" in a Slack body: no raw < or >, & only in entities. */
static void
assert_slack_text_safe(json_t *j)
{
	const char	*key, *t, *amp;
	json_t		*v;
	size_t		 i;

	if (json_is_array(j)) {
		for (i = 0; i < json_array_size(j); i++)
			assert_slack_text_safe(json_array_get(j, i));
		return;
	}
	json_object_foreach(j, key, v) {
		if (strcmp(key, "text") != 0 || !json_is_string(v)) {
			assert_slack_text_safe(v);
			continue;
		}
		t = json_string_value(v);
		assert_null(strpbrk(t, "<>\x01\x1f\x7f\r\t"));
		for (amp = strchr(t, '&'); amp != NULL;
		    amp = strchr(amp + 1, '&'))
			assert_true(strncmp(amp, "&amp;", 5) == 0 ||
			    strncmp(amp, "&lt;", 4) == 0 ||
			    strncmp(amp, "&gt;", 4) == 0);
	}
}

static const char ev_hostile[] = HEAD("h1", "finding.opened",
    "2026-01-01T00:00:00Z")
    "{\"fingerprint\":\"00ff00ff\",\"rule\":\"stale-digest\","
    "\"severity\":\"info\",\"file\":\"a\\\"b<c>&d`e\\n\\u0001f.yaml\","
    "\"line\":12,\"image\":\"x<!channel>&y\","
    "\"message\":\"<@U123> & <https://evil|click> \\\\ \\\"q\\\"\\r\\t\","
    "\"suggestion\":\"x`y\",\"evidence\":{\"k\":\"<v>\\u007f\"}}}";

static void
test_alert_hostile_generic(void **state)
{
	struct alert_request	 r;
	json_t			*in, *out;

	(void)state;
	render_ok(CONFIG_WEBHOOK_GENERIC, ev_hostile, &r);
	assert_non_null(strstr(r.body, "\"file\":\"a\\\"b<c>&d`e\\n\\u0001"
	    "f.yaml\""));
	assert_non_null(strstr(r.body, "\"message\":\"<@U123> & "
	    "<https://evil|click> \\\\ \\\"q\\\"\\r\\t\""));
	assert_null(memchr(r.body, '\n', r.len));
	/* The data round-trips exactly. */
	in = json_loads(ev_hostile, 0, NULL);
	out = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(out);
	assert_true(json_equal(json_object_get(in, "data"),
	    json_object_get(out, "data")));
	json_decref(in);
	json_decref(out);
	alert_request_clear(&r);
}

static void
test_alert_hostile_slack(void **state)
{
	struct alert_request	 r;
	json_t			*out;

	(void)state;
	render_ok(CONFIG_WEBHOOK_SLACK, ev_hostile, &r);
	out = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(out);
	assert_slack_text_safe(out);
	assert_string_equal(json_string_value(json_object_get(out, "text")),
	    ":information_source: stale-digest in "
	    "a\"b&lt;c&gt;&amp;d`e??f.yaml:12 — x&lt;!channel&gt;&amp;y "
	    "→ replace with x`y");
	/* Inside code spans a backquote cannot close the span. */
	assert_non_null(strstr(r.body, "*File*\\n`a\\\"b&lt;c&gt;&amp;d'e??"
	    "f.yaml:12`"));
	assert_non_null(strstr(r.body, "*Replace with*\\n`x'y`"));
	assert_non_null(strstr(r.body, "\\n&lt;@U123&gt; &amp; "
	    "&lt;https://evil|click&gt; \\\\ \\\"q\\\"??\""));
	assert_non_null(strstr(r.body, "\\nk: `&lt;v&gt;?`"));
	json_decref(out);
	alert_request_clear(&r);
}

/* Long values are cut at a character, within Slack's limits. */
static void
test_alert_slack_cuts(void **state)
{
	struct alert_request	 r;
	json_t			*out, *blocks, *fields;
	const char		*head, *t;
	char			*s, *p;
	size_t			 i, pre;

	(void)state;
	/* A message of 1,022 bytes: "é" (2 bytes) and '&' (5 escaped). */
	s = event_of(2000, 'x');
	pre = strstr(s, "\"message\":\"") - s + 11;
	free(s);
	s = event_of(pre + 1022 + 3, '&');
	for (p = s + pre, i = 0; i < 300; i++, p += 2)
		memcpy(p, "é", 2);
	render_ok(CONFIG_WEBHOOK_SLACK, s, &r);
	out = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(out);	/* valid UTF-8, or jansson refuses it */
	blocks = json_object_get(out, "blocks");
	head = json_string_value(json_object_get(json_object_get(
	    json_array_get(blocks, 0), "text"), "text"));
	assert_true(strlen(head) < 3000);
	assert_int_equal(strcmp(head + strlen(head) - 3, "…"), 0);
	assert_non_null(strstr(head, "éé&amp;&amp;"));
	fields = json_object_get(json_array_get(blocks, 1), "fields");
	for (i = 0; i < json_array_size(fields); i++) {
		t = json_string_value(json_object_get(json_array_get(fields,
		    i), "text"));
		assert_true(strlen(t) < 2000);
	}
	json_decref(out);
	alert_request_clear(&r);
	free(s);
}

/* Slack: docker.io names shortened, digests in references shortened. */
static void
test_alert_slack_names(void **state)
{
	struct alert_request	 r;

	(void)state;
	render_ok(CONFIG_WEBHOOK_SLACK, HEAD("n1", "tag.moved",
	    "2026-01-01T00:00:00Z") "{\"image\":\"docker.io/library/a/b\","
	    "\"tag\":\"1\",\"digest\":\"" D2 "\",\"previous\":\"" D1 "\","
	    "\"first_seen\":\"2025-12-31T23:59:60.123456789Z\","
	    "\"platforms\":[]}}", &r);
	assert_non_null(strstr(r.body, "\"text\":\"library/a/b:1 moved to "
	    S2 " (was " S1 ")\"}"));
	assert_null(strstr(r.body, "Platforms"));
	alert_request_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_goldens),
		cmocka_unit_test(test_alert_generic_is_stable),
		cmocka_unit_test(test_alert_nullable_absent),
		cmocka_unit_test(test_alert_signature),
		cmocka_unit_test(test_alert_malformed),
		cmocka_unit_test(test_alert_limits),
		cmocka_unit_test(test_alert_hostile_generic),
		cmocka_unit_test(test_alert_hostile_slack),
		cmocka_unit_test(test_alert_slack_cuts),
		cmocka_unit_test(test_alert_slack_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
