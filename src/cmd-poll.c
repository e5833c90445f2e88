/*
 * tagdrift poll [REF...]: one poll of the given references (or of the
 * catalog): a HEAD per distinct (registry, repository, tag), the digests
 * recorded in the history database, new indexes fetched once, then the tag
 * list of each repository that answered (unless listed within cache_ttl),
 * and what changed printed.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <uv.h>

#include "auth.h"
#include "cmd.h"
#include "config.h"
#include "http.h"
#include "ref.h"
#include "registry.h"
#include "store.h"
#include "xmalloc.h"

#define POLL_MAX_TARGETS	4096

static const struct cmd_option cmd_poll_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text or json" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const poll_format_names[] = { "text", "json", NULL };

struct poll;

struct poll_target {
	struct poll		*poll;
	struct registry		*reg;
	char			*identity;	/* registry/repository */
	char			*repo;
	char			*tag;
	enum registry_status	 status;
	int			 answered;
	int			 done;
	enum store_change	 change;
	char			*digest;
	char			*previous;
	char			*media_type;
	char			*error;
	size_t			 platforms;
};

/* The tag list of one repository, asked for once per poll. */
enum poll_tags_state {
	POLL_TAGS_LISTED = 0,
	POLL_TAGS_CACHED,	/* listed less than cache_ttl ago */
	POLL_TAGS_FAILED
};

struct poll_repo {
	struct poll		*poll;
	struct registry		*reg;
	char			*identity;	/* registry/repository */
	char			*repo;
	enum poll_tags_state	 state;
	size_t			 count;		/* tags listed */
	char			*error;
	int			 renew;		/* a tag new to the history */
};

struct poll {
	struct cmd_ctx		*ctx;
	struct config		*conf;
	struct store		*store;
	uv_loop_t		 loop;
	struct http		*http;
	struct auth		*auth;
	struct poll_target	*targets;
	size_t			 ntargets;
	struct poll_repo	*repos;
	size_t			 nrepos;
	struct registry		**regs;
	size_t			 nregs;
	int64_t			*mgets;		/* manifest GETs, per regs[] */
	int			 pending;
	int			 store_failed;
};

/* The registry of that name, created on first use. */
static struct registry *
poll_registry(struct poll *p, const char *name, char **cause)
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
	reg = registry_create(&p->loop, p->http, p->auth, p->store, name, rc,
	    cause);
	if (reg == NULL)
		return (NULL);
	p->regs = xreallocarray(p->regs, p->nregs + 1, sizeof *p->regs);
	p->regs[p->nregs++] = reg;
	return (reg);
}

/* Add repo:tag of the image r once, however often it is named. */
static int
poll_add(struct poll *p, const struct ref *r, const char *tag)
{
	struct poll_target	*t;
	char			*id, *slash;
	size_t			 i;

	id = ref_identity(r);
	for (i = 0; i < p->ntargets; i++) {
		if (strcmp(p->targets[i].identity, id) == 0 &&
		    strcmp(p->targets[i].tag, tag) == 0) {
			free(id);
			return (0);
		}
	}
	if (p->ntargets >= POLL_MAX_TARGETS) {
		free(id);
		fprintf(stderr, "%s poll: more than %d references\n",
		    p->ctx->progname, POLL_MAX_TARGETS);
		return (-1);
	}
	p->targets = xreallocarray(p->targets, p->ntargets + 1,
	    sizeof *p->targets);
	t = &p->targets[p->ntargets++];
	memset(t, 0, sizeof *t);
	t->poll = p;
	t->identity = id;
	slash = strchr(id, '/');
	t->repo = xstrdup(slash + 1);
	t->tag = xstrdup(tag);
	return (0);
}

/* The references named on the command line; -1 on a bad one. */
static int
poll_targets_args(struct poll *p, int argc, char **argv)
{
	struct ref	 r;
	char		*cause;
	int		 i, rv = 0;

	for (i = 0; i < argc && rv == 0; i++) {
		if (ref_parse(argv[i], &r, &cause) != 0) {
			fprintf(stderr, "%s poll: %s: %s\n", p->ctx->progname,
			    argv[i], cause);
			free(cause);
			return (-1);
		}
		if (r.tag == NULL && r.digest != NULL)
			fprintf(stderr, "%s poll: %s: a digest without a tag "
			    "never moves; skipped\n", p->ctx->progname,
			    argv[i]);
		else
			rv = poll_add(p, &r, r.tag != NULL ? r.tag : "latest");
		ref_deinit(&r);
	}
	return (rv);
}

/* Every image:tag of the catalog that lives in a registry. */
static int
poll_targets_catalog(struct poll *p)
{
	const struct catalog_entry	*e;
	size_t				 i, j;

	for (i = 0; i < p->conf->ncatalog; i++) {
		e = &p->conf->catalog[i];
		if (e->not_registry)
			continue;
		for (j = 0; j < e->ntags; j++) {
			if (poll_add(p, &e->ref, e->tags[j].tag) != 0)
				return (-1);
		}
	}
	return (0);
}

/* One operation less; stop the loop after the last. */
static void
poll_release(struct poll *p)
{
	if (--p->pending == 0)
		uv_stop(&p->loop);
}

static void
poll_index_done(const struct registry_result *res, void *arg)
{
	struct poll_target	*t = arg;

	if (res->status == REGISTRY_OK)
		t->platforms = res->count;
	else if (t->poll->ctx->quiet == 0)
		fprintf(stderr, "%s poll: index of %s:%s: %s\n",
		    t->poll->ctx->progname, t->identity, t->tag, res->error);
	poll_release(t->poll);
}

/* How many platforms a known index has; 0 when it cannot be read. */
static size_t
poll_platforms(struct poll *p, const char *digest)
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

/* Record a resolved digest, and fetch a new index once. */
static void
poll_record(struct poll_target *t, const struct registry_result *res)
{
	struct poll		*p = t->poll;
	struct store_period	 cur;
	char			*cause = NULL;
	int			 known;

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
	    t->media_type, time(NULL), &t->change, &cause) != 0)
		goto fail;
	if (!registry_is_index_type(t->media_type))
		return;
	known = store_index_known(p->store, t->digest, &cause);
	if (known == -1)
		goto fail;
	if (known == 1)
		t->platforms = poll_platforms(p, t->digest);
	else if (registry_get_index(t->reg, t->repo, t->digest,
	    poll_index_done, t) == 0)
		p->pending++;
	return;
fail:
	t->status = REGISTRY_FAILED;
	t->error = cause;
	p->store_failed = 1;
}

static void
poll_head_done(const struct registry_result *res, void *arg)
{
	struct poll_target	*t = arg;

	t->done = 1;
	t->status = res->status;
	t->answered = res->answered;
	if (res->status == REGISTRY_OK)
		poll_record(t, res);
	else
		t->error = xstrdup(res->error != NULL ? res->error : "failed");
	poll_release(t->poll);
}

/* Start a HEAD for every target; the registries are made here. */
static int
poll_start(struct poll *p)
{
	struct poll_target	*t;
	char			*cause = NULL, *name;
	size_t			 i;

	for (i = 0; i < p->ntargets; i++) {
		t = &p->targets[i];
		name = xstrndup(t->identity, strcspn(t->identity, "/"));
		t->reg = poll_registry(p, name, &cause);
		free(name);
		if (t->reg == NULL) {
			t->status = REGISTRY_FAILED;
			t->error = cause;
			cause = NULL;
			continue;
		}
		if (registry_head_digest(t->reg, t->repo, t->tag,
		    poll_head_done, t) != 0) {
			t->status = REGISTRY_INVALID;
			t->error = xstrdup("reference not usable in a URL");
			continue;
		}
		p->pending++;
	}
	return (0);
}

static void
poll_tags_done(const struct registry_result *res, void *arg)
{
	struct poll_repo	*pr = arg;

	if (res->status == REGISTRY_OK)
		pr->count = res->count;
	else {
		pr->state = POLL_TAGS_FAILED;
		pr->error = xstrdup(res->error != NULL ? res->error :
		    "failed");
	}
	poll_release(pr->poll);
}

/* Whether the tag list of identity was fetched less than cache_ttl ago. */
static int
poll_tags_fresh(struct poll *p, const char *identity, time_t now)
{
	time_t	 at = 0;
	char	*cause = NULL;
	int	 found;

	found = store_tags_fetched_at(p->store, identity, &at, &cause);
	if (found == -1) {
		fprintf(stderr, "%s poll: %s: %s\n", p->ctx->progname,
		    identity, cause);
		free(cause);
		return (0);
	}
	return (found == 1 && at <= now &&
	    now - at < (time_t)p->conf->cache_ttl);
}

/*
 * After the digests, list the tags of every repository a registry answered
 * for, once each; which GETs were manifests is counted before, so the
 * summary tells them apart.  A recent list is reused unless a tag new to
 * the history turned up (it is not in that list: missing-tag would fire).
 */
static void
poll_start_tags(struct poll *p)
{
	struct poll_target	*t;
	struct poll_repo	*pr;
	struct registry_counts	 c;
	time_t			 now = time(NULL);
	size_t			 i, j;

	p->mgets = xreallocarray(NULL, p->nregs + 1, sizeof *p->mgets);
	for (i = 0; i < p->nregs; i++) {
		registry_get_counts(p->regs[i], &c);
		p->mgets[i] = c.gets;
	}
	for (i = 0; i < p->ntargets; i++) {
		t = &p->targets[i];
		if (t->reg == NULL || !t->answered)
			continue;
		for (j = 0; j < p->nrepos; j++) {
			if (strcmp(p->repos[j].identity, t->identity) == 0)
				break;
		}
		if (j == p->nrepos) {
			p->repos = xreallocarray(p->repos, p->nrepos + 1,
			    sizeof *p->repos);
			pr = &p->repos[p->nrepos++];
			memset(pr, 0, sizeof *pr);
			pr->poll = p;
			pr->reg = t->reg;
			pr->identity = xstrdup(t->identity);
			pr->repo = xstrdup(t->repo);
		}
		if (t->status == REGISTRY_OK && t->change == STORE_NEW)
			p->repos[j].renew = 1;
	}
	for (i = 0; i < p->nrepos; i++) {
		pr = &p->repos[i];
		if (!pr->renew && poll_tags_fresh(p, pr->identity, now))
			pr->state = POLL_TAGS_CACHED;
		else if (registry_list_tags(pr->reg, pr->repo, poll_tags_done,
		    pr) != 0) {
			pr->state = POLL_TAGS_FAILED;
			pr->error = xstrdup("repository not usable in a URL");
		} else
			p->pending++;
	}
}

/* Manifest and tag-list GETs of regs[i] so far. */
static void
poll_gets(const struct poll *p, size_t i, const struct registry_counts *c,
    int64_t *manifest, int64_t *tags)
{
	*manifest = c->gets;
	*tags = 0;
	if (p->mgets != NULL) {
		*manifest = p->mgets[i];
		*tags = c->gets - p->mgets[i];
	}
}

static const char *
poll_tags_state_name(const struct poll_repo *pr)
{
	switch (pr->state) {
	case POLL_TAGS_LISTED:
		return ("listed");
	case POLL_TAGS_CACHED:
		return ("cached");
	default:
		return ("failed");
	}
}

static const char *
poll_status_name(const struct poll_target *t)
{
	if (t->status == REGISTRY_OK) {
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


static json_t *
poll_json_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

static json_t *
poll_json_target(const struct poll_target *t)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "image", json_string(t->identity));
	json_object_set_new(o, "tag", json_string(t->tag));
	json_object_set_new(o, "status", json_string(poll_status_name(t)));
	json_object_set_new(o, "digest", poll_json_str(t->digest));
	json_object_set_new(o, "previous", poll_json_str(
	    t->change == STORE_MOVED ? t->previous : NULL));
	json_object_set_new(o, "media_type", poll_json_str(t->media_type));
	json_object_set_new(o, "platforms", json_integer((json_int_t)
	    t->platforms));
	json_object_set_new(o, "error", poll_json_str(t->error));
	return (o);
}

static json_t *
poll_json_repo(const struct poll_repo *pr)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "image", json_string(pr->identity));
	json_object_set_new(o, "status", json_string(
	    poll_tags_state_name(pr)));
	json_object_set_new(o, "tags", pr->state == POLL_TAGS_LISTED ?
	    json_integer((json_int_t)pr->count) : json_null());
	json_object_set_new(o, "error", poll_json_str(pr->error));
	return (o);
}

static json_t *
poll_json_registry(const struct poll *p, size_t i)
{
	struct registry		*reg = p->regs[i];
	struct registry_counts	 c;
	int64_t			 mgets, tgets;
	json_t			*o;

	registry_get_counts(reg, &c);
	poll_gets(p, i, &c, &mgets, &tgets);
	o = json_object();
	json_object_set_new(o, "name", json_string(registry_name(reg)));
	json_object_set_new(o, "base", json_string(registry_base(reg)));
	json_object_set_new(o, "requests", json_integer(c.requests));
	json_object_set_new(o, "head", json_integer(c.heads));
	json_object_set_new(o, "get", json_integer(mgets));
	json_object_set_new(o, "tag_lists", json_integer(tgets));
	json_object_set_new(o, "errors", json_integer(c.errors));
	json_object_set_new(o, "throttled", json_integer(c.throttled));
	json_object_set_new(o, "ratelimit_remaining",
	    c.ratelimit_remaining >= 0 ? json_integer(c.ratelimit_remaining) :
	    json_null());
	return (o);
}

static void
poll_print_json(struct poll *p, int64_t id)
{
	json_t	*root, *a;
	size_t	 i;

	root = json_object();
	json_object_set_new(root, "poll", json_integer(id));
	a = json_array();
	for (i = 0; i < p->ntargets; i++)
		json_array_append_new(a, poll_json_target(&p->targets[i]));
	json_object_set_new(root, "results", a);
	a = json_array();
	for (i = 0; i < p->nrepos; i++)
		json_array_append_new(a, poll_json_repo(&p->repos[i]));
	json_object_set_new(root, "tag_lists", a);
	a = json_array();
	for (i = 0; i < p->nregs; i++)
		json_array_append_new(a, poll_json_registry(p, i));
	json_object_set_new(root, "registries", a);
	json_dumpf(root, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(root);
}

static void
poll_print_text(struct poll *p)
{
	const struct poll_target	*t;
	const struct poll_repo		*pr;
	struct registry_counts		 c;
	int64_t				 mgets, tgets;
	size_t				 i;

	for (i = 0; i < p->ntargets; i++) {
		t = &p->targets[i];
		if (t->status == REGISTRY_OK && ((t->change == STORE_SAME &&
		    p->ctx->verbose == 0) || p->ctx->quiet))
			continue;
		printf("%-9s %s:%s", poll_status_name(t), t->identity, t->tag);
		if (t->change == STORE_MOVED && t->status == REGISTRY_OK)
			printf(" %s -> %s", t->previous, t->digest);
		else if (t->status == REGISTRY_OK)
			printf(" %s", t->digest);
		else
			printf(": %s", t->error);
		printf("\n");
	}
	for (i = 0; i < p->nrepos; i++) {
		pr = &p->repos[i];
		if (pr->state == POLL_TAGS_FAILED)
			printf("%-9s %s: tags: %s\n", "failed", pr->identity,
			    pr->error);
		else if (p->ctx->verbose > 0 && pr->state == POLL_TAGS_LISTED)
			printf("%-9s %s: %zu tags\n", "listed", pr->identity,
			    pr->count);
	}
	if (p->ctx->quiet)
		return;
	for (i = 0; i < p->nregs; i++) {
		registry_get_counts(p->regs[i], &c);
		poll_gets(p, i, &c, &mgets, &tgets);
		printf("%s: %lld requests (%lld HEAD, %lld GET, %lld tag list "
		    "GET), %lld errors, %lld throttled",
		    registry_name(p->regs[i]), (long long)c.requests,
		    (long long)c.heads, (long long)mgets, (long long)tgets,
		    (long long)c.errors, (long long)c.throttled);
		if (c.ratelimit_remaining >= 0)
			printf(", rate limit remaining %lld",
			    (long long)c.ratelimit_remaining);
		printf("\n");
	}
}

/* Sum what the poll cost, for store_poll_finish. */
static void
poll_counts(struct poll *p, struct store_poll_counts *pc, int *answered)
{
	struct registry_counts	 c;
	int64_t			 mgets, tgets;
	size_t			 i;

	memset(pc, 0, sizeof *pc);
	pc->ratelimit_remaining = -1;
	*answered = 0;
	for (i = 0; i < p->nregs; i++) {
		registry_get_counts(p->regs[i], &c);
		poll_gets(p, i, &c, &mgets, &tgets);
		pc->requests += c.requests;	/* tag-list GETs too */
		pc->heads += c.heads;
		pc->gets += mgets;
		pc->errors += c.errors;
		pc->throttled += c.throttled;
		if (c.ratelimit_remaining >= 0 &&
		    (pc->ratelimit_remaining < 0 ||
		    c.ratelimit_remaining < pc->ratelimit_remaining))
			pc->ratelimit_remaining = c.ratelimit_remaining;
	}
	for (i = 0; i < p->ntargets; i++) {
		if (p->targets[i].answered)
			*answered = 1;
		if (p->targets[i].status == REGISTRY_OK &&
		    p->targets[i].change == STORE_MOVED)
			pc->changes++;
	}
}

/* Run the loop until the digests, then the tag lists, are all in. */
static int
poll_run(struct poll *p)
{
	struct http_opts	 ho;
	char			*cause = NULL;

	if (uv_loop_init(&p->loop) != 0) {
		fprintf(stderr, "%s poll: uv_loop_init failed\n",
		    p->ctx->progname);
		return (-1);
	}
	memset(&ho, 0, sizeof ho);
	ho.max_per_host = (unsigned)p->conf->concurrency;
	ho.timeout_ms = (unsigned)p->conf->timeout * 1000;
	p->http = http_create(&p->loop, &ho, &cause);
	if (p->http == NULL) {
		fprintf(stderr, "%s poll: %s\n", p->ctx->progname, cause);
		free(cause);
		uv_loop_close(&p->loop);
		return (-1);
	}
	p->auth = auth_create(&p->loop, p->http);
	poll_start(p);
	if (p->pending > 0)
		uv_run(&p->loop, UV_RUN_DEFAULT);
	poll_start_tags(p);
	if (p->pending > 0)
		uv_run(&p->loop, UV_RUN_DEFAULT);
	return (0);
}

/* Free the registries and the engine, drain the loop, free the targets. */
static void
poll_cleanup(struct poll *p)
{
	struct poll_target	*t;
	size_t			 i;

	for (i = 0; i < p->nregs; i++)
		registry_free(p->regs[i]);
	free(p->regs);
	auth_free(p->auth);
	if (p->http != NULL) {
		http_free(p->http);
		uv_run(&p->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&p->loop) != 0)
			fprintf(stderr, "%s poll: loop did not close\n",
			    p->ctx->progname);
	}
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
	store_close(p->store);
}

/* Open the database: --db, else the configured or default path. */
static int
poll_open_store(struct poll *p)
{
	char	*path, *cause = NULL;
	int	 rv;

	if (p->ctx->db_path != NULL)
		path = xstrdup(p->ctx->db_path);
	else
		path = config_db_path(p->conf);
	rv = store_open(path, STORE_MKDIR, 0, &p->store, &cause);
	if (rv != 0) {
		fprintf(stderr, "%s poll: %s\n", p->ctx->progname, cause);
		free(cause);
	}
	free(path);
	return (rv);
}

/* Poll, record the poll row, print; the exit status. */
static int
poll_do(struct poll *p, int fmt)
{
	struct store_poll_counts pc;
	char			*cause = NULL;
	int64_t			 id = 0;
	int			 answered;

	if (store_poll_begin(p->store, time(NULL), &id, &cause) != 0)
		goto fail;
	if (poll_run(p) != 0)
		return (EXIT_OPFAIL);
	poll_counts(p, &pc, &answered);
	if (store_poll_finish(p->store, id, time(NULL), &pc, &cause) != 0)
		goto fail;
	if (fmt == 1)
		poll_print_json(p, id);
	else
		poll_print_text(p);
	if (p->store_failed || (p->ntargets > 0 && !answered))
		return (EXIT_OPFAIL);
	return (EXIT_CLEAN);
fail:
	fprintf(stderr, "%s poll: %s\n", p->ctx->progname, cause);
	free(cause);
	return (EXIT_OPFAIL);
}

static int
cmd_poll_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct poll	 p;
	char		*arg;
	int		 c, fmt = 0;

	memset(&p, 0, sizeof p);
	p.ctx = ctx;
	for (;;) {
		c = cmd_getopt(ctx, &cmd_poll_entry, argc, argv, &arg);
		if (c == -1)
			break;
		if (c != 'f')
			return (ctx->exit_status);
		fmt = cmd_choice(ctx, "format", arg, poll_format_names);
		if (fmt == -1)
			return (ctx->exit_status);
	}
	p.conf = cmd_config(ctx);
	if (p.conf == NULL)
		return (ctx->exit_status);
	ctx->exit_status = EXIT_USAGE;
	if (argc - ctx->optind > 0) {
		if (poll_targets_args(&p, argc - ctx->optind,
		    argv + ctx->optind) != 0)
			goto out;
	} else if (poll_targets_catalog(&p) != 0)
		goto out;
	ctx->exit_status = EXIT_OPFAIL;
	if (poll_open_store(&p) != 0)
		goto out;
	ctx->exit_status = poll_do(&p, fmt);
out:
	poll_cleanup(&p);
	return (ctx->exit_status);
}

const struct cmd_entry cmd_poll_entry = {
	"poll", "[REF...]", "poll registries once and record tag history",
	"Resolve each REF (default: every image:tag of the catalog) to its\n"
	"current digest with one HEAD per distinct registry, repository and\n"
	"tag, record it in the history database, fetch the platforms of a\n"
	"new image index once, list and record the tags of each repository\n"
	"(once per cache_ttl), and print what changed (new and moved tags)\n"
	"with a summary per registry.  A failed tag list is reported but does\n"
	"not change the exit status.  Exit status: 0 if a registry answered,\n"
	"2 usage or configuration error, 3 if the database is unusable or no\n"
	"registry answered.",
	cmd_poll_options, cmd_poll_exec
};
