/*
 * tagdrift daemon: the service (daemon.h); the options here are the
 * settings an operator tries first, over the configuration file.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "xmalloc.h"

#define DAEMON_MAX_SCAN	64

enum {
	DAEMON_OPT_POLL = 256,
	DAEMON_OPT_SCAN_INTERVAL,
	DAEMON_OPT_SCAN,
	DAEMON_OPT_WEBHOOK,
	DAEMON_OPT_SECRET,
	DAEMON_OPT_FORMAT,
	DAEMON_OPT_ONCE,
	DAEMON_OPT_MIRROR,
	DAEMON_OPT_LOG_JSON
};

static const struct cmd_option cmd_daemon_options[] = {
	{ "poll-interval", DAEMON_OPT_POLL, 1, "DURATION",
	    "time between polls (90s, 15m, 6h; [daemon] poll_interval)" },
	{ "scan-interval", DAEMON_OPT_SCAN_INTERVAL, 1, "DURATION",
	    "time between scans ([daemon] scan_interval)" },
	{ "scan", DAEMON_OPT_SCAN, 1, "PATH",
	    "scan PATH (repeatable; replaces [daemon] scan)" },
	{ "webhook", DAEMON_OPT_WEBHOOK, 1, "URL",
	    "POST alerts to URL ([webhook] url)" },
	{ "webhook-secret-file", DAEMON_OPT_SECRET, 1, "FILE",
	    "sign alerts with the secret in FILE" },
	{ "webhook-format", DAEMON_OPT_FORMAT, 1, "FMT",
	    "generic, slack or cloudevents" },
	{ "once", DAEMON_OPT_ONCE, 0, NULL,
	    "one scan, poll and delivery round, then exit" },
	{ "mirror", DAEMON_OPT_MIRROR, 1, "REGISTRY=URL",
	    "send REGISTRY's requests to URL (repeatable)" },
	{ "log-json", DAEMON_OPT_LOG_JSON, 0, NULL,
	    "log JSON lines instead of text" },
	{ NULL, 0, 0, NULL, NULL }
};

static int
cmd_daemon_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct daemon_opts	 o;
	struct config		*conf;
	const char		*scan[DAEMON_MAX_SCAN];
	char			*arg;
	int			 c, json = 0;

	memset(&o, 0, sizeof o);
	o.scan_paths = scan;
	for (;;) {
		c = cmd_getopt(ctx, &cmd_daemon_entry, argc, argv, &arg);
		if (c == -1)
			break;
		switch (c) {
		case DAEMON_OPT_POLL:
			o.poll_interval = arg;
			break;
		case DAEMON_OPT_SCAN_INTERVAL:
			o.scan_interval = arg;
			break;
		case DAEMON_OPT_SCAN:
			if (o.nscan_paths == DAEMON_MAX_SCAN) {
				fprintf(stderr, "%s daemon: more than %d "
				    "--scan\n", ctx->progname, DAEMON_MAX_SCAN);
				return (EXIT_USAGE);
			}
			scan[o.nscan_paths++] = arg;
			break;
		case DAEMON_OPT_WEBHOOK:
			o.webhook_url = arg;
			break;
		case DAEMON_OPT_SECRET:
			o.webhook_secret_file = arg;
			break;
		case DAEMON_OPT_FORMAT:
			o.webhook_format = arg;
			break;
		case DAEMON_OPT_ONCE:
			o.once = 1;
			break;
		case DAEMON_OPT_MIRROR:
			if (cmd_add_mirror(ctx, arg) != 0)
				return (ctx->exit_status);
			break;
		case DAEMON_OPT_LOG_JSON:
			json = 1;
			break;
		default:
			return (ctx->exit_status);
		}
	}
	if (argc - ctx->optind > 0) {
		fprintf(stderr, "%s daemon: unexpected argument '%s'\n",
		    ctx->progname, argv[ctx->optind]);
		return (EXIT_USAGE);
	}
	if (!ctx->quiet)
		log_set_level(ctx->verbose > 1 ? LOG_LEVEL_DEBUG :
		    LOG_LEVEL_INFO);
	conf = cmd_config(ctx);
	if (conf == NULL)
		return (ctx->exit_status);
	ctx->config = NULL;	/* the daemon's now: reloads replace it */
	if (json)
		log_set_json(1);
	return (daemon_run(conf, ctx->config_path, ctx->db_path, &o));
}

const struct cmd_entry cmd_daemon_entry = {
	"daemon", "", "run the service: poll, scan, alert",
	"Scan the [daemon] scan paths every scan_interval and poll the\n"
	"catalog's tags and every tag the scans named every poll_interval\n"
	"(both at start, then with 10% jitter), judge the findings after\n"
	"each, and POST an alert for every tag that moved and every finding\n"
	"that opened or resolved to the webhook, from a durable outbox in\n"
	"the history database.  SIGHUP reloads the configuration (a bad one\n"
	"is reported and the running one kept); SIGUSR1 runs a scan and a\n"
	"poll now; SIGTERM and SIGINT stop.\n"
	"Under systemd (Type=notify) it reports READY, STATUS, WATCHDOG,\n"
	"RELOADING and STOPPING.  Exit status: 0 stopped, 2 usage or\n"
	"configuration error, 3 the database or the webhook secret is\n"
	"unusable.",
	cmd_daemon_options, cmd_daemon_exec
};
