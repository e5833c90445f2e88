/*
 * The tree walker: which files reach the scanners, read with a bounded read,
 * and what is skipped and why.  Symlinks are followed only while they stay
 * inside the root; directories are entered once (loops are cut); FIFOs and
 * devices are never opened.
 */
#ifndef WALK_H
#define WALK_H

#include "scan.h"

struct walk_opts {
	long long	 max_file_size;	/* larger files are skipped unread */
	int		 max_depth;	/* deeper directories are skipped */
};

#define WALK_DEFAULT_MAX_FILE_SIZE	(4LL * 1024 * 1024)
#define WALK_DEFAULT_MAX_DEPTH		64

/*
 * Scan root (a directory or a single file); paths in the result are relative
 * to root.  Returns -1 with cause only when root itself cannot be used.
 */
int	walk_scan(const char *root, const struct walk_opts *,
	    struct scan_result *, char **cause);

#endif
