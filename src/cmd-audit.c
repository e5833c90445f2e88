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
	AUDIT_OPT_NO_COLOR
};

static const struct cmd_option cmd_audit_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text, json or sarif" },
	{ "output", 'o', 1, "FILE", "write the report to FILE" },
	{ "fail-on", AUDIT_OPT_FAIL_ON, 1, "LEVEL",
	    "exit 1 on findings at or above LEVEL: error (default), "
	    "warning, info, never" },
	{ "offline", AUDIT_OPT_OFFLINE, 0, NULL,
	    "ask no registry; use only the history database" },
	{ "as-of", AUDIT_OPT_AS_OF, 1, "DATE",
	    "judge dates as of DATE (YYYY-MM-DD) instead of today" },
	{ "no-color", AUDIT_OPT_NO_COLOR, 0, NULL, "never colour the text" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const audit_fail_names[] = { "never", "info", "warning",
	"error", NULL };

/* path under root, as the user would type it from here: "svc/Dockerfile". */
static char *
cmd_audit_join(const char *root, int isdir, const char *path)
{
	size_t	 n = strlen(root);
	char	*s;

	if (!isdir)
		return (xstrdup(root));
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '.')
		return (xstrdup(path));
	xasprintf(&s, "%.*s/%s", (int)n, root, path);
	return (s);
}

/*
 * With several roots, a path relative to its own root is ambiguous (two
 * roots may each hold a Dockerfile), so the entries found under root are
 * named from the current directory instead.
 */
static void
cmd_audit_prefix(struct scan_result *sr, size_t r0, size_t s0,
    const char *root)
{
	struct stat	 sb;
	size_t		 i;
	char		*p;
	int		 isdir;

	isdir = stat(root, &sb) == 0 && S_ISDIR(sb.st_mode);
	for (i = r0; i < sr->nrefs; i++) {
		p = cmd_audit_join(root, isdir, sr->refs[i].file);
		free(sr->refs[i].file);
		sr->refs[i].file = p;
	}
	for (i = s0; i < sr->nskips; i++) {
		p = cmd_audit_join(root, isdir, sr->skips[i].path);
		free(sr->skips[i].path);
		sr->skips[i].path = p;
	}
}

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
			cmd_audit_prefix(sr, r0, s0, roots[i]);
	}
	return (0);
}

/*
 * Open the history database read-only when it exists (*sp NULL when it
 * does not, *path then names where it was looked for); -1 when it exists
 * but cannot be used.
 */
static int
cmd_audit_store(struct cmd_ctx *ctx, const struct config *conf,
    struct store **sp, char **path)
{
	struct stat	 sb;

	*sp = NULL;
	*path = ctx->db_path != NULL ? xstrdup(ctx->db_path) :
	    config_db_path(conf);
	if (stat(*path, &sb) == -1 && errno == ENOENT)
		return (0);
	*sp = cmd_open_store(ctx);
	return (*sp == NULL ? -1 : 0);
}

/* What the report says about the registry data it used (allocated). */
static char *
cmd_audit_notice(struct store *s, const char *path, int offline,
    const struct rules_registry_stats *st)
{
	struct store_poll	 poll;
	char			*age = NULL, *unk = NULL, *n, *cause = NULL;
	char			 tbuf[32];
	time_t			 t, now;
	int			 rc;

	if (s == NULL)
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
	}
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
	if (cmd_audit_store(ctx, conf, &store, &dbpath) != 0)
		goto out;
	rules_check(conf, &sr, now, &fs);
	rules_check_registry(conf, store, &sr, now, &fs, &rst);
	notice = cmd_audit_notice(store, dbpath, offline, &rst);

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
	"Exit status: 0 nothing at or above --fail-on, 1 findings at or above\n"
	"it, 2 usage or configuration error, 3 operational failure.",
	cmd_audit_options, cmd_audit_exec
};
