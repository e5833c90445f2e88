/*
 * The configuration: one table of options (config.c) drives the parser,
 * check-config, the defaults and the dump.  The file is INI-style, read with
 * inih; the catalog of recommended images lives in [image NAME] sections,
 * in the main file or in the catalog file it names.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "ref.h"
#include "rules.h"

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/tagdrift/tagdrift.conf"

enum catalog_stage {
	CATALOG_PRODUCTION = 0,
	CATALOG_BUILD
};

struct catalog_tag {
	char			*tag;
	enum catalog_stage	 stage;
};

struct catalog_entry {
	char			*image;		/* as written: "node" */
	struct ref		 ref;		/* parsed name (no tag) */
	int			 not_registry;	/* scratch */
	struct catalog_tag	*tags;
	size_t			 ntags;
	char			*note;
	char			*file;		/* where it was defined */
	unsigned		 line;
};

struct registry_conf {
	char		*name;		/* "docker.io" */
	char		*mirror;	/* URL or NULL */
	int		 insecure;
	int		 concurrency;
	char		*username;
	char		*password_file;
};

struct config {
	char			*path;		/* file read, NULL for defaults */

	/* [general] */
	char			*db_path;	/* NULL: the XDG/system default */
	char			*catalog_path;	/* NULL: catalog inline/builtin */
	int			 cache_ttl;	/* seconds */
	int			 log_json;

	/* [policy] */
	int			 eol_warn_days;
	int			 stale_tag_days;
	int			 stale_digest_days;
	int			 max_depth;	/* scan: directory depth cap */
	long long		 max_file_size;	/* scan: bytes */

	/* [rules] */
	enum severity		 severity[RULE_COUNT];

	/* [registry NAME] */
	struct registry_conf	*registries;
	size_t			 nregistries;
	int			 concurrency;	/* default per registry */
	int			 timeout;	/* seconds per transfer */

	/* [webhook] */
	char			*webhook_url;
	char			*webhook_secret_file;
	char			*webhook_format;
	int			 webhook_max_attempts;
	int			 webhook_max_age;

	/* [daemon] */
	int			 poll_interval;
	int			 scan_interval;
	char			**scan_paths;
	size_t			 nscan_paths;

	/* the catalog */
	struct catalog_entry	*catalog;
	size_t			 ncatalog;
};

/* Defaults and the built-in catalog; never fails. */
struct config	*config_default(void);
/*
 * Load path (or the default path when NULL and it exists; the defaults when
 * it does not).  Every error is printed to errfp as "file:line: message";
 * returns NULL when there was any, with the count in *nerrors.
 */
struct config	*config_load(const char *path, int required, void *errfp,
		     int *nerrors);
void		 config_free(struct config *);
/* Print the effective configuration in the file's own syntax. */
void		 config_dump(const struct config *, void *fp);
/* The catalog entry for this image (any tag), or NULL. */
const struct catalog_entry *config_catalog_find(const struct config *,
		     const struct ref *);
/* The default database path: $XDG_STATE_HOME/tagdrift/history.db etc. */
char		*config_db_path(const struct config *);

#endif
