/*
 * libFuzzer target: scan arbitrary bytes as a Dockerfile.  Seeds live in
 * tests/data/fuzz/dockerfile.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>

#include "scan-dockerfile.h"
#include "scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_result	 sr;

	scan_result_init(&sr);
	scan_dockerfile(&sr, "Dockerfile", (const char *)data, size);
	scan_result_free(&sr);
	return (0);
}
