#include "autoconf.h"
#include "scan-yaml.h"

void
scan_yaml(struct scan_result *sr, const char *file, enum scan_kind kind,
    const char *buf, size_t len)
{
	(void)sr; (void)file; (void)kind; (void)buf; (void)len;
}
