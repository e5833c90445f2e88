/*
 * Internal to the configuration module, shared by config.c (the option
 * table, loading and the public API), config-parse.c (parsing a file's
 * text) and config-dump.c (option values as text, and the dump).  Other
 * modules include config.h only.
 */
#ifndef CONFIG_PARSE_H
#define CONFIG_PARSE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "rules.h"

#define CONFIG_MINUTE	60LL
#define CONFIG_HOUR	(60 * CONFIG_MINUTE)
#define CONFIG_DAY	(24 * CONFIG_HOUR)

enum config_sect_id {
	SECT_GENERAL,
	SECT_POLICY,
	SECT_RULES,
	SECT_REGISTRIES,
	SECT_REGISTRY,
	SECT_WEBHOOK,
	SECT_DAEMON,
	SECT_IMAGE,
	SECT_BAD		/* a bad header: its keys are ignored */
};

struct config_section {
	const char		*name;
	enum config_sect_id	 id;
	int			 arg;		/* takes a NAME */
};

/* Images parsed from one file, with what duplicate checks need. */
struct config_images {
	struct catalog_entry	*v;
	char			**ident;	/* ref_identity of each */
	unsigned		*note_line;
	size_t			 n, alloc;
};

/* The state of parsing one file. */
struct config_parse {
	struct config			*c;
	const char			*file;
	char				*dir;	/* relative paths; NULL: cwd */
	FILE				*errfp;
	int				 nerrors;
	unsigned			 lineno;
	int				 catalog_only;

	const struct config_section	*sect;	/* NULL before the first */
	size_t				 cur;	/* registry or image index */

	unsigned			*seen;	/* line each option was set */
	unsigned			*reg_seen; /* per registry */
	unsigned			 rule_seen[RULE_COUNT];
	struct config_images		 img;
};

/* config.c */

/* Apply the table's defaults to the options of one kind of struct. */
void	config_apply_defaults(void *base, int registry);
/* Free what a catalog entry owns, not the entry itself. */
void	config_entry_free(struct catalog_entry *);
/* Free the entries and lists of img and zero it. */
void	config_images_free(struct config_images *img);
/*
 * Append an entry for image name defined at file:line; it takes ref's
 * strings and ident (allocated).  Returns the entry's index.
 */
size_t	config_images_add(struct config_images *img, const char *name,
	    struct ref *ref, char *ident, const char *file, unsigned line);

/* config-parse.c */

/* The sections, in the order the dump prints them; *n gets their count. */
const struct config_section *config_section_table(size_t *n);
/*
 * Start parsing file (which must outlive p) into c; errors go to errfp
 * (NULL: none).  A catalog file (catalog_only) holds only [image] sections.
 */
void	config_parse_init(struct config_parse *p, struct config *c,
	    const char *file, FILE *errfp, int catalog_only);
void	config_parse_deinit(struct config_parse *p);
/* Print "file:line: message" (line 0: "file: message") and count it. */
void	config_error_at(struct config_parse *p, unsigned line,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Parse a main file's text; its [image] sections are left in p->img. */
void	config_parse_buf(struct config_parse *p, const char *data,
	    size_t len);
/* Parse a catalog file's text into out (the caller owns it); p counts. */
void	config_parse_catalog(struct config_parse *p, const char *name,
	    const char *data, size_t len, struct config_images *out);

/* config-dump.c */

/*
 * Set one option of base (a struct config or registry_conf) from text;
 * relative paths are taken relative to dir (NULL: as written).
 */
int	config_set(const char *dir, const struct config_option *o,
	    void *base, const char *value, char **cause);

#endif
