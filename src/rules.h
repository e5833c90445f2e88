/*
 * The audit rules: their stable ids, default severities, and the checks
 * that need no registry.  Findings carry everything a report prints.
 */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>
#include <time.h>

#include "scan.h"

enum severity {
	SEV_OFF = 0,
	SEV_INFO,
	SEV_WARNING,
	SEV_ERROR
};

enum rule_id {
	RULE_LATEST = 0,
	RULE_STALE_DIGEST,
	RULE_UNKNOWN_DIGEST,
	RULE_MISSING_TAG,
	RULE_OUTDATED,
	RULE_EOL,
	RULE_STALE_TAG,
	RULE_NON_MINIMAL,
	RULE_BUILD_IMAGE_FINAL,
	RULE_NOT_RECOMMENDED,
	RULE_UNPINNED,
	RULE_UNRESOLVED,
	RULE_COUNT
};

struct rule_info {
	const char	*id;
	enum severity	 severity;	/* default; SEV_OFF means opt-in */
	int		 needs_registry;
	const char	*summary;	/* one line */
	const char	*help;		/* what to do about it */
};

extern const struct rule_info rules_table[RULE_COUNT];

struct evidence {
	const char	*key;
	char		*value;
};

struct finding {
	enum rule_id	 rule;
	enum severity	 severity;
	char		*file;		/* relative path, or the config file */
	unsigned	 line;
	unsigned	 column;
	char		*text;		/* the reference as written */
	char		*message;
	char		*suggestion;	/* replacement text, or NULL */
	struct evidence	 evidence[8];
	size_t		 nevidence;
};

struct findings {
	struct finding	*v;
	size_t		 n, alloc;
};

struct config;

const char	*severity_name(enum severity);
int		 severity_parse(const char *, enum severity *);
int		 rules_lookup(const char *);

void		 findings_init(struct findings *);
void		 findings_free(struct findings *);
struct finding	*findings_add(struct findings *, enum rule_id, enum severity,
		     const struct scan_ref *, const char *fmt, ...)
		     __attribute__((format(printf, 5, 6)));
void		 finding_evidence(struct finding *, const char *key,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void		 findings_sort(struct findings *);
enum severity	 findings_max(const struct findings *);

/* Run the offline rules over scanned references; now is injectable. */
void		 rules_check(const struct config *, const struct scan_result *,
		     time_t now, struct findings *);
/* Run them over the catalog itself (tagdrift catalog --check). */
void		 rules_check_catalog(const struct config *, time_t now,
		     struct findings *);

/* What rules_check_registry could judge. */
struct rules_registry_stats {
	size_t		 checked;	/* judged against the history */
	size_t		 unknown;	/* image or tag never seen */
};

struct store;

/*
 * Run the registry rules (stale-digest, unknown-digest, missing-tag,
 * stale-tag) from the history database alone; store may be NULL (no
 * database: every reference is unknown).  stats may be NULL; so may
 * unknown, else one flag per scanned reference, set to 1 for each one
 * that could not be checked (the others are left as they are).
 */
void		 rules_check_registry(const struct config *, struct store *,
		     const struct scan_result *, time_t now, struct findings *,
		     struct rules_registry_stats *, unsigned char *unknown);

#endif
