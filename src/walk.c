#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk.h"
#include "xmalloc.h"

/*
 * How the walk goes: an explicit stack of frames, one per directory being
 * listed, so depth costs heap, not C stack.  A frame reads all its entries
 * (and closes the DIR) before the first is looked at, and keeps only an
 * O_DIRECTORY descriptor for openat(); past WALK_FD_BUDGET levels the
 * oldest descriptors are closed and reopened on the way back up (through
 * ".." when it leads to the same directory, else by name from the nearest
 * open ancestor, checking device and inode).  Regular files are looked at
 * without a stat: d_type, then openat(O_NOFOLLOW | O_NONBLOCK) and fstat.
 * Only symlinks cost a realpath().
 *
 * With a pool of workers, the walker still decides, opens and skips; a
 * worker only does fstat, read, close and the scan, into the job's own
 * scan_result.  Each job is a slot in a ring of WALK_JOBS, taken in the
 * order the walk found the files and merged back in that order, so the
 * result does not depend on which worker finished first; the walker waits
 * when the ring is full, which bounds both memory and the descriptors
 * held by jobs.  Skips the walker records while jobs are in flight become
 * jobs too (with nothing to read), to keep their place.
 */

#define WALK_FD_BUDGET	 128	/* directory descriptors held */
#define WALK_BINARY_PROBE 8192	/* a NUL in this much: binary file */
#define WALK_IGNORE_NAME ".tagdriftignore"
#define WALK_IGNORE_MAX	 (256 * 1024)
#define WALK_SIZE_CAP	 (1LL << 40)
#define WALK_OPEN_FILE	 (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
#define WALK_OPEN_DIR	 (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#define WALK_JOBS	 128	/* files in flight (each may hold an fd) */
#define WALK_BATCH	 8	/* jobs waiting before a worker is woken */
#define WALK_DENTS_SIZE	 32768	/* getdents64() buffer */

/* One line of a .tagdriftignore, applying below the directory holding it. */
struct walk_rule {
	char		 *pattern;  /* without '!', leading, trailing '/' */
	char		 *split;    /* pattern with '/' turned into NULs */
	const char	**comps;    /* when a component is "**", else NULL */
	size_t		  ncomps;
	size_t		  baselen;  /* length of its directory's path */
	size_t		  basedepth; /* and its number of components */
	int		  negate;
	int		  dironly;
	int		  anchored;
};

struct walk_entry {
	const char	*name;	/* in the frame's names */
	size_t		 off;	/* offset of name, while reading */
	unsigned char	 type;	/* DT_* */
};

/* Room for the entries of a directory being listed. */
struct walk_listing {
	size_t		 anames, used, aentries;
};

/* A directory entry as the Linux getdents64 system call returns it. */
struct walk_dirent64 {
	uint64_t	 d_ino;
	int64_t		 d_off;
	unsigned short	 d_reclen;
	unsigned char	 d_type;
	char		 d_name[];
};

/* A directory being listed: its entries, and a descriptor for openat(). */
struct walk_frame {
	const char	  *name;     /* in the parent's names; NULL: root */
	size_t		   pathlen;
	int		   fd;	     /* -1 while closed */
	int		   followed; /* reached through a symlink */
	dev_t		   dev;
	ino_t		   ino;
	char		  *names;
	struct walk_entry *entries;
	size_t		   nentries, next;
	size_t		   nrules;   /* rules in force before its own */
};

/*
 * A read buffer, and why the last file read into it was skipped: an errno
 * value (worded by the walker: strerror() is not required to be
 * thread-safe) or a message.
 */
struct walk_reader {
	char		*buf;
	size_t		 abuf;		/* usable size (+1 held) */
	int		 error;
	char		*reason;
};

/*
 * One file for the pool: fd opened by the walker, read, closed and scanned
 * by a worker into sr.  A job with fd -1 only carries a skip.
 */
struct walk_job {
	char			*path;
	size_t			 apath;
	int			 fd;
	enum scan_kind		 kind;
	int			 done;		/* under the pool's lock */
	int			 error;		/* as in walk_reader */
	char			*reason;
	struct scan_result	 sr;
};

/*
 * The workers and the ring of jobs: [head, next) taken by workers (done or
 * not), [next, tail) waiting.  Only the walker moves head and tail and
 * touches slots outside [next, tail); the lock guards next, tail, done and
 * stop.
 */
struct walk_pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 more;		/* for workers: a job, or stop */
	pthread_cond_t	 finished;	/* for the walker: a job done */
	struct walk_job	 jobs[WALK_JOBS];
	size_t		 head, next, tail;
	int		 stop;
	long long	 max_size;
	pthread_t	 threads[WALK_MAX_THREADS];
	int		 nthreads;
};

struct walk_inode {
	dev_t		 dev;
	ino_t		 ino;
	int		 used;
};

struct walk {
	const char	   *root;
	char		   *rootreal;
	long long	    max_size;
	int		    max_depth;
	struct scan_result *sr;

	struct walk_frame  *frames;
	size_t		    nframes, aframes;
	size_t		    nopen;	/* frames with an fd */
	size_t		    lowopen;	/* 1..lowopen-1 are closed */

	char		   *path;	/* what is being looked at */
	size_t		    pathlen, apath;

	struct walk_rule   *rules;
	size_t		    nrules, arules;
	char		   *pcopy;	/* path split for "**" rules */
	const char	  **pcomps;
	size_t		    npcomps, apcomps;

	struct walk_inode  *seen;	/* directories entered */
	size_t		    nseen, aseen;

	struct walk_reader  rd;		/* the walker's own */
	char		   *dents;	/* getdents64() buffer */
	struct walk_pool   *pool;	/* NULL: scan in this thread */
};

static void	walk_skip(struct walk *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	walk_reader_fail(struct walk_reader *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	walk_pool_busy(struct walk *);
static void	walk_pool_note(struct walk *, char *);
static void	walk_pool_stop(struct walk *);

/*
 * Record that the path being looked at was skipped, and why: at once, or
 * as a job behind those in flight.
 */
static void
walk_skip(struct walk *w, const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;

	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	if (w->pool != NULL && walk_pool_busy(w)) {
		walk_pool_note(w, reason);
		return;
	}
	scan_add_skip(w->sr, w->path, "%s", reason);
	free(reason);
}

static void
walk_reader_fail(struct walk_reader *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	xvasprintf(&r->reason, fmt, ap);
	va_end(ap);
}

static const char *
walk_errstr(int error)
{
	if (error == EACCES || error == EPERM)
		return ("permission denied");
	return (strerror(error));
}

static const char *
walk_type_name(mode_t mode)
{
	if (S_ISFIFO(mode))
		return ("fifo");
	if (S_ISSOCK(mode))
		return ("socket");
	if (S_ISCHR(mode))
		return ("character device");
	if (S_ISBLK(mode))
		return ("block device");
	if (S_ISLNK(mode))
		return ("symlink");
	if (S_ISDIR(mode))
		return ("directory");
	return ("unknown file type");
}

/* Make the path being looked at the entry name of the directory at len. */
static void
walk_set_path(struct walk *w, size_t len, const char *name)
{
	size_t	 n = strlen(name), need = len + 1 + n + 1;

	if (need > w->apath) {
		while (need > w->apath)
			w->apath = w->apath == 0 ? 256 : w->apath * 2;
		w->path = xreallocarray(w->path, w->apath, 1);
	}
	if (len != 0)
		w->path[len++] = '/';
	memcpy(w->path + len, name, n + 1);
	w->pathlen = len + n;
}

static void
walk_cut_path(struct walk *w, size_t len)
{
	w->path[len] = '\0';
	w->pathlen = len;
}

/* The directories a repository does not own, skipped without a word. */
static int
walk_skip_name(const char *name)
{
	return (strcmp(name, ".git") == 0 ||
	    strcmp(name, "node_modules") == 0 ||
	    strcmp(name, "vendor") == 0 || strcmp(name, ".hg") == 0 ||
	    strcmp(name, ".svn") == 0);
}

static size_t
walk_inode_hash(dev_t dev, ino_t ino, size_t mask)
{
	uint64_t	 h;

	h = ((uint64_t)ino * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)dev << 17);
	return ((size_t)(h ^ (h >> 29)) & mask);
}

static void
walk_seen_grow(struct walk *w)
{
	struct walk_inode	*old = w->seen;
	size_t			 aold = w->aseen, i, h, mask;

	w->aseen = aold == 0 ? 64 : aold * 2;
	w->seen = xcalloc(w->aseen, sizeof *w->seen);
	mask = w->aseen - 1;
	for (i = 0; i < aold; i++) {
		if (!old[i].used)
			continue;
		h = walk_inode_hash(old[i].dev, old[i].ino, mask);
		while (w->seen[h].used)
			h = (h + 1) & mask;
		w->seen[h] = old[i];
	}
	free(old);
}

/* Remember a directory; 1 if it was entered before. */
static int
walk_seen(struct walk *w, dev_t dev, ino_t ino)
{
	size_t	 h, mask;

	if ((w->nseen + 1) * 2 > w->aseen)
		walk_seen_grow(w);
	mask = w->aseen - 1;
	h = walk_inode_hash(dev, ino, mask);
	while (w->seen[h].used) {
		if (w->seen[h].dev == dev && w->seen[h].ino == ino)
			return (1);
		h = (h + 1) & mask;
	}
	w->seen[h].dev = dev;
	w->seen[h].ino = ino;
	w->seen[h].used = 1;
	w->nseen++;
	return (0);
}

/*
 * Match path components against pattern components where "**" stands for
 * any number of them: wildcard matching with one backtrack point, so at
 * most ncomps * npath fnmatch() calls whatever the pattern.
 */
static int
walk_match_comps(const char **pc, size_t np, const char **sc, size_t ns)
{
	size_t	 p = 0, s = 0, star = SIZE_MAX, mark = 0;

	while (s < ns) {
		if (p < np && strcmp(pc[p], "**") == 0) {
			star = p++;
			mark = s;
		} else if (p < np && fnmatch(pc[p], sc[s], 0) == 0) {
			p++;
			s++;
		} else if (star != SIZE_MAX) {
			p = star + 1;
			s = ++mark;
		} else
			return (0);
	}
	while (p < np && strcmp(pc[p], "**") == 0)
		p++;
	return (p == np);
}

/* Split a rule's pattern at '/' when a component is "**". */
static void
walk_rule_split(struct walk_rule *r)
{
	char	*s, *slash;
	size_t	 n = 2;

	for (s = r->pattern; *s != '\0'; s++)
		n += *s == '/';
	r->split = xstrdup(r->pattern);
	r->comps = xreallocarray(NULL, n + 1, sizeof *r->comps);
	for (s = r->split; s != NULL; s = slash) {
		slash = strchr(s, '/');
		if (slash != NULL)
			*slash++ = '\0';
		if (*s == '\0' || (strcmp(s, "**") == 0 && r->ncomps > 0 &&
		    strcmp(r->comps[r->ncomps - 1], "**") == 0))
			continue;
		r->comps[r->ncomps++] = s;
	}
	/* Trailing: everything inside, so at least one more component. */
	if (r->ncomps > 0 && strcmp(r->comps[r->ncomps - 1], "**") == 0) {
		r->comps[r->ncomps - 1] = "*";
		r->comps[r->ncomps++] = "**";
	}
}

static int
walk_has_globstar(const char *p)
{
	size_t	 n = strlen(p);

	return (strcmp(p, "**") == 0 || strncmp(p, "**/", 3) == 0 ||
	    strstr(p, "/**/") != NULL || (n >= 3 && strcmp(p + n - 3, "/**")
	    == 0));
}

/* Add one .tagdriftignore line (not NUL-terminated) as a rule. */
static void
walk_rule_add(struct walk *w, const char *line, size_t len)
{
	struct walk_rule	*r;
	const struct walk_frame	*f = &w->frames[w->nframes - 1];
	int			 negate = 0, dironly = 0, anchored = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t') &&
	    (len < 2 || line[len - 2] != '\\'))
		len--;
	if (len == 0 || line[0] == '#')
		return;
	if (line[0] == '!') {
		negate = 1;
		line++;
		len--;
	}
	for (; len > 0 && line[len - 1] == '/'; len--)
		dironly = 1;
	for (; len > 0 && line[0] == '/'; line++, len--)
		anchored = 1;
	if (len == 0 || memchr(line, '\0', len) != NULL)
		return;

	if (w->nrules == w->arules) {
		w->arules = w->arules == 0 ? 8 : w->arules * 2;
		w->rules = xreallocarray(w->rules, w->arules, sizeof *w->rules);
	}
	r = &w->rules[w->nrules++];
	memset(r, 0, sizeof *r);
	r->pattern = xstrndup(line, len);
	r->negate = negate;
	r->dironly = dironly;
	r->anchored = anchored || strchr(r->pattern, '/') != NULL;
	r->baselen = f->pathlen;
	r->basedepth = w->nframes - 1;
	if (r->anchored && walk_has_globstar(r->pattern))
		walk_rule_split(r);
}

static void
walk_rules_cut(struct walk *w, size_t n)
{
	while (w->nrules > n) {
		w->nrules--;
		free(w->rules[w->nrules].pattern);
		free(w->rules[w->nrules].split);
		free(w->rules[w->nrules].comps);
	}
}

/* Split the path being looked at into components, for "**" rules. */
static void
walk_split_path(struct walk *w)
{
	char	*s, *slash;

	free(w->pcopy);
	w->pcopy = xstrdup(w->path);
	w->npcomps = 0;
	for (s = w->pcopy; s != NULL; s = slash) {
		slash = strchr(s, '/');
		if (slash != NULL)
			*slash++ = '\0';
		if (w->npcomps == w->apcomps) {
			w->apcomps = w->apcomps == 0 ? 16 : w->apcomps * 2;
			w->pcomps = xreallocarray(w->pcomps, w->apcomps,
			    sizeof *w->pcomps);
		}
		w->pcomps[w->npcomps++] = s;
	}
}

static int
walk_rule_match(struct walk *w, const struct walk_rule *r, const char *name,
    int *split)
{
	const char	*sub;

	if (!r->anchored)
		return (fnmatch(r->pattern, name, 0) == 0);
	if (r->comps == NULL) {
		sub = w->path + r->baselen + (r->baselen != 0);
		return (fnmatch(r->pattern, sub, FNM_PATHNAME) == 0);
	}
	if (!*split) {
		walk_split_path(w);
		*split = 1;
	}
	if (r->basedepth >= w->npcomps)
		return (0);
	return (walk_match_comps(r->comps, r->ncomps, w->pcomps +
	    r->basedepth, w->npcomps - r->basedepth));
}

/* Whether the .tagdriftignore files in force exclude the path (last wins). */
static int
walk_ignored(struct walk *w, const char *name, int isdir)
{
	const struct walk_rule	*r;
	size_t			 i;
	int			 split = 0;

	for (i = w->nrules; i-- > 0;) {
		r = &w->rules[i];
		if (r->dironly && !isdir)
			continue;
		if (walk_rule_match(w, r, name, &split))
			return (!r->negate);
	}
	return (0);
}

/*
 * Read the open file fd into r's buffer, at most limit bytes: larger files
 * (by st_size, or grown since) are skipped.  Returns the length, or -1 when
 * skipped (r says why).
 */
static ssize_t
walk_read(struct walk_reader *r, int fd, off_t size, long long limit)
{
	size_t	 len = 0, want = (size_t)limit + 1, first;
	ssize_t	 n;

	if (size > limit) {
		walk_reader_fail(r, "file too large (%lld bytes, limit %lld)",
		    (long long)size, limit);
		return (-1);
	}
	first = (size_t)size + 1;
	if (first < 65536)
		first = 65536;
	while (len < want) {
		if (len == r->abuf || r->abuf < first) {
			r->abuf = r->abuf < first ? first : r->abuf * 2;
			if (r->abuf > want)
				r->abuf = want;
			r->buf = xreallocarray(r->buf, r->abuf + 1, 1);
		}
		n = read(fd, r->buf + len, (r->abuf < want ? r->abuf : want) -
		    len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r->error = errno;
			return (-1);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)limit) {
		walk_reader_fail(r, "file too large (grew past the limit of "
		    "%lld bytes while read)", limit);
		return (-1);
	}
	r->buf[len] = '\0';
	return ((ssize_t)len);
}

/*
 * Read the open file fd into r's buffer unless it is special or larger
 * than limit.  Returns the length, or -1 when skipped (r says why).
 */
static ssize_t
walk_read_fd(struct walk_reader *r, int fd, long long limit)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		r->error = errno;
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		walk_reader_fail(r, "not a regular file (%s)",
		    walk_type_name(st.st_mode));
		return (-1);
	}
	return (walk_read(r, fd, st.st_size, limit));
}

/*
 * Scan the open file fd as kind into sr under path, unless it is special,
 * too large or binary (r then says why).  Runs on any thread: it touches
 * nothing but its arguments.
 */
static void
walk_scan_fd(struct walk_reader *r, int fd, enum scan_kind kind,
    long long limit, struct scan_result *sr, const char *path)
{
	ssize_t		 len;
	size_t		 probe;

	len = walk_read_fd(r, fd, limit);
	if (len == -1)
		return;
	probe = (size_t)len < WALK_BINARY_PROBE ? (size_t)len :
	    WALK_BINARY_PROBE;
	if (memchr(r->buf, '\0', probe) != NULL) {
		walk_reader_fail(r, "binary file");
		return;
	}
	scan_buffer(sr, path, kind, r->buf, (size_t)len);
}

/*
 * The ring of jobs.  A worker takes the jobs in order, scans each with its
 * own reader and marks it done; the walker merges done jobs from the head.
 */

/* Run job j: read, close and scan its file (if any) with reader r. */
static void
walk_job_run(struct walk_pool *p, struct walk_job *j, struct walk_reader *r)
{
	if (j->fd == -1)
		return;
	walk_scan_fd(r, j->fd, j->kind, p->max_size, &j->sr, j->path);
	close(j->fd);
	j->fd = -1;
	j->error = r->error;
	j->reason = r->reason;
	r->error = 0;
	r->reason = NULL;
}

static void *
walk_worker(void *arg)
{
	struct walk_pool	*p = arg;
	struct walk_reader	 r;
	struct walk_job		*j;

	memset(&r, 0, sizeof r);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->next == p->tail && !p->stop)
			pthread_cond_wait(&p->more, &p->lock);
		if (p->next == p->tail)
			break;
		j = &p->jobs[p->next++ % WALK_JOBS];
		pthread_mutex_unlock(&p->lock);
		walk_job_run(p, j, &r);
		pthread_mutex_lock(&p->lock);
		j->done = 1;
		pthread_cond_signal(&p->finished);
	}
	pthread_mutex_unlock(&p->lock);
	free(r.buf);
	return (NULL);
}

/*
 * Append the n elements of size at src to the array a holding *len of
 * them with room for *alloc; returns the array, maybe moved.
 */
static void *
walk_append(void *a, size_t *len, size_t *alloc, const void *src, size_t n,
    size_t size)
{
	if (n == 0)
		return (a);
	if (*len + n > *alloc) {
		*alloc = *alloc * 2 > *len + n ? *alloc * 2 : *len + n;
		a = xreallocarray(a, *alloc, size);
	}
	memcpy((char *)a + *len * size, src, n * size);
	*len += n;
	return (a);
}

/* Move the references and skips of from to the end of to. */
static void
walk_merge(struct scan_result *to, struct scan_result *from)
{
	to->refs = walk_append(to->refs, &to->nrefs, &to->arefs, from->refs,
	    from->nrefs, sizeof *from->refs);
	to->skips = walk_append(to->skips, &to->nskips, &to->askips,
	    from->skips, from->nskips, sizeof *from->skips);
	to->files_scanned += from->files_scanned;
	from->nrefs = from->nskips = from->files_scanned = 0;
}

/* Move what done job j found to the result; the slot keeps its arrays. */
static void
walk_job_merge(struct walk *w, struct walk_job *j)
{
	if (j->error != 0)
		scan_add_skip(w->sr, j->path, "%s", walk_errstr(j->error));
	else if (j->reason != NULL)
		scan_add_skip(w->sr, j->path, "%s", j->reason);
	walk_merge(w->sr, &j->sr);
	free(j->reason);
	j->reason = NULL;
	j->error = 0;
}

/*
 * Merge the done jobs at the head of the ring, in order, waiting for the
 * head while more than max jobs are in flight.
 */
static void
walk_pool_reap(struct walk *w, size_t max)
{
	struct walk_pool	*p = w->pool;
	struct walk_job		*j;
	int			 done;

	for (;;) {
		if (p->head == p->tail)
			return;
		j = &p->jobs[p->head % WALK_JOBS];
		pthread_mutex_lock(&p->lock);
		if (!j->done && p->tail - p->head > max)
			pthread_cond_broadcast(&p->more);
		while (!j->done && p->tail - p->head > max)
			pthread_cond_wait(&p->finished, &p->lock);
		done = j->done;
		pthread_mutex_unlock(&p->lock);
		if (!done)
			return;
		walk_job_merge(w, j);
		p->head++;
	}
}

/* Whether jobs are still in flight, once the done ones are merged. */
static int
walk_pool_busy(struct walk *w)
{
	walk_pool_reap(w, SIZE_MAX);
	return (w->pool->head != w->pool->tail);
}

/* Wait for every job in flight; 1 if there were any. */
static int
walk_pool_drain(struct walk *w)
{
	if (w->pool == NULL || w->pool->head == w->pool->tail)
		return (0);
	walk_pool_reap(w, 0);
	return (1);
}

/* A free slot at the tail for the path being looked at, not queued yet. */
static struct walk_job *
walk_pool_slot(struct walk *w)
{
	struct walk_pool	*p = w->pool;
	struct walk_job		*j;

	walk_pool_reap(w, WALK_JOBS - 1);
	j = &p->jobs[p->tail % WALK_JOBS];
	if (w->pathlen + 1 > j->apath) {
		j->apath = w->pathlen + 1;
		j->path = xreallocarray(j->path, j->apath, 1);
	}
	memcpy(j->path, w->path, w->pathlen + 1);
	j->fd = -1;
	j->done = 0;
	return (j);
}

/*
 * Queue the job at the tail.  A sleeping worker is woken only once a few
 * jobs wait (or when the walker is about to wait), not for every file.
 */
static void
walk_pool_queue(struct walk_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->tail++;
	if (p->tail - p->next >= WALK_BATCH)
		pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
}

/* Queue the open file fd (the path being looked at); the job takes fd. */
static void
walk_pool_add(struct walk *w, int fd, enum scan_kind kind)
{
	struct walk_job	*j;

	j = walk_pool_slot(w);
	j->fd = fd;
	j->kind = kind;
	walk_pool_queue(w->pool);
}

/* Queue a skip of the path being looked at; the job takes reason. */
static void
walk_pool_note(struct walk *w, char *reason)
{
	struct walk_job	*j;

	j = walk_pool_slot(w);
	j->reason = reason;
	walk_pool_queue(w->pool);
}

/* The number of threads to use, the caller's included. */
static int
walk_nthreads(const struct walk_opts *o)
{
	long	 n;

	if (o != NULL && o->threads > 0)
		return (o->threads < WALK_MAX_THREADS ? o->threads :
		    WALK_MAX_THREADS);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return (1);
	return (n < WALK_DEFAULT_THREADS ? (int)n : WALK_DEFAULT_THREADS);
}

/*
 * Start n worker threads, with the asynchronous signals blocked so they
 * stay with the caller.  Without any (pthread_create failing), the walk
 * goes on in this thread alone.
 */
static void
walk_pool_start(struct walk *w, int n)
{
	struct walk_pool	*p;
	sigset_t		 set, old;

	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->finished, NULL);
	p->max_size = w->max_size;
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	for (; p->nthreads < n; p->nthreads++) {
		if (pthread_create(&p->threads[p->nthreads], NULL, walk_worker,
		    p) != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->pool = p;
	if (p->nthreads == 0)
		walk_pool_stop(w);
}

/* Merge every job left, stop the workers and free the pool. */
static void
walk_pool_stop(struct walk *w)
{
	struct walk_pool	*p = w->pool;
	int			 i;

	walk_pool_reap(w, 0);
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (i = 0; i < WALK_JOBS; i++) {
		free(p->jobs[i].path);
		scan_result_free(&p->jobs[i].sr);
	}
	pthread_cond_destroy(&p->finished);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p);
	w->pool = NULL;
}

/* Record why the file last read through the walker's reader was skipped. */
static void
walk_skip_read(struct walk *w)
{
	struct walk_reader	*r = &w->rd;

	if (r->error != 0)
		walk_skip(w, "%s", walk_errstr(r->error));
	else if (r->reason != NULL)
		walk_skip(w, "%s", r->reason);
	free(r->reason);
	r->reason = NULL;
	r->error = 0;
}

/* Scan the open file fd (the path being looked at), which this takes. */
static void
walk_scan_file(struct walk *w, int fd, enum scan_kind kind)
{
	if (w->pool != NULL) {
		walk_pool_add(w, fd, kind);
		return;
	}
	walk_scan_fd(&w->rd, fd, kind, w->max_size, w->sr, w->path);
	close(fd);
	walk_skip_read(w);
}

/*
 * openat(), tried again once the jobs in flight have given their
 * descriptors back if it ran out of them.
 */
static int
walk_openat(struct walk *w, int dirfd, const char *name, int flags)
{
	int	 fd;

	fd = openat(dirfd, name, flags);
	if (fd == -1 && errno == EMFILE && walk_pool_drain(w))
		fd = openat(dirfd, name, flags);
	return (fd);
}

/* Open name in dirfd without following a symlink and scan it as kind. */
static void
walk_file(struct walk *w, int dirfd, const char *name, enum scan_kind kind)
{
	int	 fd;

	fd = walk_openat(w, dirfd, name, WALK_OPEN_FILE);
	if (fd == -1) {
		if (errno == ELOOP)
			walk_skip(w, "not a regular file (symlink)");
		else if (errno != ENOENT)
			walk_skip(w, "%s", walk_errstr(errno));
		return;
	}
	walk_scan_file(w, fd, kind);
}

/* Read the .tagdriftignore of the top frame into rules. */
static void
walk_ignore_load(struct walk *w)
{
	const struct walk_frame	*f = &w->frames[w->nframes - 1];
	const char		*line, *end, *nl;
	ssize_t			 len;
	int			 fd;

	walk_set_path(w, f->pathlen, WALK_IGNORE_NAME);
	fd = walk_openat(w, f->fd, WALK_IGNORE_NAME, WALK_OPEN_FILE);
	if (fd == -1) {
		if (errno == ELOOP)
			walk_skip(w, "not a regular file (symlink)");
		else if (errno != ENOENT)
			walk_skip(w, "%s", walk_errstr(errno));
		goto out;
	}
	len = walk_read_fd(&w->rd, fd, WALK_IGNORE_MAX);
	close(fd);
	if (len == -1) {
		walk_skip_read(w);
		goto out;
	}
	end = w->rd.buf + len;
	for (line = w->rd.buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		walk_rule_add(w, line, (size_t)(nl - line));
	}
out:
	walk_cut_path(w, f->pathlen);
}

static int
walk_entry_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct walk_entry *)a)->name,
	    ((const struct walk_entry *)b)->name));
}

/* Add an entry to the list of f, but not "." and "..". */
static void
walk_add_entry(struct walk_frame *f, struct walk_listing *l, const char *name,
    unsigned char type, int *ignore)
{
	size_t	 n = strlen(name) + 1;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return;
	if (strcmp(name, WALK_IGNORE_NAME) == 0)
		*ignore = 1;
	while (l->used + n > l->anames) {
		l->anames = l->anames == 0 ? 1024 : l->anames * 2;
		f->names = xreallocarray(f->names, l->anames, 1);
	}
	if (f->nentries == l->aentries) {
		l->aentries = l->aentries == 0 ? 32 : l->aentries * 2;
		f->entries = xreallocarray(f->entries, l->aentries,
		    sizeof *f->entries);
	}
	memcpy(f->names + l->used, name, n);
	f->entries[f->nentries].off = l->used;
	f->entries[f->nentries++].type = type;
	l->used += n;
}

#ifdef __linux__
/*
 * Read the entries of f with getdents64(2) on its own descriptor: two
 * system calls for a small directory, where fdopendir() and readdir() on a
 * duplicate make seven.
 */
static int
walk_read_dir(struct walk *w, struct walk_frame *f, struct walk_listing *l,
    int *ignore)
{
	const struct walk_dirent64	*de;
	long				 n, off;

	if (w->dents == NULL)
		w->dents = xmalloc(WALK_DENTS_SIZE);
	for (;;) {
		n = syscall(SYS_getdents64, f->fd, w->dents, WALK_DENTS_SIZE);
		if (n <= 0)
			break;
		for (off = 0; off < n; off += de->d_reclen) {
			de = (const struct walk_dirent64 *)(w->dents + off);
			walk_add_entry(f, l, de->d_name, de->d_type, ignore);
		}
	}
	return (n == -1 ? errno : 0);
}
#else
/* Read the entries of f through a DIR on a second descriptor. */
static int
walk_read_dir(struct walk *w, struct walk_frame *f, struct walk_listing *l,
    int *ignore)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, error;

	fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (fd == -1)
		return (errno);
	d = fdopendir(fd);
	if (d == NULL) {
		error = errno;
		close(fd);
		return (error);
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		walk_add_entry(f, l, de->d_name, de->d_type, ignore);
	}
	error = errno;
	closedir(d);
	return (error);
}
#endif

/*
 * List the directory of frame f, sorted.  Returns 0 or an errno value;
 * *ignore says whether a .tagdriftignore is among the entries.
 */
static int
walk_list(struct walk *w, struct walk_frame *f, int *ignore)
{
	struct walk_listing	 l;
	size_t			 i;
	int			 error;

	memset(&l, 0, sizeof l);
	error = walk_read_dir(w, f, &l, ignore);
	for (i = 0; i < f->nentries; i++)
		f->entries[i].name = f->names + f->entries[i].off;
	if (f->nentries > 1)
		qsort(f->entries, f->nentries, sizeof *f->entries,
		    walk_entry_cmp);
	return (error);
}

/* Close the oldest directory descriptors beyond the budget. */
static void
walk_trim(struct walk *w)
{
	size_t	 i;

	for (i = w->lowopen; w->nopen > WALK_FD_BUDGET && i + 1 < w->nframes;
	    i++) {
		if (w->frames[i].fd == -1)
			continue;
		close(w->frames[i].fd);
		w->frames[i].fd = -1;
		w->nopen--;
	}
	if (i > w->lowopen)
		w->lowopen = i;
}

static void
walk_set_fd(struct walk *w, size_t i, int fd)
{
	w->frames[i].fd = fd;
	w->nopen++;
	if (i != 0 && i < w->lowopen)
		w->lowopen = i;
}

/*
 * Push a frame for the directory open at fd (the path being looked at),
 * list it and read its .tagdriftignore.  Returns 0 or an errno value; the
 * frame is pushed either way and takes fd.
 */
static int
walk_push(struct walk *w, int fd, const char *name, int followed,
    const struct stat *st)
{
	struct walk_frame	*f;
	int			 ignore = 0, error;

	if (w->nframes == w->aframes) {
		w->aframes = w->aframes == 0 ? 16 : w->aframes * 2;
		w->frames = xreallocarray(w->frames, w->aframes,
		    sizeof *w->frames);
	}
	f = &w->frames[w->nframes++];
	memset(f, 0, sizeof *f);
	f->name = name;
	f->pathlen = w->pathlen;
	f->followed = followed;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->nrules = w->nrules;
	walk_set_fd(w, w->nframes - 1, fd);
	error = walk_list(w, f, &ignore);
	if (error == EMFILE && f->nentries == 0 && walk_pool_drain(w))
		error = walk_list(w, f, &ignore);
	if (error != 0)
		f->nentries = 0;
	else if (ignore)
		walk_ignore_load(w);
	walk_trim(w);
	return (error);
}

static int
walk_same(int fd, const struct walk_frame *f)
{
	struct stat	 st;

	return (fstat(fd, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino);
}

/*
 * Give frame t its descriptor back: ".." of its child when that is the same
 * directory (it is unless a symlink led there), else by name from the
 * nearest open ancestor, keeping the last quarter-budget of the way open
 * (so a walk back up through such frames costs O(depth^2 / budget) opens).
 */
static int
walk_reopen(struct walk *w, size_t t, int childfd)
{
	struct walk_frame	*g;
	size_t			 j, k;
	int			 fd;

	if (childfd != -1) {
		fd = openat(childfd, "..", WALK_OPEN_DIR);
		if (fd != -1 && walk_same(fd, &w->frames[t])) {
			walk_set_fd(w, t, fd);
			return (0);
		}
		if (fd != -1)
			close(fd);
	}
	for (j = t; w->frames[j].fd == -1; j--)
		/* nothing: the root is always open */;
	for (k = j + 1; k <= t; k++) {
		g = &w->frames[k];
		fd = openat(w->frames[k - 1].fd, g->name, WALK_OPEN_DIR |
		    (g->followed ? 0 : O_NOFOLLOW));
		if (fd != -1 && !walk_same(fd, g)) {
			close(fd);
			fd = -1;
		}
		if (fd == -1)
			return (-1);
		walk_set_fd(w, k, fd);
		if (k - 1 > j && t - (k - 1) >= WALK_FD_BUDGET / 4) {
			close(w->frames[k - 1].fd);
			w->frames[k - 1].fd = -1;
			w->nopen--;
		}
	}
	return (0);
}

/* Leave the top frame; its parent, if closed, is reopened. */
static void
walk_pop(struct walk *w)
{
	struct walk_frame	*f = &w->frames[w->nframes - 1], *t;

	t = w->nframes > 1 ? f - 1 : NULL;
	if (t != NULL && t->fd == -1 &&
	    walk_reopen(w, w->nframes - 2, f->fd) == -1) {
		walk_cut_path(w, t->pathlen);
		walk_skip(w, "directory changed during the walk");
		t->next = t->nentries;
	}
	if (f->fd != -1) {
		close(f->fd);
		w->nopen--;
	}
	free(f->names);
	free(f->entries);
	walk_rules_cut(w, f->nrules);
	w->nframes--;
	walk_trim(w);
}

/* Why a directory seen before is skipped: a loop if it is an ancestor. */
static const char *
walk_seen_reason(struct walk *w, const struct stat *st)
{
	size_t	 i;

	for (i = 0; i < w->nframes; i++) {
		if (w->frames[i].dev == st->st_dev &&
		    w->frames[i].ino == st->st_ino)
			return ("directory already visited (symlink loop)");
	}
	return ("directory already visited (reached through another path)");
}

/* Enter the directory name of the top frame (the path being looked at). */
static void
walk_dir(struct walk *w, const char *name, int followed)
{
	struct stat	 st;
	int		 fd, error;

	if (w->nframes > (size_t)w->max_depth) {
		walk_skip(w, "directory nesting deeper than %d", w->max_depth);
		return;
	}
	fd = walk_openat(w, w->frames[w->nframes - 1].fd, name,
	    WALK_OPEN_DIR | (followed ? 0 : O_NOFOLLOW));
	if (fd == -1) {
		if (errno != ENOENT)
			walk_skip(w, "%s", walk_errstr(errno));
		return;
	}
	if (fstat(fd, &st) == -1) {
		walk_skip(w, "%s", walk_errstr(errno));
		goto fail;
	}
	if (walk_seen(w, st.st_dev, st.st_ino)) {
		walk_skip(w, "%s", walk_seen_reason(w, &st));
		goto fail;
	}
	/* The frame takes fd. */
	error = walk_push(w, fd, name, followed, &st);
	if (error != 0)
		walk_skip(w, "%s", walk_errstr(error));
	return;
fail:
	close(fd);
}

/* The real path of the symlink being looked at if it stays in the root. */
static char *
walk_inside(struct walk *w)
{
	char	*full, *real;
	size_t	 n = strlen(w->rootreal);

	xasprintf(&full, "%s/%s", w->root, w->path);
	real = realpath(full, NULL);
	free(full);
	if (real == NULL) {
		walk_skip(w, "%s", errno == ENOENT ? "broken symlink" :
		    walk_errstr(errno));
		return (NULL);
	}
	if (strcmp(w->rootreal, "/") != 0 && (strncmp(real, w->rootreal, n)
	    != 0 || (real[n] != '\0' && real[n] != '/'))) {
		walk_skip(w, "symlink points outside the scanned root");
		free(real);
		return (NULL);
	}
	return (real);
}

/* Follow the symlink name of the top frame if it stays inside the root. */
static void
walk_symlink(struct walk *w, const char *name)
{
	struct stat	 st;
	enum scan_kind	 kind = scan_kind_of(w->path);
	char		*real;
	int		 isdir, fd, error;

	if (fstatat(w->frames[w->nframes - 1].fd, name, &st, 0) == -1) {
		error = errno;
		if (walk_ignored(w, name, 0))
			return;
		if (error == ENOENT || error == ENOTDIR || error == ELOOP)
			walk_skip(w, "broken symlink");
		else
			walk_skip(w, "%s", walk_errstr(error));
		return;
	}
	isdir = S_ISDIR(st.st_mode);
	if (isdir ? walk_skip_name(name) : kind == SCAN_NONE)
		return;
	if (walk_ignored(w, name, isdir))
		return;
	real = walk_inside(w);
	if (real == NULL)
		return;
	if (isdir)
		walk_dir(w, name, 1);
	else if (!S_ISREG(st.st_mode))
		walk_skip(w, "not a regular file (%s)",
		    walk_type_name(st.st_mode));
	else {
		fd = walk_openat(w, AT_FDCWD, real, WALK_OPEN_FILE);
		if (fd == -1)
			walk_skip(w, "%s", walk_errstr(errno));
		else
			walk_scan_file(w, fd, kind);
	}
	free(real);
}

/* Look at one entry of the top frame. */
static void
walk_entry(struct walk *w, const char *name, unsigned char type)
{
	struct walk_frame	*f = &w->frames[w->nframes - 1];
	struct stat		 st;
	enum scan_kind		 kind;

	walk_set_path(w, f->pathlen, name);
	if (type == DT_UNKNOWN) {
		if (fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				walk_skip(w, "%s", walk_errstr(errno));
			return;
		}
		type = IFTODT(st.st_mode);
	}
	if (type == DT_DIR) {
		if (!walk_skip_name(name) && !walk_ignored(w, name, 1))
			walk_dir(w, name, 0);
		return;
	}
	if (type == DT_LNK) {
		walk_symlink(w, name);
		return;
	}
	kind = scan_kind_of(w->path);
	if (kind == SCAN_NONE || walk_ignored(w, name, 0))
		return;
	if (type == DT_REG)
		walk_file(w, f->fd, name, kind);
	else
		walk_skip(w, "not a regular file (%s)",
		    walk_type_name(DTTOIF(type)));
}

static void
walk_tree(struct walk *w)
{
	struct walk_frame	*f;
	struct walk_entry	*e;

	while (w->nframes > 0) {
		f = &w->frames[w->nframes - 1];
		if (f->next == f->nentries) {
			walk_pop(w);
			continue;
		}
		e = &f->entries[f->next++];
		walk_entry(w, e->name, e->type);
	}
}

/* Scan a root that is a file: kind from its name, path its basename. */
static int
walk_root_file(struct walk *w, const char *root, char **cause)
{
	enum scan_kind	 kind = scan_kind_of(root);
	const char	*base;
	int		 fd;

	base = strrchr(root, '/');
	base = base != NULL ? base + 1 : root;
	if (kind == SCAN_NONE) {
		if (strstr(base, "ockerfile") == NULL &&
		    strstr(base, "ontainerfile") == NULL) {
			*cause = xstrdup("not a file tagdrift knows how to "
			    "scan");
			return (-1);
		}
		kind = SCAN_DOCKERFILE;
	}
	fd = open(root, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		*cause = xstrdup(strerror(errno));
		return (-1);
	}
	walk_set_path(w, 0, base);
	walk_scan_file(w, fd, kind);
	return (0);
}

/* Open the root directory and push its frame. */
static int
walk_root_dir(struct walk *w, const char *root, char **cause)
{
	struct stat	 st;
	int		 fd, error;

	w->rootreal = realpath(root, NULL);
	if (w->rootreal == NULL) {
		*cause = xstrdup(strerror(errno));
		return (-1);
	}
	fd = open(root, WALK_OPEN_DIR);
	if (fd == -1 || fstat(fd, &st) == -1) {
		*cause = xstrdup(strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	/* From here the frame owns fd. */
	walk_seen(w, st.st_dev, st.st_ino);
	walk_set_path(w, 0, "");
	error = walk_push(w, fd, NULL, 0, &st);
	if (error != 0) {
		*cause = xstrdup(strerror(error));
		return (-1);
	}
	return (0);
}

/* Free what the walk holds; the workers, if any, are stopped already. */
static void
walk_free(struct walk *w)
{
	while (w->nframes > 0) {
		if (w->frames[w->nframes - 1].fd != -1)
			close(w->frames[w->nframes - 1].fd);
		free(w->frames[w->nframes - 1].names);
		free(w->frames[w->nframes - 1].entries);
		w->nframes--;
	}
	walk_rules_cut(w, 0);
	free(w->rules);
	free(w->frames);
	free(w->path);
	free(w->pcopy);
	free(w->pcomps);
	free(w->seen);
	free(w->rd.buf);
	free(w->dents);
	free(w->rootreal);
}

int
walk_scan(const char *root, const struct walk_opts *o, struct scan_result *sr,
    char **cause)
{
	struct walk	 w;
	struct stat	 st;
	int		 rc = -1;

	memset(&w, 0, sizeof w);
	w.root = root;
	w.sr = sr;
	w.lowopen = 1;
	w.max_size = WALK_DEFAULT_MAX_FILE_SIZE;
	w.max_depth = WALK_DEFAULT_MAX_DEPTH;
	if (o != NULL && o->max_file_size > 0)
		w.max_size = o->max_file_size < WALK_SIZE_CAP ?
		    o->max_file_size : WALK_SIZE_CAP;
	if (o != NULL && o->max_depth >= 0)
		w.max_depth = o->max_depth;

	if (stat(root, &st) == -1)
		*cause = xstrdup(strerror(errno));
	else if (S_ISREG(st.st_mode))
		rc = walk_root_file(&w, root, cause);
	else if (!S_ISDIR(st.st_mode))
		xasprintf(cause, "not a regular file (%s)",
		    walk_type_name(st.st_mode));
	else if (walk_root_dir(&w, root, cause) == 0) {
		if (walk_nthreads(o) > 1)
			walk_pool_start(&w, walk_nthreads(o) - 1);
		walk_tree(&w);
		if (w.pool != NULL)
			walk_pool_stop(&w);
		rc = 0;
	}
	walk_free(&w);
	return (rc);
}
