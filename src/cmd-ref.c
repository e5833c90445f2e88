/* tagdrift ref REF...: parse and normalize image references. */
#include "autoconf.h"

#include <stdlib.h>

#include <jansson.h>

#include "cmd.h"
#include "ref.h"
#include "report.h"

static const struct cmd_option cmd_ref_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text or json" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const cmd_ref_formats[] = { "text", "json", NULL };

static json_t *
cmd_ref_json(const char *input, const struct ref *r, const char *cause)
{
	json_t	*o;
	char	*canon;

	o = json_object();
	json_object_set_new(o, "input", report_json_str(input));
	json_object_set_new(o, "valid", json_boolean(cause == NULL));
	if (cause != NULL) {
		json_object_set_new(o, "error", json_string(cause));
		return (o);
	}
	canon = ref_canonical(r);
	json_object_set_new(o, "registry", json_string(r->registry));
	json_object_set_new(o, "repository", json_string(r->repository));
	json_object_set_new(o, "tag", report_json_str(r->tag));
	json_object_set_new(o, "digest", report_json_str(r->digest));
	json_object_set_new(o, "canonical", json_string(canon));
	free(canon);
	return (o);
}

static void
cmd_ref_text(const char *input, const struct ref *r, const char *cause)
{
	char	*canon, *clean;

	clean = report_clean(input, 1);
	if (cause != NULL) {
		printf("%s: invalid: %s\n", clean, cause);
		free(clean);
		return;
	}
	canon = ref_canonical(r);
	printf("%s\n  canonical   %s\n  registry    %s\n  repository  %s\n"
	    "  tag         %s\n  digest      %s\n", clean, canon, r->registry,
	    r->repository, r->tag != NULL ? r->tag : "-",
	    r->digest != NULL ? r->digest : "-");
	free(canon);
	free(clean);
}

static int
cmd_ref_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct ref	 r;
	json_t		*arr = NULL;
	char		*arg, *cause;
	int		 c, i, fmt = 0, bad = 0;

	for (;;) {
		c = cmd_getopt(ctx, &cmd_ref_entry, argc, argv, &arg);
		if (c == -1)
			break;
		if (c != 'f')
			return (ctx->exit_status);
		fmt = cmd_choice(ctx, "format", arg, cmd_ref_formats);
		if (fmt == -1)
			return (ctx->exit_status);
	}
	if (ctx->optind >= argc) {
		fprintf(stderr, "%s ref: no reference given\n", ctx->progname);
		return (EXIT_USAGE);
	}
	if (fmt == 1)
		arr = json_array();
	for (i = ctx->optind; i < argc; i++) {
		if (ref_parse(argv[i], &r, &cause) != 0)
			bad = 1;
		if (arr != NULL)
			json_array_append_new(arr, cmd_ref_json(argv[i], &r,
			    cause));
		else
			cmd_ref_text(argv[i], &r, cause);
		free(cause);
		ref_deinit(&r);
	}
	if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(arr);
	}
	return (bad ? EXIT_FINDINGS : EXIT_CLEAN);
}

const struct cmd_entry cmd_ref_entry = {
	"ref", "REF...", "parse and normalize image references",
	"Parse each REF with Docker's reference grammar and print its\n"
	"normalized parts: registry, repository, tag, digest and the fully\n"
	"qualified form.  Exit status 0 when every REF is valid, else 1.",
	cmd_ref_options, cmd_ref_exec
};
