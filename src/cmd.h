/*
 * Subcommands: one file each (cmd-NAME.c) exporting a struct cmd_entry with
 * its options and help, so usage text sits next to the parser.  cmd.c owns
 * the table, the lookup and the options every command shares.
 */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>
#include <time.h>

#include <uv.h>

#define EXIT_CLEAN	0	/* nothing at or above --fail-on */
#define EXIT_FINDINGS	1	/* findings at or above --fail-on */
#define EXIT_USAGE	2	/* usage or configuration error */
#define EXIT_OPFAIL	3	/* database unusable, no registry answered */

/* Returned by cmd_getopt: stop, and exit with ctx->exit_status. */
#define CMD_GETOPT_EXIT	(-2)

struct auth;
struct config;
struct http;
struct store;

struct cmd_option {
	const char	*name;		/* long name */
	int		 key;		/* short letter or a value >= 256 */
	int		 has_arg;
	const char	*arg;		/* argument name for help */
	const char	*help;
};

#define CMD_MAX_MIRRORS	64

struct cmd_ctx {
	const char	*progname;
	const char	*config_path;
	const char	*db_path;
	int		 verbose;
	int		 quiet;
	int		 exit_status;
	struct config	*config;
	const char	*mirrors[CMD_MAX_MIRRORS];	/* --mirror R=URL */
	int		 nmirrors;
	/* Parser state for cmd_getopt. */
	int		 optind;
};

struct cmd_entry {
	const char			*name;
	const char			*args;		/* "[PATH...]" */
	const char			*summary;	/* one line */
	const char			*description;	/* a paragraph */
	const struct cmd_option		*options;	/* {NULL} ends */
	int				(*exec)(struct cmd_ctx *, int, char **);
};

extern const struct cmd_entry	cmd_audit_entry;
extern const struct cmd_entry	cmd_catalog_entry;
extern const struct cmd_entry	cmd_check_config_entry;
extern const struct cmd_entry	cmd_daemon_entry;
extern const struct cmd_entry	cmd_history_entry;
extern const struct cmd_entry	cmd_outbox_entry;
extern const struct cmd_entry	cmd_poll_entry;
extern const struct cmd_entry	cmd_ref_entry;
extern const struct cmd_entry	cmd_tags_entry;

extern const struct cmd_entry	*cmd_table[];

const struct cmd_entry	*cmd_find(const char *);
void			 cmd_usage(FILE *, const char *);
void			 cmd_help(FILE *, const char *, const struct cmd_entry *);
/*
 * getopt over the command's options plus the shared ones (-c, --db, -q, -v,
 * --help).  Returns the command's key, -1 at the end (ctx->optind is then
 * the first operand; operands are moved to the end as GNU getopt does), or
 * CMD_GETOPT_EXIT after --help or a usage error (ctx->exit_status set).
 */
int			 cmd_getopt(struct cmd_ctx *, const struct cmd_entry *,
			     int, char **, char **optarg_out);
/* Remember a --mirror REGISTRY=URL; -1 and exit status 2 past the cap. */
int			 cmd_add_mirror(struct cmd_ctx *, const char *);
/*
 * Load the configuration once, with the --mirror options over it; NULL
 * (and exit status 2) if it is bad.
 */
struct config		*cmd_config(struct cmd_ctx *);
/* Parse a YYYY-MM-DD date (midnight UTC); -1 and exit status 2 if bad. */
int			 cmd_parse_date(struct cmd_ctx *, const char *,
			     time_t *);
/* Open --output (NULL or "-" is stdout); NULL and exit status 3 if not. */
FILE			*cmd_open_output(struct cmd_ctx *, const char *);
/* t as RFC 3339 UTC into buf; returns buf. */
const char		*cmd_format_time(time_t, char *, size_t);
/*
 * Open the history database read-only: --db, else the configured path.
 * On failure print why and return NULL with ctx->exit_status set (2 for a
 * bad configuration, 3 for a missing or unusable database).
 */
struct store		*cmd_open_store(struct cmd_ctx *);
/*
 * Open the history database for writing, creating it (and its directory)
 * when missing: --db, else the configured path.  NULL after printing why,
 * with ctx->exit_status set.
 */
struct store		*cmd_open_store_rw(struct cmd_ctx *);

/* A loop with the HTTP engine and token cache, for the commands that poll. */
struct cmd_net {
	uv_loop_t	 loop;
	struct http	*http;
	struct auth	*auth;
	int		 open;
};

/* -1 after printing why. */
int			 cmd_net_open(struct cmd_ctx *, const struct config *,
			     struct cmd_net *);
/* Free the engine and close the loop; a zeroed net is a no-op. */
void			 cmd_net_close(struct cmd_ctx *, struct cmd_net *);
/* Parse --format's value against a list; -1 and a message if unknown. */
int			 cmd_choice(struct cmd_ctx *, const char *option,
			     const char *value, const char *const *choices);

#endif
