/*
 * tagdrift audit [PATH...]: scan trees for image references, judge them,
 * report.  The exit status gates CI (--fail-on).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "poller.h"
#include "ref.h"
#include "report.h"
#include "rules.h"
#include "scan.h"
#include "store.h"
#include "walk.h"
#include "xmalloc.h"

enum {
	AUDIT_OPT_FAIL_ON = 256,
	AUDIT_OPT_OFFLINE,
	AUDIT_OPT_AS_OF,
	AUDIT_OPT_NO_COLOR,
	AUDIT_OPT_MIRROR
};

static const struct cmd_option cmd_audit_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text, json or sarif" },
	{ "output", 'o', 1, "FILE", "write the report to FILE" },
	{ "fail-on", AUDIT_OPT_FAIL_ON, 1, "LEVEL",
	    "exit 1 on findings at or above LEVEL: error (default), "
	    "warning, info, never" },
	{ "offline", AUDIT_OPT_OFFLINE, 0, NULL,
	    "ask no registry; judge from the history database alone" },
	{ "as-of", AUDIT_OPT_AS_OF, 1, "DATE",
	    "judge dates as of DATE (YYYY-MM-DD) instead of today" },
	{ "no-color", AUDIT_OPT_NO_COLOR, 0, NULL, "never colour the text" },
	{ "mirror", AUDIT_OPT_MIRROR, 1, "REGISTRY=URL",
	    "send REGISTRY's requests to URL (repeatable)" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const audit_fail_names[] = { "never", "info", "warning",
	"error", NULL };

static int
cmd_audit_scan(struct cmd_ctx *ctx, const struct config *conf, int nroots,
    char **roots, struct scan_result *sr)
{
	struct walk_opts	 wo;
	char			*cause;
	size_t			 r0, s0;
	int			 i;
	static char		*dot[] = { ".", NULL };

	memset(&wo, 0, sizeof wo);
	wo.max_file_size = conf->max_file_size;
	wo.max_depth = conf->max_depth;
	if (nroots == 0) {
		nroots = 1;
		roots = dot;
	}
	for (i = 0; i < nroots; i++) {
		r0 = sr->nrefs;
		s0 = sr->nskips;
		if (walk_scan(roots[i], &wo, sr, &cause) != 0) {
			fprintf(stderr, "%s audit: %s: %s\n", ctx->progname,
			    roots[i], cause);
			free(cause);
			return (-1);
		}
		if (nroots > 1)
			scan_result_prefix(sr, r0, s0, roots[i]);
	}
	return (0);
}

/*
 * Open the history database: read-only when offline (*sp NULL when it does
 * not exist: *path then names where it was looked for), else for writing,
 * created when missing, or read-only with a warning when it cannot be
 * written (*why then says so).  -1 after printing why when it exists but
 * cannot be used.
 */
static int
cmd_audit_store(struct cmd_ctx *ctx, const struct config *conf, int offline,
    struct store **sp, char **path, char **why)
{
	struct stat	 sb;
	char		*cause = NULL;

	*sp = NULL;
	*path = ctx->db_path != NULL ? xstrdup(ctx->db_path) :
	    config_db_path(conf);
	if (!offline) {
		if (store_open(*path, STORE_MKDIR, 0, sp, &cause) == 0) {
			/* Moves it records are the daemon's to announce. */
			store_set_events(*sp, conf->webhook_url != NULL);
			return (0);
		}
		xasprintf(why, "registries not asked: %s", cause);
		free(cause);
	}
	if (stat(*path, &sb) == -1 && errno == ENOENT)
		return (0);
	if (store_open(*path, STORE_READONLY, 0, sp, &cause) == 0)
		return (0);
	fprintf(stderr, "%s audit: %s\n", ctx->progname, cause);
	free(cause);
	ctx->exit_status = EXIT_OPFAIL;
	return (-1);
}

/*
 * A registry error without what the note already says: the URL or the
 * registry's name it starts with.
 */
static const char *
cmd_audit_reason(const char *error, const char *name, const char *base)
{
	const char	*sep;
	size_t		 n = strlen(name);

	if (error == NULL)
		return ("no answer");
	if (strncmp(error, base, strlen(base)) == 0) {
		sep = strstr(error, ": ");
		if (sep != NULL)
			return (sep + 2);
	}
	if (strncmp(error, name, n) == 0 && strncmp(error + n, ": ", 2) == 0)
		return (error + n + 2);
	return (error);
}

/*
 * What the registries said, for the notice: how many tags were asked and
 * reused, and every registry that answered nothing, with the first reason.
 */
static char *
cmd_audit_asked(const struct poller *p)
{
	const struct poller_target	*t;
	struct poller_registry		 reg;
	char				*msg, *s;
	size_t				 i, j, n, asked = 0, cached = 0;
	int				 answered;

	t = poller_targets(p, &n);
	for (i = 0; i < n; i++) {
		if (t[i].cached)
			cached++;
		else
			asked++;
	}
	if (cached > 0)
		xasprintf(&msg, "registries asked about %zu tag%s (%zu more "
		    "from the history, seen within cache_ttl)", asked,
		    asked == 1 ? "" : "s", cached);
	else
		xasprintf(&msg, "registries asked about %zu tag%s", asked,
		    asked == 1 ? "" : "s");
	for (i = 0; i < poller_nregistries(p); i++) {
		poller_registry_at(p, i, &reg);
		answered = 0;
		for (j = 0; j < n; j++) {
			if (t[j].reg != NULL &&
			    strcmp(registry_name(t[j].reg), reg.name) == 0 &&
			    (t[j].answered || t[j].cached))
				answered = 1;
		}
		for (j = 0; j < n && !answered; j++) {
			if (t[j].reg == NULL ||
			    strcmp(registry_name(t[j].reg), reg.name) != 0)
				continue;
			xasprintf(&s, "%s; %s did not answer (%s)", msg,
			    reg.name, cmd_audit_reason(t[j].error, reg.name,
			    reg.base));
			free(msg);
			msg = s;
			break;
		}
	}
	return (msg);
}

/*
 * Ask the registries about every tag the scanned files name, through the
 * history database as a cache: a tag seen less than cache_ttl ago is taken
 * from the history, a tag list fetched less than cache_ttl ago is not
 * fetched again.  What could not be asked stays unknown to the rules.
 * Returns what the notice says of it (allocated, NULL for nothing).
 */
static char *
cmd_audit_refresh(struct cmd_ctx *ctx, const struct config *conf,
    const struct scan_result *sr, struct store *store)
{
	struct cmd_net			 net;
	struct poller_env		 env;
	struct poller			*p;
	const struct scan_ref		*r;
	char				*cause = NULL, *msg = NULL;
	size_t				 i, n;

	p = poller_create(conf);
	poller_set_reuse(p, (time_t)conf->cache_ttl);
	for (i = 0; i < sr->nrefs; i++) {
		r = &sr->refs[i];
		if (!r->resolved || (r->ref.tag == NULL && r->ref.digest != NULL))
			continue;	/* a bare digest names no tag */
		if (poller_add(p, &r->ref, NULL, &cause) != 0)
			goto out;
	}
	poller_targets(p, &n);
	if (n == 0)
		goto out;
	if (cmd_net_open(ctx, conf, &net) != 0) {
		cause = xstrdup("no network engine");
		goto out;
	}
	env.loop = &net.loop;
	env.http = net.http;
	env.auth = net.auth;
	env.store = store;
	if (poller_run(p, &env, &cause) == 0) {
		msg = cmd_audit_asked(p);
		if (poller_store_error(p) != NULL)
			cause = xstrdup(poller_store_error(p));
	}
	poller_free(p);
	p = NULL;
	cmd_net_close(ctx, &net);
out:
	poller_free(p);
	if (cause != NULL) {
		free(msg);
		xasprintf(&msg, "registries not asked: %s", cause);
		free(cause);
	}
	return (msg);
}

/* What the report says about the registry data it used (allocated). */
static char *
cmd_audit_notice(struct store *s, const char *path, int offline,
    const char *asked, const struct rules_registry_stats *st)
{
	struct store_poll	 poll;
	char			*age = NULL, *unk = NULL, *n, *cause = NULL;
	char			 tbuf[32];
	time_t			 t, now;
	int			 rc;

	if (s == NULL && asked != NULL)
		xasprintf(&age, "%s: the registry rules (stale-digest, "
		    "unknown-digest, missing-tag, stale-tag, outdated) were not "
		    "checked", asked);
	else if (s == NULL)
		xasprintf(&age, "no history database at %s: the registry rules "
		    "(stale-digest, unknown-digest, missing-tag, stale-tag, "
		    "outdated) "
		    "were not checked", path);
	else if (offline) {
		rc = store_poll_last(s, &poll, &cause);
		if (rc == 1) {
			t = poll.finished != 0 ? poll.finished : poll.started;
			now = time(NULL);
			xasprintf(&age, "registry data from the last poll "
			    "at %s (%lld days ago)", cmd_format_time(t, tbuf,
			    sizeof tbuf), t > 0 && t < now ?
			    (long long)((now - t) / (24 * 60 * 60)) : 0LL);
		} else if (rc == 0)
			age = xstrdup("registry data: no poll recorded in the "
			    "history database");
		else {
			xasprintf(&age, "registry data of unknown age (%s)",
			    cause);
			free(cause);
		}
	} else if (asked != NULL)
		age = xstrdup(asked);
	if (st->unknown > 0)
		xasprintf(&unk, "%zu reference%s not checked against a "
		    "registry (no data)", st->unknown,
		    st->unknown == 1 ? "" : "s");
	if (age != NULL && unk != NULL)
		xasprintf(&n, "%s; %s", age, unk);
	else
		n = xstrdup(age != NULL ? age : unk != NULL ? unk : "");
	free(age);
	free(unk);
	if (*n == '\0') {
		free(n);
		n = NULL;
	}
	return (n);
}

static int
cmd_audit_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct scan_result	 sr;
	struct findings		 fs;
	struct report		 rp;
	struct config		*conf;
	struct store		*store = NULL;
	struct rules_registry_stats rst;
	const char		*output = NULL;
	char			*arg, *dbpath = NULL, *notice = NULL;
	char			*asked = NULL;
	FILE			*out = NULL;
	time_t			 now = time(NULL);
	int			 c, fmt = REPORT_TEXT, fail_on = SEV_ERROR;
	int			 color = -1, offline = 0;

	scan_result_init(&sr);
	findings_init(&fs);
	for (;;) {
		c = cmd_getopt(ctx, &cmd_audit_entry, argc, argv, &arg);
		if (c == -1)
			break;
		switch (c) {
		case 'f':
			fmt = cmd_choice(ctx, "format", arg,
			    report_format_names);
			if (fmt == -1)
				goto out;
			break;
		case 'o':
			output = arg;
			break;
		case AUDIT_OPT_FAIL_ON:
			fail_on = cmd_choice(ctx, "fail-on", arg,
			    audit_fail_names);
			if (fail_on == -1)
				goto out;
			break;
		case AUDIT_OPT_OFFLINE:
			offline = 1;
			break;
		case AUDIT_OPT_AS_OF:
			if (cmd_parse_date(ctx, arg, &now) != 0)
				goto out;
			break;
		case AUDIT_OPT_NO_COLOR:
			color = 0;
			break;
		case AUDIT_OPT_MIRROR:
			if (cmd_add_mirror(ctx, arg) != 0)
				goto out;
			break;
		default:
			goto out;
		}
	}
	conf = cmd_config(ctx);
	if (conf == NULL)
		goto out;
	if (cmd_audit_scan(ctx, conf, argc - ctx->optind, argv + ctx->optind,
	    &sr) != 0) {
		ctx->exit_status = EXIT_USAGE;
		goto out;
	}
	if (cmd_audit_store(ctx, conf, offline, &store, &dbpath, &asked) != 0)
		goto out;
	if (!offline && asked == NULL)
		asked = cmd_audit_refresh(ctx, conf, &sr, store);
	rules_check(conf, &sr, now, &fs);
	rules_check_registry(conf, store, &sr, now, &fs, &rst, NULL);
	notice = cmd_audit_notice(store, dbpath, offline, asked, &rst);

	out = cmd_open_output(ctx, output);
	if (out == NULL)
		goto out;
	memset(&rp, 0, sizeof rp);
	rp.scan = &sr;
	rp.findings = &fs;
	rp.color = color == 0 ? 0 : (out == stdout && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL);
	rp.verbose = ctx->verbose;
	rp.notice = notice;
	if (report_write(out, fmt, &rp) != 0) {
		fprintf(stderr, "%s audit: writing the report failed\n",
		    ctx->progname);
		ctx->exit_status = EXIT_OPFAIL;
		goto out;
	}
	ctx->exit_status = (fail_on != 0 && fs.n > 0 &&
	    (int)findings_max(&fs) >= fail_on) ? EXIT_FINDINGS : EXIT_CLEAN;
out:
	if (out != NULL && out != stdout && fclose(out) != 0)
		ctx->exit_status = EXIT_OPFAIL;
	store_close(store);
	free(notice);
	free(asked);
	free(dbpath);
	findings_free(&fs);
	scan_result_free(&sr);
	return (ctx->exit_status);
}

const struct cmd_entry cmd_audit_entry = {
	"audit", "[PATH...]", "scan trees and report stale image references",
	"Scan each PATH (default: the current directory) for image references\n"
	"in Dockerfiles, compose files, Kubernetes manifests, GitHub Actions\n"
	"workflows and GitLab CI files, run the rules over them and report.\n"
	"The registry rules ask the registries about every tag named, through\n"
	"the history database as a cache (a tag seen within cache_ttl is not\n"
	"asked again); --offline judges from the database alone.\n"
	"Exit status: 0 nothing at or above --fail-on, 1 findings at or above\n"
	"it, 2 usage or configuration error, 3 operational failure.",
	cmd_audit_options, cmd_audit_exec
};
