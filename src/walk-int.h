/*
 * Internals shared by walk.c (the walk), walk-ignore.c (.tagdriftignore
 * rules) and walk-pool.c (reading files, the worker threads and the job
 * ring); nothing outside the walk module includes this.
 */

#ifndef WALK_INT_H
#define WALK_INT_H

#include <sys/types.h>

#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>

#include "walk.h"

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
	const atomic_int   *cancel;
	int		    cancelled;
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

/* walk.c */
void		 walk_skip(struct walk *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*walk_errstr(int);
const char	*walk_type_name(mode_t);
void		 walk_set_path(struct walk *, size_t, const char *);
void		 walk_cut_path(struct walk *, size_t);
int		 walk_openat(struct walk *, int, const char *, int);
void		 walk_skip_read(struct walk *);

/* walk-ignore.c */
void		 walk_rules_cut(struct walk *, size_t);
int		 walk_ignored(struct walk *, const char *, int);
void		 walk_ignore_load(struct walk *);

/* walk-pool.c */
ssize_t		 walk_read_fd(struct walk_reader *, int, long long);
void		 walk_scan_fd(struct walk_reader *, int, enum scan_kind,
		    long long, struct scan_result *, const char *);
int		 walk_pool_busy(struct walk *);
void		 walk_pool_note(struct walk *, char *);
int		 walk_pool_drain(struct walk *);
void		 walk_pool_add(struct walk *, int, enum scan_kind);
int		 walk_nthreads(const struct walk_opts *);
void		 walk_pool_start(struct walk *, int);
void		 walk_pool_stop(struct walk *);

#endif /* WALK_INT_H */
