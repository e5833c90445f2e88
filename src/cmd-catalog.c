/*
 * tagdrift catalog [--check]: show the recommended catalog, or audit the
 * catalog itself with the same rules as audit.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "config.h"
#include "report.h"
#include "rules.h"

enum {
	CATALOG_OPT_CHECK = 256,
	CATALOG_OPT_FAIL_ON,
	CATALOG_OPT_AS_OF
};

static const struct cmd_option cmd_catalog_options[] = {
	{ "check", CATALOG_OPT_CHECK, 0, NULL,
	    "audit the catalog itself (end of life, latest, variants)" },
	{ "format", 'f', 1, "FMT", "output format: text, json or sarif" },
	{ "fail-on", CATALOG_OPT_FAIL_ON, 1, "LEVEL",
	    "with --check, exit 1 on findings at or above LEVEL" },
	{ "as-of", CATALOG_OPT_AS_OF, 1, "DATE",
	    "judge dates as of DATE (YYYY-MM-DD)" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const catalog_fail_names[] = { "never", "info", "warning",
	"error", NULL };

static void
cmd_catalog_text(const struct config *conf)
{
	size_t	 i, j;
	int	 stage;

	for (i = 0; i < conf->ncatalog; i++) {
		const struct catalog_entry	*e = &conf->catalog[i];

		printf("%s\n", e->image);
		for (stage = CATALOG_PRODUCTION; stage <= CATALOG_BUILD;
		    stage++) {
			int	 first = 1;

			for (j = 0; j < e->ntags; j++) {
				if ((int)e->tags[j].stage != stage)
					continue;
				printf("%s%s", first ? (stage ==
				    CATALOG_PRODUCTION ? "  production: " :
				    "  build:      ") : " ", e->tags[j].tag);
				first = 0;
			}
			if (!first)
				printf("\n");
		}
		if (e->note != NULL)
			printf("  note:       %s\n", e->note);
	}
}

static void
cmd_catalog_json(const struct config *conf)
{
	json_t	*arr, *o, *prod, *build;
	size_t	 i, j;

	arr = json_array();
	for (i = 0; i < conf->ncatalog; i++) {
		const struct catalog_entry	*e = &conf->catalog[i];

		prod = json_array();
		build = json_array();
		for (j = 0; j < e->ntags; j++)
			json_array_append_new(e->tags[j].stage ==
			    CATALOG_BUILD ? build : prod,
			    json_string(e->tags[j].tag));
		o = json_pack("{s:s,s:b,s:o,s:o,s:o,s:s,s:i}", "image",
		    e->image, "registry_image", !e->not_registry, "production",
		    prod, "build", build, "note", report_json_str(e->note),
		    "file", e->file != NULL ? e->file : "", "line", e->line);
		json_array_append_new(arr, o);
	}
	json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(arr);
}

static int
cmd_catalog_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct config	*conf;
	struct findings	 fs;
	struct report	 rp;
	char		*arg;
	time_t		 now = time(NULL);
	int		 c, check = 0, fmt = REPORT_TEXT, fail_on = SEV_ERROR;

	for (;;) {
		c = cmd_getopt(ctx, &cmd_catalog_entry, argc, argv, &arg);
		if (c == -1)
			break;
		switch (c) {
		case CATALOG_OPT_CHECK:
			check = 1;
			break;
		case 'f':
			fmt = cmd_choice(ctx, "format", arg,
			    report_format_names);
			if (fmt == -1)
				return (ctx->exit_status);
			break;
		case CATALOG_OPT_FAIL_ON:
			fail_on = cmd_choice(ctx, "fail-on", arg,
			    catalog_fail_names);
			if (fail_on == -1)
				return (ctx->exit_status);
			break;
		case CATALOG_OPT_AS_OF:
			if (cmd_parse_date(ctx, arg, &now) != 0)
				return (ctx->exit_status);
			break;
		default:
			return (ctx->exit_status);
		}
	}
	if (ctx->optind < argc) {
		fprintf(stderr, "%s catalog: unexpected argument '%s'\n",
		    ctx->progname, argv[ctx->optind]);
		return (EXIT_USAGE);
	}
	conf = cmd_config(ctx);
	if (conf == NULL)
		return (ctx->exit_status);
	if (!check) {
		if (fmt == REPORT_JSON)
			cmd_catalog_json(conf);
		else
			cmd_catalog_text(conf);
		return (EXIT_CLEAN);
	}
	findings_init(&fs);
	rules_check_catalog(conf, now, &fs);
	memset(&rp, 0, sizeof rp);
	rp.findings = &fs;
	rp.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	ctx->exit_status = report_write(stdout, fmt, &rp) != 0 ? EXIT_OPFAIL :
	    (fail_on != 0 && fs.n > 0 && (int)findings_max(&fs) >= fail_on) ?
	    EXIT_FINDINGS : EXIT_CLEAN;
	findings_free(&fs);
	return (ctx->exit_status);
}

const struct cmd_entry cmd_catalog_entry = {
	"catalog", "", "show the recommended catalog, or --check it",
	"Print the catalog of recommended base images (the built-in one, or\n"
	"the one the configuration names).  With --check, run the audit rules\n"
	"over the catalog itself: end-of-life tracks, 'latest', full variants\n"
	"and build images listed for production are reported like an audit.",
	cmd_catalog_options, cmd_catalog_exec
};
