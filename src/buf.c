#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
buf_deinit(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Append n bytes; -1 if that would pass the cap. */
int
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t	 need;

	if (n > b->cap || b->len > b->cap - n)
		return (-1);
	need = b->len + n + 1;
	if (need > b->alloc) {
		size_t	 na = b->alloc == 0 ? 64 : b->alloc;

		while (na < need)
			na *= 2;
		if (na > b->cap + 1)
			na = b->cap + 1;
		b->data = xreallocarray(b->data, na, 1);
		b->alloc = na;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (0);
}

int
buf_addc(struct buf *b, char c)
{
	return (buf_add(b, &c, 1));
}

int
buf_adds(struct buf *b, const char *s)
{
	return (buf_add(b, s, strlen(s)));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n, rc;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	rc = buf_add(b, s, (size_t)n);
	free(s);
	return (rc);
}

char *
buf_take(struct buf *b)
{
	char	*p;

	if (b->data == NULL)
		return (xstrdup(""));
	p = b->data;
	b->data = NULL;
	b->len = b->alloc = 0;
	return (p);
}
