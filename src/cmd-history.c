/*
 * tagdrift history IMAGE[:TAG]: the periods during which a tag pointed at
 * one digest, newest first, read from the history database.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "config.h"
#include "ref.h"
#include "report.h"
#include "store.h"
#include "xmalloc.h"

static const struct cmd_option cmd_history_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text or json" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const cmd_history_formats[] = { "text", "json", NULL };

/* What one run shows: the image, the tag, its periods oldest first. */
struct history {
	char			*image;		/* identity */
	const char		*tag;
	struct store_period	*p;
	size_t			 n;
};

/* The manifests of the index digest as a JSON array ([] when none). */
static int
cmd_history_platforms_json(struct store *s, const char *digest, json_t **out,
    char **cause)
{
	struct store_platform	*pl;
	json_t			*arr;
	size_t			 i, n;

	if (store_index_platforms(s, digest, &pl, &n, cause) == -1)
		return (-1);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:o}",
		    "os", report_json_str(pl[i].os),
		    "architecture", report_json_str(pl[i].architecture),
		    "variant", *pl[i].variant == '\0' ? json_null() :
		    report_json_str(pl[i].variant),
		    "digest", report_json_str(pl[i].digest)));
	store_platforms_free(pl, n);
	*out = arr;
	return (0);
}

static int
cmd_history_json(struct store *s, const struct history *h, char **cause)
{
	json_t	*o, *arr, *plats;
	char	 first[32], last[32];
	size_t	 i;
	int	 rc = -1;

	arr = json_array();
	o = json_pack("{s:s,s:o,s:o}", "image", h->image, "tag",
	    report_json_str(h->tag), "periods", arr);
	for (i = h->n; i > 0; i--) {
		const struct store_period	*p = &h->p[i - 1];

		if (cmd_history_platforms_json(s, p->digest, &plats,
		    cause) == -1)
			goto out;
		json_array_append_new(arr, json_pack(
		    "{s:o,s:o,s:s,s:s,s:b,s:o}",
		    "digest", report_json_str(p->digest),
		    "media_type", report_json_str(p->media_type),
		    "first_seen", cmd_format_time(p->first_seen, first,
		    sizeof first),
		    "last_seen", cmd_format_time(p->last_seen, last,
		    sizeof last),
		    "current", p->closed == 0,
		    "platforms", plats));
	}
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	rc = 0;
out:
	json_decref(o);
	return (rc);
}

/* One period's platform lines, indented under it. */
static int
cmd_history_platforms_text(struct store *s, const char *digest,
    char **cause)
{
	struct store_platform	*pl;
	char			*plat, *d;
	size_t			 i, n;

	if (store_index_platforms(s, digest, &pl, &n, cause) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		xasprintf(&plat, "%s/%s%s%s", pl[i].os, pl[i].architecture,
		    *pl[i].variant != '\0' ? "/" : "", pl[i].variant);
		d = report_clean(plat, 1);
		printf("      %-20s ", d);
		free(d);
		d = report_clean(pl[i].digest, 1);
		printf("%s\n", d);
		free(d);
		free(plat);
	}
	store_platforms_free(pl, n);
	return (0);
}

static int
cmd_history_text(struct store *s, const struct history *h, char **cause)
{
	char	 first[32], last[32], *d;
	size_t	 i;

	d = report_clean(h->tag, 1);
	printf("%s:%s (%zu period%s)\n", h->image, d, h->n,
	    h->n == 1 ? "" : "s");
	free(d);
	printf("  %-20s  %-20s  %-7s  %s\n", "FIRST SEEN", "LAST SEEN",
	    "STATE", "DIGEST");
	for (i = h->n; i > 0; i--) {
		const struct store_period	*p = &h->p[i - 1];

		d = report_clean(p->digest, 1);
		printf("  %-20s  %-20s  %-7s  %s\n",
		    cmd_format_time(p->first_seen, first, sizeof first),
		    cmd_format_time(p->last_seen, last, sizeof last),
		    p->closed == 0 ? "current" : "past", d);
		free(d);
		if (cmd_history_platforms_text(s, p->digest, cause) == -1)
			return (-1);
	}
	return (0);
}

/* Parse IMAGE[:TAG] into h; 0, or -1 after a usage message. */
static int
cmd_history_ref(struct cmd_ctx *ctx, const char *arg, struct ref *r,
    struct history *h)
{
	char	*cause = NULL;

	if (ref_parse(arg, r, &cause) == -1) {
		fprintf(stderr, "%s history: %s: %s\n", ctx->progname, arg,
		    cause);
		free(cause);
		return (-1);
	}
	if (r->digest != NULL) {
		fprintf(stderr, "%s history: %s: give a tag, not a digest\n",
		    ctx->progname, arg);
		return (-1);
	}
	h->image = ref_identity(r);
	h->tag = r->tag != NULL ? r->tag : "latest";
	return (0);
}

static int
cmd_history_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct history	 h;
	struct store	*s = NULL;
	struct ref	 r;
	char		*arg, *cause = NULL;
	int		 c, fmt = 0, rc;

	memset(&h, 0, sizeof h);
	memset(&r, 0, sizeof r);
	for (;;) {
		c = cmd_getopt(ctx, &cmd_history_entry, argc, argv, &arg);
		if (c == -1)
			break;
		if (c != 'f')
			return (ctx->exit_status);
		fmt = cmd_choice(ctx, "format", arg, cmd_history_formats);
		if (fmt == -1)
			return (ctx->exit_status);
	}
	if (argc - ctx->optind != 1) {
		fprintf(stderr, "%s history: %s\nRun '%s history --help' for "
		    "usage.\n", ctx->progname, ctx->optind >= argc ?
		    "no image given" : "only one image at a time",
		    ctx->progname);
		return (EXIT_USAGE);
	}
	ctx->exit_status = EXIT_USAGE;
	if (cmd_history_ref(ctx, argv[ctx->optind], &r, &h) == -1)
		goto out;
	s = cmd_open_store(ctx);
	if (s == NULL)
		goto out;
	ctx->exit_status = EXIT_OPFAIL;
	if (store_tag_periods(s, h.image, h.tag, &h.p, &h.n, &cause) == -1)
		goto out;
	if (h.n == 0) {
		arg = report_clean(h.tag, 1);
		fprintf(stderr, "%s: no history for %s:%s (run %s poll "
		    "first)\n", ctx->progname, h.image, arg, ctx->progname);
		free(arg);
		ctx->exit_status = EXIT_FINDINGS;
		goto out;
	}
	if (fmt == 1)
		rc = cmd_history_json(s, &h, &cause);
	else
		rc = cmd_history_text(s, &h, &cause);
	if (rc == 0)
		ctx->exit_status = EXIT_CLEAN;
out:
	if (cause != NULL) {
		fprintf(stderr, "%s: %s\n", ctx->progname, cause);
		free(cause);
	}
	store_periods_free(h.p, h.n);
	store_close(s);
	free(h.image);
	ref_deinit(&r);
	return (ctx->exit_status);
}

const struct cmd_entry cmd_history_entry = {
	"history", "IMAGE[:TAG]", "show what a tag pointed at, and when",
	"Print, newest first, the periods during which IMAGE's TAG (default\n"
	"latest) pointed at one digest: the digest, when it was first and\n"
	"last seen (RFC 3339, UTC), whether it is current, and for an image\n"
	"index the manifest of each platform.  Reads the history database\n"
	"only (read-only; 'tagdrift poll' fills it) and never the network.\n"
	"Exit status: 0 shown, 1 no history for the tag, 2 usage or\n"
	"configuration error, 3 database missing or unusable.",
	cmd_history_options, cmd_history_exec
};
