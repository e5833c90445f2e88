#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>

#include "scan-yaml.h"
#include "scan.h"

/*
 * libFuzzer target: the same bytes scanned as each YAML kind.  Seeds are
 * in tests/data/fuzz/yaml (copies of tests/data/yaml inputs).
 */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum scan_kind	 kinds[] = { SCAN_COMPOSE,
	    SCAN_KUBERNETES, SCAN_GITHUB_ACTIONS, SCAN_GITLAB_CI };
	struct scan_result		 sr;
	size_t				 i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		scan_result_init(&sr);
		scan_yaml(&sr, "fuzz.yaml", kinds[i], (const char *)data,
		    size);
		scan_result_free(&sr);
	}
	return (0);
}
