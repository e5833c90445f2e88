#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "cmd.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define CMD_MAX_OPTIONS	64

const struct cmd_entry *cmd_table[] = {
	&cmd_audit_entry,
	&cmd_catalog_entry,
	&cmd_check_config_entry,
	&cmd_daemon_entry,
	&cmd_history_entry,
	&cmd_outbox_entry,
	&cmd_poll_entry,
	&cmd_ref_entry,
	&cmd_tags_entry,
	NULL
};

enum {
	CMD_OPT_DB = 1000,
	CMD_OPT_HELP
};

/* Options every command accepts, before or after its name. */
static const struct cmd_option cmd_shared_options[] = {
	{ "config", 'c', 1, "FILE", "read the configuration from FILE" },
	{ "db", CMD_OPT_DB, 1, "FILE", "use FILE as the history database" },
	{ "quiet", 'q', 0, NULL, "print only errors" },
	{ "verbose", 'v', 0, NULL, "print more (repeat for debug)" },
	{ "help", CMD_OPT_HELP, 0, NULL, "show this help and exit" },
	{ NULL, 0, 0, NULL, NULL }
};

const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return (cmd_table[i]);
	}
	return (NULL);
}

void
cmd_usage(FILE *f, const char *progname)
{
	size_t	 i;

	fprintf(f, "usage: %s [-qv] [-c FILE] [--db FILE] COMMAND [ARGS]\n"
	    "       %s --version | --help\n\ncommands:\n", progname, progname);
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-14s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n",
	    progname);
}

static void
cmd_help_options(FILE *f, const struct cmd_option *o)
{
	char	 left[64];

	for (; o->name != NULL; o++) {
		if (o->key < 256)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->key,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

void
cmd_help(FILE *f, const char *progname, const struct cmd_entry *e)
{
	fprintf(f, "usage: %s %s [options] %s\n\n%s\n", progname, e->name,
	    e->args, e->description);
	if (e->options[0].name != NULL) {
		fprintf(f, "\noptions:\n");
		cmd_help_options(f, e->options);
	}
	fprintf(f, "\ncommon options:\n");
	cmd_help_options(f, cmd_shared_options);
}

/* Append one table's options to getopt's long and short lists. */
static void
cmd_build_opts(const struct cmd_option *o, struct option *lo, size_t *nlo,
    char *so, size_t *nso)
{
	for (; o->name != NULL; o++) {
		if (*nlo >= CMD_MAX_OPTIONS - 1)
			fatalx("too many options");
		lo[*nlo].name = o->name;
		lo[*nlo].has_arg = o->has_arg ? required_argument : no_argument;
		lo[*nlo].flag = NULL;
		lo[*nlo].val = o->key;
		(*nlo)++;
		if (o->key < 256) {
			so[(*nso)++] = (char)o->key;
			if (o->has_arg)
				so[(*nso)++] = ':';
		}
	}
}

int
cmd_getopt(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc,
    char **argv, char **optarg_out)
{
	struct option	 lo[CMD_MAX_OPTIONS];
	char		 so[CMD_MAX_OPTIONS * 2 + 2];
	size_t		 nlo = 0, nso = 0;
	int		 c;

	so[nso++] = ':';
	cmd_build_opts(e->options, lo, &nlo, so, &nso);
	cmd_build_opts(cmd_shared_options, lo, &nlo, so, &nso);
	memset(&lo[nlo], 0, sizeof lo[nlo]);
	so[nso] = '\0';

	if (ctx->optind == 0) {
		optind = 0;	/* glibc: full reinitialisation */
		ctx->optind = 1;
	}
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, so, lo, NULL);
		ctx->optind = optind;
		*optarg_out = optarg;
		switch (c) {
		case 'c':
			ctx->config_path = optarg;
			continue;
		case CMD_OPT_DB:
			ctx->db_path = optarg;
			continue;
		case 'q':
			ctx->quiet = 1;
			log_set_level(LOG_LEVEL_ERROR);
			continue;
		case 'v':
			ctx->verbose++;
			log_set_level(ctx->verbose > 1 ? LOG_LEVEL_DEBUG :
			    LOG_LEVEL_INFO);
			continue;
		case CMD_OPT_HELP:
			cmd_help(stdout, ctx->progname, e);
			ctx->exit_status = EXIT_CLEAN;
			return (CMD_GETOPT_EXIT);
		case ':':
			fprintf(stderr, "%s %s: option '%s' needs an argument\n",
			    ctx->progname, e->name, argv[optind - 1]);
			goto usage;
		case '?':
			if (optopt != 0)
				fprintf(stderr, "%s %s: unknown option '-%c'\n",
				    ctx->progname, e->name, optopt);
			else
				fprintf(stderr, "%s %s: unknown option '%s'\n",
				    ctx->progname, e->name, argv[optind - 1]);
			goto usage;
		default:
			return (c);
		}
	}
usage:
	fprintf(stderr, "Run '%s %s --help' for usage.\n", ctx->progname,
	    e->name);
	ctx->exit_status = EXIT_USAGE;
	return (CMD_GETOPT_EXIT);
}

struct config *
cmd_config(struct cmd_ctx *ctx)
{
	char	*cause = NULL;
	int	 i, nerrors = 0;

	if (ctx->config != NULL)
		return (ctx->config);
	ctx->config = config_load(ctx->config_path, ctx->config_path != NULL,
	    stderr, &nerrors);
	if (ctx->config == NULL) {
		fprintf(stderr, "%s: configuration has %d error%s\n",
		    ctx->progname, nerrors, nerrors == 1 ? "" : "s");
		ctx->exit_status = EXIT_USAGE;
		return (NULL);
	}
	log_set_json(ctx->config->log_json);
	for (i = 0; i < ctx->nmirrors; i++) {
		if (config_add_mirror(ctx->config, ctx->mirrors[i],
		    &cause) != 0) {
			fprintf(stderr, "%s: %s\n", ctx->progname, cause);
			free(cause);
			config_free(ctx->config);
			ctx->config = NULL;
			ctx->exit_status = EXIT_USAGE;
			break;
		}
	}
	return (ctx->config);
}

int
cmd_add_mirror(struct cmd_ctx *ctx, const char *spec)
{
	if (ctx->nmirrors >= CMD_MAX_MIRRORS) {
		fprintf(stderr, "%s: more than %d --mirror options\n",
		    ctx->progname, CMD_MAX_MIRRORS);
		ctx->exit_status = EXIT_USAGE;
		return (-1);
	}
	ctx->mirrors[ctx->nmirrors++] = spec;
	return (0);
}

int
cmd_choice(struct cmd_ctx *ctx, const char *option, const char *value,
    const char *const *choices)
{
	int	 i;

	for (i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) == 0)
			return (i);
	}
	fprintf(stderr, "%s: invalid value '%s' for --%s (one of:", ctx->progname,
	    value, option);
	for (i = 0; choices[i] != NULL; i++)
		fprintf(stderr, " %s", choices[i]);
	fprintf(stderr, ")\n");
	ctx->exit_status = EXIT_USAGE;
	return (-1);
}

/* Parse a date option: midnight UTC of YYYY-MM-DD. */
int
cmd_parse_date(struct cmd_ctx *ctx, const char *s, time_t *out)
{
	struct tm	 tm;
	char		*end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0') {
		fprintf(stderr, "%s: invalid date '%s' (want YYYY-MM-DD)\n",
		    ctx->progname, s);
		ctx->exit_status = EXIT_USAGE;
		return (-1);
	}
	*out = timegm(&tm);
	return (0);
}

/* Open --output, or stdout. */
FILE *
cmd_open_output(struct cmd_ctx *ctx, const char *path)
{
	FILE	*f;

	if (path == NULL || strcmp(path, "-") == 0)
		return (stdout);
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", ctx->progname, path,
		    strerror(errno));
		ctx->exit_status = EXIT_OPFAIL;
	}
	return (f);
}

/* t as RFC 3339 UTC ("2026-12-04T21:30:00Z") into buf, which it returns. */
const char *
cmd_format_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return (buf);
}

/*
 * Open the database read-only: --db, else the configured path.  On failure
 * print why and return NULL with ctx->exit_status set (2 for a bad
 * configuration, 3 for a missing or unusable database).
 */
static char	*cmd_db_path(struct cmd_ctx *);

struct store *
cmd_open_store(struct cmd_ctx *ctx)
{
	struct store	*s = NULL;
	struct stat	 sb;
	char		*path, *cause = NULL;

	path = cmd_db_path(ctx);
	if (path == NULL)
		return (NULL);
	ctx->exit_status = EXIT_OPFAIL;
	memset(&sb, 0, sizeof sb);
	if (stat(path, &sb) == -1 && errno == ENOENT)
		fprintf(stderr, "%s: no history database at %s (run %s poll "
		    "first)\n", ctx->progname, path, ctx->progname);
	else if (S_ISDIR(sb.st_mode))
		fprintf(stderr, "%s: %s: is a directory\n", ctx->progname,
		    path);
	else if (store_open(path, STORE_READONLY, 0, &s, &cause) == -1) {
		fprintf(stderr, "%s: %s\n", ctx->progname, cause);
		free(cause);
	} else
		ctx->exit_status = EXIT_CLEAN;
	free(path);
	return (s);
}

/* The database path: --db, else the configured one; NULL on a bad config. */
static char *
cmd_db_path(struct cmd_ctx *ctx)
{
	struct config	*conf;

	if (ctx->db_path != NULL)
		return (xstrdup(ctx->db_path));
	conf = cmd_config(ctx);
	if (conf == NULL)
		return (NULL);
	return (config_db_path(conf));
}

struct store *
cmd_open_store_rw(struct cmd_ctx *ctx)
{
	struct store	*s = NULL;
	char		*path, *cause = NULL;

	path = cmd_db_path(ctx);
	if (path == NULL)
		return (NULL);
	ctx->exit_status = EXIT_OPFAIL;
	if (store_open(path, STORE_MKDIR, 0, &s, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", ctx->progname, cause);
		free(cause);
	} else
		ctx->exit_status = EXIT_CLEAN;
	free(path);
	return (s);
}

int
cmd_net_open(struct cmd_ctx *ctx, const struct config *conf,
    struct cmd_net *net)
{
	struct http_opts	 ho;
	char			*cause = NULL;

	memset(net, 0, sizeof *net);
	if (uv_loop_init(&net->loop) != 0) {
		fprintf(stderr, "%s: uv_loop_init failed\n", ctx->progname);
		return (-1);
	}
	memset(&ho, 0, sizeof ho);
	ho.max_per_host = (unsigned)conf->concurrency;
	ho.timeout_ms = (unsigned)conf->timeout * 1000;
	net->http = http_create(&net->loop, &ho, &cause);
	if (net->http == NULL) {
		fprintf(stderr, "%s: %s\n", ctx->progname, cause);
		free(cause);
		uv_loop_close(&net->loop);
		return (-1);
	}
	net->auth = auth_create(&net->loop, net->http);
	net->open = 1;
	return (0);
}

void
cmd_net_close(struct cmd_ctx *ctx, struct cmd_net *net)
{
	if (!net->open)
		return;
	auth_free(net->auth);
	http_free(net->http);
	uv_run(&net->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&net->loop) != 0)
		fprintf(stderr, "%s: loop did not close\n", ctx->progname);
	net->open = 0;
}
