/*
 * tagdrift tags IMAGE: the tags the history database knows for an image,
 * grouped by variant, with the newest version of each variant and the
 * end-of-life state of its release cycles.
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
#include "eol.h"
#include "ref.h"
#include "report.h"
#include "store.h"
#include "version.h"
#include "xmalloc.h"

enum {
	TAGS_OPT_AS_OF = 256
};

static const struct cmd_option cmd_tags_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text or json" },
	{ "as-of", TAGS_OPT_AS_OF, 1, "DATE",
	    "judge end of life as of DATE (YYYY-MM-DD)" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const cmd_tags_formats[] = { "text", "json", NULL };
static const char *const cmd_tags_states[] = { "unknown", "supported",
	"soon", "past" };

/* One known tag with its parsed version. */
struct tags_entry {
	const struct store_tag	*t;
	struct version		 v;
	const char		*variant;	/* in t->name */
};

/* One variant: entries [first, first + n), newest version first. */
struct tags_group {
	size_t	 first;
	size_t	 n;
	size_t	 newest;
};

/* Everything one run shows. */
struct tags_view {
	char			*image;		/* identity */
	time_t			 fetched_at;	/* 0: never */
	time_t			 now;
	int			 warn_days;
	const struct eol_image	*eol;		/* NULL: not in EOL table */
	struct store_tag	*tags;
	size_t			 ntags;
	struct tags_entry	*e;		/* existing tags, sorted */
	size_t			 ne;
	size_t			 nversioned;	/* e[0..nversioned) */
	struct tags_group	*g;
	size_t			 ng;
};

/* Versioned tags first, by variant, newest version first, then by name. */
static int
cmd_tags_cmp(const void *a0, const void *b0)
{
	const struct tags_entry	*a = a0, *b = b0;
	int			 c;

	if ((a->v.nparts == 0) != (b->v.nparts == 0))
		return (a->v.nparts == 0 ? 1 : -1);
	if (a->v.nparts != 0) {
		c = strcmp(a->variant, b->variant);
		if (c != 0)
			return (c);
		c = version_compare(&b->v, &a->v);
		if (c != 0)
			return (c);
	}
	return (strcmp(a->t->name, b->t->name));
}

/* Sort the tags that exist and split the versioned ones into variants. */
static void
cmd_tags_group(struct tags_view *tv)
{
	struct tags_group	*g;
	size_t			 i;

	tv->e = xreallocarray(NULL, tv->ntags + 1, sizeof *tv->e);
	for (i = 0; i < tv->ntags; i++) {
		if (tv->tags[i].gone_since != 0)
			continue;
		tv->e[tv->ne].t = &tv->tags[i];
		version_parse(tv->tags[i].name, &tv->e[tv->ne].v);
		tv->e[tv->ne].variant = version_variant(tv->tags[i].name,
		    &tv->e[tv->ne].v);
		if (tv->e[tv->ne].v.nparts != 0)
			tv->nversioned++;
		tv->ne++;
	}
	qsort(tv->e, tv->ne, sizeof *tv->e, cmd_tags_cmp);
	tv->g = xreallocarray(NULL, tv->nversioned + 1, sizeof *tv->g);
	for (i = 0; i < tv->nversioned; i++) {
		if (i == 0 || strcmp(tv->e[i].variant,
		    tv->e[i - 1].variant) != 0) {
			g = &tv->g[tv->ng++];
			g->first = g->newest = i;
			g->n = 0;
		}
		g = &tv->g[tv->ng - 1];
		g->n++;
		/* Newest: the first release, a pre-release only if no other. */
		if (tv->e[g->newest].v.prerelease && !tv->e[i].v.prerelease)
			g->newest = i;
	}
}

/* The release cycle of entry i, or NULL. */
static const struct eol_cycle *
cmd_tags_cycle(const struct tags_view *tv, size_t i)
{
	if (tv->eol == NULL || tv->e[i].v.nparts == 0)
		return (NULL);
	return (eol_tag_cycle(tv->eol, tv->e[i].t->name));
}

static json_t *
cmd_tags_cycle_json(const struct tags_view *tv, const struct eol_cycle *c)
{
	return (json_pack("{s:s,s:o,s:s,s:b}", "cycle", c->cycle,
	    "eol", c->eol != NULL ? json_string(c->eol) : json_null(),
	    "state", cmd_tags_states[eol_state(c, tv->now, tv->warn_days)],
	    "lts", c->lts));
}

/*
 * A variant's end of life: the newest version's cycle and every cycle its
 * tags belong to, newest first (sorting keeps a cycle's tags together).
 */
static json_t *
cmd_tags_eol_json(const struct tags_view *tv, const struct tags_group *g)
{
	const struct eol_cycle	*c, *last = NULL;
	json_t			*o, *cycles;
	size_t			 i;

	if (tv->eol == NULL)
		return (json_null());
	cycles = json_array();
	for (i = g->first; i < g->first + g->n; i++) {
		c = cmd_tags_cycle(tv, i);
		if (c == NULL || c == last)
			continue;
		json_array_append_new(cycles, cmd_tags_cycle_json(tv, c));
		last = c;
	}
	c = cmd_tags_cycle(tv, g->newest);
	o = json_pack("{s:s,s:o,s:o,s:s,s:o}", "product", tv->eol->product,
	    "cycle", c != NULL ? json_string(c->cycle) : json_null(),
	    "eol", c != NULL && c->eol != NULL ? json_string(c->eol) :
	    json_null(),
	    "state", c != NULL ? cmd_tags_states[eol_state(c, tv->now,
	    tv->warn_days)] : "unknown",
	    "cycles", cycles);
	return (o);
}

/* Push times the registry gave (Docker Hub's tag API), by tag. */
static json_t *
cmd_tags_pushed_json(const struct tags_view *tv)
{
	json_t	*o = json_object();
	char	 when[32];
	size_t	 i;

	for (i = 0; i < tv->ne; i++) {
		if (tv->e[i].t->pushed == 0)
			continue;
		json_object_set_new(o, tv->e[i].t->name,
		    json_string(cmd_format_time(tv->e[i].t->pushed, when,
		    sizeof when)));
	}
	return (o);
}

static void
cmd_tags_json(const struct tags_view *tv)
{
	const struct tags_group	*g;
	json_t			*o, *vars, *names, *other, *gone;
	char			 when[32];
	size_t			 i, j;

	vars = json_array();
	for (i = 0; i < tv->ng; i++) {
		g = &tv->g[i];
		names = json_array();
		for (j = g->first; j < g->first + g->n; j++)
			json_array_append_new(names,
			    report_json_str(tv->e[j].t->name));
		json_array_append_new(vars, json_pack("{s:o,s:o,s:o,s:o}",
		    "variant", report_json_str(tv->e[g->first].variant),
		    "newest", report_json_str(tv->e[g->newest].t->name),
		    "tags", names, "eol", cmd_tags_eol_json(tv, g)));
	}
	other = json_array();
	for (i = tv->nversioned; i < tv->ne; i++)
		json_array_append_new(other, report_json_str(tv->e[i].t->name));
	gone = json_array();
	for (i = 0; i < tv->ntags; i++) {
		if (tv->tags[i].gone_since == 0)
			continue;
		json_array_append_new(gone, json_pack("{s:o,s:s}", "tag",
		    report_json_str(tv->tags[i].name), "gone_since",
		    cmd_format_time(tv->tags[i].gone_since, when, sizeof when)));
	}
	o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "image", tv->image,
	    "fetched_at", tv->fetched_at != 0 ? json_string(cmd_format_time(
	    tv->fetched_at, when, sizeof when)) : json_null(),
	    "variants", vars, "unversioned", other, "gone", gone,
	    "pushed", cmd_tags_pushed_json(tv));
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(o);
}

/* Print a word (cleaned for the terminal), wrapping lines at 78 columns. */
static void
cmd_tags_word(const char *word, size_t *col)
{
	char	*w;
	size_t	 len;

	w = report_clean(word, 1);
	len = strlen(w);
	if (*col > 3 && *col + 1 + len > 78) {
		printf("\n  ");
		*col = 2;
	}
	printf(" %s", w);
	*col += 1 + len;
	free(w);
}

/* "   pushed: TAG TIME, ..." for entries [from, to) with a push time. */
static void
cmd_tags_pushed_text(const struct tags_view *tv, size_t from, size_t to)
{
	char	 when[32], word[200];
	size_t	 i, n = 0, k = 0, col = 10;

	for (i = from; i < to; i++)
		n += tv->e[i].t->pushed != 0;
	if (n == 0)
		return;
	printf("   pushed:");
	for (i = from; i < to; i++) {
		if (tv->e[i].t->pushed == 0)
			continue;
		snprintf(word, sizeof word, "%s %s%s", tv->e[i].t->name,
		    cmd_format_time(tv->e[i].t->pushed, when, sizeof when),
		    ++k < n ? "," : "");
		cmd_tags_word(word, &col);
	}
	printf("\n");
}

/* A cycle's state in words: "20 past end of life (2026-04-30)". */
static void
cmd_tags_cycle_text(const struct tags_view *tv, const struct eol_cycle *c,
    char *buf, size_t len)
{
	static const char *const words[] = { "end of life unknown",
	    "supported", "end of life soon", "past end of life" };

	snprintf(buf, len, "%s%s %s%s%s%s", c->cycle, c->lts ? " LTS" : "",
	    words[eol_state(c, tv->now, tv->warn_days)],
	    c->eol != NULL ? " (" : "", c->eol != NULL ? c->eol : "",
	    c->eol != NULL ? ")" : "");
}

/* One variant: its newest tag, its tags, the end of life of its cycles. */
static void
cmd_tags_group_text(const struct tags_view *tv, const struct tags_group *g)
{
	const struct eol_cycle	*c, *last = NULL;
	char			*v, *n, buf[128], word[130];
	size_t			 i, ncycles = 0, col = 2;

	v = report_clean(tv->e[g->first].variant, 1);
	n = report_clean(tv->e[g->newest].t->name, 1);
	printf("%s: newest %s, %zu tag%s\n  ", *v != '\0' ? v :
	    "(no variant)", n, g->n, g->n == 1 ? "" : "s");
	free(n);
	free(v);
	for (i = g->first; i < g->first + g->n; i++)
		cmd_tags_word(tv->e[i].t->name, &col);
	printf("\n");
	cmd_tags_pushed_text(tv, g->first, g->first + g->n);
	for (i = g->first; i < g->first + g->n; i++) {
		c = cmd_tags_cycle(tv, i);
		if (c == NULL || c == last)
			continue;
		if (ncycles++ == 0) {
			printf("   cycles:");
			col = 10;
		} else {
			snprintf(word, sizeof word, "%s,", buf);
			cmd_tags_word(word, &col);
		}
		cmd_tags_cycle_text(tv, c, buf, sizeof buf);
		last = c;
	}
	if (ncycles > 0) {
		cmd_tags_word(buf, &col);
		printf("\n");
	}
}

static void
cmd_tags_text(const struct tags_view *tv)
{
	char	 when[32], *name;
	size_t	 i, col;

	printf("%s: %zu tag%s", tv->image, tv->ne, tv->ne == 1 ? "" : "s");
	if (tv->fetched_at != 0)
		printf(", tag list fetched %s", cmd_format_time(tv->fetched_at,
		    when, sizeof when));
	printf("\n");
	if (tv->eol != NULL)
		printf("release cycles: %s\n",
		    eol_product_name(tv->eol->product));
	for (i = 0; i < tv->ng; i++)
		cmd_tags_group_text(tv, &tv->g[i]);
	if (tv->ne > tv->nversioned) {
		printf("without a version:\n  ");
		col = 2;
		for (i = tv->nversioned; i < tv->ne; i++)
			cmd_tags_word(tv->e[i].t->name, &col);
		printf("\n");
		cmd_tags_pushed_text(tv, tv->nversioned, tv->ne);
	}
	for (i = 0, col = 0; i < tv->ntags; i++) {
		if (tv->tags[i].gone_since == 0)
			continue;
		if (col++ == 0)
			printf("gone:\n");
		name = report_clean(tv->tags[i].name, 1);
		printf("   %s since %s\n", name, cmd_format_time(
		    tv->tags[i].gone_since, when, sizeof when));
		free(name);
	}
}

/* Parse IMAGE into its identity; NULL after a usage message. */
static char *
cmd_tags_image(struct cmd_ctx *ctx, const char *arg)
{
	struct ref	 r;
	char		*cause = NULL, *id = NULL;

	if (ref_parse(arg, &r, &cause) == -1) {
		fprintf(stderr, "%s tags: %s: %s\n", ctx->progname, arg,
		    cause);
		free(cause);
		return (NULL);
	}
	if (r.tag != NULL || r.digest != NULL)
		fprintf(stderr, "%s tags: %s: give an image without a tag or "
		    "digest\n", ctx->progname, arg);
	else
		id = ref_identity(&r);
	ref_deinit(&r);
	return (id);
}

/* Read the image's tags and fetch time into tv; 1 found, 0 none, -1. */
static int
cmd_tags_load(struct store *s, struct tags_view *tv, char **cause)
{
	if (store_tags(s, tv->image, &tv->tags, &tv->ntags, cause) == -1)
		return (-1);
	if (tv->ntags == 0)
		return (0);
	if (store_tags_fetched_at(s, tv->image, &tv->fetched_at, cause) == -1)
		return (-1);
	tv->eol = eol_image_lookup(tv->image);
	cmd_tags_group(tv);
	return (1);
}

static int
cmd_tags_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct tags_view	 tv;
	struct config		*conf;
	struct store		*s = NULL;
	char			*arg, *cause = NULL;
	int			 c, fmt = 0, rc;

	memset(&tv, 0, sizeof tv);
	tv.now = time(NULL);
	for (;;) {
		c = cmd_getopt(ctx, &cmd_tags_entry, argc, argv, &arg);
		if (c == -1)
			break;
		if (c == 'f')
			fmt = cmd_choice(ctx, "format", arg, cmd_tags_formats);
		else if (c != TAGS_OPT_AS_OF ||
		    cmd_parse_date(ctx, arg, &tv.now) == -1)
			return (ctx->exit_status);
		if (fmt == -1)
			return (ctx->exit_status);
	}
	if (argc - ctx->optind != 1) {
		fprintf(stderr, "%s tags: %s\nRun '%s tags --help' for "
		    "usage.\n", ctx->progname, ctx->optind >= argc ?
		    "no image given" : "only one image at a time",
		    ctx->progname);
		return (EXIT_USAGE);
	}
	ctx->exit_status = EXIT_USAGE;
	tv.image = cmd_tags_image(ctx, argv[ctx->optind]);
	if (tv.image == NULL)
		goto out;
	conf = cmd_config(ctx);
	if (conf == NULL)
		goto out;
	tv.warn_days = conf->eol_warn_days;
	s = cmd_open_store(ctx);
	if (s == NULL)
		goto out;
	ctx->exit_status = EXIT_OPFAIL;
	rc = cmd_tags_load(s, &tv, &cause);
	if (rc == -1)
		goto out;
	if (rc == 0) {
		fprintf(stderr, "%s: no tags known for %s (run %s poll "
		    "first)\n", ctx->progname, tv.image, ctx->progname);
		ctx->exit_status = EXIT_FINDINGS;
		goto out;
	}
	if (fmt == 1)
		cmd_tags_json(&tv);
	else
		cmd_tags_text(&tv);
	ctx->exit_status = EXIT_CLEAN;
out:
	if (cause != NULL) {
		fprintf(stderr, "%s: %s\n", ctx->progname, cause);
		free(cause);
	}
	store_close(s);
	store_tags_free(tv.tags, tv.ntags);
	free(tv.e);
	free(tv.g);
	free(tv.image);
	return (ctx->exit_status);
}

const struct cmd_entry cmd_tags_entry = {
	"tags", "IMAGE", "list an image's known tags by variant, with EOL",
	"List the tags the history database knows for IMAGE (from the last\n"
	"tag list 'tagdrift poll' fetched, and tags it resolved), grouped by\n"
	"variant (alpine, slim, bookworm, ...), newest version first, with\n"
	"the newest version of each variant and, where the bundled\n"
	"end-of-life table knows the image, the state of each release\n"
	"cycle.  Tags without a version (latest, lts-alpine) are listed\n"
	"apart; tags that disappeared from the registry are listed as gone.\n"
	"Push times are shown where the registry gave them (Docker Hub's\n"
	"tag API; JSON: the \"pushed\" object, tag to RFC 3339 time).\n"
	"Reads the database only (read-only), never the network.\n"
	"Exit status: 0 shown, 1 no tags known for IMAGE, 2 usage or\n"
	"configuration error, 3 database missing or unusable.",
	cmd_tags_options, cmd_tags_exec
};
