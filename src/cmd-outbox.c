/*
 * tagdrift outbox: the webhook events waiting (pending) or given up on
 * (dead), and --retry to queue the dead ones again.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "outbox.h"
#include "store.h"
#include "xmalloc.h"

enum {
	OUTBOX_OPT_RETRY = 256,
	OUTBOX_OPT_ALL
};

static const struct cmd_option cmd_outbox_options[] = {
	{ "format", 'f', 1, "FMT", "output format: text or json" },
	{ "retry", OUTBOX_OPT_RETRY, 0, NULL,
	    "queue the dead deliveries again" },
	{ "all", OUTBOX_OPT_ALL, 0, NULL, "list delivered events too" },
	{ NULL, 0, 0, NULL, NULL }
};

static const char *const outbox_format_names[] = { "text", "json", NULL };

static json_t *
outbox_json_time(time_t t)
{
	char	 buf[32];

	return (t > 0 ? json_string(cmd_format_time(t, buf, sizeof buf)) :
	    json_null());
}

static json_t *
outbox_json_event(const struct outbox_event *e)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "id", json_string(e->uid));
	json_object_set_new(o, "type", json_string(e->type));
	json_object_set_new(o, "subject", json_string(e->subject));
	json_object_set_new(o, "state", json_string(
	    outbox_state_name(e->state)));
	json_object_set_new(o, "created", outbox_json_time(e->created));
	json_object_set_new(o, "attempts", json_integer(e->attempts));
	json_object_set_new(o, "next_attempt", e->state == OUTBOX_PENDING ?
	    outbox_json_time(e->next_at) : json_null());
	json_object_set_new(o, "last_attempt", outbox_json_time(e->last_at));
	json_object_set_new(o, "last_status", e->last_status >= 0 ?
	    json_integer(e->last_status) : json_null());
	json_object_set_new(o, "last_error", e->last_error != NULL ?
	    json_string(e->last_error) : json_null());
	return (o);
}

static void
outbox_print(const struct outbox_event *v, size_t n, int fmt)
{
	json_t	*a;
	char	 t1[32], t2[32];
	size_t	 i;

	if (fmt == 1) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, outbox_json_event(&v[i]));
		json_dumpf(a, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(a);
		return;
	}
	for (i = 0; i < n; i++) {
		printf("%-9s %s %-16s %s created %s, %d attempt%s",
		    outbox_state_name(v[i].state), v[i].uid, v[i].type,
		    v[i].subject, cmd_format_time(v[i].created, t1, sizeof t1),
		    v[i].attempts, v[i].attempts == 1 ? "" : "s");
		if (v[i].state == OUTBOX_PENDING && v[i].attempts > 0)
			printf(", next %s", cmd_format_time(v[i].next_at, t2,
			    sizeof t2));
		if (v[i].last_error != NULL)
			printf(": %s", v[i].last_error);
		printf("\n");
	}
	if (n == 0)
		printf("the outbox is empty\n");
}

static int
cmd_outbox_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct outbox_event	*v = NULL;
	struct store		*s = NULL;
	char			*arg, *cause = NULL;
	size_t			 n = 0;
	int			 c, fmt = 0, retry = 0, mask;

	mask = OUTBOX_LIST_PENDING | OUTBOX_LIST_DEAD;
	for (;;) {
		c = cmd_getopt(ctx, &cmd_outbox_entry, argc, argv, &arg);
		if (c == -1)
			break;
		if (c == 'f') {
			fmt = cmd_choice(ctx, "format", arg,
			    outbox_format_names);
			if (fmt == -1)
				return (ctx->exit_status);
		} else if (c == OUTBOX_OPT_RETRY)
			retry = 1;
		else if (c == OUTBOX_OPT_ALL)
			mask |= OUTBOX_LIST_DELIVERED;
		else
			return (ctx->exit_status);
	}
	if (argc - ctx->optind > 0) {
		fprintf(stderr, "%s outbox: unexpected argument '%s'\n",
		    ctx->progname, argv[ctx->optind]);
		return (EXIT_USAGE);
	}
	s = retry ? cmd_open_store_rw(ctx) : cmd_open_store(ctx);
	if (s == NULL)
		return (ctx->exit_status);
	ctx->exit_status = EXIT_OPFAIL;
	if (retry) {
		if (outbox_retry(s, time(NULL), &n, &cause) != 0)
			goto fail;
		if (!ctx->quiet)
			fprintf(stderr, "%zu dead deliver%s queued again\n", n,
			    n == 1 ? "y" : "ies");
	}
	if (outbox_list(s, mask, &v, &n, &cause) != 0)
		goto fail;
	outbox_print(v, n, fmt);
	outbox_events_free(v, n);
	ctx->exit_status = EXIT_CLEAN;
	goto out;
fail:
	fprintf(stderr, "%s outbox: %s\n", ctx->progname, cause);
	free(cause);
out:
	store_close(s);
	return (ctx->exit_status);
}

const struct cmd_entry cmd_outbox_entry = {
	"outbox", "", "list pending and dead webhook deliveries",
	"List the events the daemon has still to deliver to the webhook\n"
	"(pending, with their attempts and next try) and those it gave up\n"
	"on (dead, with the last status and error); --all adds the\n"
	"delivered ones.  --retry queues the dead ones again, to go out\n"
	"with the daemon's next delivery round.  Exit status: 0, 2 usage\n"
	"error, 3 the database is unusable.",
	cmd_outbox_options, cmd_outbox_exec
};
