#include "autoconf.h"

/*
 * Tests of the registry client against the loopback harness registry
 * (tests/harness/registry.py: docker-registry behind a front that pages
 * tag lists, logs requests and injects faults).  One harness serves the
 * whole group; each test uses its own repositories.  The group teardown
 * stops it, and --owner stops it if this program dies.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "registry.h"
#include "store.h"
#include "xmalloc.h"

#define PYTHON	"/usr/bin/python3"

struct fix {
	char		 dir[256];
	char		 harness[512];	/* PYTHON path/registry.py */
	char		 addr[64];
	char		 db[300];
	struct store	*store;
	int		 started;
};

struct tpoll {
	struct fix		*f;
	struct registry		*reg;
	struct auth		*auth;
	const struct registry_conf *conf;
	const struct http_opts	*opts;		/* NULL: engine defaults */
	size_t			 cached;
	int			 pending;
	int			 calls;
	enum registry_status	 status;
	int			 answered;
	char			 digest[160];
	char			 media[160];
	char			 error[512];
	enum store_change	 change;
	int			 index_calls;
	enum registry_status	 index_status;
	size_t			 count;
	struct registry_counts	 counts;
};

static struct fix	*gfix;

static uint64_t	now_ms(void);
static void	list_one(struct tpoll *, const char *);

/* Run a shell command; its first line of output in out (may be NULL). */
static int	sh(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
sh(char *out, size_t outlen, const char *fmt, ...)
{
	char	*cmd, line[4096];
	FILE	*p;
	va_list	 ap;
	size_t	 n;
	int	 rv;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	free(cmd);
	if (p == NULL)
		return (-1);
	if (out != NULL)
		out[0] = '\0';
	while (fgets(line, sizeof line, p) != NULL) {
		if (out != NULL && out[0] == '\0') {
			n = strcspn(line, "\n");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, line, n);
			out[n] = '\0';
		}
	}
	rv = pclose(p);
	return (WIFEXITED(rv) ? WEXITSTATUS(rv) : -1);
}

/* Push repo:tag with extra harness arguments; the top digest in out. */
static void
push(char *out, size_t len, const char *reftag, const char *extra)
{
	assert_int_equal(sh(out, len, "%s push %s %s %s", gfix->harness,
	    gfix->addr, reftag, extra), 0);
	assert_true(strncmp(out, "sha256:", 7) == 0);
}

static void
fault(const char *args)
{
	assert_int_equal(sh(NULL, 0, "%s fault %s/reg %s", gfix->harness,
	    gfix->dir, args), 0);
}

/* Lines of the request log of the front in dir that start with prefix. */
static int
count_log_in(const char *dir, const char *prefix)
{
	char	 path[400], line[2048];
	FILE	*f;
	int	 n = 0;

	snprintf(path, sizeof path, "%s/%s/requests.log", gfix->dir, dir);
	f = fopen(path, "r");
	if (f == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	}
	fclose(f);
	return (n);
}

/* Lines of the main front's request log that start with prefix. */
static int
count_log(const char *prefix)
{
	return (count_log_in("reg", prefix));
}

/*
 * count_log_in, waiting up to 2 s for want: the front logs a request
 * after sending its headers (a failed TLS handshake after the client
 * hung up), so its line can trail the client's callback.
 */
static int
count_log_in_wait(const char *dir, const char *prefix, int want)
{
	int	 i, n = 0;

	for (i = 0; i < 40; i++) {
		n = count_log_in(dir, prefix);
		if (n >= want)
			break;
		usleep(50000);
	}
	return (n);
}

/* count_log_in_wait of the main front. */
static int
count_log_wait(const char *prefix, int want)
{
	return (count_log_in_wait("reg", prefix, want));
}

static int
group_setup(void **state)
{
	struct fix	*f;
	const char	*top = getenv("top_srcdir");

	f = xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/tagdrift-test_registry.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return (-1);
	snprintf(f->harness, sizeof f->harness, "%s %s/tests/harness/"
	    "registry.py", PYTHON, top != NULL ? top : "..");
	if (sh(f->addr, sizeof f->addr, "%s start %s/reg --owner %ld "
	    "--page-max 3 --max-lifetime 600 --hub", f->harness, f->dir,
	    (long)getpid()) != 0)
		return (-1);
	f->started = 1;
	snprintf(f->db, sizeof f->db, "%s/history.db", f->dir);
	if (store_open(f->db, 0, 0, &f->store, NULL) != 0)
		return (-1);
	gfix = f;
	*state = f;
	return (0);
}

static int
group_teardown(void **state)
{
	struct fix	*f = gfix;

	(void)state;
	if (f == NULL)
		return (0);
	store_close(f->store);
	if (f->started)
		sh(NULL, 0, "%s stop %s/reg", f->harness, f->dir);
	sh(NULL, 0, "%s stop %s/tls", f->harness, f->dir);
	sh(NULL, 0, "rm -rf '%s'", f->dir);
	free(f);
	gfix = NULL;
	return (0);
}

static void
tpoll_release(struct tpoll *t)
{
	if (--t->pending == 0)
		uv_stop(uv_default_loop());
}

static void
tpoll_index_cb(const struct registry_result *res, void *arg)
{
	struct tpoll	*t = arg;

	t->index_calls++;
	t->index_status = res->status;
	t->count = res->count;
	tpoll_release(t);
}

/* As cmd-poll does it: record, and fetch an index only when new. */
static void
tpoll_head_cb(const struct registry_result *res, void *arg)
{
	struct tpoll	*t = arg;

	t->calls++;
	t->status = res->status;
	t->answered = res->answered;
	if (res->error != NULL)
		snprintf(t->error, sizeof t->error, "%s", res->error);
	if (res->status == REGISTRY_OK) {
		snprintf(t->digest, sizeof t->digest, "%s", res->digest);
		snprintf(t->media, sizeof t->media, "%s",
		    res->media_type != NULL ? res->media_type : "");
	}
	tpoll_release(t);
}

static void
tpoll_tags_cb(const struct registry_result *res, void *arg)
{
	struct tpoll	*t = arg;

	t->calls++;
	t->status = res->status;
	t->count = res->count;
	if (res->error != NULL)
		snprintf(t->error, sizeof t->error, "%s", res->error);
	tpoll_release(t);
}

/* Run the loop until the operations end, then close everything. */
static void
tpoll_drain(struct tpoll *t, struct http *h)
{
	if (t->pending > 0)
		uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	registry_get_counts(t->reg, &t->counts);
	registry_free(t->reg);
	t->cached = auth_cached(t->auth, time(NULL));
	auth_free(t->auth);
	http_free(h);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(uv_default_loop()), 0);
}

static struct http *
tpoll_init(struct tpoll *t)
{
	struct http			*h;
	const struct registry_conf	*conf = t->conf;
	const struct http_opts		*opts = t->opts;

	memset(t, 0, sizeof *t);
	t->f = gfix;
	h = http_create(uv_default_loop(), opts, NULL);
	assert_non_null(h);
	t->auth = auth_create(uv_default_loop(), h);
	t->reg = registry_create(uv_default_loop(), h, t->auth, gfix->store,
	    gfix->addr, conf, NULL);
	assert_non_null(t->reg);
	return (h);
}

/* One poll of repo:tag: HEAD, record the digest, GET a new index. */
static void
poll_one(struct tpoll *t, const char *repo, const char *tag)
{
	struct http	*h;
	char		*id;

	h = tpoll_init(t);
	assert_int_equal(registry_head_digest(t->reg, repo, tag,
	    tpoll_head_cb, t), 0);
	t->pending = 1;
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(t->calls, 1);
	if (t->status == REGISTRY_OK) {
		xasprintf(&id, "%s/%s", gfix->addr, repo);
		assert_int_equal(store_record_digest(gfix->store, id, tag,
		    t->digest, t->media, time(NULL), &t->change, NULL), 0);
		free(id);
		if (registry_is_index_type(t->media) &&
		    store_index_known(gfix->store, t->digest, NULL) == 0) {
			assert_int_equal(registry_get_index(t->reg, repo,
			    t->digest, tpoll_index_cb, t), 0);
			t->pending = 1;
		}
	}
	tpoll_drain(t, h);
}

static size_t
nperiods(const char *repo, const char *tag)
{
	struct store_period	*p;
	size_t			 n = 0;
	char			*id;

	xasprintf(&id, "%s/%s", gfix->addr, repo);
	assert_int_equal(store_tag_periods(gfix->store, id, tag, &p, &n,
	    NULL), 0);
	store_periods_free(p, n);
	free(id);
	return (n);
}

static void
test_registry_single_manifest(void **state)
{
	struct tpoll	 t;
	char		 want[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(want, sizeof want, "single/app:1", "--seed 1");
	poll_one(&t, "single/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, want);
	assert_string_equal(t.media,
	    "application/vnd.oci.image.manifest.v1+json");
	assert_int_equal(t.change, STORE_NEW);
	assert_int_equal(t.index_calls, 0);
	assert_int_equal(t.counts.heads, 1);
	assert_int_equal(t.counts.gets, 0);
}

/* The per-platform digests of a push --json, attestations left out. */
static size_t
pushed_platforms(const char *json, char out[][80], size_t max)
{
	json_t		*root, *m, *e;
	size_t		 i, n = 0;

	root = json_loads(json, 0, NULL);
	assert_non_null(root);
	m = json_object_get(root, "manifests");
	for (i = 0; i < json_array_size(m) && n < max; i++) {
		e = json_array_get(m, i);
		if (json_object_get(e, "attests") != NULL)
			continue;
		snprintf(out[n++], 80, "%s",
		    json_string_value(json_object_get(e, "digest")));
	}
	json_decref(root);
	return (n);
}

static void
test_registry_index_platforms(void **state)
{
	struct tpoll		 t;
	struct store_platform	*pl;
	char			 want[160], js[8192], plats[4][80];
	char			*cmd;
	size_t			 n, np, i;
	FILE			*p;

	(void)state;
	memset(&t, 0, sizeof t);
	xasprintf(&cmd, "%s push %s multi/node:20 --platforms "
	    "linux/amd64,linux/arm64 --attestation --seed 1 --json",
	    gfix->harness, gfix->addr);
	p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	n = fread(js, 1, sizeof js - 1, p);
	js[n] = '\0';
	assert_int_equal(pclose(p), 0);
	np = pushed_platforms(js, plats, 4);
	assert_int_equal(np, 2);
	assert_int_equal(sh(want, sizeof want, "%s digest %s multi/node:20",
	    gfix->harness, gfix->addr), 0);

	poll_one(&t, "multi/node", "20");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, want);
	assert_string_equal(t.media, "application/vnd.oci.image.index.v1+json");
	assert_int_equal(t.index_calls, 1);
	assert_int_equal(t.index_status, REGISTRY_OK);
	assert_int_equal(t.count, 2);
	assert_int_equal(store_index_platforms(gfix->store, want, &pl, &n,
	    NULL), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_string_equal(pl[i].os, "linux");
		assert_string_equal(pl[i].digest, plats[i]);
	}
	assert_string_equal(pl[0].architecture, "amd64");
	assert_string_equal(pl[1].architecture, "arm64");
	store_platforms_free(pl, n);
}

static void
test_registry_moved(void **state)
{
	struct tpoll	 t;
	char		 d1[160], d2[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d1, sizeof d1, "moved/py:3", "--platforms linux/amd64,"
	    "linux/arm64 --seed 1");
	poll_one(&t, "moved/py", "3");
	assert_int_equal(t.change, STORE_NEW);
	assert_string_equal(t.digest, d1);
	push(d2, sizeof d2, "moved/py:3", "--platforms linux/amd64,"
	    "linux/arm64 --seed 2");
	assert_string_not_equal(d1, d2);
	poll_one(&t, "moved/py", "3");
	assert_int_equal(t.change, STORE_MOVED);
	assert_string_equal(t.digest, d2);
	assert_int_equal(t.index_calls, 1);
	assert_int_equal(nperiods("moved/py", "3"), 2);
}

static void
test_registry_unchanged_no_get(void **state)
{
	struct tpoll	 t;
	char		 d[160];
	int		 i, gets, heads;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "same/img:1", "--platforms linux/amd64,"
	    "linux/arm64 --seed 3");
	poll_one(&t, "same/img", "1");
	assert_int_equal(t.index_calls, 1);
	gets = count_log("GET /v2/same/img/manifests/");
	heads = count_log_wait("HEAD /v2/same/img/manifests/1 ", 1);
	assert_int_equal(gets, 1);
	for (i = 0; i < 5; i++) {
		poll_one(&t, "same/img", "1");
		assert_int_equal(t.change, STORE_SAME);
		assert_int_equal(t.index_calls, 0);
	}
	assert_int_equal(count_log("GET /v2/same/img/manifests/"), gets);
	assert_int_equal(count_log_wait("HEAD /v2/same/img/manifests/1 ",
	    heads + 5), heads + 5);
	assert_int_equal(nperiods("same/img", "1"), 1);
}

static void
test_registry_not_found(void **state)
{
	struct tpoll		 t;
	struct store_period	 p;
	char			 d[160], *id;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "nf/app:1", "--seed 1");
	poll_one(&t, "nf/app", "nope");
	assert_int_equal(t.status, REGISTRY_NOT_FOUND);
	assert_true(t.answered);
	poll_one(&t, "nf/none", "1");
	assert_int_equal(t.status, REGISTRY_NOT_FOUND);
	xasprintf(&id, "%s/nf/app", gfix->addr);
	memset(&p, 0, sizeof p);
	assert_int_equal(store_tag_current(gfix->store, id, "nope", &p, NULL),
	    0);
	free(id);
}

static void
test_registry_retry_after(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "retry/app:1", "--seed 1");
	fault("--method HEAD --path /retry/app/manifests/ --status 429 "
	    "--header 'Retry-After: 1'");
	poll_one(&t, "retry/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.throttled, 1);
	assert_int_equal(t.counts.heads, 2);
	assert_int_equal(count_log_wait("HEAD /v2/retry/app/manifests/1 429",
	    1), 1);
	assert_int_equal(nperiods("retry/app", "1"), 1);
}

/* A dropped connection is retried after a backoff. */
static void
test_registry_retry_dropped(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "drop/app:1", "--seed 1");
	fault("--method HEAD --path /drop/app/manifests/ --drop");
	poll_one(&t, "drop/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.heads, 2);
	assert_int_equal(t.counts.errors, 0);
	assert_int_equal(nperiods("drop/app", "1"), 1);
}

static void
test_registry_retry_exhausted(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "down/app:1", "--seed 1");
	fault("--method HEAD --path /down/app/manifests/ --status 503 "
	    "--times 4 --header 'Retry-After: 0'");
	poll_one(&t, "down/app", "1");
	assert_int_equal(t.status, REGISTRY_FAILED);
	assert_true(t.answered);
	assert_int_equal(t.counts.heads, REGISTRY_MAX_ATTEMPTS);
	assert_int_equal(nperiods("down/app", "1"), 0);
}

static void
test_registry_wrong_digest_header(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "wrong/app:1", "--seed 1");
	fault("--method HEAD --path /wrong/app/manifests/ --header "
	    "'Docker-Content-Digest: sha256:"
	    "00000000000000000000000000000000"
	    "00000000000000000000000000000000'");
	poll_one(&t, "wrong/app", "1");
	assert_int_equal(t.status, REGISTRY_INVALID);
	assert_non_null(strstr(t.error, "conflicting"));
	assert_int_equal(nperiods("wrong/app", "1"), 0);
}

/* A HEAD without Docker-Content-Digest: GET and hash the exact body. */
static void
test_registry_head_without_digest(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "nodig/app:1", "--seed 5");
	fault("--method HEAD --path /nodig/app/manifests/ --status 200 "
	    "--body '{}'");
	poll_one(&t, "nodig/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_string_equal(t.media,
	    "application/vnd.oci.image.manifest.v1+json");
	assert_int_equal(t.counts.heads, 1);
	assert_int_equal(t.counts.gets, 1);
	assert_int_equal(nperiods("nodig/app", "1"), 1);

	/* HEAD not allowed at all: the same through GET. */
	fault("--method HEAD --path /nodig/app/manifests/ --status 405");
	poll_one(&t, "nodig/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.change, STORE_SAME);
	assert_int_equal(t.counts.gets, 1);
}

/* A GET whose body does not hash to its Docker-Content-Digest. */
static void
test_registry_get_digest_mismatch(void **state)
{
	struct tpoll	 t;
	char		 d[160], *args;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "nodig2/app:1", "--seed 5");
	fault("--method HEAD --path /nodig2/app/manifests/ --status 200 "
	    "--body '{}'");
	xasprintf(&args, "--method GET --path /nodig2/app/manifests/1 "
	    "--status 200 --body '{\"schemaVersion\":2}' "
	    "--header 'Docker-Content-Digest: %s'", d);
	fault(args);
	free(args);
	poll_one(&t, "nodig2/app", "1");
	assert_int_equal(t.status, REGISTRY_INVALID);
	assert_non_null(strstr(t.error, "hashes to"));
	assert_int_equal(nperiods("nodig2/app", "1"), 0);
}

static void
test_registry_wrong_index_body(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "badidx/app:1", "--platforms linux/amd64,"
	    "linux/arm64 --seed 9");
	fault("--method GET --path /badidx/app/manifests/sha256 --status 200 "
	    "--body '{\"schemaVersion\":2,\"manifests\":[]}'");
	poll_one(&t, "badidx/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.index_calls, 1);
	assert_int_equal(t.index_status, REGISTRY_INVALID);
	assert_int_equal(store_index_known(gfix->store, d, NULL), 0);
}

static void
test_registry_list_tags(void **state)
{
	struct tpoll	 t;
	struct http	*h;
	struct store_tag *tags;
	size_t		 n;
	char		*id;

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(sh(NULL, 0, "%s many %s paged/app 7", gfix->harness,
	    gfix->addr), 0);
	h = tpoll_init(&t);
	assert_int_equal(registry_list_tags(t.reg, "paged/app", tpoll_tags_cb,
	    &t), 0);
	t.pending = 1;
	tpoll_drain(&t, h);
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.count, 7);
	assert_int_equal(count_log("GET /v2/paged/app/tags/list"), 3);
	xasprintf(&id, "%s/paged/app", gfix->addr);
	assert_int_equal(store_tags(gfix->store, id, &tags, &n, NULL), 0);
	assert_int_equal(n, 7);
	assert_string_equal(tags[6].name, "1.0.6");
	assert_true(tags[0].listed);
	store_tags_free(tags, n);
	free(id);
}

/* A 401 Bearer challenge on the next HEADs of repo; token body given. */
static void
challenge_with(const char *repo, int times, const char *body)
{
	char	*args;

	xasprintf(&args, "--method HEAD --path /%s/manifests/ --status 401 "
	    "--times %d --header 'WWW-Authenticate: Bearer realm=\"/token\","
	    "service=\"harness\"'", repo, times);
	fault(args);
	free(args);
	xasprintf(&args, "--method GET --path ^/token --status 200 --body "
	    "'%s'", body);
	fault(args);
	free(args);
}

/* A 401 Bearer challenge on the next HEADs of repo, realm on the front. */
static void
challenge(const char *repo, int times)
{
	char	*args;

	xasprintf(&args, "--method HEAD --path /%s/manifests/ --status 401 "
	    "--times %d --header 'WWW-Authenticate: Bearer realm=\"http://%s/"
	    "token\",service=\"harness\",scope=\"repository:%s:pull\"'",
	    repo, times, gfix->addr, repo);
	fault(args);
	free(args);
	fault("--method GET --path ^/token --status 200 --body "
	    "'{\"token\":\"t0k3n\",\"expires_in\":300}'");
}

static void
test_registry_auth_bearer(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "auth/app:1", "--seed 1");
	challenge("auth/app", 1);
	poll_one(&t, "auth/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.heads, 2);
	assert_int_equal(t.cached, 1);
	assert_int_equal(count_log("GET /token?service=harness&scope="
	    "repository%3Aauth%2Fapp%3Apull 200"), 1);
}

/* Run the loop until the pending operations of t end. */
static void
tpoll_wait(struct tpoll *t)
{
	t->pending = 1;
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(t->pending, 0);
}

/*
 * A second request carries the cached token before any 401; refused, the
 * token is dropped and a fresh one fetched, once.
 */
static void
test_registry_auth_cached(void **state)
{
	struct tpoll	 t;
	struct http	*h;
	const char	*hit;
	char		 d[160], url[256];
	int		 before;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "auth3/app:1", "--seed 1");
	challenge("auth3/app", 1);
	before = count_log("GET /token");
	h = tpoll_init(&t);
	assert_int_equal(registry_head_digest(t.reg, "auth3/app", "1",
	    tpoll_head_cb, &t), 0);
	tpoll_wait(&t);
	assert_int_equal(t.status, REGISTRY_OK);
	snprintf(url, sizeof url, "http://%s/v2/auth3/app/tags/list",
	    gfix->addr);
	hit = auth_lookup_url(t.auth, url, "repository:auth3/app:pull",
	    time(NULL));
	assert_non_null(hit);
	assert_string_equal(hit, "Bearer t0k3n");
	assert_null(auth_lookup_url(t.auth, url, "repository:other:pull",
	    time(NULL)));

	challenge("auth3/app", 1);
	assert_int_equal(registry_head_digest(t.reg, "auth3/app", "1",
	    tpoll_head_cb, &t), 0);
	tpoll_wait(&t);
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	tpoll_drain(&t, h);
	assert_int_equal(t.counts.heads, 4);
	assert_int_equal(count_log("GET /token"), before + 2);
	assert_int_equal(t.cached, 1);
}

/*
 * Token lifetimes: expires_in under 60 counts as 60; a token issued two
 * minutes ago for 60 s is not cached; a relative realm resolves.
 */
static void
test_registry_auth_expiry(void **state)
{
	struct tpoll	 t;
	struct tm	 tm;
	time_t		 past = time(NULL) - 120;
	char		 d[160], when[64], body[256];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "exp/app:1", "--seed 1");
	challenge_with("exp/app", 1, "{\"token\":\"a\",\"expires_in\":5}");
	poll_one(&t, "exp/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.cached, 1);

	gmtime_r(&past, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(body, sizeof body, "{\"access_token\":\"b\","
	    "\"expires_in\":60,\"issued_at\":\"%s\"}", when);
	challenge_with("exp/app", 1, body);
	poll_one(&t, "exp/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.cached, 0);

	challenge_with("exp/app", 1, "{\"expires_in\":300}");
	poll_one(&t, "exp/app", "1");
	assert_int_equal(t.status, REGISTRY_DENIED);
	assert_non_null(strstr(t.error, "token"));
}

static void
test_registry_auth_second_401(void **state)
{
	struct tpoll	 t;
	char		 d[160];
	int		 before;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "auth2/app:1", "--seed 1");
	challenge("auth2/app", 5);
	before = count_log("GET /token");
	poll_one(&t, "auth2/app", "1");
	assert_int_equal(t.status, REGISTRY_NOT_FOUND);
	assert_int_equal(t.counts.heads, 2);
	assert_int_equal(count_log("GET /token"), before + 1);
	assert_int_equal(nperiods("auth2/app", "1"), 0);
	fault("--clear");
}

static void
test_registry_auth_basic(void **state)
{
	struct tpoll		 t;
	struct registry_conf	 rc;
	char			 d[160], pw[400];
	FILE			*f;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "basic/app:1", "--seed 1");
	fault("--method HEAD --path /basic/app/manifests/ --status 401 "
	    "--header 'WWW-Authenticate: Basic realm=\"harness\"'");
	poll_one(&t, "basic/app", "1");
	assert_int_equal(t.status, REGISTRY_DENIED);

	snprintf(pw, sizeof pw, "%s/password", gfix->dir);
	f = fopen(pw, "w");
	assert_non_null(f);
	fputs("s3cret\n", f);
	fclose(f);
	memset(&rc, 0, sizeof rc);
	rc.name = gfix->addr;
	rc.username = (char *)"user";
	rc.password_file = pw;
	fault("--method HEAD --path /basic/app/manifests/ --status 401 "
	    "--header 'WWW-Authenticate: Basic realm=\"harness\"'");
	t.conf = &rc;
	poll_one(&t, "basic/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.heads, 2);
}

/*
 * Base URLs: Hub host, https (loopback too, until its https proves to
 * speak no TLS), insecure, mirror.
 */
static void
test_registry_base_url(void **state)
{
	static const struct {
		const char	*name;
		const char	*mirror;
		int		 insecure;
		const char	*base;
	} cases[] = {
		{ "docker.io", NULL, 0, "https://registry-1.docker.io" },
		{ "ghcr.io", NULL, 0, "https://ghcr.io" },
		{ "localhost:5000", NULL, 0, "https://localhost:5000" },
		{ "127.1.2.3:80", NULL, 0, "https://127.1.2.3:80" },
		{ "[::1]:5000", NULL, 0, "https://[::1]:5000" },
		{ "localhost:5000", NULL, 1, "http://localhost:5000" },
		{ "128.0.0.1:5000", NULL, 0, "https://128.0.0.1:5000" },
		{ "localhostx:5000", NULL, 0, "https://localhostx:5000" },
		{ "reg.lan:5000", NULL, 1, "http://reg.lan:5000" },
		{ "docker.io", "https://mirror.example/", 0,
		    "https://mirror.example" },
	};
	struct registry_conf	 rc;
	struct registry		*reg;
	struct http		*h;
	size_t			 i;

	(void)state;
	h = http_create(uv_default_loop(), NULL, NULL);
	assert_non_null(h);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&rc, 0, sizeof rc);
		rc.name = (char *)cases[i].name;
		rc.mirror = (char *)cases[i].mirror;
		rc.insecure = cases[i].insecure;
		reg = registry_create(uv_default_loop(), h, NULL, NULL,
		    cases[i].name, &rc, NULL);
		assert_non_null(reg);
		assert_string_equal(registry_base(reg), cases[i].base);
		assert_string_equal(registry_name(reg), cases[i].name);
		registry_free(reg);
	}
	http_free(h);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(uv_default_loop()), 0);
}

/* A mirror serves docker.io: requests go there, identity stays Hub's. */
static void
test_registry_mirror(void **state)
{
	struct tpoll		 t;
	struct registry_conf	 rc;
	struct http		*h;
	char			 d[160], mirror[128];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "library/mirrored:1", "--seed 4");
	snprintf(mirror, sizeof mirror, "http://%s/", gfix->addr);
	memset(&rc, 0, sizeof rc);
	rc.name = (char *)"docker.io";
	rc.mirror = mirror;
	rc.insecure = 1;
	h = http_create(uv_default_loop(), NULL, NULL);
	assert_non_null(h);
	t.auth = auth_create(uv_default_loop(), h);
	t.reg = registry_create(uv_default_loop(), h, t.auth, gfix->store,
	    "docker.io", &rc, NULL);
	assert_non_null(t.reg);
	assert_int_equal(registry_head_digest(t.reg, "library/mirrored", "1",
	    tpoll_head_cb, &t), 0);
	t.pending = 1;
	tpoll_drain(&t, h);
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(count_log_wait(
	    "HEAD /v2/library/mirrored/manifests/1 ", 1), 1);
}

/*
 * Operations in flight on one loop, counted; same is how many failures
 * had the first failure's message.  Runs until every batch on the loop
 * (*live of them) is done.
 */
struct batch {
	int	 pending;
	int	 ok;
	int	 failed;
	int	 same;
	int	*live;
	char	 error[512];
};

static void
batch_cb(const struct registry_result *res, void *arg)
{
	struct batch	*b = arg;
	const char	*e = res->error != NULL ? res->error : "";

	if (res->status == REGISTRY_OK)
		b->ok++;
	else if (b->failed++ == 0) {
		snprintf(b->error, sizeof b->error, "%s", e);
		b->same = 1;
	} else if (strcmp(b->error, e) == 0)
		b->same++;
	if (--b->pending == 0 && (b->live == NULL || --*b->live == 0))
		uv_stop(uv_default_loop());
}

/* HEAD tags 1.0.0 to 1.0.N-1 of repo at once and run until all end. */
static void
batch_heads(struct registry *reg, const char *repo, int n, struct batch *b)
{
	char	 tag[32];
	int	 i;

	memset(b, 0, sizeof *b);
	for (i = 0; i < n; i++) {
		snprintf(tag, sizeof tag, "1.0.%d", i);
		assert_int_equal(registry_head_digest(reg, repo, tag,
		    batch_cb, b), 0);
		b->pending++;
	}
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(b->pending, 0);
}

/*
 * A loopback registry that speaks no TLS: the first request tries
 * https://, fails its handshake and goes again over http://; every other
 * request of that registry object waits for the verdict and goes straight
 * to http://, now and later.  One failed transfer per registry object
 * (the engine's count), none of them counted by the registry; a registry
 * marked insecure never tries https.
 */
static void
test_registry_tls_fallback(void **state)
{
	struct registry_conf	 rc;
	struct registry_counts	 c;
	struct http_stats	 st;
	struct registry		*reg, *reg2, *reg3;
	struct http		*h;
	struct batch		 b;
	char			 base[128];

	(void)state;
	assert_int_equal(sh(NULL, 0, "%s many %s fallback/app 8",
	    gfix->harness, gfix->addr), 0);
	h = http_create(uv_default_loop(), NULL, NULL);
	assert_non_null(h);
	reg = registry_create(uv_default_loop(), h, NULL, NULL, gfix->addr,
	    NULL, NULL);
	assert_non_null(reg);
	snprintf(base, sizeof base, "https://%s", gfix->addr);
	assert_string_equal(registry_base(reg), base);

	batch_heads(reg, "fallback/app", 8, &b);
	assert_int_equal(b.ok, 8);
	snprintf(base, sizeof base, "http://%s", gfix->addr);
	assert_string_equal(registry_base(reg), base);
	http_get_stats(h, gfix->addr, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.requests, 9);
	registry_get_counts(reg, &c);
	assert_int_equal(c.requests, 8);
	assert_int_equal(c.heads, 8);
	assert_int_equal(c.errors, 0);

	/* Later requests of the same object: no second try. */
	batch_heads(reg, "fallback/app", 4, &b);
	assert_int_equal(b.ok, 4);
	http_get_stats(h, gfix->addr, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.requests, 13);

	/* Another registry object probes again, once. */
	reg2 = registry_create(uv_default_loop(), h, NULL, NULL, gfix->addr,
	    NULL, NULL);
	assert_non_null(reg2);
	batch_heads(reg2, "fallback/app", 5, &b);
	assert_int_equal(b.ok, 5);
	http_get_stats(h, gfix->addr, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.requests, 19);

	/* Insecure: plain http from the start. */
	memset(&rc, 0, sizeof rc);
	rc.name = gfix->addr;
	rc.insecure = 1;
	reg3 = registry_create(uv_default_loop(), h, NULL, NULL, gfix->addr,
	    &rc, NULL);
	assert_non_null(reg3);
	assert_string_equal(registry_base(reg3), base);
	batch_heads(reg3, "fallback/app", 3, &b);
	assert_int_equal(b.ok, 3);
	http_get_stats(h, gfix->addr, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.requests, 22);

	registry_free(reg);
	registry_free(reg2);
	registry_free(reg3);
	http_free(h);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(uv_default_loop()), 0);
}

/* Start the TLS front (a CA made now) in dir/tls; its address in addr. */
static void
tls_start(char *addr, size_t len, char *ca, size_t calen, char *backend,
    size_t blen)
{
	char	 port[32];

	assert_int_equal(sh(ca, calen, "%s tls-certs %s/certs", gfix->harness,
	    gfix->dir), 0);
	assert_int_equal(sh(addr, len, "%s start %s/tls --owner %ld "
	    "--max-lifetime 300 --tls %s/certs/server.pem %s/certs/server.key",
	    gfix->harness, gfix->dir, (long)getpid(), gfix->dir, gfix->dir),
	    0);
	assert_int_equal(sh(port, sizeof port, "cat %s/tls/backend.port",
	    gfix->dir), 0);
	snprintf(backend, blen, "127.0.0.1:%s", port);
}

/* HEAD repo:tag n times on a new registry for addr; the results in b. */
static void
tls_head(const char *addr, const struct registry_conf *rc, const char *repo,
    const char *tag, int n, struct batch *b, struct registry_counts *c,
    char *base, size_t baselen)
{
	struct registry	*reg;
	struct http	*h;
	int		 i;

	h = http_create(uv_default_loop(), NULL, NULL);
	assert_non_null(h);
	reg = registry_create(uv_default_loop(), h, NULL, NULL, addr, rc,
	    NULL);
	assert_non_null(reg);
	memset(b, 0, sizeof *b);
	for (i = 0; i < n; i++) {
		assert_int_equal(registry_head_digest(reg, repo, tag,
		    batch_cb, b), 0);
		b->pending++;
	}
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(b->pending, 0);
	registry_get_counts(reg, c);
	snprintf(base, baselen, "%s", registry_base(reg));
	registry_free(reg);
	http_free(h);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(uv_default_loop()), 0);
}

/*
 * A loopback registry on HTTPS with a private CA: with ca_file the HEAD
 * succeeds over TLS (the front logs it); without, the error names the
 * certificate and the cure, and nothing goes to plain http://.
 */
static void
test_registry_ca_file(void **state)
{
	struct registry_conf	 rc;
	struct registry_counts	 c;
	struct batch		 b;
	char			 addr[64], ca[300], backend[64], d[160];
	char			 base[128], want[128], other[300];

	(void)state;
	tls_start(addr, sizeof addr, ca, sizeof ca, backend, sizeof backend);
	assert_int_equal(sh(d, sizeof d, "%s push %s tls/app:1 --seed 7",
	    gfix->harness, backend), 0);
	snprintf(want, sizeof want, "https://%s", addr);

	memset(&rc, 0, sizeof rc);
	rc.name = addr;
	rc.ca_file = ca;
	tls_head(addr, &rc, "tls/app", "1", 1, &b, &c, base, sizeof base);
	assert_int_equal(b.ok, 1);
	assert_string_equal(base, want);
	assert_int_equal(c.requests, 1);
	assert_int_equal(count_log_in("tls", "HEAD /v2/tls/app/manifests/1 "
	    "200"), 1);

	/* One handshake fails: the registry is unreachable for all five. */
	tls_head(addr, NULL, "tls/app", "1", 5, &b, &c, base, sizeof base);
	assert_int_equal(b.failed, 5);
	assert_int_equal(b.same, 5);
	assert_int_equal(c.requests, 1);
	assert_int_equal(c.errors, 5);
	assert_non_null(strstr(b.error, "registry unreachable"));
	assert_non_null(strstr(b.error, "certificate verification failed"));
	assert_non_null(strstr(b.error, "ca_file"));
	assert_non_null(strstr(b.error, "insecure"));
	assert_string_equal(base, want);
	assert_int_equal(count_log_in_wait("tls", "TLS-FAIL", 1), 1);
	assert_int_equal(count_log_in("tls", "PLAIN"), 0);
	assert_int_equal(count_log_in("tls", "HEAD "), 1);

	/* Another CA fails the same way. */
	assert_int_equal(sh(other, sizeof other, "%s tls-certs %s/certs2",
	    gfix->harness, gfix->dir), 0);
	rc.ca_file = other;
	tls_head(addr, &rc, "tls/app", "1", 1, &b, &c, base, sizeof base);
	assert_int_equal(b.failed, 1);
	assert_non_null(strstr(b.error, "certificate verification failed"));
	assert_int_equal(count_log_in("tls", "PLAIN"), 0);
	assert_int_equal(sh(NULL, 0, "%s stop %s/tls", gfix->harness,
	    gfix->dir), 0);
}

/* A loopback "host:port" where nothing listens (the port was just free). */
static void
dead_addr(char *addr, size_t len)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	close(fd);
	snprintf(addr, len, "127.0.0.1:%d", ntohs(sin.sin_port));
}

/*
 * 50 tags on a registry where nothing listens, next to a healthy one in
 * the same poll: one request retries (after the https try), the others
 * wait for it, and when it gives up all of them fail at once with one
 * message; later requests fail without a try.  The healthy registry is
 * not held up.
 */
static void
test_registry_unreachable(void **state)
{
	struct registry_counts	 c;
	struct http_stats	 st;
	struct registry		*dead, *ok;
	struct http		*h;
	struct batch		 bd, bo;
	char			 addr[64], tag[32], first[512];
	uint64_t		 t0, ms;
	int			 i, live = 2;

	(void)state;
	assert_int_equal(sh(NULL, 0, "%s many %s unreach/app 5",
	    gfix->harness, gfix->addr), 0);
	dead_addr(addr, sizeof addr);
	h = http_create(uv_default_loop(), NULL, NULL);
	assert_non_null(h);
	dead = registry_create(uv_default_loop(), h, NULL, NULL, addr, NULL,
	    NULL);
	ok = registry_create(uv_default_loop(), h, NULL, NULL, gfix->addr,
	    NULL, NULL);
	assert_true(dead != NULL && ok != NULL);
	memset(&bd, 0, sizeof bd);
	memset(&bo, 0, sizeof bo);
	bd.live = bo.live = &live;
	for (i = 0; i < 50; i++) {
		snprintf(tag, sizeof tag, "1.0.%d", i);
		assert_int_equal(registry_head_digest(dead, "unreach/app",
		    tag, batch_cb, &bd), 0);
		bd.pending++;
		if (i >= 5)
			continue;
		assert_int_equal(registry_head_digest(ok, "unreach/app", tag,
		    batch_cb, &bo), 0);
		bo.pending++;
	}
	t0 = now_ms();
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	ms = now_ms() - t0;
	assert_int_equal(live, 0);
	assert_int_equal(bo.ok, 5);
	assert_int_equal(bd.failed, 50);
	assert_int_equal(bd.same, 50);
	assert_non_null(strstr(bd.error, "registry unreachable: "));
	/* Three backoffs, jitter included, and no more. */
	assert_true(ms < 8000);
	registry_get_counts(dead, &c);
	assert_int_equal(c.requests, REGISTRY_MAX_ATTEMPTS);
	assert_int_equal(c.heads, REGISTRY_MAX_ATTEMPTS);
	assert_int_equal(c.errors, 50);
	http_get_stats(h, addr, &st);
	assert_int_equal(st.requests, REGISTRY_MAX_ATTEMPTS + 1);
	assert_int_equal(st.failed, REGISTRY_MAX_ATTEMPTS + 1);

	/* Later: at once, the same message, nothing sent. */
	snprintf(first, sizeof first, "%s", bd.error);
	memset(&bd, 0, sizeof bd);
	assert_int_equal(registry_list_tags(dead, "unreach/app", batch_cb,
	    &bd), 0);
	bd.pending = 1;
	t0 = now_ms();
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_true(now_ms() - t0 < 500);
	assert_int_equal(bd.failed, 1);
	assert_string_equal(bd.error, first);
	registry_get_counts(dead, &c);
	assert_int_equal(c.requests, REGISTRY_MAX_ATTEMPTS);
	assert_int_equal(c.errors, 51);

	registry_free(dead);
	registry_free(ok);
	http_free(h);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(uv_default_loop()), 0);
}

/* One Hub page: its text, the result, and the push times expected. */
static const struct {
	const char	*body;
	int		 rc;
	size_t		 n;
	const char	*name;		/* of the first entry */
	time_t		 pushed;
} hub_vectors[] = {
	{ "{\"count\":1,\"results\":[{\"name\":\"1.0\",\"tag_last_pushed\":"
	  "\"2024-05-01T12:34:56.789012Z\",\"last_updated\":"
	  "\"2024-06-01T00:00:00Z\"}]}", 0, 1, "1.0", 1714566896 },
	{ "{\"results\":[{\"name\":\"x\",\"tag_last_pushed\":null,"
	  "\"last_updated\":\"2024-06-01T00:00:00Z\"}]}", 0, 1, "x",
	  1717200000 },
	{ "{\"results\":[{\"name\":\"y\",\"tag_last_pushed\":"
	  "\"2024-05-01T14:34:56+02:00\"}]}", 0, 1, "y", 1714566896 },
	{ "{\"results\":[{\"name\":\"z\",\"tag_last_pushed\":"
	  "\"2024-05-01t12:34:56.5-00:30\"}]}", 0, 1, "z", 1714568696 },
	{ "{\"results\":[{\"name\":\"-bad\",\"last_updated\":"
	  "\"2024-06-01T00:00:00Z\"},{\"name\":5},{\"last_updated\":"
	  "\"2024-06-01T00:00:00Z\"},7,null]}", 0, 0, NULL, 0 },
	{ "{\"results\":[{\"name\":\"a\",\"tag_last_pushed\":"
	  "\"2024-05-01 12:34:56Z\"},{\"name\":\"b\",\"last_updated\":"
	  "\"2024-05-01T12:34:56\"},{\"name\":\"c\",\"last_updated\":"
	  "\"0001-01-01T00:00:00Z\"},{\"name\":\"d\",\"last_updated\":"
	  "\"2024-05-01T12:34:56Zjunk\"},{\"name\":\"e\",\"last_updated\":"
	  "\"\"},{\"name\":\"f\",\"last_updated\":\"2024-05-01T12:34:56.Z\"},"
	  "{\"name\":\"g\",\"last_updated\":20240501}]}", 0, 0, NULL, 0 },
	{ "{\"results\":[]}", 0, 0, NULL, 0 },
	{ "{\"results\":{}}", -1, 0, NULL, 0 },
	{ "{\"count\":0}", -1, 0, NULL, 0 },
	{ "[]", -1, 0, NULL, 0 },
	{ "{\"results\":[{\"name\":\"a\"}", -1, 0, NULL, 0 },
	{ "", -1, 0, NULL, 0 },
};

/* The Hub page parser on vectors, and its results[] cap. */
static void
test_registry_hub_parse(void **state)
{
	struct registry_hub_page	 pg;
	struct buf			 b;
	char				*cause;
	size_t				 i;
	int				 rc;

	(void)state;
	for (i = 0; i < sizeof hub_vectors / sizeof hub_vectors[0]; i++) {
		cause = NULL;
		rc = registry_parse_hub_tags(hub_vectors[i].body,
		    strlen(hub_vectors[i].body), &pg, &cause);
		if (rc != hub_vectors[i].rc || pg.n != hub_vectors[i].n)
			fail_msg("vector %zu: rc %d, %zu entries", i, rc,
			    pg.n);
		assert_true((rc == 0) == (cause == NULL));
		if (pg.n > 0) {
			assert_string_equal(pg.list[0].name,
			    hub_vectors[i].name);
			assert_int_equal(pg.list[0].pushed,
			    hub_vectors[i].pushed);
		}
		free(cause);
		registry_hub_page_clear(&pg);
	}
	buf_init(&b, 1 << 20);
	buf_printf(&b, "{\"results\":[");
	for (i = 0; i <= REGISTRY_MAX_HUB_TAGS; i++)
		buf_printf(&b, "%s{\"name\":\"t%zu\",\"last_updated\":"
		    "\"2024-06-01T00:00:00Z\"}", i == 0 ? "" : ",", i);
	buf_printf(&b, "]}");
	cause = NULL;
	assert_int_equal(registry_parse_hub_tags(b.data, b.len, &pg, &cause),
	    -1);
	assert_non_null(strstr(cause, "results"));
	assert_null(pg.list);
	free(cause);
	buf_deinit(&b);
}

/* The push times the store has for repo's tags, by name, in order. */
static void
stored_pushed(const char *repo, const char *const *names, time_t *out,
    size_t n)
{
	struct store_tag	*tags;
	size_t			 ntags = 0, i, j;
	char			*id;

	xasprintf(&id, "%s/%s", gfix->addr, repo);
	assert_int_equal(store_tags(gfix->store, id, &tags, &ntags, NULL), 0);
	for (i = 0; i < n; i++) {
		out[i] = -1;
		for (j = 0; j < ntags; j++) {
			if (strcmp(tags[j].name, names[i]) == 0)
				out[i] = tags[j].pushed;
		}
		assert_true(out[i] != -1);
	}
	store_tags_free(tags, ntags);
	free(id);
}

/*
 * Docker Hub's tag API on the harness front (--hub answers it from the
 * manifest PUTs it saw): one page after tags/list gives the push times;
 * a malformed or failed answer leaves them as they were, counts one
 * error, and never fails the list; hub_api "none" asks nothing.
 */
static void
test_registry_hub_push_times(void **state)
{
	static const char *const names[] = { "a", "b", "c" };
	struct registry_conf	 rc;
	struct tpoll		 t;
	char			 d[160], hub[128];
	time_t			 t0, t1, t2, got[3], again[3];
	size_t			 i;

	(void)state;
	t0 = time(NULL);
	push(d, sizeof d, "hub/app:a", "--seed 1");
	t1 = time(NULL);
	push(d, sizeof d, "hub/app:b", "--seed 2");
	push(d, sizeof d, "hub/app:c", "--seed 3");
	t2 = time(NULL);
	snprintf(hub, sizeof hub, "http://%s/", gfix->addr);
	memset(&rc, 0, sizeof rc);
	rc.name = gfix->addr;
	rc.insecure = 1;
	rc.hub_api = hub;
	memset(&t, 0, sizeof t);
	t.conf = &rc;
	list_one(&t, "hub/app");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.count, 3);
	assert_int_equal(t.counts.requests, 2);
	assert_int_equal(t.counts.gets, 2);
	assert_int_equal(t.counts.errors, 0);
	assert_int_equal(count_log_wait("GET /v2/namespaces/hub/repositories/"
	    "app/tags?page_size=100&ordering=last_updated 200", 1), 1);
	stored_pushed("hub/app", names, got, 3);
	for (i = 0; i < 3; i++)
		assert_true(got[i] >= t0 && got[i] <= t2);
	assert_true(got[0] <= t1);

	/* Malformed, then failed: the list goes on, the times stay. */
	fault("--method GET --path ^/v2/namespaces/hub/ --status 200 "
	    "--body '{\"results\":[{\"name\":'");
	t.conf = &rc;
	list_one(&t, "hub/app");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.count, 3);
	assert_int_equal(t.counts.errors, 1);
	fault("--method GET --path ^/v2/namespaces/hub/ --status 500");
	t.conf = &rc;
	list_one(&t, "hub/app");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.counts.errors, 1);
	stored_pushed("hub/app", names, again, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(again[i], got[i]);

	/* A repository the Hub never saw: 404, times unknown. */
	push(d, sizeof d, "hub2/app:a", "--seed 1");
	fault("--method GET --path ^/v2/namespaces/hub2/ --status 404");
	t.conf = &rc;
	list_one(&t, "hub2/app");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.counts.errors, 1);
	stored_pushed("hub2/app", names, got, 1);
	assert_int_equal(got[0], 0);

	/* none: no Hub request at all. */
	rc.hub_api = (char *)"none";
	t.conf = &rc;
	list_one(&t, "hub2/app");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.counts.requests, 1);
	assert_int_equal(count_log("GET /v2/namespaces/hub2/"), 1);
}

static void
test_registry_digest_of(void **state)
{
	char	*d;

	(void)state;
	d = registry_digest_of("sha256", "", 0);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	free(d);
	assert_null(registry_digest_of("md5", "", 0));
	assert_true(registry_is_index_type(
	    "application/vnd.docker.distribution.manifest.list.v2+json"));
	assert_false(registry_is_index_type(
	    "application/vnd.oci.image.manifest.v1+json"));
	assert_false(registry_is_index_type(NULL));
}

/* Milliseconds on a monotonic clock. */
static uint64_t
now_ms(void)
{
	return (uv_hrtime() / 1000000);
}

/* The peak resident size of this process, in KiB. */
static long
maxrss_kb(void)
{
	struct rusage	 ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return (ru.ru_maxrss);
}

/* A 429 without Retry-After: retried after the exponential backoff. */
static void
test_registry_retry_backoff(void **state)
{
	struct tpoll	 t;
	char		 d[160];
	uint64_t	 t0, ms;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "backoff/app:1", "--seed 1");
	fault("--method HEAD --path /backoff/app/manifests/ --status 429");
	t0 = now_ms();
	poll_one(&t, "backoff/app", "1");
	ms = now_ms() - t0;
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.throttled, 1);
	assert_int_equal(t.counts.heads, 2);
	assert_true(ms >= REGISTRY_BACKOFF_MS);
	assert_true(ms < 5000);
	assert_int_equal(count_log_wait("HEAD /v2/backoff/app/manifests/1 429",
	    1), 1);
	assert_int_equal(nperiods("backoff/app", "1"), 1);
}

/*
 * A stalled HEAD (no answer at all) and a stalled index GET (headers, then
 * nothing) each time out within the engine's timeout and are retried.
 */
static void
test_registry_stalled(void **state)
{
	struct tpoll		 t;
	struct http_opts	 o;
	char			 d[160];
	uint64_t		 t0, ms;

	(void)state;
	memset(&t, 0, sizeof t);
	memset(&o, 0, sizeof o);
	o.timeout_ms = 400;
	push(d, sizeof d, "stall/app:1", "--platforms linux/amd64,"
	    "linux/arm64 --seed 41");
	fault("--method HEAD --path /stall/app/manifests/1$ --delay 6");
	fault("--method GET --path /stall/app/manifests/sha256: --stall 6");
	t.opts = &o;
	t0 = now_ms();
	poll_one(&t, "stall/app", "1");
	ms = now_ms() - t0;
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.heads, 2);
	assert_int_equal(t.index_calls, 1);
	assert_int_equal(t.index_status, REGISTRY_OK);
	assert_int_equal(t.counts.gets, 2);
	assert_int_equal(t.count, 2);
	/* Two timeouts and two backoffs, less than one stall. */
	assert_true(ms < 5000);
	assert_int_equal(store_index_known(gfix->store, d, NULL), 1);
	assert_int_equal(nperiods("stall/app", "1"), 1);
}

/* A body cut short of its Content-Length is never hashed: retried. */
static void
test_registry_truncated_body(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "trunc/app:1", "--seed 6");
	fault("--method HEAD --path /trunc/app/manifests/ --status 200 "
	    "--body '{}'");
	fault("--method GET --path /trunc/app/manifests/1$ --truncate 40");
	poll_one(&t, "trunc/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.counts.heads, 1);
	assert_int_equal(t.counts.gets, 2);
	assert_int_equal(count_log_wait("GET /v2/trunc/app/manifests/1 200",
	    2), 2);
	assert_int_equal(nperiods("trunc/app", "1"), 1);
}

/* Invalid JSON for an index GET: the tag is recorded, the index is not. */
static void
test_registry_index_invalid_json(void **state)
{
	struct tpoll	 t;
	char		 d[160];

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "ijson/app:1", "--platforms linux/amd64,"
	    "linux/arm64 --seed 11");
	fault("--method GET --path /ijson/app/manifests/sha256 --status 200 "
	    "--body '{\"schemaVersion\":2,\"manifests\":[{\"digest\":'");
	poll_one(&t, "ijson/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.index_calls, 1);
	assert_int_equal(t.index_status, REGISTRY_INVALID);
	assert_int_equal(t.counts.gets, 1);
	assert_int_equal(store_index_known(gfix->store, d, NULL), 0);
	assert_int_equal(nperiods("ijson/app", "1"), 1);
}

/* A 50 MB index body: refused at the cap, without holding 50 MB. */
static void
test_registry_index_huge(void **state)
{
	struct tpoll	 t;
	char		 d[160];
	long		 rss;

	(void)state;
	memset(&t, 0, sizeof t);
	push(d, sizeof d, "hugeidx/app:1", "--platforms linux/amd64,"
	    "linux/arm64 --seed 12");
	fault("--method GET --path /hugeidx/app/manifests/sha256 --status 200 "
	    "--body '{\"schemaVersion\":2,\"manifests\":[' "
	    "--body-bytes 52428800");
	rss = maxrss_kb();
	poll_one(&t, "hugeidx/app", "1");
	assert_int_equal(t.status, REGISTRY_OK);
	assert_string_equal(t.digest, d);
	assert_int_equal(t.index_calls, 1);
	assert_int_not_equal(t.index_status, REGISTRY_OK);
	assert_int_equal(t.counts.gets, 1);
	assert_true(maxrss_kb() - rss < 32 * 1024);
	assert_int_equal(store_index_known(gfix->store, d, NULL), 0);
	assert_int_equal(nperiods("hugeidx/app", "1"), 1);
}

/* List the tags of repo once; the result in t. */
static void
list_one(struct tpoll *t, const char *repo)
{
	struct http	*h;

	h = tpoll_init(t);
	assert_int_equal(registry_list_tags(t->reg, repo, tpoll_tags_cb, t),
	    0);
	t->pending = 1;
	tpoll_drain(t, h);
	assert_int_equal(t->calls, 1);
}

/* Tags the store lists for repo on the harness. */
static size_t
nstored_tags(const char *repo)
{
	struct store_tag	*tags;
	size_t			 n = 0;
	char			*id;

	xasprintf(&id, "%s/%s", gfix->addr, repo);
	assert_int_equal(store_tags(gfix->store, id, &tags, &n, NULL), 0);
	store_tags_free(tags, n);
	free(id);
	return (n);
}

/* Invalid JSON and a 50 MB page for tags/list: failed, nothing stored. */
static void
test_registry_tags_hostile(void **state)
{
	struct tpoll	 t;
	long		 rss;

	(void)state;
	memset(&t, 0, sizeof t);
	fault("--method GET --path /tjson/app/tags/list --status 200 "
	    "--body '{\"name\":\"tjson/app\",\"tags\":[\"1\",'");
	list_one(&t, "tjson/app");
	assert_int_equal(t.status, REGISTRY_INVALID);
	assert_int_equal(t.counts.gets, 1);
	assert_int_equal(nstored_tags("tjson/app"), 0);

	fault("--method GET --path /tbig/app/tags/list --status 200 "
	    "--body '{\"name\":\"tbig/app\",\"tags\":[' --body-bytes 52428800");
	rss = maxrss_kb();
	list_one(&t, "tbig/app");
	assert_int_not_equal(t.status, REGISTRY_OK);
	assert_int_equal(t.counts.gets, 1);
	assert_true(maxrss_kb() - rss < 32 * 1024);
	assert_int_equal(nstored_tags("tbig/app"), 0);
}

/* One operation of the mixed poll. */
struct mixop {
	struct mix		*m;
	const char		*repo;
	const char		*tag;		/* NULL: list the tags */
	enum registry_status	 status;
	enum registry_status	 index_status;
	int			 index_calls;
	char			 digest[160];
};

struct mix {
	struct registry	*reg;
	int		 pending;
	int		 failures;
	int64_t		 changes;
};

static void
mix_release(struct mix *m)
{
	if (--m->pending == 0)
		uv_stop(uv_default_loop());
}

static void
mix_index_cb(const struct registry_result *res, void *arg)
{
	struct mixop	*op = arg;

	op->index_calls++;
	op->index_status = res->status;
	if (res->status != REGISTRY_OK)
		op->m->failures++;
	mix_release(op->m);
}

/* Record a resolved tag and fetch its index when new, as a poll does. */
static void
mix_head_cb(const struct registry_result *res, void *arg)
{
	struct mixop		*op = arg;
	enum store_change	 ch;
	char			*id;

	op->status = res->status;
	if (res->status != REGISTRY_OK)
		op->m->failures++;
	else {
		snprintf(op->digest, sizeof op->digest, "%s", res->digest);
		xasprintf(&id, "%s/%s", gfix->addr, op->repo);
		assert_int_equal(store_record_digest(gfix->store, id, op->tag,
		    res->digest, res->media_type, time(NULL), &ch, NULL), 0);
		free(id);
		if (ch != STORE_SAME)
			op->m->changes++;
		if (registry_is_index_type(res->media_type) &&
		    store_index_known(gfix->store, res->digest, NULL) == 0) {
			assert_int_equal(registry_get_index(op->m->reg,
			    op->repo, res->digest, mix_index_cb, op), 0);
			op->m->pending++;
		}
	}
	mix_release(op->m);
}

static void
mix_tags_cb(const struct registry_result *res, void *arg)
{
	struct mixop	*op = arg;

	op->status = res->status;
	if (res->status != REGISTRY_OK)
		op->m->failures++;
	mix_release(op->m);
}

/*
 * One poll over healthy tags and one of each fault: the healthy tags are
 * recorded, each failure is counted in the poll row, and no tag gets a
 * digest it does not have.
 */
static void
test_registry_mixed_poll(void **state)
{
	struct mixop		 ops[] = {
		{ NULL, "mix/app", "t0", 0, 0, 0, "" },
		{ NULL, "mix/app", "t1", 0, 0, 0, "" },
		{ NULL, "mix/app", "multi", 0, 0, 0, "" },
		{ NULL, "mix/app", "t2", 0, 0, 0, "" },	/* 429 */
		{ NULL, "mix/app", "t3", 0, 0, 0, "" },	/* 503 */
		{ NULL, "mix/app", "t4", 0, 0, 0, "" },	/* reset */
		{ NULL, "mix/app", "t5", 0, 0, 0, "" },	/* stall */
		{ NULL, "mix/app", "t6", 0, 0, 0, "" },	/* truncated */
		{ NULL, "mix/app", "t7", 0, 0, 0, "" },	/* wrong digest */
		{ NULL, "mix/app", "ijson", 0, 0, 0, "" },
		{ NULL, "mix/app", "big", 0, 0, 0, "" },
		{ NULL, "mix/app", NULL, 0, 0, 0, "" },
		{ NULL, "mixj/app", NULL, 0, 0, 0, "" },
		{ NULL, "mixb/app", NULL, 0, 0, 0, "" },
	};
	static const char *const healthy[] = { "t0", "t1", "multi", "ijson",
		"big" };
	const size_t		 nops = sizeof ops / sizeof ops[0];
	struct store_poll_counts pc;
	struct store_poll	 last;
	struct registry_counts	 rc;
	struct http_opts	 o;
	struct auth		*auth;
	struct http		*h;
	struct mix		 m;
	char			 single[160], multi[160], ijson[160];
	char			 big[160], line[256], *id;
	int64_t			 pid;
	size_t			 i, j;
	FILE			*p;

	(void)state;
	memset(&m, 0, sizeof m);
	memset(&o, 0, sizeof o);
	o.timeout_ms = 500;
	xasprintf(&id, "%s many %s mix/app 8 --format 't{i}' --seed 30",
	    gfix->harness, gfix->addr);
	p = popen(id, "r");
	free(id);
	assert_non_null(p);
	single[0] = '\0';
	while (fgets(line, sizeof line, p) != NULL)
		assert_true(sscanf(line, "%*s %159s", single) == 1);
	assert_int_equal(pclose(p), 0);
	assert_true(strncmp(single, "sha256:", 7) == 0);
	push(multi, sizeof multi, "mix/app:multi", "--platforms linux/amd64,"
	    "linux/arm64 --seed 31");
	push(ijson, sizeof ijson, "mix/app:ijson", "--platforms linux/amd64,"
	    "linux/arm64 --seed 32");
	push(big, sizeof big, "mix/app:big", "--platforms linux/amd64,"
	    "linux/arm64 --seed 33");

	fault("--method HEAD --path /mix/app/manifests/t2$ --status 429 "
	    "--times -1");
	fault("--method HEAD --path /mix/app/manifests/t3$ --status 503 "
	    "--times -1");
	fault("--method HEAD --path /mix/app/manifests/t4$ --drop --times -1");
	fault("--method HEAD --path /mix/app/manifests/t5$ --delay 2 "
	    "--times -1");
	fault("--method HEAD --path /mix/app/manifests/t6$ --status 200 "
	    "--body '{}' --times -1");
	fault("--method GET --path /mix/app/manifests/t6$ --truncate 30 "
	    "--times -1");
	fault("--method HEAD --path /mix/app/manifests/t7$ --header "
	    "'Docker-Content-Digest: sha256:"
	    "11111111111111111111111111111111"
	    "11111111111111111111111111111111' --times -1");
	xasprintf(&id, "--method GET --path /mix/app/manifests/%s --status "
	    "200 --body '{\"manifests\":' --times -1", ijson);
	fault(id);
	free(id);
	xasprintf(&id, "--method GET --path /mix/app/manifests/%s --status "
	    "200 --body '{\"manifests\":[' --body-bytes 52428800 --times -1",
	    big);
	fault(id);
	free(id);
	fault("--method GET --path /mixj/app/tags/list --status 200 "
	    "--body '{\"tags\":[' --times -1");
	fault("--method GET --path /mixb/app/tags/list --status 200 "
	    "--body '{\"tags\":[' --body-bytes 52428800 --times -1");

	assert_int_equal(store_poll_begin(gfix->store, time(NULL), &pid, NULL),
	    0);
	h = http_create(uv_default_loop(), &o, NULL);
	assert_non_null(h);
	auth = auth_create(uv_default_loop(), h);
	m.reg = registry_create(uv_default_loop(), h, auth, gfix->store,
	    gfix->addr, NULL, NULL);
	assert_non_null(m.reg);
	for (i = 0; i < nops; i++) {
		ops[i].m = &m;
		if (ops[i].tag != NULL)
			assert_int_equal(registry_head_digest(m.reg,
			    ops[i].repo, ops[i].tag, mix_head_cb, &ops[i]), 0);
		else
			assert_int_equal(registry_list_tags(m.reg,
			    ops[i].repo, mix_tags_cb, &ops[i]), 0);
		m.pending++;
	}
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(m.pending, 0);
	registry_get_counts(m.reg, &rc);
	registry_free(m.reg);
	auth_free(auth);
	http_free(h);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(uv_default_loop()), 0);
	fault("--clear");

	memset(&pc, 0, sizeof pc);
	pc.requests = rc.requests;
	pc.heads = rc.heads;
	pc.gets = rc.gets;
	pc.errors = rc.errors;
	pc.throttled = rc.throttled;
	pc.changes = m.changes;
	pc.ratelimit_remaining = rc.ratelimit_remaining;
	assert_int_equal(store_poll_finish(gfix->store, pid, time(NULL), &pc,
	    NULL), 0);
	memset(&last, 0, sizeof last);
	/* 1: a poll was found. */
	assert_int_equal(store_poll_last(gfix->store, &last, NULL), 1);
	assert_true(last.id == pid);
	assert_true(last.finished != 0);
	/* Six tags, two indexes, two tag lists. */
	assert_int_equal(m.failures, 10);
	assert_int_equal(last.counts.errors, 10);
	assert_int_equal(last.counts.throttled, REGISTRY_MAX_ATTEMPTS);
	assert_int_equal(last.counts.changes, 5);
	assert_int_equal(last.counts.heads, rc.heads);

	for (i = 0; i < nops; i++) {
		int	 ok = 0;

		for (j = 0; j < sizeof healthy / sizeof healthy[0]; j++) {
			if (ops[i].tag != NULL &&
			    strcmp(ops[i].tag, healthy[j]) == 0)
				ok = 1;
		}
		if (ops[i].tag == NULL)
			ok = strcmp(ops[i].repo, "mix/app") == 0;
		if (ok)
			assert_int_equal(ops[i].status, REGISTRY_OK);
		else
			assert_int_not_equal(ops[i].status, REGISTRY_OK);
		if (ops[i].tag != NULL)
			assert_int_equal(nperiods(ops[i].repo, ops[i].tag),
			    ok ? 1 : 0);
	}
	assert_string_equal(ops[0].digest, single);
	assert_string_equal(ops[1].digest, single);
	assert_string_equal(ops[2].digest, multi);
	assert_string_equal(ops[9].digest, ijson);
	assert_string_equal(ops[10].digest, big);
	assert_int_equal(ops[8].status, REGISTRY_INVALID);
	assert_int_equal(ops[2].index_status, REGISTRY_OK);
	assert_int_equal(ops[9].index_status, REGISTRY_INVALID);
	assert_int_not_equal(ops[10].index_status, REGISTRY_OK);
	assert_int_equal(store_index_known(gfix->store, multi, NULL), 1);
	assert_int_equal(store_index_known(gfix->store, ijson, NULL), 0);
	assert_int_equal(store_index_known(gfix->store, big, NULL), 0);
	assert_int_equal(nstored_tags("mix/app"), 11);
	assert_int_equal(nstored_tags("mixj/app"), 0);
	assert_int_equal(nstored_tags("mixb/app"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_digest_of),
		cmocka_unit_test(test_registry_base_url),
		cmocka_unit_test(test_registry_mirror),
		cmocka_unit_test(test_registry_tls_fallback),
		cmocka_unit_test(test_registry_ca_file),
		cmocka_unit_test(test_registry_unreachable),
		cmocka_unit_test(test_registry_hub_parse),
		cmocka_unit_test(test_registry_hub_push_times),
		cmocka_unit_test(test_registry_single_manifest),
		cmocka_unit_test(test_registry_index_platforms),
		cmocka_unit_test(test_registry_moved),
		cmocka_unit_test(test_registry_unchanged_no_get),
		cmocka_unit_test(test_registry_not_found),
		cmocka_unit_test(test_registry_retry_after),
		cmocka_unit_test(test_registry_retry_dropped),
		cmocka_unit_test(test_registry_retry_exhausted),
		cmocka_unit_test(test_registry_wrong_digest_header),
		cmocka_unit_test(test_registry_head_without_digest),
		cmocka_unit_test(test_registry_get_digest_mismatch),
		cmocka_unit_test(test_registry_wrong_index_body),
		cmocka_unit_test(test_registry_list_tags),
		cmocka_unit_test(test_registry_auth_bearer),
		cmocka_unit_test(test_registry_auth_cached),
		cmocka_unit_test(test_registry_auth_expiry),
		cmocka_unit_test(test_registry_auth_second_401),
		cmocka_unit_test(test_registry_auth_basic),
		cmocka_unit_test(test_registry_retry_backoff),
		cmocka_unit_test(test_registry_stalled),
		cmocka_unit_test(test_registry_truncated_body),
		cmocka_unit_test(test_registry_index_invalid_json),
		cmocka_unit_test(test_registry_index_huge),
		cmocka_unit_test(test_registry_tags_hostile),
		cmocka_unit_test(test_registry_mixed_poll),
	};
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
