/*
 * The tree walker: which files reach the scanners, read with a bounded read,
 * and what is skipped and why.  Symlinks are followed only while they stay
 * inside the root; directories are entered once (loops are cut); FIFOs and
 * devices are never opened.
 *
 * Paths in the result are relative to the root, '/'-separated, without a
 * leading "./"; the entries of each directory are visited in strcmp order, so
 * the result is deterministic.  .git, .hg, .svn, node_modules and vendor
 * directories are skipped silently, and so is whatever a .tagdriftignore
 * file lists (the user asked); everything else that could hold references
 * and is not scanned gets an entry in the skip list with its reason.
 *
 * .tagdriftignore (gitignore-like, in any directory, applying below it):
 * one pattern per line; blank lines and lines starting with '#' are ignored;
 * trailing blanks are dropped; '!' in front negates (re-includes), the last
 * matching line wins, and nothing inside an ignored directory can be
 * re-included; a trailing '/' matches directories only; a pattern with a
 * '/' elsewhere is anchored to the directory holding the file (a leading '/'
 * only anchors), one without is matched against the name at any depth;
 * a component that is exactly "**" matches directories: leading, any
 * depth; in the middle, zero or more; trailing, everything inside (but not
 * the directory itself); the rest is fnmatch(3) with FNM_PATHNAME ('*' and
 * '?' do not cross '/', "[...]" classes, '\' escapes).  A .tagdriftignore
 * is read only when it is a regular file of at most 256 KiB.
 *
 * With threads above 1, the calling thread walks the directories and opens
 * the files (all the checks above stay with it) while threads - 1 worker
 * threads read and scan them; results are merged in the order the walk
 * found the files, so they are the same whatever the number of threads.
 */
#ifndef WALK_H
#define WALK_H

#include <stdatomic.h>

#include "scan.h"

struct walk_opts {
	long long	 max_file_size;	/* bigger: skipped unread */
	int		 max_depth;	/* deeper: skipped */
	int		 threads;	/* 1: none but the caller; 0: default */
	/*
	 * May be NULL; set to nonzero by another thread, the walk enters no
	 * more directories and walk_scan fails with "cancelled".
	 */
	const atomic_int *cancel;
};

#define WALK_DEFAULT_MAX_FILE_SIZE	(4LL * 1024 * 1024)
#define WALK_DEFAULT_MAX_DEPTH		64
#define WALK_DEFAULT_THREADS		4	/* at most, and online CPUs */
#define WALK_MAX_THREADS		16

/*
 * Scan root (a directory or a single file); paths in the result are relative
 * to root (a single file is named by its basename).  opts may be NULL for the
 * defaults; a max_file_size below 1, a negative max_depth or threads below 1
 * also means the default, and threads above WALK_MAX_THREADS means that
 * many.  Returns -1 with cause (the strerror text, or why the file cannot be
 * scanned) only when root itself cannot be used; everything below it that
 * cannot be scanned goes to the skip list of sr.  No thread it started is
 * left running when it returns.
 */
int	walk_scan(const char *root, const struct walk_opts *opts,
	    struct scan_result *sr, char **cause);

#endif
