/*
 * tagdrift check-config: load the configuration and its catalog, report
 * every error as file:line: message, and optionally print the result.
 */
#include "autoconf.h"

#include <stdio.h>

#include "cmd.h"
#include "config.h"

enum {
	CHECK_CONFIG_DUMP = 256
};

static const struct cmd_option cmd_check_config_options[] = {
	{ "dump", CHECK_CONFIG_DUMP, 0, NULL,
	  "print the effective configuration, catalog included" },
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_check_config_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct config	*c;
	char		*arg;
	int		 ch, dump = 0;

	for (;;) {
		ch = cmd_getopt(ctx, &cmd_check_config_entry, argc, argv, &arg);
		if (ch == -1)
			break;
		if (ch == CMD_GETOPT_EXIT)
			return (ctx->exit_status);
		if (ch == CHECK_CONFIG_DUMP)
			dump = 1;
	}
	if (ctx->optind < argc) {
		fprintf(stderr, "%s check-config: unexpected argument '%s' "
		    "(use -c FILE)\n", ctx->progname, argv[ctx->optind]);
		return (EXIT_USAGE);
	}
	c = cmd_config(ctx);
	if (c == NULL)
		return (ctx->exit_status);
	if (dump)
		config_dump(c, stdout);
	else if (!ctx->quiet && c->path != NULL)
		printf("%s: OK (%zu catalog image%s)\n", c->path, c->ncatalog,
		    c->ncatalog == 1 ? "" : "s");
	else if (!ctx->quiet)
		printf("defaults: OK\n");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s check-config: cannot write the output\n",
		    ctx->progname);
		return (EXIT_OPFAIL);
	}
	return (EXIT_CLEAN);
}

const struct cmd_entry cmd_check_config_entry = {
	"check-config", "",
	"validate the configuration with file:line errors",
	"Read the configuration file and its catalog, and report every error "
	"as\nFILE:LINE: MESSAGE.  The file is the one named with -c, else\n"
	CONFIG_DEFAULT_PATH " when it exists, else none (the built-in\n"
	"defaults).  Exit 0 when the configuration is valid, 2 when it is "
	"not.\n--dump prints the effective configuration in the file's own "
	"syntax\n(secrets show as <set>).",
	cmd_check_config_options, cmd_check_config_exec
};
