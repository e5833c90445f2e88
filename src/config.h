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
/* The name errors and catalog entries give the compiled-in catalog. */
#define CONFIG_BUILTIN_NAME	"<built-in catalog>"
/* Hard limits: a file, and the lists a file can grow. */
#define CONFIG_FILE_MAX		(1024 * 1024)
#define CONFIG_MAX_IMAGES	1024
#define CONFIG_MAX_TAGS		256
#define CONFIG_MAX_REGISTRIES	64
#define CONFIG_MAX_SCAN_PATHS	256

enum catalog_stage {
	CATALOG_PRODUCTION = 0,
	CATALOG_BUILD
};

struct catalog_tag {
	char			*tag;
	enum catalog_stage	 stage;
	unsigned		 line;		/* where it is listed */
};

struct catalog_entry {
	char			*image;		/* as written: "node" */
	struct ref		 ref;		/* parsed name (no tag) */
	char			*identity;	/* ref_identity(&ref) */
	int			 not_registry;	/* scratch */
	struct catalog_tag	*tags;
	size_t			 ntags;
	char			*note;
	char			*file;		/* where it was defined */
	unsigned		 line;
};

struct registry_conf {
	char		*name;		/* "docker.io" (normalized) */
	char		*mirror;	/* URL or NULL */
	int		 insecure;
	int		 concurrency;	/* [registries] concurrency if unset */
	char		*username;
	char		*password_file;
	char		*ca_file;	/* PEM CAs for it and its mirror */
	char		*hub_api;	/* Docker Hub API URL, "none" or NULL */
};

enum config_log_format {
	CONFIG_LOG_TEXT = 0,
	CONFIG_LOG_JSON
};

enum config_webhook_format {
	CONFIG_WEBHOOK_GENERIC = 0,
	CONFIG_WEBHOOK_SLACK,
	CONFIG_WEBHOOK_CLOUDEVENTS
};

struct config {
	char			*path;		/* file read; NULL: defaults */

	/* [general] */
	char			*db_path;	/* NULL: config_db_path() */
	char			*catalog_path;	/* NULL: inline or built-in */
	int			 cache_ttl;	/* seconds */
	int			 log_json;	/* enum config_log_format */

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
	/* [registries] */
	int			 concurrency;	/* default per registry */
	int			 timeout;	/* seconds per transfer */

	/* [webhook] */
	char			*webhook_url;	/* NULL: no webhook */
	char			*webhook_secret_file;
	int			 webhook_format; /* config_webhook_format */
	int			 webhook_max_attempts;
	int			 webhook_max_age; /* seconds */

	/* [daemon] */
	int			 poll_interval;	/* seconds */
	int			 scan_interval;	/* seconds */
	char			**scan_paths;
	size_t			 nscan_paths;

	/* the catalog */
	struct catalog_entry	*catalog;
	size_t			 ncatalog;
};

/* The option table: what the parser, the dump and the man page agree on. */
enum config_type {
	CONFIG_STRING = 0,
	CONFIG_PATH,		/* relative to the file's directory */
	CONFIG_URL,		/* http:// or https://, no user:password@ */
	CONFIG_INT,
	CONFIG_DURATION,	/* 90s, 15m, 6h, 7d; stored in seconds */
	CONFIG_SIZE,		/* 4096, 64K, 4M, 1G; stored in bytes */
	CONFIG_BOOL,
	CONFIG_ENUM,		/* stored as the index of the choice */
	CONFIG_PATHS		/* space separated, repeatable */
};

#define CONFIG_F_RELOAD		0x1	/* a SIGHUP applies it */
#define CONFIG_F_SECRET		0x2	/* the dump prints <set> */
#define CONFIG_F_REGISTRY	0x4	/* a field of struct registry_conf */
#define CONFIG_F_NONE		0x8	/* a URL that may also be "none" */

/* hub_api of docker.io when the configuration does not say. */
#define CONFIG_HUB_API		"https://hub.docker.com"

struct config_option {
	const char		*section;	/* "general", "registry" */
	const char		*name;
	enum config_type	 type;
	const char		*def;		/* as written; NULL: not set */
	long long		 min, max;	/* int, duration, size */
	const char *const	*choices;	/* enum, NULL-terminated */
	int			 flags;
	size_t			 off;		/* offset of the field */
	size_t			 off_n;		/* paths: offset of the count */
	const char		*help;
};

extern const struct config_option	config_options[];
extern const size_t			config_noptions;

/* Defaults and the built-in catalog; never fails. */
struct config	*config_default(void);
/*
 * Load path (or the default path when NULL and it exists; the defaults when
 * it does not).  Every error is printed to errfp (a FILE *, or NULL for
 * none) as "file:line: message"; returns NULL when there was any, with the
 * count in *nerrors.  A missing file is an error only when required.
 */
struct config	*config_load(const char *path, int required, void *errfp,
		     int *nerrors);
/*
 * Parse a configuration held in memory as if read from the file name
 * (used for relative paths and messages); errors as config_load.
 */
struct config	*config_parse_buffer(const char *name, const char *data,
		     size_t len, void *errfp, int *nerrors);
void		 config_free(struct config *);
/* Print the effective configuration in the file's own syntax. */
void		 config_dump(const struct config *, void *fp);
/* The catalog entry for this image (any tag), or NULL. */
const struct catalog_entry *config_catalog_find(const struct config *,
		     const struct ref *);
/* The same, by image identity (ref_identity). */
const struct catalog_entry *config_catalog_find_id(const struct config *,
		     const char *identity);
/*
 * The database path (allocated, the caller frees): the configured one, else
 * $STATE_DIRECTORY/history.db under systemd, else $XDG_STATE_HOME or
 * ~/.local/state tagdrift/history.db, else /var/lib/tagdrift/history.db.
 */
char		*config_db_path(const struct config *);
/*
 * Apply --mirror REGISTRY=URL (spec) over c: requests for REGISTRY go to
 * URL while history and findings keep its name.  A plain http:// URL is
 * accepted on a loopback address (the registry is then insecure) or for a
 * registry already insecure.  -1 and *cause when spec is bad.
 */
int		 config_add_mirror(struct config *, const char *spec,
		     char **cause);
/* The table entry for section and name, or NULL. */
const struct config_option *config_option_find(const char *section,
		     const char *name);
/* Canonical text of a duration ("6h") or size ("4M"); the caller frees. */
char		*config_format_duration(long long);
char		*config_format_size(long long);
/*
 * 0 if running with next instead of cur needs no restart; else -1 and
 * cause names the first changed option that a reload cannot apply.
 */
int		 config_reload_check(const struct config *cur,
		     const struct config *next, char **cause);

#endif
