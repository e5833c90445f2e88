#include "autoconf.h"

#include "cmd.h"

static const struct cmd_option cmd_catalog_options[] = {
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_catalog_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	return (EXIT_CLEAN);
}

const struct cmd_entry cmd_catalog_entry = {
	"catalog", "", "placeholder", "placeholder",
	cmd_catalog_options, cmd_catalog_exec
};
