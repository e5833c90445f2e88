/*
 * tagdrift: watch container base images, remember every tag move, and flag
 * stale image references in repositories.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"

enum {
	MAIN_OPT_DB = 1000,
	MAIN_OPT_HELP,
	MAIN_OPT_VERSION
};

static const struct option main_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, MAIN_OPT_DB },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, MAIN_OPT_HELP },
	{ "version", no_argument, NULL, MAIN_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	struct cmd_ctx		 ctx;
	const struct cmd_entry	*e;
	int			 c, status;

	memset(&ctx, 0, sizeof ctx);
	ctx.progname = "tagdrift";
	log_init(ctx.progname, LOG_LEVEL_WARN, 0);

	/* Options before the command name; '+' stops at the first operand. */
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "+:c:qv", main_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case MAIN_OPT_DB:
			ctx.db_path = optarg;
			break;
		case 'q':
			ctx.quiet = 1;
			log_set_level(LOG_LEVEL_ERROR);
			break;
		case 'v':
			ctx.verbose++;
			log_set_level(ctx.verbose > 1 ? LOG_LEVEL_DEBUG :
			    LOG_LEVEL_INFO);
			break;
		case MAIN_OPT_HELP:
			cmd_usage(stdout, ctx.progname);
			return (EXIT_CLEAN);
		case MAIN_OPT_VERSION:
			printf("tagdrift %s\n", PACKAGE_VERSION);
			return (EXIT_CLEAN);
		case ':':
			fprintf(stderr, "tagdrift: option '%s' needs an "
			    "argument\n", argv[optind - 1]);
			return (EXIT_USAGE);
		default:
			fprintf(stderr, "tagdrift: unknown option '%s'\n",
			    argv[optind - 1]);
			cmd_usage(stderr, ctx.progname);
			return (EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		cmd_usage(stderr, ctx.progname);
		return (EXIT_USAGE);
	}
	e = cmd_find(argv[optind]);
	if (e == NULL) {
		fprintf(stderr, "tagdrift: unknown command '%s'\n",
		    argv[optind]);
		cmd_usage(stderr, ctx.progname);
		return (EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	ctx.optind = 0;
	status = e->exec(&ctx, argc, argv);
	config_free(ctx.config);
	return (status);
}
