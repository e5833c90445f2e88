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

#include "cmd.h"
#include "config.h"
#include "ref.h"
#include "poller.h"
#include "registry.h"
#include "store.h"
#include "xmalloc.h"

enum {
	POLL_OPT_MIRROR = 256
};

static const struct cmd_option cmd_poll_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text or json" },
	{ "mirror", POLL_OPT_MIRROR, 1, "REGISTRY=URL",
	    "send REGISTRY's requests to URL (repeatable)" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const poll_format_names[] = { "text", "json", NULL };

/* The references named on the command line; -1 on a bad one. */
static int
poll_targets_args(struct cmd_ctx *ctx, struct poller *p, int argc,
    char **argv)
{
	struct ref	 r;
	char		*cause = NULL;
	int		 i, rv = 0;

	for (i = 0; i < argc && rv == 0; i++) {
		if (ref_parse(argv[i], &r, &cause) != 0) {
			fprintf(stderr, "%s poll: %s: %s\n", ctx->progname,
			    argv[i], cause);
			free(cause);
			return (-1);
		}
		if (r.tag == NULL && r.digest != NULL)
			fprintf(stderr, "%s poll: %s: a digest without a tag "
			    "never moves; skipped\n", ctx->progname,
			    argv[i]);
		else if (poller_add(p, &r, NULL, &cause) != 0) {
			fprintf(stderr, "%s poll: %s\n", ctx->progname,
			    cause);
			free(cause);
			rv = -1;
		}
		ref_deinit(&r);
	}
	return (rv);
}

static json_t *
poll_json_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

static json_t *
poll_json_target(const struct poller_target *t)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "image", json_string(t->identity));
	json_object_set_new(o, "tag", json_string(t->tag));
	json_object_set_new(o, "status", json_string(poller_status_name(t)));
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
poll_json_repo(const struct poller_repo *pr)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "image", json_string(pr->identity));
	json_object_set_new(o, "status", json_string(
	    poller_tags_state_name(pr)));
	json_object_set_new(o, "tags", pr->state == POLLER_TAGS_LISTED ?
	    json_integer((json_int_t)pr->count) : json_null());
	json_object_set_new(o, "error", poll_json_str(pr->error));
	return (o);
}

static json_t *
poll_json_registry(const struct poller_registry *r)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "base", json_string(r->base));
	json_object_set_new(o, "requests", json_integer(r->counts.requests));
	json_object_set_new(o, "head", json_integer(r->counts.heads));
	json_object_set_new(o, "get", json_integer(r->manifest_gets));
	json_object_set_new(o, "tag_lists", json_integer(r->tag_gets));
	json_object_set_new(o, "errors", json_integer(r->counts.errors));
	json_object_set_new(o, "throttled", json_integer(
	    r->counts.throttled));
	json_object_set_new(o, "ratelimit_remaining",
	    r->counts.ratelimit_remaining >= 0 ?
	    json_integer(r->counts.ratelimit_remaining) : json_null());
	return (o);
}

static void
poll_print_json(const struct poller *p)
{
	const struct poller_target	*t;
	const struct poller_repo	*pr;
	struct poller_registry		 r;
	json_t				*root, *a;
	size_t				 i, n;

	root = json_object();
	json_object_set_new(root, "poll", json_integer(poller_id(p)));
	a = json_array();
	t = poller_targets(p, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(a, poll_json_target(&t[i]));
	json_object_set_new(root, "results", a);
	a = json_array();
	pr = poller_repos(p, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(a, poll_json_repo(&pr[i]));
	json_object_set_new(root, "tag_lists", a);
	a = json_array();
	for (i = 0; i < poller_nregistries(p); i++) {
		poller_registry_at(p, i, &r);
		json_array_append_new(a, poll_json_registry(&r));
	}
	json_object_set_new(root, "registries", a);
	json_dumpf(root, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(root);
}

static void
poll_print_targets(const struct cmd_ctx *ctx, const struct poller *p)
{
	const struct poller_target	*t;
	size_t				 i, n;

	t = poller_targets(p, &n);
	for (i = 0; i < n; i++, t++) {
		if (t->status == REGISTRY_OK && ((t->change == STORE_SAME &&
		    ctx->verbose == 0) || ctx->quiet))
			continue;
		printf("%-9s %s:%s", poller_status_name(t), t->identity,
		    t->tag);
		if (t->change == STORE_MOVED && t->status == REGISTRY_OK)
			printf(" %s -> %s", t->previous, t->digest);
		else if (t->status == REGISTRY_OK)
			printf(" %s", t->digest);
		else
			printf(": %s", t->error);
		printf("\n");
	}
}

static void
poll_print_text(const struct cmd_ctx *ctx, const struct poller *p)
{
	const struct poller_repo	*pr;
	struct poller_registry		 r;
	size_t				 i, n;

	poll_print_targets(ctx, p);
	pr = poller_repos(p, &n);
	for (i = 0; i < n; i++, pr++) {
		if (pr->state == POLLER_TAGS_FAILED)
			printf("%-9s %s: tags: %s\n", "failed", pr->identity,
			    pr->error);
		else if (ctx->verbose > 0 && pr->state == POLLER_TAGS_LISTED)
			printf("%-9s %s: %zu tags\n", "listed", pr->identity,
			    pr->count);
	}
	if (ctx->quiet)
		return;
	for (i = 0; i < poller_nregistries(p); i++) {
		poller_registry_at(p, i, &r);
		printf("%s: %lld requests (%lld HEAD, %lld GET, %lld tag list "
		    "GET), %lld errors, %lld throttled", r.name,
		    (long long)r.counts.requests, (long long)r.counts.heads,
		    (long long)r.manifest_gets, (long long)r.tag_gets,
		    (long long)r.counts.errors, (long long)r.counts.throttled);
		if (r.counts.ratelimit_remaining >= 0)
			printf(", rate limit remaining %lld",
			    (long long)r.counts.ratelimit_remaining);
		printf("\n");
	}
}

/* Poll, print; the exit status. */
static int
poll_do(struct cmd_ctx *ctx, struct poller *p, const struct poller_env *env,
    int fmt)
{
	struct store_poll_counts pc;
	char			*cause = NULL;
	size_t			 n;
	int			 answered;

	if (poller_run(p, env, &cause) != 0) {
		fprintf(stderr, "%s poll: %s\n", ctx->progname, cause);
		free(cause);
		return (EXIT_OPFAIL);
	}
	if (fmt == 1)
		poll_print_json(p);
	else
		poll_print_text(ctx, p);
	if (poller_store_error(p) != NULL) {
		fprintf(stderr, "%s poll: %s\n", ctx->progname,
		    poller_store_error(p));
		return (EXIT_OPFAIL);
	}
	poller_counts(p, &pc, &answered);
	poller_targets(p, &n);
	if (n > 0 && !answered)
		return (EXIT_OPFAIL);
	return (EXIT_CLEAN);
}

static int
cmd_poll_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_net	 net;
	struct poller_env env;
	struct config	*conf;
	struct store	*store = NULL;
	struct poller	*p = NULL;
	char		*arg, *cause = NULL;
	int		 c, fmt = 0;

	memset(&net, 0, sizeof net);
	for (;;) {
		c = cmd_getopt(ctx, &cmd_poll_entry, argc, argv, &arg);
		if (c == -1)
			break;
		if (c == POLL_OPT_MIRROR) {
			if (cmd_add_mirror(ctx, arg) != 0)
				return (ctx->exit_status);
			continue;
		}
		if (c != 'f')
			return (ctx->exit_status);
		fmt = cmd_choice(ctx, "format", arg, poll_format_names);
		if (fmt == -1)
			return (ctx->exit_status);
	}
	conf = cmd_config(ctx);
	if (conf == NULL)
		return (ctx->exit_status);
	p = poller_create(conf);
	ctx->exit_status = EXIT_USAGE;
	if (argc - ctx->optind > 0) {
		if (poll_targets_args(ctx, p, argc - ctx->optind,
		    argv + ctx->optind) != 0)
			goto out;
	} else if (poller_add_catalog(p, &cause) != 0) {
		fprintf(stderr, "%s poll: %s\n", ctx->progname, cause);
		free(cause);
		goto out;
	}
	store = cmd_open_store_rw(ctx);
	if (store == NULL)
		goto out;
	/* A move this poll sees is the daemon's to announce, too. */
	store_set_events(store, conf->webhook_url != NULL);
	ctx->exit_status = EXIT_OPFAIL;
	if (cmd_net_open(ctx, conf, &net) != 0)
		goto out;
	env.loop = &net.loop;
	env.http = net.http;
	env.auth = net.auth;
	env.store = store;
	ctx->exit_status = poll_do(ctx, p, &env, fmt);
out:
	poller_free(p);
	cmd_net_close(ctx, &net);
	store_close(store);
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
