#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk-int.h"
#include "xmalloc.h"

/*
 * Record that the path being looked at was skipped, and why: at once, or
 * as a job behind those in flight.
 */
void
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

const char *
walk_errstr(int error)
{
	if (error == EACCES || error == EPERM)
		return ("permission denied");
	return (strerror(error));
}

const char *
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
void
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

void
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

/* Record why the file last read through the walker's reader was skipped. */
void
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
int
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

	if (w->cancel != NULL && atomic_load(w->cancel)) {
		w->cancelled = 1;
		return;
	}
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
	if (o != NULL)
		w.cancel = o->cancel;

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
		if (w.cancelled) {
			*cause = xstrdup("cancelled");
			rc = -1;
		}
	}
	walk_free(&w);
	return (rc);
}
