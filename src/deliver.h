/*
 * Webhook delivery (SPEC section 8): the outbox's due events POSTed one at
 * a time, in order per subject, rendered in the configured format
 * (alert.h) and signed when a secret is set.  2xx is delivered; 408, 429,
 * 5xx and transport errors are tried again with exponential backoff and
 * jitter (Retry-After honoured); any other answer is dead at once, with
 * its status and the start of its body recorded; max_attempts and max_age
 * bound the retries.  A timer wakes it when the next retry falls due.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct config;
struct deliver;
struct http;
struct store;

#define DELIVER_BACKOFF_S	2	/* first retry after about this */
#define DELIVER_BACKOFF_MAX_S	600	/* longest wait between tries */
#define DELIVER_MAX_SECRET	4096
#define DELIVER_MAX_BODY	(64 * 1024)	/* of a receiver's answer */

struct deliver_stats {
	uint64_t	 delivered;
	uint64_t	 retried;
	uint64_t	 dead;
};

/* Called when nothing is due any more (for --once); may be NULL. */
typedef void	 deliver_idle_cb(struct deliver *, void *);

/* A deliverer on loop, sending through http, reading store (borrowed). */
struct deliver	*deliver_create(uv_loop_t *, struct http *, struct store *);
/*
 * Take the webhook settings of conf (copied): no URL disables delivery.
 * Reads the secret file; -1 and *cause when it cannot (the settings in
 * place are kept).
 */
int		 deliver_configure(struct deliver *, const struct config *,
		     char **cause);
void		 deliver_set_idle_cb(struct deliver *, deliver_idle_cb *,
		     void *);
/* Look for due events now. */
void		 deliver_kick(struct deliver *);
/* Whether a POST is in flight. */
int		 deliver_busy(const struct deliver *);
int		 deliver_enabled(const struct deliver *);
void		 deliver_get_stats(const struct deliver *,
		     struct deliver_stats *);
/*
 * Stop: no new POST, the timer closed; the memory goes once the loop has
 * run the close callback and the POST in flight (cancelled by http_free)
 * has answered.  NULL is a no-op.
 */
void		 deliver_free(struct deliver *);

#endif
