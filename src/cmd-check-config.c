#include "autoconf.h"

#include "cmd.h"

static const struct cmd_option cmd_check_config_options[] = {
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_check_config_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	return (EXIT_CLEAN);
}

const struct cmd_entry cmd_check_config_entry = {
	"check-config", "", "validate the configuration", "placeholder",
	cmd_check_config_options, cmd_check_config_exec
};
