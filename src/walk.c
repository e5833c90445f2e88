#include "autoconf.h"
#include "walk.h"
#include "xmalloc.h"

int
walk_scan(const char *root, const struct walk_opts *o, struct scan_result *sr,
    char **cause)
{
	(void)root; (void)o; (void)sr;
	*cause = xstrdup("not yet");
	return (-1);
}
