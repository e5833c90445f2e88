/*
 * tagdrift daemon (SPEC section 9): one libuv loop that scans the
 * configured trees every scan_interval (the walk on a worker thread),
 * polls the catalog and every tag the scans named every poll_interval,
 * judges the findings after each, writes the events to the outbox and
 * delivers them to the webhook.  SIGHUP reloads the configuration (a bad
 * one is reported and the running one kept), SIGTERM and SIGINT stop:
 * transfers cancelled, transactions finished.  systemd hears READY=1,
 * STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1 (notify.h).
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>

struct config;

/* Exit statuses, as the commands' (cmd.h). */
#define DAEMON_EXIT_CLEAN	0
#define DAEMON_EXIT_USAGE	2
#define DAEMON_EXIT_OPFAIL	3

/* What the command line sets over the configuration (NULL: not set). */
struct daemon_opts {
	const char	*poll_interval;
	const char	*scan_interval;
	const char	*webhook_url;
	const char	*webhook_secret_file;
	const char	*webhook_format;
	const char	**scan_paths;
	size_t		 nscan_paths;
	int		 once;		/* one full cycle, then exit */
};

/*
 * Run with conf (taken: reloads replace it; config_path is what SIGHUP
 * reads again, NULL for the default) and the database at db_path (NULL:
 * the configured one) until stopped, or with once after one scan, poll,
 * judgement and delivery round; a DAEMON_EXIT_ status.
 */
int	 daemon_run(struct config *conf, const char *config_path,
	     const char *db_path, const struct daemon_opts *);

#endif
