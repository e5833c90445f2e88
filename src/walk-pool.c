#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk-int.h"
#include "xmalloc.h"

/*
 * Reading and scanning one file, in the walker's thread or in a worker's,
 * and the pool of workers with its ring of jobs merged back in order.
 */

static void	walk_reader_fail(struct walk_reader *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
walk_reader_fail(struct walk_reader *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	xvasprintf(&r->reason, fmt, ap);
	va_end(ap);
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
ssize_t
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
void
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
int
walk_pool_busy(struct walk *w)
{
	walk_pool_reap(w, SIZE_MAX);
	return (w->pool->head != w->pool->tail);
}

/* Wait for every job in flight; 1 if there were any. */
int
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
void
walk_pool_add(struct walk *w, int fd, enum scan_kind kind)
{
	struct walk_job	*j;

	j = walk_pool_slot(w);
	j->fd = fd;
	j->kind = kind;
	walk_pool_queue(w->pool);
}

/* Queue a skip of the path being looked at; the job takes reason. */
void
walk_pool_note(struct walk *w, char *reason)
{
	struct walk_job	*j;

	j = walk_pool_slot(w);
	j->reason = reason;
	walk_pool_queue(w->pool);
}

/* The number of threads to use, the caller's included. */
int
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
void
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
void
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
