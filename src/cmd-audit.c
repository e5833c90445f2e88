#include "autoconf.h"

#include "cmd.h"

static const struct cmd_option cmd_audit_options[] = {
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_audit_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	return (EXIT_CLEAN);
}

const struct cmd_entry cmd_audit_entry = {
	"audit", "", "placeholder", "placeholder",
	cmd_audit_options, cmd_audit_exec
};
