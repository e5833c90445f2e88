/*
 * Webhook delivery (deliver.h): one POST in flight at a time, so events
 * leave in the order the outbox hands them out, and a receiver that hangs
 * holds up nothing but the timeout.  What each attempt came to is written
 * to the outbox before the next one starts.
 */
#include "autoconf.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "alert.h"
#include "config.h"
#include "deliver.h"
#include "http.h"
#include "http-header.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "xmalloc.h"

#define DELIVER_EXCERPT	200	/* bytes of a refusal's body kept */

struct deliver {
	uv_loop_t		*loop;
	struct http		*http;
	struct store		*store;
	uv_timer_t		 timer;
	int			 timer_on;
	int			 closing;
	int			 inflight;
	int			 freed;		/* deliver_free was called */

	char			*url;
	int			 format;
	char			*secret;
	size_t			 secretlen;
	int			 max_attempts;
	int			 max_age;

	struct outbox_event	*cur;		/* the event in flight */
	deliver_idle_cb		*idle;
	void			*idle_arg;
	struct deliver_stats	 stats;
};

static void	deliver_next(struct deliver *);

struct deliver *
deliver_create(uv_loop_t *loop, struct http *http, struct store *store)
{
	struct deliver	*dv;

	dv = xcalloc(1, sizeof *dv);
	dv->loop = loop;
	dv->http = http;
	dv->store = store;
	uv_timer_init(loop, &dv->timer);
	dv->timer.data = dv;
	dv->timer_on = 1;
	return (dv);
}

/* Read the secret file whole (up to DELIVER_MAX_SECRET), one newline cut. */
static int
deliver_read_secret(const char *path, char **out, size_t *len, char **cause)
{
	char	 buf[DELIVER_MAX_SECRET + 1];
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while (got < sizeof buf) {
		n = read(fd, buf + got, sizeof buf - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > DELIVER_MAX_SECRET) {
		xasprintf(cause, "%s: longer than %d bytes", path,
		    DELIVER_MAX_SECRET);
		return (-1);
	}
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	if (got == 0) {
		xasprintf(cause, "%s: empty", path);
		return (-1);
	}
	*out = xmalloc(got);
	memcpy(*out, buf, got);
	*len = got;
	explicit_bzero(buf, sizeof buf);
	return (0);
}

int
deliver_configure(struct deliver *dv, const struct config *conf,
    char **cause)
{
	char	*secret = NULL;
	size_t	 len = 0;

	if (conf->webhook_url != NULL && conf->webhook_secret_file != NULL &&
	    deliver_read_secret(conf->webhook_secret_file, &secret, &len,
	    cause) != 0)
		return (-1);
	free(dv->url);
	dv->url = conf->webhook_url != NULL ? xstrdup(conf->webhook_url) :
	    NULL;
	if (dv->secret != NULL)
		explicit_bzero(dv->secret, dv->secretlen);
	free(dv->secret);
	dv->secret = secret;
	dv->secretlen = len;
	dv->format = conf->webhook_format;
	dv->max_attempts = conf->webhook_max_attempts;
	dv->max_age = conf->webhook_max_age;
	return (0);
}

void
deliver_set_idle_cb(struct deliver *dv, deliver_idle_cb *cb, void *arg)
{
	dv->idle = cb;
	dv->idle_arg = arg;
}

int
deliver_busy(const struct deliver *dv)
{
	return (dv != NULL && dv->inflight);
}

int
deliver_enabled(const struct deliver *dv)
{
	return (dv != NULL && dv->url != NULL);
}

void
deliver_get_stats(const struct deliver *dv, struct deliver_stats *st)
{
	*st = dv->stats;
}

static void
deliver_closed(uv_handle_t *h)
{
	struct deliver	*dv = h->data;

	dv->timer_on = 0;
	if (dv->inflight == 0) {
		free(dv->url);
		free(dv->secret);
		free(dv);
	}
}

void
deliver_free(struct deliver *dv)
{
	if (dv == NULL)
		return;
	dv->freed = 1;
	if (dv->secret != NULL)
		explicit_bzero(dv->secret, dv->secretlen);
	uv_close((uv_handle_t *)&dv->timer, deliver_closed);
}

static void
deliver_timer_cb(uv_timer_t *t)
{
	deliver_next(t->data);
}

/* The database refused: try again after the first backoff step. */
static void
deliver_wait(struct deliver *dv)
{
	uv_timer_start(&dv->timer, deliver_timer_cb, DELIVER_BACKOFF_S * 1000,
	    0);
	if (dv->idle != NULL)
		dv->idle(dv, dv->idle_arg);
}

/* Nothing due now: sleep until the next retry, tell the idle callback. */
static void
deliver_sleep(struct deliver *dv, time_t now)
{
	time_t	 at;
	char	*cause = NULL;
	int	 rc;

	rc = outbox_next_due(dv->store, &at, &cause);
	if (rc == -1) {
		log_warnx("webhook: %s", cause);
		free(cause);
		at = now + DELIVER_BACKOFF_MAX_S;
	}
	if (rc != 0)
		uv_timer_start(&dv->timer, deliver_timer_cb,
		    at > now ? (uint64_t)(at - now) * 1000 : 1000, 0);
	if (dv->idle != NULL)
		dv->idle(dv, dv->idle_arg);
}

/* Seconds to wait after attempt n (1-based): doubling, capped, +-25%
 * (whole seconds: 2 to 3 after the first). */
static time_t
deliver_backoff(int n)
{
	uint32_t	 r = 0;
	time_t		 s = DELIVER_BACKOFF_S;

	while (--n > 0 && s < DELIVER_BACKOFF_MAX_S)
		s *= 2;
	if (s > DELIVER_BACKOFF_MAX_S)
		s = DELIVER_BACKOFF_MAX_S;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (uint32_t)uv_hrtime();
	return (s - s / 4 + (time_t)(r % (uint32_t)(s / 2 + 1)));
}

/* The start of a refusal's body, printable, for the record. */
static char *
deliver_excerpt(const struct http_response *res)
{
	const char	*p = res->body.data;
	size_t		 i, n = res->body.len;
	char		*s;

	if (n > DELIVER_EXCERPT)
		n = DELIVER_EXCERPT;
	s = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		s[i] = isprint((unsigned char)p[i]) ? p[i] : '?';
	s[n] = '\0';
	return (s);
}

/* Whether a failed attempt may be tried again. */
static int
deliver_retryable(const struct http_response *res)
{
	if (res->error != HTTP_OK)
		return (1);
	return (res->status == 408 || res->status == 429 ||
	    (res->status >= 500 && res->status <= 599));
}

/* Record a failed attempt: retry later, or dead; -1 if not recorded. */
static int
deliver_failed(struct deliver *dv, const struct http_response *res,
    time_t now, char **why)
{
	struct outbox_event	*ev = dv->cur;
	time_t			 next, ra;
	char			*error, *ex, *cause = NULL;
	int			 dead, attempts = ev->attempts + 1;
	long			 secs;

	ex = res->error == HTTP_OK ? deliver_excerpt(res) : NULL;
	if (res->error != HTTP_OK)
		error = xstrdup(res->error_text != NULL ? res->error_text :
		    "no answer");
	else
		xasprintf(&error, "HTTP %ld: %s", res->status, ex);
	free(ex);
	next = now + deliver_backoff(attempts);
	if (res->retry_after != NULL && http_header_retry_after(
	    res->retry_after, strlen(res->retry_after), now, &secs,
	    &cause) == 0) {
		ra = now + (secs > DELIVER_BACKOFF_MAX_S ?
		    DELIVER_BACKOFF_MAX_S : (time_t)secs);
		if (ra > next)
			next = ra;
	}
	free(cause);
	cause = NULL;
	dead = !deliver_retryable(res) || attempts >= dv->max_attempts ||
	    now - ev->created >= dv->max_age;
	if (outbox_failed(dv->store, ev->id, res->error == HTTP_OK ?
	    res->status : -1, error, now, next, dead, why) != 0) {
		free(error);
		return (-1);
	}
	if (dead) {
		dv->stats.dead++;
		log_warnx("webhook: event %s (%s) dead after %d attempt%s: %s",
		    ev->uid, ev->type, attempts, attempts == 1 ? "" : "s",
		    error);
	} else {
		dv->stats.retried++;
		log_info("webhook: event %s (%s) attempt %d failed (%s); "
		    "again in %llds", ev->uid, ev->type, attempts, error,
		    (long long)(next - now));
	}
	free(error);
	return (0);
}

static void
deliver_done(struct http_response *res, void *arg)
{
	struct deliver	*dv = arg;
	char		*cause = NULL;
	time_t		 now = time(NULL);

	dv->inflight = 0;
	if (dv->freed) {
		outbox_events_free(dv->cur, 1);
		dv->cur = NULL;
		if (!dv->timer_on)
			deliver_closed((uv_handle_t *)&dv->timer);
		return;
	}
	/* A 2xx whose body is over the cap was still accepted. */
	if ((res->error == HTTP_OK || res->error == HTTP_ERR_TOO_LARGE) &&
	    res->status >= 200 && res->status <= 299) {
		if (outbox_delivered(dv->store, dv->cur->id, res->status, now,
		    &cause) != 0)
			goto unrecorded;
		dv->stats.delivered++;
		log_info("webhook: event %s (%s) delivered (HTTP %ld)",
		    dv->cur->uid, dv->cur->type, res->status);
	} else if (res->error != HTTP_ERR_CANCELLED &&
	    deliver_failed(dv, res, now, &cause) != 0)
		goto unrecorded;
	outbox_events_free(dv->cur, 1);
	dv->cur = NULL;
	deliver_next(dv);
	return;
unrecorded:
	/* Sending again now would only repeat it: wait. */
	log_warnx("webhook: event %s: %s", dv->cur->uid, cause);
	free(cause);
	outbox_events_free(dv->cur, 1);
	dv->cur = NULL;
	deliver_wait(dv);
}

/* The request for ev: rendered, signed; NULL and *cause if it cannot be. */
static struct http_request *
deliver_request(struct deliver *dv, const struct outbox_event *ev,
    char **cause)
{
	struct alert_request	 ar;
	struct http_request	*req;
	char			*sig;

	if (alert_render(dv->format, ev->body, strlen(ev->body), &ar,
	    cause) != 0)
		return (NULL);
	req = http_request_create(HTTP_POST, dv->url, deliver_done, dv);
	http_request_add_header(req, "Content-Type", ar.content_type);
	http_request_add_header(req, ALERT_HEADER_EVENT, ar.event);
	http_request_add_header(req, ALERT_HEADER_DELIVERY, ar.delivery);
	if (dv->secret != NULL) {
		sig = alert_signature(dv->secret, dv->secretlen, ar.body,
		    ar.len);
		http_request_add_header(req, ALERT_HEADER_SIGNATURE, sig);
		free(sig);
	}
	http_request_set_body(req, ar.body, ar.len);
	http_request_set_limits(req, 0, DELIVER_MAX_BODY, 0);
	/* The operator chose the URL: plain http is theirs to pick. */
	http_request_set_flags(req, HTTP_INSECURE_OK);
	alert_request_clear(&ar);
	return (req);
}

/* Send the next due event, or sleep until one falls due. */
static void
deliver_next(struct deliver *dv)
{
	struct outbox_event	*ev = NULL;
	struct http_request	*req;
	size_t			 n = 0;
	char			*cause = NULL, *why = NULL;
	time_t			 now = time(NULL);
	int			 rc;

	if (dv->freed || dv->inflight || dv->url == NULL)
		return;
	uv_timer_stop(&dv->timer);
	for (;;) {
		if (outbox_due(dv->store, now, 1, &ev, &n, &cause) != 0) {
			log_warnx("webhook: %s", cause);
			free(cause);
			deliver_wait(dv);
			return;
		}
		if (n == 0) {
			deliver_sleep(dv, now);
			return;
		}
		req = deliver_request(dv, ev, &cause);
		if (req != NULL)
			break;
		/* Our own event does not render: it never will. */
		log_warnx("webhook: event %s: %s", ev->uid, cause);
		rc = outbox_failed(dv->store, ev->id, -1, cause, now, now, 1,
		    &why);
		free(cause);
		cause = NULL;
		outbox_events_free(ev, n);
		if (rc != 0) {
			log_warnx("webhook: %s", why);
			free(why);
			deliver_wait(dv);
			return;
		}
	}
	dv->cur = ev;
	dv->inflight = 1;
	if (http_start(dv->http, req, &cause) != 0) {
		dv->inflight = 0;
		log_warnx("webhook: %s", cause);
		free(cause);
		outbox_events_free(dv->cur, 1);
		dv->cur = NULL;
		uv_timer_start(&dv->timer, deliver_timer_cb,
		    DELIVER_BACKOFF_MAX_S * 1000, 0);
	}
}

void
deliver_kick(struct deliver *dv)
{
	if (dv != NULL)
		deliver_next(dv);
}
