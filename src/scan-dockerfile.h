/* References in a Dockerfile: FROM, COPY --from, RUN --mount=from=. */
#ifndef SCAN_DOCKERFILE_H
#define SCAN_DOCKERFILE_H

#include <stddef.h>

#include "scan.h"

void	scan_dockerfile(struct scan_result *, const char *file,
	    const char *buf, size_t len);

#endif
