/*
 * One poll of registries: digests first, then tag lists, then the poll
 * row finished (poller.h).  A phase ends when its last operation answers;
 * operations are counted in pending.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "auth.h"
#include "config.h"
#include "event.h"
#include "http.h"
#include "log.h"
#include "poller.h"
#include "ref.h"
#include "registry.h"
#include "store.h"
#include "version.h"
#include "xmalloc.h"

enum poller_phase {
	POLLER_IDLE = 0,
	POLLER_DIGESTS,
	POLLER_TAGS,
	POLLER_DONE
};

struct poller {
	uv_loop_t		*loop;
	struct http		*http;
	struct auth		*auth;
	const struct config	*conf;
	struct store		*store;
	time_t			 reuse;
	enum poller_phase	 phase;
	int64_t			 id;
	poller_done_cb		*done;
	void			*done_arg;
	struct poller_target	*targets;
	size_t			 ntargets;
	struct poller_repo	*repos;
	size_t			 nrepos;
	struct registry		**regs;
	size_t			 nregs;
	int64_t			*mgets;		/* manifest GETs, per regs[] */
	int			 pending;
	char			*store_error;
};

static void	poller_advance(struct poller *);

struct poller *
poller_create(const struct config *conf)
{
	struct poller	*p;

	p = xcalloc(1, sizeof *p);
	p->conf = conf;
	return (p);
}

void
poller_free(struct poller *p)
{
	struct poller_target	*t;
	size_t			 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nregs; i++)
		registry_free(p->regs[i]);
	free(p->regs);
	for (i = 0; i < p->ntargets; i++) {
		t = &p->targets[i];
		free(t->identity);
		free(t->repo);
		free(t->tag);
		free(t->digest);
		free(t->previous);
		free(t->media_type);
		free(t->error);
	}
	free(p->targets);
	for (i = 0; i < p->nrepos; i++) {
		free(p->repos[i].identity);
		free(p->repos[i].repo);
		free(p->repos[i].error);
	}
	free(p->repos);
	free(p->mgets);
	free(p->store_error);
	free(p);
}

void
poller_set_reuse(struct poller *p, time_t seconds)
{
	p->reuse = seconds;
}

/* Keep the first database error; cause is taken. */
static void
poller_store_failed(struct poller *p, char *cause)
{
	if (p->store_error == NULL)
		p->store_error = cause != NULL ? cause : xstrdup("error");
	else
		free(cause);
}

/*
 * The poll's row, begun before its first request: a poll that reuses
 * everything from the history asks nothing and records no poll.
 */
static int
poller_begin(struct poller *p, char **cause)
{
	if (p->id != 0)
		return (0);
	return (store_poll_begin(p->store, time(NULL), &p->id, cause));
}

/* poller_begin inside the loop: a failure is the poll's database error. */
static void
poller_begin_late(struct poller *p)
{
	char	*cause = NULL;

	if (poller_begin(p, &cause) != 0)
		poller_store_failed(p, cause);
}

/* The registry of that name, created on first use. */
static struct registry *
poller_registry(struct poller *p, const char *name, char **cause)
{
	const struct registry_conf	*rc = NULL;
	struct registry			*reg;
	size_t				 i;

	for (i = 0; i < p->nregs; i++) {
		if (strcmp(registry_name(p->regs[i]), name) == 0)
			return (p->regs[i]);
	}
	for (i = 0; i < p->conf->nregistries; i++) {
		if (strcmp(p->conf->registries[i].name, name) == 0)
			rc = &p->conf->registries[i];
	}
	reg = registry_create(p->loop, p->http, p->auth, p->store, name, rc,
	    cause);
	if (reg == NULL)
		return (NULL);
	p->regs = xreallocarray(p->regs, p->nregs + 1, sizeof *p->regs);
	p->regs[p->nregs++] = reg;
	return (reg);
}

int
poller_add(struct poller *p, const struct ref *r, const char *tag,
    char **cause)
{
	struct poller_target	*t;
	char			*id;
	size_t			 i;

	if (tag == NULL)
		tag = r->tag != NULL ? r->tag : "latest";
	id = ref_identity(r);
	for (i = 0; i < p->ntargets; i++) {
		if (strcmp(p->targets[i].identity, id) == 0 &&
		    strcmp(p->targets[i].tag, tag) == 0) {
			free(id);
			return (0);
		}
	}
	if (p->ntargets >= POLLER_MAX_TARGETS) {
		free(id);
		xasprintf(cause, "more than %d tags to poll",
		    POLLER_MAX_TARGETS);
		return (-1);
	}
	p->targets = xreallocarray(p->targets, p->ntargets + 1,
	    sizeof *p->targets);
	t = &p->targets[p->ntargets++];
	memset(t, 0, sizeof *t);
	t->poller = p;
	t->identity = id;
	t->repo = xstrdup(strchr(id, '/') + 1);
	t->tag = xstrdup(tag);
	return (0);
}

int
poller_add_catalog(struct poller *p, char **cause)
{
	const struct catalog_entry	*e;
	size_t				 i, j;

	for (i = 0; i < p->conf->ncatalog; i++) {
		e = &p->conf->catalog[i];
		if (e->not_registry)
			continue;
		for (j = 0; j < e->ntags; j++) {
			if (poller_add(p, &e->ref, e->tags[j].tag, cause) != 0)
				return (-1);
		}
	}
	return (0);
}

/* One operation less; the phase ends with the last. */
static void
poller_release(struct poller *p)
{
	if (--p->pending == 0)
		poller_advance(p);
}

static void
poller_index_done(const struct registry_result *res, void *arg)
{
	struct poller_target	*t = arg;

	if (res->status == REGISTRY_OK)
		t->platforms = res->count;
	else
		log_warnx("index of %s:%s: %s", t->identity, t->tag,
		    res->error);
	poller_release(t->poller);
}

/* How many platforms a known index has; 0 when it cannot be read. */
static size_t
poller_platforms(struct poller *p, const char *digest)
{
	struct store_platform	*pl = NULL;
	size_t			 n = 0;
	char			*cause = NULL;

	if (store_index_platforms(p->store, digest, &pl, &n, &cause) != 0) {
		free(cause);
		return (0);
	}
	store_platforms_free(pl, n);
	return (n);
}

/* Fetch a new index once; count the platforms of a known one. */
static void
poller_index(struct poller_target *t)
{
	struct poller	*p = t->poller;
	char		*cause = NULL;
	int		 known;

	if (!registry_is_index_type(t->media_type))
		return;
	known = store_index_known(p->store, t->digest, &cause);
	if (known == -1) {
		t->status = REGISTRY_FAILED;
		t->error = xstrdup(cause);
		poller_store_failed(p, cause);
	} else if (known == 1)
		t->platforms = poller_platforms(p, t->digest);
	else if (registry_get_index(t->reg, t->repo, t->digest,
	    poller_index_done, t) == 0)
		p->pending++;
}

/* Record a resolved digest, and fetch a new index once. */
static void
poller_record(struct poller_target *t, const struct registry_result *res)
{
	struct poller		*p = t->poller;
	struct store_period	 cur;
	char			*cause = NULL;

	t->digest = xstrdup(res->digest);
	if (res->media_type != NULL)
		t->media_type = xstrdup(res->media_type);
	memset(&cur, 0, sizeof cur);
	if (store_tag_current(p->store, t->identity, t->tag, &cur,
	    &cause) == 1)
		t->previous = xstrdup(cur.digest);
	store_period_clear(&cur);
	free(cause);
	cause = NULL;
	if (store_record_digest(p->store, t->identity, t->tag, t->digest,
	    t->media_type, time(NULL), &t->change, &cause) != 0) {
		t->status = REGISTRY_FAILED;
		t->error = xstrdup(cause);
		poller_store_failed(p, cause);
		return;
	}
	poller_index(t);
}

static void
poller_head_done(const struct registry_result *res, void *arg)
{
	struct poller_target	*t = arg;

	t->status = res->status;
	t->answered = res->answered;
	if (res->status == REGISTRY_OK)
		poller_record(t, res);
	else
		t->error = xstrdup(res->error != NULL ? res->error : "failed");
	poller_release(t->poller);
}

/*
 * With reuse set, a tag whose open period was seen less than reuse ago
 * is taken from the history: 1 when it was.
 */
static int
poller_reused(struct poller *p, struct poller_target *t, time_t now)
{
	struct store_period	 cur;
	char			*cause = NULL;
	int			 found;

	if (p->reuse <= 0)
		return (0);
	memset(&cur, 0, sizeof cur);
	found = store_tag_current(p->store, t->identity, t->tag, &cur,
	    &cause);
	if (found == -1)
		log_warnx("%s:%s: %s", t->identity, t->tag, cause);
	free(cause);
	if (found == 1 && cur.last_seen <= now &&
	    now - cur.last_seen < p->reuse) {
		t->cached = 1;
		t->status = REGISTRY_OK;
		t->change = STORE_SAME;
		t->digest = cur.digest;
		t->media_type = cur.media_type;
		cur.digest = cur.media_type = NULL;
	}
	store_period_clear(&cur);
	return (t->cached);
}

/* Start a HEAD for every target; the registries are made here. */
static void
poller_start_digests(struct poller *p)
{
	struct poller_target	*t;
	char			*cause = NULL, *name;
	time_t			 now = time(NULL);
	size_t			 i;

	p->phase = POLLER_DIGESTS;
	for (i = 0; i < p->ntargets; i++) {
		t = &p->targets[i];
		name = xstrndup(t->identity, strcspn(t->identity, "/"));
		t->reg = poller_registry(p, name, &cause);
		free(name);
		if (t->reg == NULL) {
			t->status = REGISTRY_FAILED;
			t->error = cause;
			cause = NULL;
			continue;
		}
		if (poller_reused(p, t, now))
			continue;
		poller_begin_late(p);
		if (registry_head_digest(t->reg, t->repo, t->tag,
		    poller_head_done, t) != 0) {
			t->status = REGISTRY_INVALID;
			t->error = xstrdup("reference not usable in a URL");
			continue;
		}
		p->pending++;
	}
}

/* The watched tag of pr's repository that tag supersedes, or NULL. */
static const char *
poller_replaces(struct poller *p, const struct poller_repo *pr,
    const char *tag)
{
	size_t	 i;

	for (i = 0; i < p->ntargets; i++) {
		if (strcmp(p->targets[i].identity, pr->identity) == 0 &&
		    version_upgrade_level(p->targets[i].tag, tag) >= 0)
			return (p->targets[i].tag);
	}
	return (NULL);
}

/*
 * After a tag list: a tag new to it that is a newer version in the family
 * of a watched tag is announced (tag.added), in the transaction that marks
 * the list considered.
 */
static void
poller_announce(struct poller *p, const struct poller_repo *pr)
{
	struct store_event	*ev = NULL;
	struct version		 v;
	const char		*old;
	char			**tags = NULL, *cause = NULL;
	size_t			 i, n = 0, nev = 0;
	int64_t			 gen;
	time_t			 now = time(NULL);

	if (store_tags_new(p->store, pr->identity, &tags, &n, &gen,
	    &cause) != 0)
		goto fail;
	ev = xcalloc(n + 1, sizeof *ev);
	for (i = 0; store_events(p->store) && i < n; i++) {
		old = poller_replaces(p, pr, tags[i]);
		if (old == NULL)
			continue;
		version_parse(old, &v);
		ev[nev].uid = event_new_id();
		ev[nev].type = "tag.added";
		xasprintf((char **)&ev[nev].subject, "tag:%s:%s", pr->identity,
		    tags[i]);
		ev[nev].body = event_tag_added(ev[nev].uid, now, pr->identity,
		    tags[i], version_variant(old, &v), old);
		nev++;
	}
	if (store_tags_considered(p->store, pr->identity, gen, ev, nev, now,
	    &cause) != 0)
		goto fail;
	goto out;
fail:
	poller_store_failed(p, cause);
out:
	for (i = 0; i < nev; i++) {
		free((char *)ev[i].uid);
		free((char *)ev[i].subject);
		free((char *)ev[i].body);
	}
	free(ev);
	store_names_free(tags, n);
}

static void
poller_tags_done(const struct registry_result *res, void *arg)
{
	struct poller_repo	*pr = arg;

	if (res->status == REGISTRY_OK) {
		pr->count = res->count;
		poller_announce(pr->poller, pr);
	} else {
		pr->state = POLLER_TAGS_FAILED;
		pr->error = xstrdup(res->error != NULL ? res->error :
		    "failed");
	}
	poller_release(pr->poller);
}

/* Whether the tag list of identity was fetched less than cache_ttl ago. */
static int
poller_tags_fresh(struct poller *p, const char *identity, time_t now)
{
	time_t	 at = 0;
	char	*cause = NULL;
	int	 found;

	found = store_tags_fetched_at(p->store, identity, &at, &cause);
	if (found == -1) {
		log_warnx("%s: %s", identity, cause);
		free(cause);
		return (0);
	}
	return (found == 1 && at <= now &&
	    now - at < (time_t)p->conf->cache_ttl);
}

/* The repository entry of t, made on first use. */
static struct poller_repo *
poller_repo(struct poller *p, const struct poller_target *t)
{
	struct poller_repo	*pr;
	size_t			 i;

	for (i = 0; i < p->nrepos; i++) {
		if (strcmp(p->repos[i].identity, t->identity) == 0)
			return (&p->repos[i]);
	}
	p->repos = xreallocarray(p->repos, p->nrepos + 1, sizeof *p->repos);
	pr = &p->repos[p->nrepos++];
	memset(pr, 0, sizeof *pr);
	pr->poller = p;
	pr->reg = t->reg;
	pr->identity = xstrdup(t->identity);
	pr->repo = xstrdup(t->repo);
	return (pr);
}

/*
 * After the digests, list the tags of every repository a registry answered
 * for (or the history vouched for), once each; which GETs were manifests
 * is counted before, so the summary tells them apart.  A recent list is
 * reused unless a tag new to the history turned up (it is not in that
 * list: missing-tag would fire).
 */
static void
poller_start_tags(struct poller *p)
{
	struct poller_target	*t;
	struct poller_repo	*pr;
	struct registry_counts	 c;
	time_t			 now = time(NULL);
	size_t			 i;

	p->phase = POLLER_TAGS;
	p->mgets = xreallocarray(NULL, p->nregs + 1, sizeof *p->mgets);
	for (i = 0; i < p->nregs; i++) {
		registry_get_counts(p->regs[i], &c);
		p->mgets[i] = c.gets;
	}
	for (i = 0; i < p->ntargets; i++) {
		t = &p->targets[i];
		if (t->reg == NULL || (!t->answered && !t->cached))
			continue;
		pr = poller_repo(p, t);
		if (t->status == REGISTRY_OK && t->change == STORE_NEW)
			pr->renew = 1;
	}
	for (i = 0; i < p->nrepos; i++) {
		pr = &p->repos[i];
		if (!pr->renew && poller_tags_fresh(p, pr->identity, now)) {
			pr->state = POLLER_TAGS_CACHED;
			continue;
		}
		poller_begin_late(p);
		if (registry_list_tags(pr->reg, pr->repo,
		    poller_tags_done, pr) != 0) {
			pr->state = POLLER_TAGS_FAILED;
			pr->error = xstrdup("repository not usable in a URL");
		} else
			p->pending++;
	}
}

/* Finish the poll row and tell the caller. */
static void
poller_finish(struct poller *p)
{
	struct store_poll_counts pc;
	char			*cause = NULL;
	int			 answered;

	p->phase = POLLER_DONE;
	poller_counts(p, &pc, &answered);
	if (p->id != 0 && store_poll_finish(p->store, p->id, time(NULL), &pc,
	    &cause) != 0)
		poller_store_failed(p, cause);
	if (p->done != NULL)
		p->done(p, p->done_arg);
}

/* The current phase is over: start the next, until one has work. */
static void
poller_advance(struct poller *p)
{
	while (p->pending == 0 && p->phase != POLLER_DONE) {
		switch (p->phase) {
		case POLLER_IDLE:
			poller_start_digests(p);
			break;
		case POLLER_DIGESTS:
			poller_start_tags(p);
			break;
		default:
			poller_finish(p);
			return;
		}
	}
}

int
poller_start(struct poller *p, const struct poller_env *env,
    poller_done_cb *done, void *arg, char **cause)
{
	p->loop = env->loop;
	p->http = env->http;
	p->auth = env->auth;
	p->store = env->store;
	if (p->reuse <= 0 && poller_begin(p, cause) != 0)
		return (-1);
	p->done = done;
	p->done_arg = arg;
	poller_advance(p);
	return (0);
}

/* poller_run's state: the loop is stopped only from inside uv_run. */
struct poller_run {
	int	 done;
	int	 running;
};

static void
poller_run_done(struct poller *p, void *arg)
{
	struct poller_run	*pr = arg;

	pr->done = 1;
	if (pr->running)
		uv_stop(p->loop);	/* a stop outside uv_run would stick */
}

int
poller_run(struct poller *p, const struct poller_env *env, char **cause)
{
	struct poller_run	 pr;

	memset(&pr, 0, sizeof pr);
	if (poller_start(p, env, poller_run_done, &pr, cause) != 0)
		return (-1);
	while (!pr.done) {
		pr.running = 1;
		if (uv_run(p->loop, UV_RUN_DEFAULT) == 0 && !pr.done) {
			*cause = xstrdup("the poll stalled with requests "
			    "outstanding");
			return (-1);
		}
		pr.running = 0;
	}
	return (0);
}

void
poller_cancel(struct poller *p)
{
	size_t	 i;

	for (i = 0; p != NULL && i < p->nregs; i++)
		registry_cancel(p->regs[i]);
}

const struct poller_target *
poller_targets(const struct poller *p, size_t *n)
{
	*n = p->ntargets;
	return (p->targets);
}

const struct poller_repo *
poller_repos(const struct poller *p, size_t *n)
{
	*n = p->nrepos;
	return (p->repos);
}

size_t
poller_nregistries(const struct poller *p)
{
	return (p->nregs);
}

void
poller_registry_at(const struct poller *p, size_t i,
    struct poller_registry *out)
{
	memset(out, 0, sizeof *out);
	out->name = registry_name(p->regs[i]);
	out->base = registry_base(p->regs[i]);
	registry_get_counts(p->regs[i], &out->counts);
	out->manifest_gets = out->counts.gets;
	if (p->mgets != NULL) {
		out->manifest_gets = p->mgets[i];
		out->tag_gets = out->counts.gets - p->mgets[i];
	}
}

int64_t
poller_id(const struct poller *p)
{
	return (p->id);
}

void
poller_counts(const struct poller *p, struct store_poll_counts *pc,
    int *answered)
{
	struct poller_registry	 r;
	size_t			 i;

	memset(pc, 0, sizeof *pc);
	pc->ratelimit_remaining = -1;
	*answered = p->ntargets == 0;
	for (i = 0; i < p->nregs; i++) {
		poller_registry_at(p, i, &r);
		pc->requests += r.counts.requests;	/* tag lists too */
		pc->heads += r.counts.heads;
		pc->gets += r.manifest_gets;
		pc->errors += r.counts.errors;
		pc->throttled += r.counts.throttled;
		if (r.counts.ratelimit_remaining >= 0 &&
		    (pc->ratelimit_remaining < 0 ||
		    r.counts.ratelimit_remaining < pc->ratelimit_remaining))
			pc->ratelimit_remaining = r.counts.ratelimit_remaining;
	}
	for (i = 0; i < p->ntargets; i++) {
		if (p->targets[i].answered || p->targets[i].cached)
			*answered = 1;
		if (p->targets[i].status == REGISTRY_OK &&
		    p->targets[i].change == STORE_MOVED)
			pc->changes++;
	}
}

const char *
poller_store_error(const struct poller *p)
{
	return (p->store_error);
}

const char *
poller_status_name(const struct poller_target *t)
{
	if (t->status == REGISTRY_OK) {
		if (t->cached)
			return ("cached");
		switch (t->change) {
		case STORE_NEW:
			return ("new");
		case STORE_MOVED:
			return ("moved");
		case STORE_SAME:
			return ("unchanged");
		}
	}
	switch (t->status) {
	case REGISTRY_NOT_FOUND:
		return ("not-found");
	case REGISTRY_DENIED:
		return ("denied");
	case REGISTRY_INVALID:
		return ("invalid");
	default:
		return ("failed");
	}
}

const char *
poller_tags_state_name(const struct poller_repo *pr)
{
	switch (pr->state) {
	case POLLER_TAGS_LISTED:
		return ("listed");
	case POLLER_TAGS_CACHED:
		return ("cached");
	default:
		return ("failed");
	}
}
