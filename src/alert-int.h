/*
 * alert.c's insides, shared with alert-slack.c: a checked event and the
 * Slack renderer.
 */
#ifndef ALERT_INT_H
#define ALERT_INT_H

#include <jansson.h>

#define ALERT_MAX_KEY		64	/* bytes of an evidence key */

enum alert_type {
	ALERT_TAG_MOVED = 0,
	ALERT_TAG_ADDED,
	ALERT_FINDING_OPENED,
	ALERT_FINDING_RESOLVED
};

/*
 * A checked event.  id and time borrow from root; data is a new object
 * holding only the documented fields, null for absent nullable ones.
 */
struct alert_event {
	enum alert_type	 type;
	const char	*id;
	const char	*time;
	json_t		*root;
	json_t		*data;
};

/* The event type's name, "tag.moved". */
const char	*alert_type_name(enum alert_type);
/* A string member of the checked data; NULL for null or absent. */
const char	*alert_get(const struct alert_event *, const char *name);
/* The Slack message for a checked event (a new reference). */
json_t		*alert_slack(const struct alert_event *);

#endif
