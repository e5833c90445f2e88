/*
 * The walker against trees built at run time in a temporary directory:
 * what is scanned, what is skipped and why, in which order.  The scanners
 * may find nothing yet, so the assertions are on files_scanned and on the
 * skip list; a file made binary is a probe that shows up as "binary file"
 * exactly when the walker read it.  Every walk runs twice, in the calling
 * thread alone and with worker threads, and both must give the same
 * result, field by field and in the same order.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scan.h"
#include "walk.h"
#include "xmalloc.h"

static char	*td;		/* the temporary directory of the test */

static char *
td_path(const char *rel)
{
	char	*p;

	xasprintf(&p, "%s/%s", td, rel);
	return (p);
}

/* mkdir -p of rel's parent directories (and rel itself if dir). */
static void
td_mkdirs(const char *rel, int dir)
{
	char	*p = td_path(rel), *s;

	for (s = p + strlen(td) + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (dir && mkdir(p, 0755) == -1 && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	free(p);
}

static void
td_file(const char *rel, const void *data, size_t len)
{
	char	*p = td_path(rel);
	int	 fd;

	td_mkdirs(rel, 0);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1)
		fail_msg("open %s: %s", p, strerror(errno));
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(p);
}

static void
td_text(const char *rel, const char *s)
{
	td_file(rel, s, strlen(s));
}

static void
td_binary(const char *rel)
{
	td_file(rel, "FROM x\0\1", 8);
}

static void
td_link(const char *rel, const char *target)
{
	char	*p = td_path(rel);

	td_mkdirs(rel, 0);
	if (symlink(target, p) == -1)
		fail_msg("symlink %s: %s", p, strerror(errno));
	free(p);
}

/*
 * A fresh directory per test, in /dev/shm when there is one: deleting the
 * 10,000 nested directories of test_walk_deep_tree takes seconds on disk.
 */
static int
td_setup(void **state)
{
	char	 shm[] = "/dev/shm/tagdrift-walk-XXXXXX";
	char	 tmp[] = "/tmp/tagdrift-walk-XXXXXX";
	char	*tmpl = shm;

	(void)state;
	if (mkdtemp(tmpl) == NULL) {
		tmpl = tmp;
		if (mkdtemp(tmpl) == NULL)
			return (-1);
	}
	/* Reachable for the unprivileged user of the permission test. */
	chmod(tmpl, 0755);
	td = xstrdup(tmpl);
	return (0);
}

static int
td_teardown(void **state)
{
	char	*cmd;

	(void)state;
	xasprintf(&cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", td, td);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", td);
	free(cmd);
	free(td);
	td = NULL;
	return (0);
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static int
ref_same(const struct scan_ref *x, const struct scan_ref *y)
{
	return (str_same(x->file, y->file) && x->line == y->line &&
	    x->column == y->column && x->kind == y->kind &&
	    str_same(x->stage, y->stage) && x->final_stage == y->final_stage &&
	    str_same(x->text, y->text) && x->resolved == y->resolved &&
	    str_same(x->problem, y->problem) &&
	    str_same(x->ref.registry, y->ref.registry) &&
	    str_same(x->ref.repository, y->ref.repository) &&
	    str_same(x->ref.tag, y->ref.tag) &&
	    str_same(x->ref.digest, y->ref.digest) &&
	    str_same(x->ref.written, y->ref.written));
}

/* Fail unless b holds what a holds: references and skips, in order. */
static void
expect_same(const struct scan_result *a, const struct scan_result *b,
    int threads)
{
	size_t	 i;

	if (a->files_scanned != b->files_scanned)
		fail_msg("threads %d: %zu files scanned, not %zu", threads,
		    b->files_scanned, a->files_scanned);
	if (a->nrefs != b->nrefs)
		fail_msg("threads %d: %zu references, not %zu", threads,
		    b->nrefs, a->nrefs);
	for (i = 0; i < a->nrefs; i++) {
		if (!ref_same(&a->refs[i], &b->refs[i]))
			fail_msg("threads %d: reference %zu is %s:%u, not "
			    "%s:%u (or another field differs)", threads, i,
			    b->refs[i].file, b->refs[i].line, a->refs[i].file,
			    a->refs[i].line);
	}
	if (a->nskips != b->nskips)
		fail_msg("threads %d: %zu skips, not %zu", threads, b->nskips,
		    a->nskips);
	for (i = 0; i < a->nskips; i++) {
		if (!str_same(a->skips[i].path, b->skips[i].path) ||
		    !str_same(a->skips[i].reason, b->skips[i].reason))
			fail_msg("threads %d: skip %zu is %s: %s, not %s: %s",
			    threads, i, b->skips[i].path, b->skips[i].reason,
			    a->skips[i].path, a->skips[i].reason);
	}
}

/* walk_scan() of path with o (NULL: the defaults) but this many threads. */
static int
walk_threads(const char *path, const struct walk_opts *o, int threads,
    struct scan_result *sr, char **cause)
{
	struct walk_opts	 wo = { 0, -1, 0, NULL };

	if (o != NULL)
		wo = *o;
	wo.threads = threads;
	scan_result_init(sr);
	*cause = NULL;
	return (walk_scan(path, &wo, sr, cause));
}

/*
 * Walk path with threads 1, the result to check, then with threads, which
 * must come to the same: return code, cause and scan result.
 */
static int
walk_compare(const char *path, const struct walk_opts *o, int threads,
    struct scan_result *sr, char **cause)
{
	struct scan_result	 other;
	char			*cause2;
	int			 rc, rc2;

	rc = walk_threads(path, o, 1, sr, cause);
	rc2 = walk_threads(path, o, threads, &other, &cause2);
	assert_int_equal(rc2, rc);
	assert_true(str_same(cause2, *cause));
	expect_same(sr, &other, threads);
	free(cause2);
	scan_result_free(&other);
	return (rc);
}

static int
walk_rel(const char *rel, const struct walk_opts *o, struct scan_result *sr,
    char **cause)
{
	char	*p = td_path(rel);
	int	 rc;

	rc = walk_compare(p, o, 4, sr, cause);
	free(p);
	return (rc);
}

static void
dump_skips(const struct scan_result *sr)
{
	size_t	 i;

	for (i = 0; i < sr->nskips; i++)
		print_message("  got: %s: %s\n", sr->skips[i].path,
		    sr->skips[i].reason);
}

/* The skip list is exactly the NULL-terminated path, reason pairs. */
static void
expect_skips(const struct scan_result *sr, const char *const *want)
{
	size_t	 i, n = 0;

	while (want[2 * n] != NULL)
		n++;
	for (i = 0; i < n && i < sr->nskips; i++) {
		if (strcmp(sr->skips[i].path, want[2 * i]) != 0 ||
		    strcmp(sr->skips[i].reason, want[2 * i + 1]) != 0)
			break;
	}
	if (i == n && n == sr->nskips)
		return;
	print_message("skip %zu differs; want %zu entries, got %zu\n", i, n,
	    sr->nskips);
	for (i = 0; i < n; i++)
		print_message("  want: %s: %s\n", want[2 * i], want[2 * i + 1]);
	dump_skips(sr);
	fail();
}

static void
test_walk_skips_vcs_and_vendor(void **state)
{
	static const char *const want[] = { NULL };
	struct scan_result	 sr;
	char			*cause;

	(void)state;
	td_binary("root/.git/Dockerfile");
	td_binary("root/.hg/Dockerfile");
	td_binary("root/.svn/Dockerfile");
	td_binary("root/node_modules/pkg/Dockerfile");
	td_binary("root/vendor/Dockerfile");
	td_binary("root/sub/node_modules/compose.yaml");
	td_text("root/app/Dockerfile", "FROM alpine:3.19\n");
	td_text("root/compose.yaml", "services: {}\n");
	td_text("root/README.md", "# hello\n");
	td_text("root/main.c", "int main;\n");
	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	expect_skips(&sr, want);
	assert_int_equal(sr.files_scanned, 2);
	scan_result_free(&sr);
}

static void
test_walk_sorted_order(void **state)
{
	static const char *const want[] = {
		"B.Dockerfile", "binary file",
		"Dockerfile", "binary file",
		"a/Dockerfile", "binary file",
		"a/Dockerfile.dev", "binary file",
		"a/z/compose.yml", "binary file",
		"a.Dockerfile", "binary file",
		"b/Dockerfile", "binary file",
		NULL
	};
	struct scan_result	 sr;
	char			*cause;

	(void)state;
	td_binary("root/b/Dockerfile");
	td_binary("root/a.Dockerfile");
	td_binary("root/a/z/compose.yml");
	td_binary("root/a/Dockerfile.dev");
	td_binary("root/B.Dockerfile");
	td_binary("root/a/Dockerfile");
	td_binary("root/Dockerfile");
	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	expect_skips(&sr, want);
	assert_int_equal(sr.files_scanned, 0);
	scan_result_free(&sr);
}

/* Paths are relative, '/'-separated, whatever way the root is written. */
static void
test_walk_relative_paths(void **state)
{
	static const char *const want[] = {
		"sub/x.Dockerfile", "binary file", NULL
	};
	static const char *const roots[] = { "root/", "./root", "root//" };
	struct scan_result	 sr;
	char			*cause, cwd[PATH_MAX];
	size_t			 i;

	(void)state;
	td_binary("root/sub/x.Dockerfile");
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(td), 0);
	for (i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		assert_int_equal(walk_compare(roots[i], NULL, 4, &sr, &cause),
		    0);
		expect_skips(&sr, want);
		scan_result_free(&sr);
	}
	assert_int_equal(chdir("root"), 0);
	assert_int_equal(walk_compare(".", NULL, 4, &sr, &cause), 0);
	expect_skips(&sr, want);
	scan_result_free(&sr);
	assert_int_equal(chdir(cwd), 0);
}

struct ignore_case {
	char	 name[1024];
	char	*read[32];
	size_t	 nread;
	size_t	 nfiles;
	int	 line;
};

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Walk the tree of one case and compare what was read with its "read"s. */
static void
ignore_case_check(struct ignore_case *c)
{
	struct scan_result	 sr;
	char			*cause, **got;
	size_t			 i;
	int			 bad = 0;

	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	got = xreallocarray(NULL, sr.nskips + 1, sizeof *got);
	for (i = 0; i < sr.nskips; i++) {
		if (strcmp(sr.skips[i].reason, "binary file") != 0)
			bad = 1;
		got[i] = sr.skips[i].path;
	}
	qsort(got, sr.nskips, sizeof *got, cmp_str);
	qsort(c->read, c->nread, sizeof *c->read, cmp_str);
	if (sr.nskips != c->nread)
		bad = 1;
	for (i = 0; !bad && i < c->nread; i++)
		bad = strcmp(got[i], c->read[i]) != 0;
	if (bad) {
		print_message("case \"%s\" (line %d): want read:\n", c->name,
		    c->line);
		for (i = 0; i < c->nread; i++)
			print_message("  want: %s\n", c->read[i]);
		dump_skips(&sr);
		fail();
	}
	free(got);
	scan_result_free(&sr);
}

static void
ignore_case_line(struct ignore_case *c, char *line)
{
	char	*dir, *pattern, *rel, *p;
	FILE	*f;

	if (strncmp(line, "ignore ", 7) == 0) {
		dir = line + 7;
		pattern = strchr(dir, ' ');
		if (pattern != NULL)
			*pattern++ = '\0';
		xasprintf(&rel, "root/%s/.tagdriftignore", dir);
		td_mkdirs(rel, 0);
		p = td_path(rel);
		f = fopen(p, "a");
		assert_non_null(f);
		fprintf(f, "%s\n", pattern != NULL ? pattern : "");
		fclose(f);
		free(p);
		free(rel);
		return;
	}
	if (strncmp(line, "read ", 5) != 0 && strncmp(line, "skip ", 5) != 0)
		fail_msg("ignore.txt:%d: bad line: %s", c->line, line);
	xasprintf(&rel, "root/%s", line + 5);
	td_binary(rel);
	free(rel);
	if (line[0] == 'r') {
		assert_true(c->nread < sizeof c->read / sizeof c->read[0]);
		c->read[c->nread++] = xstrdup(line + 5);
	}
	c->nfiles++;
}

static void
ignore_case_end(struct ignore_case *c)
{
	char	*cmd;
	size_t	 i;

	if (c->name[0] == '\0')
		return;
	assert_true(c->nfiles > 0);
	ignore_case_check(c);
	for (i = 0; i < c->nread; i++)
		free(c->read[i]);
	xasprintf(&cmd, "rm -rf '%s/root'", td);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	memset(c, 0, sizeof *c);
}

/* Table-driven: tests/data/walk/ignore.txt. */
static void
test_walk_ignore_file(void **state)
{
	struct ignore_case	 c;
	const char		*dir = getenv("TESTDATA");
	FILE			*f;
	char			 line[1024], *path;
	int			 lineno = 0, ncases = 0;

	(void)state;
	memset(&c, 0, sizeof c);
	if (dir == NULL)
		fail_msg("TESTDATA is not set");
	xasprintf(&path, "%s/walk/ignore.txt", dir);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	free(path);
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "case ", 5) == 0) {
			ignore_case_end(&c);
			snprintf(c.name, sizeof c.name, "%s", line + 5);
			c.line = lineno;
			ncases++;
			continue;
		}
		c.line = c.line == 0 ? lineno : c.line;
		ignore_case_line(&c, line);
	}
	ignore_case_end(&c);
	fclose(f);
	assert_true(ncases >= 20);
}

static void
test_walk_symlink_loops(void **state)
{
	struct scan_result	 sr;
	char			*cause;

	(void)state;
	td_text("root/real/Dockerfile", "FROM alpine:3.19\n");
	td_link("root/real/loop", "..");
	td_link("root/real/me", ".");
	td_link("root/zalias", "real");
	td_link("root/chain1", "chain2");
	td_link("root/chain2", "chain1");
	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"chain1", "broken symlink",
		"chain2", "broken symlink",
		"real/loop", "directory already visited (symlink loop)",
		"real/me", "directory already visited (symlink loop)",
		"zalias", "directory already visited (reached through another "
		    "path)",
		NULL });
	assert_int_equal(sr.files_scanned, 1);
	scan_result_free(&sr);
}

static void
test_walk_symlinks_in_and_out(void **state)
{
	struct scan_result	 sr;
	char			*cause, *p;

	(void)state;
	td_text("outside/Dockerfile", "FROM alpine:3.19\n");
	td_text("root/real/Dockerfile", "FROM alpine:3.19\n");
	td_link("root/link.Dockerfile", "real/Dockerfile");
	td_link("root/sub/up.Dockerfile", "../real/Dockerfile");
	td_link("root/gone.Dockerfile", "does-not-exist");
	td_link("root/out", "../outside");
	p = td_path("outside/Dockerfile");
	td_link("root/abs.Dockerfile", p);
	free(p);
	td_link("root/rel.Dockerfile", "../outside/Dockerfile");
	td_link("root/README", "/etc/passwd");
	td_link("root/passwd.Dockerfile", "/etc/passwd");
	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"abs.Dockerfile", "symlink points outside the scanned root",
		"gone.Dockerfile", "broken symlink",
		"out", "symlink points outside the scanned root",
		"passwd.Dockerfile", "symlink points outside the scanned root",
		"rel.Dockerfile", "symlink points outside the scanned root",
		NULL });
	/* link.Dockerfile, real/Dockerfile, sub/up.Dockerfile */
	assert_int_equal(sr.files_scanned, 3);
	scan_result_free(&sr);
}

static void
alarm_handler(int sig)
{
	(void)sig;
	fprintf(stderr, "test_walk: walk hung (opened a FIFO?)\n");
	_exit(1);
}

static void
test_walk_special_files(void **state)
{
	struct sockaddr_un	 sun;
	struct scan_result	 sr;
	char			*cause, *p;
	int			 s;

	(void)state;
	td_mkdirs("root/sub/x", 1);
	p = td_path("root/Dockerfile");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	p = td_path("root/sub/compose.yaml");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	p = td_path("root/pipe");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	td_link("root/fifo.Dockerfile", "Dockerfile");

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	p = td_path("root/sub/x/Containerfile");
	assert_true(strlen(p) < sizeof sun.sun_path);
	strcpy(sun.sun_path, p);
	free(p);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s != -1);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);

	signal(SIGALRM, alarm_handler);
	alarm(20);
	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	alarm(0);
	close(s);
	expect_skips(&sr, (const char *const []){
		"Dockerfile", "not a regular file (fifo)",
		"fifo.Dockerfile", "not a regular file (fifo)",
		"sub/compose.yaml", "not a regular file (fifo)",
		"sub/x/Containerfile", "not a regular file (socket)",
		NULL });
	assert_int_equal(sr.files_scanned, 0);
	scan_result_free(&sr);
}

static void
test_walk_too_large(void **state)
{
	struct walk_opts	 o = { 100, WALK_DEFAULT_MAX_DEPTH, 0, NULL };
	struct scan_result	 sr;
	char			 data[101], *cause;

	(void)state;
	memset(data, 'a', sizeof data);
	data[sizeof data - 1] = '\n';
	td_file("root/big.Dockerfile", data, 101);
	td_file("root/edge.Dockerfile", data + 1, 100);
	td_file("root/small.Dockerfile", data, 10);
	assert_int_equal(walk_rel("root", &o, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"big.Dockerfile", "file too large (101 bytes, limit 100)",
		NULL });
	assert_int_equal(sr.files_scanned, 2);
	scan_result_free(&sr);
}

static void
test_walk_binary(void **state)
{
	struct scan_result	 sr;
	char			*data, *cause;

	(void)state;
	data = xcalloc(1, 10000);
	memset(data, 'a', 10000);
	data[8191] = '\0';
	td_file("root/early.Dockerfile", data, 10000);
	data[8191] = 'a';
	data[8192] = '\0';
	td_file("root/late.Dockerfile", data, 10000);
	td_file("root/nul-first.Dockerfile", "\0", 1);
	td_file("root/empty.Dockerfile", "", 0);
	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"early.Dockerfile", "binary file",
		"nul-first.Dockerfile", "binary file",
		NULL });
	assert_int_equal(sr.files_scanned, 2);
	scan_result_free(&sr);
	free(data);
}

static void
test_walk_depth_limit(void **state)
{
	struct walk_opts	 o = { WALK_DEFAULT_MAX_FILE_SIZE, 2, 0, NULL };
	struct scan_result	 sr;
	char			*cause;

	(void)state;
	td_text("root/Dockerfile", "FROM a\n");
	td_text("root/a/Dockerfile", "FROM a\n");
	td_text("root/a/b/Dockerfile", "FROM a\n");
	td_text("root/a/b/c/Dockerfile", "FROM a\n");
	td_text("root/a/b/c/d/Dockerfile", "FROM a\n");
	td_text("root/x/y/z/Dockerfile", "FROM a\n");
	assert_int_equal(walk_rel("root", &o, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"a/b/c", "directory nesting deeper than 2",
		"x/y/z", "directory nesting deeper than 2",
		NULL });
	assert_int_equal(sr.files_scanned, 3);
	scan_result_free(&sr);

	o.max_depth = 0;
	assert_int_equal(walk_rel("root", &o, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"a", "directory nesting deeper than 0",
		"x", "directory nesting deeper than 0",
		NULL });
	assert_int_equal(sr.files_scanned, 1);
	scan_result_free(&sr);
}

/* Build n nested directories named d under dirfd, by descriptor. */
static void
make_chain(int dirfd, int n, const char *bottom)
{
	int	 fd = dup(dirfd), next, i;

	for (i = 0; i < n; i++) {
		if (mkdirat(fd, "d", 0755) == -1)
			fail_msg("mkdirat at %d: %s", i, strerror(errno));
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(next != -1);
		close(fd);
		fd = next;
		if (i == n / 2 && bottom != NULL) {
			next = openat(fd, "zz.Dockerfile", O_WRONLY | O_CREAT,
			    0644);
			assert_true(next != -1);
			close(next);
		}
	}
	if (bottom != NULL) {
		next = openat(fd, bottom, O_WRONLY | O_CREAT, 0644);
		assert_true(next != -1);
		close(next);
	}
	close(fd);
}

static int
open_rel(const char *rel)
{
	char	*p = td_path(rel);
	int	 fd;

	fd = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(fd != -1);
	free(p);
	return (fd);
}

/* n times s, then end. */
static char *
repeat(const char *s, int n, const char *end)
{
	size_t	 len = strlen(s);
	char	*r = xmalloc(len * n + strlen(end) + 1);
	int	 i;

	for (i = 0; i < n; i++)
		memcpy(r + len * i, s, len);
	strcpy(r + len * n, end);
	return (r);
}

/*
 * 10,000 levels: with the default limit one skip at depth 65; without a
 * limit everything is reached under a descriptor limit far below the depth
 * (so the walker cannot hold one per level), through a symlink detour that
 * makes ".." lead elsewhere on the way back.
 */
static void
test_walk_deep_tree(void **state)
{
	struct walk_opts	 o = { WALK_DEFAULT_MAX_FILE_SIZE, 100000, 0, NULL };
	struct scan_result	 sr;
	struct rlimit		 old, low;
	char			*cause, *deep, *link, *target;
	int			 fd, i;

	(void)state;
	fd = open_rel("");
	assert_int_equal(mkdirat(fd, "root", 0755), 0);
	close(fd);
	fd = open_rel("root");
	make_chain(fd, 10000, "Dockerfile");
	assert_int_equal(mkdirat(fd, "other", 0755), 0);
	close(fd);
	fd = open_rel("root/other");
	make_chain(fd, 200, "compose.yaml");
	close(fd);
	/* root/d x 150/s -> ../ x 150 other: ".." from there is the root. */
	link = repeat("d/", 150, "s");
	target = repeat("../", 150, "other");
	xasprintf(&deep, "root/%s", link);
	td_link(deep, target);
	free(target);
	free(deep);
	/* Read after coming back from the link, so through a reopened fd. */
	deep = repeat("d/", 150, "t.Dockerfile");
	xasprintf(&target, "root/%s", deep);
	td_text(target, "FROM a\n");
	free(target);
	free(link);
	free(deep);

	assert_int_equal(walk_rel("root", NULL, &sr, &cause), 0);
	link = repeat("d/", 64, "d");
	deep = repeat("d/", 63, "d");
	xasprintf(&target, "other/%s", deep);
	expect_skips(&sr, (const char *const []){
		link, "directory nesting deeper than 64",
		target, "directory nesting deeper than 64",
		NULL });
	free(link);
	free(deep);
	free(target);
	scan_result_free(&sr);

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 200;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	i = walk_rel("root", &o, &sr, &cause);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(i, 0);
	expect_skips(&sr, (const char *const []){
		"other", "directory already visited (reached through another "
		    "path)",
		NULL });
	/*
	 * d/.../Dockerfile and zz.Dockerfile at 5001; through the link:
	 * s/.../compose.yaml and zz.Dockerfile at 101; t.Dockerfile beside s.
	 */
	assert_int_equal(sr.files_scanned, 5);
	scan_result_free(&sr);
}

static void
test_walk_single_file_root(void **state)
{
	struct scan_result	 sr;
	char			*cause;

	(void)state;
	td_text("dir/Dockerfile", "FROM alpine:3.19\n");
	td_text("dir/my-dockerfile-prod", "FROM alpine:3.19\n");
	td_text("dir/notes.txt", "FROM alpine:3.19\n");
	td_binary("dir/bin.Dockerfile");
	td_text("dir/.github/workflows/ci.yml", "jobs: {}\n");

	assert_int_equal(walk_rel("dir/Dockerfile", NULL, &sr, &cause), 0);
	assert_int_equal(sr.files_scanned, 1);
	assert_int_equal(sr.nskips, 0);
	scan_result_free(&sr);

	assert_int_equal(walk_rel("dir/my-dockerfile-prod", NULL, &sr, &cause),
	    0);
	assert_int_equal(sr.files_scanned, 1);
	scan_result_free(&sr);

	assert_int_equal(walk_rel("dir/.github/workflows/ci.yml", NULL, &sr,
	    &cause), 0);
	assert_int_equal(sr.files_scanned, 1);
	scan_result_free(&sr);

	assert_int_equal(walk_rel("dir/bin.Dockerfile", NULL, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"bin.Dockerfile", "binary file", NULL });
	scan_result_free(&sr);

	assert_int_equal(walk_rel("dir/notes.txt", NULL, &sr, &cause), -1);
	assert_string_equal(cause, "not a file tagdrift knows how to scan");
	assert_int_equal(sr.files_scanned, 0);
	free(cause);
	scan_result_free(&sr);
}

static void
test_walk_missing_root(void **state)
{
	struct scan_result	 sr;
	char			*cause;

	(void)state;
	assert_int_equal(walk_rel("nonexistent", NULL, &sr, &cause), -1);
	assert_string_equal(cause, "No such file or directory");
	assert_int_equal(sr.nskips, 0);
	free(cause);
	scan_result_free(&sr);
}

/* As root, walk as nobody: root reads everything. */
static void
test_walk_permission_denied(void **state)
{
	struct scan_result	 sr;
	char			*cause, *p;
	int			 rc, asroot = geteuid() == 0;

	(void)state;
	td_text("root/locked/Dockerfile", "FROM a\n");
	td_text("root/noread.Dockerfile", "FROM a\n");
	td_text("root/noread.md", "text\n");
	td_text("root/ok/Dockerfile", "FROM a\n");
	td_text("root/search-only/Dockerfile", "FROM a\n");
	p = td_path("root/locked");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	p = td_path("root/noread.Dockerfile");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	p = td_path("root/noread.md");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	p = td_path("root/search-only/Dockerfile");
	assert_int_equal(chmod(p, 0200), 0);
	free(p);

	if (asroot)
		assert_int_equal(seteuid(65534), 0);
	rc = walk_rel("root", NULL, &sr, &cause);
	if (asroot)
		assert_int_equal(seteuid(0), 0);
	assert_int_equal(rc, 0);
	expect_skips(&sr, (const char *const []){
		"locked", "permission denied",
		"noread.Dockerfile", "permission denied",
		"search-only/Dockerfile", "permission denied",
		NULL });
	assert_int_equal(sr.files_scanned, 1);
	scan_result_free(&sr);
}

static void
test_walk_unreadable_root(void **state)
{
	struct scan_result	 sr;
	char			*cause, *p;
	int			 rc, asroot = geteuid() == 0;

	(void)state;
	td_text("root/Dockerfile", "FROM a\n");
	p = td_path("root");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	if (asroot)
		assert_int_equal(seteuid(65534), 0);
	rc = walk_rel("root", NULL, &sr, &cause);
	if (asroot)
		assert_int_equal(seteuid(0), 0);
	assert_int_equal(rc, -1);
	assert_string_equal(cause, "Permission denied");
	free(cause);
	scan_result_free(&sr);
}

static void
test_walk_ignore_file_problems(void **state)
{
	struct walk_opts	 o = { 10, WALK_DEFAULT_MAX_DEPTH, 0, NULL };
	struct scan_result	 sr;
	char			*cause, *big;

	(void)state;
	td_binary("root/a/x.Dockerfile");
	td_link("root/a/.tagdriftignore", "../real-ignore");
	td_text("root/real-ignore", "*.Dockerfile\n");
	big = xcalloc(1, 300 * 1024);
	memset(big, '#', 300 * 1024 - 1);
	td_text("root/b/.tagdriftignore", big);
	free(big);
	td_binary("root/b/x.Dockerfile");
	/* The file limit does not apply to .tagdriftignore. */
	td_text("root/c/.tagdriftignore", "# a long comment line\n"
	    "*.Dockerfile\n");
	td_binary("root/c/x.Dockerfile");
	assert_int_equal(walk_rel("root", &o, &sr, &cause), 0);
	expect_skips(&sr, (const char *const []){
		"a/.tagdriftignore", "not a regular file (symlink)",
		"a/x.Dockerfile", "binary file",
		"b/.tagdriftignore", "file too large (307199 bytes, limit "
		    "262144)",
		"b/x.Dockerfile", "binary file",
		NULL });
	scan_result_free(&sr);
}

/* How many skips have a reason starting with prefix. */
static size_t
count_skips(const struct scan_result *sr, const char *prefix)
{
	size_t	 i, n = 0;

	for (i = 0; i < sr->nskips; i++)
		n += strncmp(sr->skips[i].reason, prefix, strlen(prefix)) == 0;
	return (n);
}

/* A Dockerfile of about size bytes naming one image. */
static void
td_dockerfile(const char *rel, int minor, size_t size)
{
	char	*data;
	int	 n;

	data = xmalloc(size + 64);
	n = snprintf(data, 64, "FROM alpine:3.%d AS build\nFROM scratch\n",
	    minor);
	memset(data + n, '#', size > (size_t)n ? size - n : 0);
	if (size > (size_t)n)
		data[size - 1] = '\n';
	td_file(rel, data, size > (size_t)n ? size : (size_t)n);
	free(data);
}

enum mixed_what {
	MIXED_BINARY, MIXED_FIFO, MIXED_BIG, MIXED_LOOP, MIXED_GONE,
	MIXED_LOCKED, MIXED_IGNORE, MIXED_IGNORED
};

/* One entry of the mixed tree beside directory i's scanned files. */
static const struct mixed_entry {
	int		 every;		/* in directories i % every == 0 */
	const char	*name;
	enum mixed_what	 what;
} mixed_entries[] = {
	{ 3, "x.Dockerfile", MIXED_BINARY },
	{ 5, "fifo.Dockerfile", MIXED_FIFO },
	{ 7, "big.Dockerfile", MIXED_BIG },
	{ 4, "sub/loop", MIXED_LOOP },
	{ 4, "gone.Dockerfile", MIXED_GONE },
	{ 6, "locked.Dockerfile", MIXED_LOCKED },
	{ 8, ".tagdriftignore", MIXED_IGNORE },
	{ 8, "ignored.Dockerfile", MIXED_IGNORED },
};

static void
mixed_make(const char *rel, enum mixed_what what, int i)
{
	char	*p = td_path(rel);

	switch (what) {
	case MIXED_BINARY:
	case MIXED_IGNORED:
		td_binary(rel);
		break;
	case MIXED_FIFO:
		assert_int_equal(mkfifo(p, 0644), 0);
		break;
	case MIXED_BIG:
		td_dockerfile(rel, i, 5000);
		break;
	case MIXED_LOOP:
		td_link(rel, "..");
		break;
	case MIXED_GONE:
		td_link(rel, "nowhere");
		break;
	case MIXED_LOCKED:
		td_dockerfile(rel, i, 100);
		assert_int_equal(chmod(p, 0), 0);
		break;
	case MIXED_IGNORE:
		td_text(rel, "ignored.Dockerfile\n");
		break;
	}
	free(p);
}

/*
 * Directory i of the mixed tree: files to scan, and now and then one the
 * workers skip (binary, too large) or the walker skips (FIFO, loop,
 * unreadable, broken link), or a .tagdriftignore.
 */
static void
mixed_dir(int i)
{
	const struct mixed_entry	*e;
	char				*rel;
	size_t				 k;

	xasprintf(&rel, "root/d%02d/Dockerfile", i);
	td_dockerfile(rel, i, 40 + 97 * i);
	free(rel);
	xasprintf(&rel, "root/d%02d/sub/compose.yaml", i);
	td_text(rel, "services:\n  a:\n    image: nginx:1.25\n"
	    "  b:\n    image: redis\n");
	free(rel);
	for (k = 0; k < sizeof mixed_entries / sizeof mixed_entries[0]; k++) {
		e = &mixed_entries[k];
		if (i % e->every != 0)
			continue;
		xasprintf(&rel, "root/d%02d/%s", i, e->name);
		mixed_make(rel, e->what, i);
		free(rel);
	}
}

/*
 * A tree where skips by the walker and by the workers interleave with
 * references: the same result with 2, 3, 4 and 16 threads as with one.
 */
static void
test_walk_threads_mixed_tree(void **state)
{
	static const int	 counts[] = { 2, 3, 4, 16 };
	struct walk_opts	 o = { 4096, WALK_DEFAULT_MAX_DEPTH, 0, NULL };
	struct scan_result	 sr;
	char			*cause, *p;
	size_t			 i;
	int			 asroot = geteuid() == 0;

	(void)state;
	for (i = 0; i < 40; i++)
		mixed_dir((int)i);
	signal(SIGALRM, alarm_handler);
	alarm(60);
	if (asroot)
		assert_int_equal(seteuid(65534), 0);
	p = td_path("root");
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		assert_int_equal(walk_compare(p, &o, counts[i], &sr, &cause),
		    0);
		if (i + 1 < sizeof counts / sizeof counts[0])
			scan_result_free(&sr);
	}
	free(p);
	if (asroot)
		assert_int_equal(seteuid(0), 0);
	alarm(0);
	/* Dockerfile (alpine; scratch is none), sub/compose.yaml (two). */
	assert_int_equal(sr.files_scanned, 80);
	assert_int_equal(sr.nrefs, 40 + 40 * 2);
	assert_int_equal(count_skips(&sr, "binary file"), 14);
	assert_int_equal(count_skips(&sr, "not a regular file (fifo)"), 8);
	assert_int_equal(count_skips(&sr, "file too large"), 6);
	assert_int_equal(count_skips(&sr, "directory already visited"), 10);
	assert_int_equal(count_skips(&sr, "broken symlink"), 10);
	assert_int_equal(count_skips(&sr, "permission denied"), 7);
	assert_int_equal(sr.nskips, 14 + 8 + 6 + 10 + 10 + 7);
	scan_result_free(&sr);
}

/*
 * Jobs in flight hold descriptors: under a limit far below the ring,
 * running out of them makes the walker wait for the jobs, not skip files.
 */
static void
test_walk_threads_few_descriptors(void **state)
{
	struct scan_result	 sr1, sr4;
	struct rlimit		 old, low;
	char			*cause1, *cause4, *rel, *p;
	int			 i, rc1, rc4;

	(void)state;
	for (i = 0; i < 400; i++) {
		xasprintf(&rel, "root/d%d/f%03d.Dockerfile", i % 10, i);
		td_dockerfile(rel, i, 8192);
		free(rel);
	}
	p = td_path("root");
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 24;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	rc1 = walk_threads(p, NULL, 1, &sr1, &cause1);
	rc4 = walk_threads(p, NULL, 4, &sr4, &cause4);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	free(p);
	assert_int_equal(rc1, 0);
	assert_int_equal(rc4, 0);
	dump_skips(&sr4);
	assert_int_equal(sr4.nskips, 0);
	assert_int_equal(sr4.files_scanned, 400);
	assert_int_equal(sr4.nrefs, 400);
	expect_same(&sr1, &sr4, 4);
	scan_result_free(&sr1);
	scan_result_free(&sr4);
}

/*
 * Thread counts out of range mean the default or the maximum; an empty
 * tree and a root that is a file stop the workers as cleanly as a tree.
 */
static void
test_walk_threads_option(void **state)
{
	static const int	 counts[] = { 0, -5, 2, WALK_MAX_THREADS + 1,
	    INT_MAX };
	struct scan_result	 sr;
	char			*cause, *p;
	size_t			 i;

	(void)state;
	td_mkdirs("empty", 1);
	assert_int_equal(walk_rel("empty", NULL, &sr, &cause), 0);
	assert_int_equal(sr.files_scanned, 0);
	assert_int_equal(sr.nskips + sr.nrefs, 0);
	scan_result_free(&sr);

	td_dockerfile("root/a/Dockerfile", 1, 100);
	td_dockerfile("root/b/Dockerfile", 2, 100);
	td_binary("root/c/Dockerfile");
	p = td_path("root");
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		assert_int_equal(walk_compare(p, NULL, counts[i], &sr, &cause),
		    0);
		assert_int_equal(sr.files_scanned, 2);
		assert_int_equal(sr.nskips, 1);
		scan_result_free(&sr);
	}
	free(p);

	p = td_path("root/a/Dockerfile");
	assert_int_equal(walk_compare(p, NULL, 4, &sr, &cause), 0);
	assert_int_equal(sr.files_scanned, 1);
	assert_int_equal(sr.nrefs, 1);
	scan_result_free(&sr);
	free(p);
}

/* A cancel flag set: no directory is entered and the walk fails. */
static void
test_walk_cancelled(void **state)
{
	struct walk_opts	 o;
	struct scan_result	 sr;
	atomic_int		 cancel;
	char			*cause = NULL, *root;

	(void)state;
	td_text("root/a/Dockerfile", "FROM alpine:3.20\n");
	td_text("root/b/c/Dockerfile", "FROM alpine:3.20\n");
	td_text("root/Dockerfile", "FROM alpine:3.20\n");
	root = td_path("root");
	memset(&o, 0, sizeof o);
	o.max_depth = -1;
	atomic_init(&cancel, 0);
	o.cancel = &cancel;
	scan_result_init(&sr);
	assert_int_equal(walk_scan(root, &o, &sr, &cause), 0);
	assert_int_equal(sr.nrefs, 3);
	scan_result_free(&sr);

	atomic_store(&cancel, 1);
	scan_result_init(&sr);
	assert_int_equal(walk_scan(root, &o, &sr, &cause), -1);
	assert_string_equal(cause, "cancelled");
	assert_true(sr.nrefs <= 1);	/* the root's own file at most */
	free(cause);
	scan_result_free(&sr);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk_cancelled,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_skips_vcs_and_vendor,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_sorted_order,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_relative_paths,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_ignore_file,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_ignore_file_problems,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_symlink_loops,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_symlinks_in_and_out,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_special_files,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_too_large,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_binary,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_depth_limit,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_deep_tree,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_single_file_root,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_missing_root,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_permission_denied,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_unreadable_root,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_threads_mixed_tree,
		    td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(
		    test_walk_threads_few_descriptors, td_setup, td_teardown),
		cmocka_unit_test_setup_teardown(test_walk_threads_option,
		    td_setup, td_teardown),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
