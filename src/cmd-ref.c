#include "autoconf.h"

#include "cmd.h"

static const struct cmd_option cmd_ref_options[] = {
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_ref_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	return (EXIT_CLEAN);
}

const struct cmd_entry cmd_ref_entry = {
	"ref", "", "placeholder", "placeholder",
	cmd_ref_options, cmd_ref_exec
};
