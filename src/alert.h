/*
 * Webhook alerts (SPEC section 8): one event, as the outbox stores it,
 * turned into the body and headers of an HTTP POST in the configured
 * format, and the body's signature.  Pure functions: no I/O, no clock.
 *
 * The event document, schema "tagdrift.event/v1" (the generic format is
 * this document itself):
 *
 *   {"schema": "tagdrift.event/v1",
 *    "id":     idempotency id, 1-128 of [A-Za-z0-9._:-] (e.g. 32 hex),
 *              the same on every attempt to deliver the event,
 *    "type":   "tag.moved" | "tag.added" | "finding.opened" |
 *              "finding.resolved",
 *    "time":   RFC 3339 UTC, "2026-01-02T03:04:05Z" (fraction allowed),
 *    "data":   by type, below}
 *
 * tag.moved, a watched tag now points at another digest:
 *   image       repository, "docker.io/library/node"
 *   tag         "22-alpine"
 *   digest      the new digest, "sha256:<64 hex>" (or sha512)
 *   previous    the digest it had before
 *   first_seen  RFC 3339 time the previous digest was first seen there
 *   platforms   array of "os/arch[/variant]" of the new digest, may be []
 *
 * tag.added, a newer tag appeared in a watched family:
 *   image       repository, as above
 *   tag         the new tag, "24-alpine"
 *   family      the variant family, "alpine", or null
 *   replaces    the older tag it supersedes, "22-alpine", or null
 *
 * finding.opened and finding.resolved (the resolved event repeats what the
 * finding said when it opened):
 *   fingerprint stable id of the finding (file, rule, image), hex
 *   rule        rule id, "stale-digest"
 *   severity    "info" | "warning" | "error"
 *   file        path relative to the scanned root, "svc/Dockerfile"
 *   line        line number, 0 when unknown
 *   image       the reference as written, "node:22-alpine@sha256:..."
 *   message     one line of explanation
 *   suggestion  the replacement reference, or null
 *   evidence    object of string values (at most ALERT_MAX_EVIDENCE),
 *               {} when absent
 *
 * Identifier fields (image, tag, digests, platforms, fingerprint, rule)
 * may not hold spaces or control characters; text fields (file, message,
 * suggestion, evidence values) may hold anything but NUL, and every output
 * escapes them.  Unknown keys are ignored and not sent; a nullable field
 * that is absent is sent as null.
 */
#ifndef ALERT_H
#define ALERT_H

#include <stddef.h>

#define ALERT_SCHEMA		"tagdrift.event/v1"
#define ALERT_MAX_EVENT		(64 * 1024)	/* bytes of an event */
#define ALERT_MAX_STRING	1024		/* bytes of one field */
#define ALERT_MAX_ID		128
#define ALERT_MAX_PLATFORMS	256
#define ALERT_MAX_EVIDENCE	16

/* CloudEvents attributes that do not come from the event. */
#define ALERT_CE_SOURCE		"urn:tagdrift"
#define ALERT_CE_TYPE_PREFIX	"dev.tagdrift."
#define ALERT_CE_DATASCHEMA	"urn:tagdrift:event:v1"

/* Header names the delivery sends. */
#define ALERT_HEADER_EVENT	"X-Tagdrift-Event"
#define ALERT_HEADER_DELIVERY	"X-Tagdrift-Delivery"
#define ALERT_HEADER_SIGNATURE	"X-Tagdrift-Signature"

/*
 * One request to send.  body is allocated and NUL-terminated (len bytes
 * before the NUL); event and delivery are allocated, header-safe values
 * for X-Tagdrift-Event (the event type) and X-Tagdrift-Delivery (the
 * event id); content_type is static.  alert_request_clear frees them.
 */
struct alert_request {
	char		*body;
	size_t		 len;
	const char	*content_type;
	char		*event;
	char		*delivery;
};

/*
 * Render event (len bytes of JSON, not NUL-terminated) in format (an enum
 * config_webhook_format).  0 and *out filled, or -1, *out zeroed and
 * *cause (allocated) for a malformed event: it is read as untrusted.
 */
int	 alert_render(int format, const char *event, size_t len,
	     struct alert_request *out, char **cause);
void	 alert_request_clear(struct alert_request *);

/*
 * "sha256=<64 lowercase hex>": the HMAC-SHA256 of body under secret, for
 * X-Tagdrift-Signature.  The caller frees the string.
 */
char	*alert_signature(const void *secret, size_t secretlen,
	     const void *body, size_t len);

#endif
