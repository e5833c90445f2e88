/*
 * A growable byte buffer with a size cap fixed at creation, in the manner of
 * curl's dynbuf.  The contents are always NUL-terminated.  Appending past the
 * cap fails cleanly and leaves the buffer as it was.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
};

void	 buf_init(struct buf *, size_t);
void	 buf_deinit(struct buf *);
void	 buf_reset(struct buf *);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addc(struct buf *, char);
int	 buf_adds(struct buf *, const char *);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hand the contents to the caller, who frees them; the buffer is reset. */
char	*buf_take(struct buf *);

#endif
