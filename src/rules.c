#include "autoconf.h"

#include "rules.h"

const struct rule_info rules_table[RULE_COUNT] = {
	[RULE_LATEST] = { "latest", SEV_ERROR, 0, "", "" },
};
