/*
 * The events tagdrift announces (SPEC section 8), as documents of schema
 * tagdrift.event/v1, the body of the generic webhook format:
 *
 *	{"schema": "tagdrift.event/v1", "id": "<32 hex>", "type": "...",
 *	 "time": "<RFC 3339 UTC>", "data": {...}}
 *
 * The id is the idempotency id: a retried delivery carries the same one.
 * Builders return an allocated JSON text the caller frees; no I/O but the
 * random id.
 */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <time.h>

#define EVENT_SCHEMA	"tagdrift.event/v1"
#define EVENT_ID_LEN	32

struct finding;

/* A fresh random id (EVENT_ID_LEN hex digits), allocated. */
char	*event_new_id(void);

/*
 * tag.moved: image (identity) tag moved from previous (current since
 * previous_since) to digest.
 */
char	*event_tag_moved(const char *id, time_t now, const char *image,
	     const char *tag, const char *digest, const char *media_type,
	     const char *previous, time_t previous_since);

/*
 * tag.added: tag appeared in image (identity), newer than the watched tag
 * replaces of the same family (variant, "" for none: sent as null).
 */
char	*event_tag_added(const char *id, time_t now, const char *image,
	     const char *tag, const char *family, const char *replaces);

/*
 * The data of a finding event: fingerprint, rule, severity, file, line,
 * image (the reference as written), message, suggestion (or null) and
 * evidence.  Allocated JSON object text.
 */
char	*event_finding_data(const struct finding *, const char *fingerprint);
/* finding.opened or finding.resolved around data (event_finding_data). */
char	*event_finding(const char *id, const char *type, time_t now,
	     const char *data);

/*
 * The fingerprint of a finding: hex SHA-256 of its rule, file and image,
 * so it stays the same while the finding moves between lines.
 */
char	*event_fingerprint(const char *rule, const char *file,
	     const char *image);

#endif
