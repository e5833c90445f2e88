/*
 * The configuration as a whole: the option table (each option's type,
 * default, bounds, whether a reload applies it), the defaults, catalog
 * entries and lists, loading (read the file, parse it with config-parse.c,
 * finish the registries, assemble the catalog from the catalog file, the
 * main file's [image] sections or the built-in catalog), freeing, catalog
 * lookups, the database path and the reload check.  The text form of values
 * and the dump are in config-dump.c.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "config-parse.h"
#include "log.h"
#include "xmalloc.h"

/* etc/catalog.conf, compiled in (src/catalog-builtin.c). */
extern const char	config_builtin_catalog[];

#define OFF(f)	offsetof(struct config, f)
#define ROFF(f)	offsetof(struct registry_conf, f)

static const char *const config_log_formats[] = { "text", "json", NULL };
static const char *const config_webhook_formats[] = {
	"generic", "slack", "cloudevents", NULL
};

/* Every option, grouped by section in the order the dump prints them. */
const struct config_option config_options[] = {
	{ "general", "database", CONFIG_PATH, NULL, 0, 0, NULL,
	  0, OFF(db_path), 0,
	  "The history database.  Unset: $STATE_DIRECTORY/history.db under "
	  "systemd, else $XDG_STATE_HOME/tagdrift/history.db or "
	  "~/.local/state/tagdrift/history.db." },
	{ "general", "catalog", CONFIG_PATH, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD, OFF(catalog_path), 0,
	  "A catalog file that replaces the built-in catalog." },
	{ "general", "cache_ttl", CONFIG_DURATION, "1h", 0, 30 * CONFIG_DAY,
	  NULL, CONFIG_F_RELOAD, OFF(cache_ttl), 0,
	  "How long audit reuses a registry answer kept in the database." },
	{ "general", "log_format", CONFIG_ENUM, "text", 0, 0,
	  config_log_formats, CONFIG_F_RELOAD, OFF(log_json), 0,
	  "Log lines as plain text or as JSON objects." },

	{ "policy", "eol_warn_days", CONFIG_INT, "90", 0, 3650, NULL,
	  CONFIG_F_RELOAD, OFF(eol_warn_days), 0,
	  "Warn this many days before a release cycle's end of life." },
	{ "policy", "stale_tag_days", CONFIG_INT, "90", 1, 3650, NULL,
	  CONFIG_F_RELOAD, OFF(stale_tag_days), 0,
	  "A tag not rebuilt for this many days while newer tags move is "
	  "stale." },
	{ "policy", "stale_digest_days", CONFIG_INT, "7", 0, 3650, NULL,
	  CONFIG_F_RELOAD, OFF(stale_digest_days), 0,
	  "Report a pinned digest once its tag has pointed elsewhere for "
	  "this many days (0: at once)." },
	{ "policy", "max_file_size", CONFIG_SIZE, "4M", 1024, 1LL << 30, NULL,
	  CONFIG_F_RELOAD, OFF(max_file_size), 0,
	  "Scans skip larger files (and say so)." },
	{ "policy", "max_depth", CONFIG_INT, "64", 1, 4096, NULL,
	  CONFIG_F_RELOAD, OFF(max_depth), 0,
	  "Scans descend at most this many directory levels." },

	{ "registries", "concurrency", CONFIG_INT, "16", 1, 64, NULL,
	  CONFIG_F_RELOAD, OFF(concurrency), 0,
	  "Requests in flight per registry." },
	{ "registries", "timeout", CONFIG_DURATION, "30s", 1,
	  10 * CONFIG_MINUTE, NULL, CONFIG_F_RELOAD, OFF(timeout), 0,
	  "Limit for one registry transfer." },

	{ "registry", "mirror", CONFIG_URL, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY, ROFF(mirror), 0,
	  "A pull-through mirror serving this registry; history and findings "
	  "keep the registry's own name." },
	{ "registry", "insecure", CONFIG_BOOL, "no", 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY, ROFF(insecure), 0,
	  "Allow plain HTTP to this registry and its mirror." },
	{ "registry", "concurrency", CONFIG_INT, NULL, 1, 64, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY, ROFF(concurrency), 0,
	  "Requests in flight to this registry (unset: [registries] "
	  "concurrency)." },
	{ "registry", "username", CONFIG_STRING, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY | CONFIG_F_SECRET,
	  ROFF(username), 0,
	  "User name for basic or token authentication." },
	{ "registry", "password_file", CONFIG_PATH, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY | CONFIG_F_SECRET,
	  ROFF(password_file), 0,
	  "File holding the password or token (see LoadCredential= in "
	  "systemd.exec(5))." },
	{ "registry", "ca_file", CONFIG_PATH, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY, ROFF(ca_file), 0,
	  "PEM bundle of the CAs trusted for this registry and its mirror, "
	  "instead of the system's (a private CA without insecure)." },
	{ "registry", "hub_api", CONFIG_URL, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_REGISTRY | CONFIG_F_NONE, ROFF(hub_api),
	  0,
	  "Docker Hub's API, asked for tag push times after a tag list "
	  "(none: never; unset: " CONFIG_HUB_API " for docker.io only)." },

	{ "webhook", "url", CONFIG_URL, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_SECRET, OFF(webhook_url), 0,
	  "Where alerts are POSTed; no alerts when unset." },
	{ "webhook", "secret_file", CONFIG_PATH, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD | CONFIG_F_SECRET, OFF(webhook_secret_file), 0,
	  "File holding the secret that signs each body (HMAC-SHA256)." },
	{ "webhook", "format", CONFIG_ENUM, "generic", 0, 0,
	  config_webhook_formats, CONFIG_F_RELOAD, OFF(webhook_format), 0,
	  "Body format: tagdrift's own JSON, Slack, or CloudEvents." },
	{ "webhook", "max_attempts", CONFIG_INT, "20", 1, 1000, NULL,
	  CONFIG_F_RELOAD, OFF(webhook_max_attempts), 0,
	  "Give up on a delivery after this many attempts." },
	{ "webhook", "max_age", CONFIG_DURATION, "3d", CONFIG_MINUTE,
	  90 * CONFIG_DAY, NULL, CONFIG_F_RELOAD, OFF(webhook_max_age), 0,
	  "Give up on a delivery this long after the event." },

	{ "daemon", "poll_interval", CONFIG_DURATION, "6h", CONFIG_MINUTE,
	  30 * CONFIG_DAY, NULL, CONFIG_F_RELOAD, OFF(poll_interval), 0,
	  "Time between polls of the catalog's tags." },
	{ "daemon", "scan_interval", CONFIG_DURATION, "1h", CONFIG_MINUTE,
	  30 * CONFIG_DAY, NULL, CONFIG_F_RELOAD, OFF(scan_interval), 0,
	  "Time between scans of the scan paths." },
	{ "daemon", "scan", CONFIG_PATHS, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD, OFF(scan_paths), OFF(nscan_paths),
	  "Trees the daemon scans; space separated, repeatable." },
};
const size_t config_noptions = sizeof config_options / sizeof config_options[0];

const struct config_option *
config_option_find(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < config_noptions; i++) {
		if (strcmp(config_options[i].section, section) == 0 &&
		    strcmp(config_options[i].name, name) == 0)
			return (&config_options[i]);
	}
	return (NULL);
}

/* Apply the table's defaults to the options of one kind of struct. */
void
config_apply_defaults(void *base, int registry)
{
	const struct config_option	*o;
	char				*cause;
	size_t				 i;

	for (i = 0; i < config_noptions; i++) {
		o = &config_options[i];
		if (o->def == NULL ||
		    ((o->flags & CONFIG_F_REGISTRY) != 0) != (registry != 0))
			continue;
		if (config_set(NULL, o, base, o->def, &cause) != 0)
			fatalx("default %s.%s: %s", o->section, o->name, cause);
	}
}

/* A configuration holding the table's defaults and no catalog. */
static struct config *
config_new(void)
{
	struct config	*c = xcalloc(1, sizeof *c);
	int		 i;

	for (i = 0; i < RULE_COUNT; i++)
		c->severity[i] = rules_table[i].severity;
	config_apply_defaults(c, 0);
	return (c);
}

void
config_entry_free(struct catalog_entry *e)
{
	size_t	 i;

	free(e->image);
	free(e->identity);
	ref_deinit(&e->ref);
	for (i = 0; i < e->ntags; i++)
		free(e->tags[i].tag);
	free(e->tags);
	free(e->note);
	free(e->file);
}

/* Free the entries and lists of img and zero it. */
void
config_images_free(struct config_images *img)
{
	size_t	 i;

	for (i = 0; i < img->n; i++) {
		config_entry_free(&img->v[i]);
		free(img->ident[i]);
	}
	free(img->v);
	free(img->ident);
	free(img->note_line);
	memset(img, 0, sizeof *img);
}

/* Append an entry for image name; it takes ref's strings and ident. */
size_t
config_images_add(struct config_images *img, const char *name,
    struct ref *ref, char *ident, const char *file, unsigned line)
{
	struct catalog_entry	*e;

	if (img->n == img->alloc) {
		img->alloc = img->alloc == 0 ? 16 : img->alloc * 2;
		img->v = xreallocarray(img->v, img->alloc, sizeof *img->v);
		img->ident = xreallocarray(img->ident, img->alloc,
		    sizeof *img->ident);
		img->note_line = xreallocarray(img->note_line, img->alloc,
		    sizeof *img->note_line);
	}
	e = &img->v[img->n];
	memset(e, 0, sizeof *e);
	e->image = xstrdup(name);
	e->ref = *ref;
	memset(ref, 0, sizeof *ref);
	e->identity = xstrdup(ident);
	e->not_registry = strcmp(ident, "docker.io/library/scratch") == 0;
	e->file = xstrdup(file);
	e->line = line;
	img->ident[img->n] = ident;
	img->note_line[img->n] = 0;
	return (img->n++);
}

/* Move the entries of from into to; an image in both takes from's. */
static void
config_images_merge(struct config_images *to, struct config_images *from)
{
	size_t	 i, j;

	for (i = 0; i < from->n; i++) {
		for (j = 0; j < to->n; j++) {
			if (strcmp(to->ident[j], from->ident[i]) == 0)
				break;
		}
		if (j < to->n) {
			config_entry_free(&to->v[j]);
			free(from->ident[i]);
		} else {
			to->v = xreallocarray(to->v, to->n + 1, sizeof *to->v);
			to->ident = xreallocarray(to->ident, to->n + 1,
			    sizeof *to->ident);
			to->ident[to->n++] = from->ident[i];
		}
		to->v[j] = from->v[i];
	}
	free(from->v);
	free(from->ident);
	free(from->note_line);
	memset(from, 0, sizeof *from);
}

/* Make img the configuration's catalog. */
static void
config_take_catalog(struct config *c, struct config_images *img)
{
	size_t	 i;

	c->catalog = img->v;
	c->ncatalog = img->n;
	for (i = 0; i < img->n; i++)
		free(img->ident[i]);
	free(img->ident);
	free(img->note_line);
	memset(img, 0, sizeof *img);
}

/* Read fd to its end into b (capped); on error set err and cause. */
static int
config_read_fd(int fd, struct buf *b, int *err, char **cause)
{
	char	 tmp[8192];
	ssize_t	 n;

	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err = errno;
			*cause = xstrdup(strerror(errno));
			return (-1);
		}
		if (n == 0)
			return (0);
		if (buf_add(b, tmp, (size_t)n) != 0) {
			*err = EFBIG;
			xasprintf(cause, "the file is larger than %d bytes",
			    CONFIG_FILE_MAX);
			return (-1);
		}
	}
}

/*
 * Read a whole file, up to CONFIG_FILE_MAX bytes, into data (allocated, the
 * caller frees); on error err is its errno and cause (allocated) says why.
 */
static int
config_read(const char *path, char **data, size_t *len, int *err,
    char **cause)
{
	struct buf	 b;
	int		 fd, rc = -1;

	buf_init(&b, CONFIG_FILE_MAX);
	*err = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		*err = errno;
		*cause = xstrdup(strerror(errno));
		goto out;
	}
	if (config_read_fd(fd, &b, err, cause) != 0)
		goto out;
	*len = b.len;
	*data = buf_take(&b);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	buf_deinit(&b);
	return (rc);
}

/* Parse the built-in catalog into out. */
static void
config_builtin_images(struct config_parse *p, struct config_images *out)
{
	config_parse_catalog(p, CONFIG_BUILTIN_NAME, config_builtin_catalog,
	    strlen(config_builtin_catalog), out);
}

/*
 * The catalog: the catalog file if one is named (with the main file's own
 * [image] sections replacing or adding entries), else the main file's
 * [image] sections, else the built-in catalog.
 */
static void
config_build_catalog(struct config_parse *p)
{
	struct config		*c = p->c;
	struct config_images	 img;
	const struct config_option *o;
	char			*data = NULL, *cause = NULL;
	size_t			 len;
	int			 err;

	memset(&img, 0, sizeof img);
	if (c->catalog_path != NULL) {
		o = config_option_find("general", "catalog");
		if (config_read(c->catalog_path, &data, &len, &err,
		    &cause) != 0)
			config_error_at(p, p->seen[o - config_options],
			    "catalog: cannot read %s: %s", c->catalog_path,
			    cause);
		else
			config_parse_catalog(p, c->catalog_path, data, len,
			    &img);
		config_images_merge(&img, &p->img);
	} else if (p->img.n > 0) {
		img = p->img;
		memset(&p->img, 0, sizeof p->img);
	} else
		config_builtin_images(p, &img);
	config_take_catalog(c, &img);
	free(data);
	free(cause);
}

/* Registry defaults that depend on [registries], and cross-key checks. */
static void
config_finish_registries(struct config_parse *p)
{
	struct config		*c = p->c;
	struct registry_conf	*r;
	size_t			 i, mirror, hub;

	mirror = config_option_find("registry", "mirror") - config_options;
	hub = config_option_find("registry", "hub_api") - config_options;
	for (i = 0; i < c->nregistries; i++) {
		r = &c->registries[i];
		if (r->concurrency == 0)
			r->concurrency = c->concurrency;
		if (r->hub_api == NULL && strcmp(r->name, "docker.io") == 0)
			r->hub_api = xstrdup(CONFIG_HUB_API);
		if (r->hub_api != NULL && !r->insecure &&
		    strncmp(r->hub_api, "http://", 7) == 0)
			config_error_at(p, p->reg_seen[i * config_noptions +
			    hub], "hub_api: plain http:// needs insecure = "
			    "yes in [registry %s]", r->name);
		if (r->mirror != NULL && !r->insecure &&
		    strncmp(r->mirror, "http://", 7) == 0)
			config_error_at(p, p->reg_seen[i * config_noptions +
			    mirror], "mirror: plain http:// needs insecure = "
			    "yes in [registry %s]", r->name);
	}
}

struct config *
config_default(void)
{
	struct config		*c = config_new();
	struct config_parse	 p;
	struct config_images	 img;

	config_parse_init(&p, c, CONFIG_BUILTIN_NAME, stderr, 1);
	config_builtin_images(&p, &img);
	if (p.nerrors != 0)
		fatalx("the built-in catalog has %d errors", p.nerrors);
	config_take_catalog(c, &img);
	config_parse_deinit(&p);
	return (c);
}

struct config *
config_parse_buffer(const char *name, const char *data, size_t len,
    void *errfp, int *nerrors)
{
	struct config		*c = config_new();
	struct config_parse	 p;

	c->path = xstrdup(name);
	config_parse_init(&p, c, c->path, errfp, 0);
	config_parse_buf(&p, data, len);
	config_finish_registries(&p);
	config_build_catalog(&p);
	*nerrors = p.nerrors;
	config_parse_deinit(&p);
	if (*nerrors != 0) {
		config_free(c);
		return (NULL);
	}
	return (c);
}

struct config *
config_load(const char *path, int required, void *errfp, int *nerrors)
{
	struct config	*c = NULL;
	char		*data = NULL, *cause = NULL;
	size_t		 len;
	int		 err;

	*nerrors = 0;
	if (path == NULL)
		path = CONFIG_DEFAULT_PATH;
	if (config_read(path, &data, &len, &err, &cause) != 0) {
		if (err == ENOENT && !required)
			c = config_default();
		else {
			if (errfp != NULL)
				fprintf(errfp, "%s: %s\n", path, cause);
			*nerrors = 1;
		}
		goto out;
	}
	c = config_parse_buffer(path, data, len, errfp, nerrors);
out:
	free(data);
	free(cause);
	return (c);
}

/* Free the strings and lists the table's options of base own. */
static void
config_free_options(void *base, int registry)
{
	const struct config_option	*o;
	char				***list;
	size_t				 i, j, n;

	for (i = 0; i < config_noptions; i++) {
		o = &config_options[i];
		if (((o->flags & CONFIG_F_REGISTRY) != 0) != (registry != 0))
			continue;
		if (o->type == CONFIG_STRING || o->type == CONFIG_PATH ||
		    o->type == CONFIG_URL)
			free(*(char **)((char *)base + o->off));
		else if (o->type == CONFIG_PATHS) {
			list = (char ***)((char *)base + o->off);
			n = *(size_t *)((char *)base + o->off_n);
			for (j = 0; j < n; j++)
				free((*list)[j]);
			free(*list);
		}
	}
}

void
config_free(struct config *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	free(c->path);
	config_free_options(c, 0);
	for (i = 0; i < c->nregistries; i++) {
		free(c->registries[i].name);
		config_free_options(&c->registries[i], 1);
	}
	free(c->registries);
	for (i = 0; i < c->ncatalog; i++)
		config_entry_free(&c->catalog[i]);
	free(c->catalog);
	free(c);
}

const struct catalog_entry *
config_catalog_find(const struct config *c, const struct ref *r)
{
	const struct catalog_entry	*e;
	char				*id;

	if (c == NULL || r == NULL || r->registry == NULL ||
	    r->repository == NULL)
		return (NULL);
	id = ref_identity(r);
	e = config_catalog_find_id(c, id);
	free(id);
	return (e);
}

const struct catalog_entry *
config_catalog_find_id(const struct config *c, const char *id)
{
	size_t	 i;

	for (i = 0; c != NULL && i < c->ncatalog; i++) {
		if (strcmp(c->catalog[i].identity, id) == 0)
			return (&c->catalog[i]);
	}
	return (NULL);
}

char *
config_db_path(const struct config *c)
{
	const char	*s;
	char		*path;

	if (c != NULL && c->db_path != NULL)
		return (xstrdup(c->db_path));
	/* systemd's StateDirectory=: a ':' separated list; use the first. */
	s = getenv("STATE_DIRECTORY");
	if (s != NULL && *s == '/') {
		xasprintf(&path, "%.*s/history.db", (int)strcspn(s, ":"), s);
		return (path);
	}
	s = getenv("XDG_STATE_HOME");
	if (s != NULL && *s == '/') {
		xasprintf(&path, "%s/tagdrift/history.db", s);
		return (path);
	}
	s = getenv("HOME");
	if (s != NULL && *s == '/') {
		xasprintf(&path, "%s/.local/state/tagdrift/history.db", s);
		return (path);
	}
	return (xstrdup("/var/lib/tagdrift/history.db"));
}

/* Whether one option has the same value in a and b. */
static int
config_option_equal(const struct config_option *o, const void *a,
    const void *b)
{
	const char	*fa = (const char *)a + o->off;
	const char	*fb = (const char *)b + o->off;
	char *const	*la, *const *lb;
	size_t		 na, nb, i;

	switch (o->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_URL:
		la = (char *const *)fa;
		lb = (char *const *)fb;
		if (*la == NULL || *lb == NULL)
			return (*la == *lb);
		return (strcmp(*la, *lb) == 0);
	case CONFIG_SIZE:
		return (*(const long long *)fa == *(const long long *)fb);
	case CONFIG_PATHS:
		la = *(char **const *)fa;
		lb = *(char **const *)fb;
		na = *(const size_t *)((const char *)a + o->off_n);
		nb = *(const size_t *)((const char *)b + o->off_n);
		if (na != nb)
			return (0);
		for (i = 0; i < na; i++) {
			if (strcmp(la[i], lb[i]) != 0)
				return (0);
		}
		return (1);
	default:
		return (*(const int *)fa == *(const int *)fb);
	}
}

int
config_reload_check(const struct config *cur, const struct config *next,
    char **cause)
{
	const struct config_option	*o;
	size_t				 i;

	for (i = 0; i < config_noptions; i++) {
		o = &config_options[i];
		if ((o->flags & (CONFIG_F_RELOAD | CONFIG_F_REGISTRY)) != 0)
			continue;
		if (!config_option_equal(o, cur, next)) {
			xasprintf(cause, "[%s] %s changed: restart to apply "
			    "it", o->section, o->name);
			return (-1);
		}
	}
	return (0);
}

