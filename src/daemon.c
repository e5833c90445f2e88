/*
 * The daemon's loop (daemon.h).  A cycle is driven by two timers: the scan
 * timer runs a walk of the scan paths on libuv's thread pool and judges
 * the result on the loop; the poll timer runs a poller over the catalog
 * and the tags of the last scan, then judges again.  Judging writes the
 * findings' events to the outbox in one transaction; the deliverer sends
 * them.  The first scan and poll run at start; later ones come at their
 * interval with +-10% jitter, so a fleet does not poll in step.
 *
 * A reload swaps the configuration only while no scan or poll borrows it:
 * with one in flight it waits for it to end.
 */
#include "autoconf.h"

#include <sys/random.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "auth.h"
#include "config.h"
#include "config-parse.h"
#include "daemon.h"
#include "deliver.h"
#include "event.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "poller.h"
#include "rules.h"
#include "scan.h"
#include "store.h"
#include "walk.h"
#include "xmalloc.h"

#define DAEMON_JITTER	10	/* percent, either way */

/* One scan on the thread pool: its inputs are copies, never the config. */
struct daemon_scan {
	uv_work_t		 work;
	struct daemon		*d;
	char			**roots;
	size_t			 nroots;
	struct walk_opts	 wo;
	struct scan_result	 sr;
	char			*error;		/* the first root that failed */
	atomic_int		 cancel;	/* set on the loop at a stop */
};

struct daemon {
	const char			*config_path;
	const char			*db_path;
	const struct daemon_opts	*opts;
	struct config			*conf;
	struct config			*next_conf;	/* a reload waiting */
	uv_loop_t			 loop;
	struct http			*http;
	struct auth			*auth;
	struct store			*store;
	struct deliver			*deliver;
	uv_timer_t			 poll_timer;
	uv_timer_t			 scan_timer;
	uv_timer_t			 watchdog_timer;
	uv_signal_t			 sig[4];
	int				 nhandles;	/* open */

	struct daemon_scan		*scanning;
	struct scan_result		 scan;		/* the last scan */
	int				 have_scan;
	struct poller			*poller;	/* running or done */
	int				 polling;

	int				 loop_open;
	int				 handles_on;
	int				 in_run;	/* inside uv_run */
	int				 done_early;	/* --once, before uv_run */
	int				 poll_every;	/* the timers' intervals */
	int				 scan_every;
	int				 stopping;
	int				 first_poll;	/* not yet started */
	int				 once_polled;
	int				 exit_status;

	/* For STATUS= and the log. */
	size_t				 last_refs, last_files, last_findings;
	size_t				 last_tags, last_moved, last_errors;
};

static void	daemon_judge(struct daemon *);
static void	daemon_start_poll(struct daemon *);
static void	daemon_status(struct daemon *);
static void	daemon_maybe_done(struct daemon *);
static void	daemon_swap_conf(struct daemon *);

/* interval seconds with the jitter, in milliseconds. */
static uint64_t
daemon_jitter(int seconds)
{
	uint32_t	 r = 0;
	uint64_t	 ms = (uint64_t)seconds * 1000;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (uint32_t)uv_hrtime();
	return (ms - ms * DAEMON_JITTER / 100 +
	    (ms * 2 * DAEMON_JITTER / 100) * (r % 1001) / 1000);
}

/* Set one option from the command line over conf. */
static int
daemon_set(struct config *conf, const char *section, const char *name,
    const char *flag, const char *value, char **cause)
{
	const struct config_option	*o;
	char				*why = NULL;

	if (value == NULL)
		return (0);
	o = config_option_find(section, name);
	if (o == NULL || config_set(NULL, o, conf, value, &why) != 0) {
		xasprintf(cause, "--%s: %s", flag, why != NULL ? why :
		    "unknown option");
		free(why);
		return (-1);
	}
	return (0);
}

/* The command line's settings over a freshly loaded configuration. */
static int
daemon_apply_opts(const struct daemon_opts *o, struct config *conf,
    char **cause)
{
	size_t	 i;

	if (daemon_set(conf, "daemon", "poll_interval", "poll-interval",
	    o->poll_interval, cause) != 0 ||
	    daemon_set(conf, "daemon", "scan_interval", "scan-interval",
	    o->scan_interval, cause) != 0 ||
	    daemon_set(conf, "webhook", "url", "webhook", o->webhook_url,
	    cause) != 0 ||
	    daemon_set(conf, "webhook", "secret_file", "webhook-secret-file",
	    o->webhook_secret_file, cause) != 0 ||
	    daemon_set(conf, "webhook", "format", "webhook-format",
	    o->webhook_format, cause) != 0)
		return (-1);
	if (o->nscan_paths > 0) {
		for (i = 0; i < conf->nscan_paths; i++)
			free(conf->scan_paths[i]);
		free(conf->scan_paths);
		conf->scan_paths = xreallocarray(NULL, o->nscan_paths,
		    sizeof *conf->scan_paths);
		for (i = 0; i < o->nscan_paths; i++)
			conf->scan_paths[i] = xstrdup(o->scan_paths[i]);
		conf->nscan_paths = o->nscan_paths;
	}
	return (0);
}

/* The status line systemd shows (systemctl status). */
static void
daemon_status(struct daemon *d)
{
	notify_send("STATUS=last scan: %zu references in %zu files, %zu "
	    "findings; last poll: %zu tags, %zu moved, %zu failed",
	    d->last_refs, d->last_files, d->last_findings, d->last_tags,
	    d->last_moved, d->last_errors);
}

/* --- scanning --- */

static void
daemon_scan_free(struct daemon_scan *ds)
{
	size_t	 i;

	for (i = 0; i < ds->nroots; i++)
		free(ds->roots[i]);
	free(ds->roots);
	scan_result_free(&ds->sr);
	free(ds->error);
	free(ds);
}

/* On the thread pool: walk every root; touches nothing but ds. */
static void
daemon_scan_work(uv_work_t *w)
{
	struct daemon_scan	*ds = w->data;
	char			*cause = NULL;
	size_t			 i, r0, s0;

	for (i = 0; i < ds->nroots && !atomic_load(&ds->cancel); i++) {
		r0 = ds->sr.nrefs;
		s0 = ds->sr.nskips;
		if (walk_scan(ds->roots[i], &ds->wo, &ds->sr, &cause) == 0) {
			/* Two roots may each hold a Dockerfile: name them
			 * apart, so their findings are apart too. */
			if (ds->nroots > 1)
				scan_result_prefix(&ds->sr, r0, s0,
				    ds->roots[i]);
			continue;
		}
		if (ds->error == NULL)
			xasprintf(&ds->error, "%s: %s", ds->roots[i], cause);
		free(cause);
		cause = NULL;
	}
}

/* Back on the loop: keep the result and judge it. */
static void
daemon_scan_done(uv_work_t *w, int status)
{
	struct daemon_scan	*ds = w->data;
	struct daemon		*d = ds->d;

	d->scanning = NULL;
	if (status == UV_ECANCELED || d->stopping)
		goto out;
	if (ds->error != NULL) {
		/* A partial scan would resolve every finding it missed. */
		log_warnx("scan: %s; the findings stay as they were",
		    ds->error);
		goto out;
	}
	scan_result_free(&d->scan);
	d->scan = ds->sr;
	scan_result_init(&ds->sr);
	d->have_scan = 1;
	d->last_refs = d->scan.nrefs;
	d->last_files = d->scan.files_scanned;
	log_info("scan: %zu references in %zu files", d->scan.nrefs,
	    d->scan.files_scanned);
	/* With a poll to follow, judging waits for its fresh answers. */
	if (!d->first_poll)
		daemon_judge(d);
out:
	daemon_scan_free(ds);
	if (d->stopping)
		return;
	if (d->first_poll)
		daemon_start_poll(d);
	daemon_swap_conf(d);
	daemon_maybe_done(d);
}

static void
daemon_start_scan(struct daemon *d)
{
	struct daemon_scan	*ds;
	size_t			 i;
	int			 rc;

	if (d->scanning != NULL || d->stopping)
		return;
	if (d->conf->nscan_paths == 0) {
		if (d->first_poll)
			daemon_start_poll(d);
		return;
	}
	ds = xcalloc(1, sizeof *ds);
	ds->d = d;
	ds->work.data = ds;
	ds->nroots = d->conf->nscan_paths;
	ds->roots = xreallocarray(NULL, ds->nroots, sizeof *ds->roots);
	for (i = 0; i < ds->nroots; i++)
		ds->roots[i] = xstrdup(d->conf->scan_paths[i]);
	ds->wo.max_file_size = d->conf->max_file_size;
	ds->wo.max_depth = d->conf->max_depth;
	atomic_init(&ds->cancel, 0);
	ds->wo.cancel = &ds->cancel;
	scan_result_init(&ds->sr);
	rc = uv_queue_work(&d->loop, &ds->work, daemon_scan_work,
	    daemon_scan_done);
	if (rc != 0) {
		log_warnx("scan: %s", uv_strerror(rc));
		daemon_scan_free(ds);
		return;
	}
	d->scanning = ds;
}

static void
daemon_scan_timer(uv_timer_t *t)
{
	struct daemon	*d = t->data;

	daemon_start_scan(d);
	uv_timer_start(&d->scan_timer, daemon_scan_timer,
	    daemon_jitter(d->conf->scan_interval), 0);
}

/* --- polling --- */

static void
daemon_poll_done(struct poller *p, void *arg)
{
	struct daemon			*d = arg;
	const struct poller_target	*t;
	size_t				 i, n;

	d->polling = 0;
	t = poller_targets(p, &n);
	d->last_tags = n;
	d->last_moved = d->last_errors = 0;
	for (i = 0; i < n; i++) {
		if (t[i].status != REGISTRY_OK)
			d->last_errors++;
		else if (t[i].change == STORE_MOVED) {
			d->last_moved++;
			log_info("moved %s:%s %s -> %s", t[i].identity,
			    t[i].tag, t[i].previous, t[i].digest);
		}
	}
	if (poller_store_error(p) != NULL)
		log_warnx("poll: history database: %s",
		    poller_store_error(p));
	log_info("poll: %zu tags, %zu moved, %zu failed", n, d->last_moved,
	    d->last_errors);
	d->once_polled = 1;
	if (d->stopping)
		return;
	daemon_judge(d);
	/* The poll's own events (tag.moved, tag.added), with or without a
	 * scan to judge. */
	deliver_kick(d->deliver);
	/* Idle until the next cycle: the page cache need not stay. */
	store_release_memory(d->store);
	daemon_swap_conf(d);
	daemon_maybe_done(d);
}

/* The catalog's tags and every tag the last scan named. */
static void
daemon_poll_targets(struct daemon *d, struct poller *p)
{
	const struct scan_ref	*r;
	char			*cause = NULL;
	size_t			 i;

	if (poller_add_catalog(p, &cause) != 0)
		goto fail;
	for (i = 0; d->have_scan && i < d->scan.nrefs; i++) {
		r = &d->scan.refs[i];
		if (!r->resolved || (r->ref.tag == NULL &&
		    r->ref.digest != NULL))
			continue;
		if (poller_add(p, &r->ref, NULL, &cause) != 0)
			goto fail;
	}
	return;
fail:
	log_warnx("poll: %s", cause);
	free(cause);
}

static void
daemon_start_poll(struct daemon *d)
{
	struct poller_env	 env;
	char			*cause = NULL;

	d->first_poll = 0;
	if (d->polling || d->stopping)
		return;
	poller_free(d->poller);
	d->poller = poller_create(d->conf);
	daemon_poll_targets(d, d->poller);
	env.loop = &d->loop;
	env.http = d->http;
	env.auth = d->auth;
	env.store = d->store;
	d->polling = 1;
	if (poller_start(d->poller, &env, daemon_poll_done, d, &cause) != 0) {
		d->polling = 0;
		d->once_polled = 1;	/* --once: this poll is over too */
		log_warnx("poll: %s", cause);
		free(cause);
		daemon_maybe_done(d);
	}
}

static void
daemon_poll_timer(uv_timer_t *t)
{
	struct daemon	*d = t->data;

	daemon_start_poll(d);
	uv_timer_start(&d->poll_timer, daemon_poll_timer,
	    daemon_jitter(d->conf->poll_interval), 0);
}

/* --- judging --- */

/* Hold the registry rules' findings of a reference that was not checked. */
static void
daemon_hold(struct outbox_finding **v, size_t *n, char ***keep,
    size_t *nkeep, const struct scan_ref *r)
{
	struct outbox_finding	*f;
	size_t			 i;

	for (i = 0; i < RULE_COUNT; i++) {
		if (!rules_table[i].needs_registry)
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		*keep = xreallocarray(*keep, *nkeep + 1, sizeof **keep);
		f = &(*v)[(*n)++];
		memset(f, 0, sizeof *f);
		f->fingerprint = (*keep)[(*nkeep)++] = event_fingerprint(
		    rules_table[i].id, r->file, r->text);
		f->rule = rules_table[i].id;
		f->file = r->file;
		f->image = r->text;
		f->data = "{}";
		f->held = 1;
	}
}

/*
 * Run the rules over the last scan and bring the announced findings in
 * line (only where a webhook is configured: without one there is nobody
 * to tell, and the findings open when one is).
 */
static void
daemon_judge(struct daemon *d)
{
	struct findings			 fs;
	struct rules_registry_stats	 rst;
	struct outbox_finding		*v = NULL;
	unsigned char			*unknown;
	char				**keep = NULL, *cause = NULL;
	size_t				 i, n = 0, nkeep = 0, opened, resolved;
	time_t				 now = time(NULL);

	if (!d->have_scan)
		return;
	findings_init(&fs);
	unknown = xcalloc(d->scan.nrefs + 1, 1);
	rules_check(d->conf, &d->scan, now, &fs);
	rules_check_registry(d->conf, d->store, &d->scan, now, &fs, &rst,
	    unknown);
	d->last_findings = fs.n;
	daemon_status(d);
	if (!deliver_enabled(d->deliver))
		goto out;
	v = xreallocarray(NULL, fs.n + 1, sizeof *v);
	keep = xreallocarray(NULL, 2 * fs.n + 1, sizeof *keep);
	for (i = 0; i < fs.n; i++) {
		memset(&v[n], 0, sizeof v[n]);
		v[n].rule = rules_table[fs.v[i].rule].id;
		v[n].file = fs.v[i].file;
		v[n].image = fs.v[i].text;
		v[n].fingerprint = keep[nkeep++] = event_fingerprint(v[n].rule,
		    v[n].file, v[n].image);
		v[n].data = keep[nkeep++] = event_finding_data(&fs.v[i],
		    v[n].fingerprint);
		n++;
	}
	for (i = 0; i < d->scan.nrefs; i++) {
		if (unknown[i])
			daemon_hold(&v, &n, &keep, &nkeep, &d->scan.refs[i]);
	}
	if (outbox_findings_sync(d->store, v, n, now, &opened, &resolved,
	    &cause) != 0) {
		log_warnx("findings: %s", cause);
		free(cause);
	} else if (opened > 0 || resolved > 0)
		log_info("findings: %zu opened, %zu resolved", opened,
		    resolved);
	deliver_kick(d->deliver);
out:
	for (i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
	free(v);
	free(unknown);
	findings_free(&fs);
}

/* --- once, reload, stop --- */

/* With --once: stop after the first scan, poll and delivery round. */
static void
daemon_maybe_done(struct daemon *d)
{
	if (!d->opts->once || d->stopping || d->scanning != NULL ||
	    d->polling || !d->once_polled || d->first_poll ||
	    deliver_busy(d->deliver))
		return;
	log_info("one cycle done");
	d->stopping = 1;
	if (d->in_run)
		uv_stop(&d->loop);
	else
		d->done_early = 1;	/* a stop outside uv_run would stick */
}

static void
daemon_deliver_idle(struct deliver *dv, void *arg)
{
	(void)dv;
	daemon_maybe_done(arg);
}

/* Swap in a reloaded configuration once nothing borrows the old one. */
static void
daemon_swap_conf(struct daemon *d)
{
	char	*cause = NULL;

	if (d->next_conf == NULL || d->scanning != NULL || d->polling)
		return;
	config_free(d->conf);
	d->conf = d->next_conf;
	d->next_conf = NULL;
	if (deliver_configure(d->deliver, d->conf, &cause) != 0) {
		log_warnx("reload: webhook: %s", cause);
		free(cause);
	}
	store_set_events(d->store, deliver_enabled(d->deliver));
	/* A timer moves only when its interval changed: frequent reloads
	 * must not keep pushing the next cycle away. */
	if (!d->opts->once && d->conf->poll_interval != d->poll_every)
		uv_timer_start(&d->poll_timer, daemon_poll_timer,
		    daemon_jitter(d->conf->poll_interval), 0);
	if (!d->opts->once && d->conf->scan_interval != d->scan_every)
		uv_timer_start(&d->scan_timer, daemon_scan_timer,
		    daemon_jitter(d->conf->scan_interval), 0);
	d->poll_every = d->conf->poll_interval;
	d->scan_every = d->conf->scan_interval;
	log_info("reloaded");
}

/* Load the configuration again; a bad one keeps the running one. */
static void
daemon_reload(struct daemon *d)
{
	struct config	*next;
	char		*cause = NULL;
	int		 nerrors = 0;

	notify_send("RELOADING=1");
	log_info("reloading %s", d->config_path != NULL ? d->config_path :
	    "the configuration");
	next = config_load(d->config_path, d->config_path != NULL, stderr,
	    &nerrors);
	if (next == NULL)
		xasprintf(&cause, "%d error%s", nerrors, nerrors == 1 ? "" :
		    "s");
	else if (daemon_apply_opts(d->opts, next, &cause) != 0 ||
	    config_reload_check(d->conf, next, &cause) != 0) {
		config_free(next);
		next = NULL;
	}
	if (next == NULL) {
		log_warnx("reload: %s; keeping the running configuration",
		    cause);
		free(cause);
		notify_send("READY=1");
		daemon_status(d);
		return;
	}
	config_free(d->next_conf);
	d->next_conf = next;
	daemon_swap_conf(d);
	notify_send("READY=1");
	daemon_status(d);
}

static void
daemon_signal(uv_signal_t *s, int signum)
{
	struct daemon	*d = s->data;

	if (signum == SIGHUP) {
		daemon_reload(d);
		return;
	}
	if (signum == SIGUSR1) {
		log_info("a cycle now (SIGUSR1)");
		d->first_poll = 1;	/* the poll follows the scan */
		daemon_start_scan(d);
		return;
	}
	log_info("stopping (signal %d)", signum);
	d->stopping = 1;
	uv_stop(&d->loop);
}

static void
daemon_watchdog(uv_timer_t *t)
{
	(void)t;
	notify_send("WATCHDOG=1");
}

static void
daemon_closed(uv_handle_t *h)
{
	struct daemon	*d = h->data;

	d->nhandles--;
}

static void
daemon_close(struct daemon *d, uv_handle_t *h)
{
	if (uv_is_closing(h))
		return;
	uv_close(h, daemon_closed);
}

/* Start the handles: signals, timers, watchdog; -1 on failure. */
static int
daemon_handles(struct daemon *d)
{
	static const int	 sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	uint64_t		 wd;
	int			 i;

	/* Every handle is initialized before any can fail to start. */
	for (i = 0; i < 4; i++) {
		uv_signal_init(&d->loop, &d->sig[i]);
		d->sig[i].data = d;
	}
	uv_timer_init(&d->loop, &d->poll_timer);
	uv_timer_init(&d->loop, &d->scan_timer);
	uv_timer_init(&d->loop, &d->watchdog_timer);
	d->poll_timer.data = d->scan_timer.data = d->watchdog_timer.data = d;
	d->nhandles += 7;
	d->handles_on = 1;
	for (i = 0; i < 4; i++) {
		if (uv_signal_start(&d->sig[i], daemon_signal, sigs[i]) != 0)
			return (-1);
	}
	d->poll_every = d->conf->poll_interval;
	d->scan_every = d->conf->scan_interval;
	wd = notify_watchdog_usec();
	if (wd > 0)
		uv_timer_start(&d->watchdog_timer, daemon_watchdog,
		    wd / 2000, wd / 2000);
	if (!d->opts->once) {
		uv_timer_start(&d->poll_timer, daemon_poll_timer,
		    daemon_jitter(d->conf->poll_interval), 0);
		uv_timer_start(&d->scan_timer, daemon_scan_timer,
		    daemon_jitter(d->conf->scan_interval), 0);
	}
	return (0);
}

/* Close everything and let the loop run the close callbacks. */
static void
daemon_shutdown(struct daemon *d)
{
	int	 i;

	notify_send("STOPPING=1");
	d->stopping = 1;
	/* A walk in progress enters no more directories. */
	if (d->scanning != NULL)
		atomic_store(&d->scanning->cancel, 1);
	if (d->handles_on) {
		for (i = 0; i < 4; i++)
			daemon_close(d, (uv_handle_t *)&d->sig[i]);
		daemon_close(d, (uv_handle_t *)&d->poll_timer);
		daemon_close(d, (uv_handle_t *)&d->scan_timer);
		daemon_close(d, (uv_handle_t *)&d->watchdog_timer);
	}
	deliver_free(d->deliver);
	d->deliver = NULL;
	/* Retries waiting on their timers fail now, the rest below. */
	if (d->polling)
		poller_cancel(d->poller);
	/* Cancels the transfers: the poller finishes its poll row. */
	http_free(d->http);
	d->http = NULL;
	uv_run(&d->loop, UV_RUN_DEFAULT);
	/* Only now: a cancelled request may still look up a token. */
	auth_free(d->auth);
	d->auth = NULL;
	uv_run(&d->loop, UV_RUN_DEFAULT);
	poller_free(d->poller);
	d->poller = NULL;
}

/* Open what the loop needs; -1 after logging why. */
static int
daemon_open(struct daemon *d)
{
	struct http_opts	 ho;
	char			*cause = NULL, *path;

	path = d->db_path != NULL ? xstrdup(d->db_path) :
	    config_db_path(d->conf);
	if (store_open(path, STORE_MKDIR, 0, &d->store, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		free(path);
		return (-1);
	}
	log_info("history database %s", path);
	free(path);
	if (uv_loop_init(&d->loop) != 0) {
		log_warnx("uv_loop_init failed");
		return (-1);
	}
	d->loop_open = 1;
	memset(&ho, 0, sizeof ho);
	ho.max_per_host = (unsigned)d->conf->concurrency;
	ho.timeout_ms = (unsigned)d->conf->timeout * 1000;
	d->http = http_create(&d->loop, &ho, &cause);
	if (d->http == NULL) {
		log_warnx("%s", cause);
		free(cause);
		return (-1);
	}
	d->auth = auth_create(&d->loop, d->http);
	d->deliver = deliver_create(&d->loop, d->http, d->store);
	deliver_set_idle_cb(d->deliver, daemon_deliver_idle, d);
	if (deliver_configure(d->deliver, d->conf, &cause) != 0) {
		log_warnx("webhook: %s", cause);
		free(cause);
		return (-1);
	}
	store_set_events(d->store, deliver_enabled(d->deliver));
	return (0);
}

int
daemon_run(struct config *conf, const char *config_path, const char *db_path,
    const struct daemon_opts *opts)
{
	struct daemon	 d;
	char		*cause = NULL;

	memset(&d, 0, sizeof d);
	d.config_path = config_path;
	d.db_path = db_path;
	d.opts = opts;
	d.conf = conf;
	d.first_poll = 1;
	d.exit_status = DAEMON_EXIT_OPFAIL;
	scan_result_init(&d.scan);
	if (daemon_apply_opts(opts, d.conf, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		config_free(d.conf);
		return (DAEMON_EXIT_USAGE);
	}
	if (daemon_open(&d) != 0)
		goto out;
	if (daemon_handles(&d) != 0) {
		log_warnx("cannot install the signal handlers");
		goto out;
	}
	notify_send("READY=1");
	log_info("started: poll every %ds, scan every %ds, %zu scan path%s, "
	    "webhook %s", d.conf->poll_interval, d.conf->scan_interval,
	    d.conf->nscan_paths, d.conf->nscan_paths == 1 ? "" : "s",
	    deliver_enabled(d.deliver) ? "on" : "off");
	deliver_kick(d.deliver);	/* what an earlier run left pending */
	daemon_start_scan(&d);
	d.in_run = 1;
	if (!d.done_early)
		uv_run(&d.loop, UV_RUN_DEFAULT);
	d.in_run = 0;
	d.exit_status = DAEMON_EXIT_CLEAN;
out:
	if (d.loop_open) {
		daemon_shutdown(&d);
		if (uv_loop_close(&d.loop) != 0)
			log_warnx("the loop did not close");
	}
	scan_result_free(&d.scan);
	store_close(d.store);
	config_free(d.conf);
	config_free(d.next_conf);
	return (d.exit_status);
}
