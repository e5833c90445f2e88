/*
 * The configuration file and the catalog.  One table (config_options) says
 * what every option is; the parser, the defaults, the dump and check-config
 * all read it.  inih splits the file into sections and key = value pairs;
 * our reader hands it one line at a time, so it knows the line number, finds
 * over-long lines and syntax errors itself and keeps the full section name.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "xmalloc.h"

/* etc/catalog.conf, compiled in (src/catalog-builtin.c). */
extern const char	config_builtin_catalog[];

#define MINUTE	60LL
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)

/* Errors printed per file; the rest are only counted. */
#define CONFIG_MAX_ERRORS	100

#define OFF(f)	offsetof(struct config, f)
#define ROFF(f)	offsetof(struct registry_conf, f)

static const char *const config_log_formats[] = { "text", "json", NULL };
static const char *const config_webhook_formats[] = {
	"generic", "slack", "cloudevents", NULL
};

const struct config_option config_options[] = {
	{ "general", "database", CONFIG_PATH, NULL, 0, 0, NULL,
	  0, OFF(db_path), 0,
	  "The history database.  Unset: $STATE_DIRECTORY/history.db under "
	  "systemd, else $XDG_STATE_HOME/tagdrift/history.db or "
	  "~/.local/state/tagdrift/history.db." },
	{ "general", "catalog", CONFIG_PATH, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD, OFF(catalog_path), 0,
	  "A catalog file that replaces the built-in catalog." },
	{ "general", "cache_ttl", CONFIG_DURATION, "1h", 0, 30 * DAY, NULL,
	  CONFIG_F_RELOAD, OFF(cache_ttl), 0,
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

	{ "registries", "concurrency", CONFIG_INT, "4", 1, 64, NULL,
	  CONFIG_F_RELOAD, OFF(concurrency), 0,
	  "Requests in flight per registry." },
	{ "registries", "timeout", CONFIG_DURATION, "30s", 1, 10 * MINUTE,
	  NULL, CONFIG_F_RELOAD, OFF(timeout), 0,
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
	{ "webhook", "max_age", CONFIG_DURATION, "3d", MINUTE, 90 * DAY, NULL,
	  CONFIG_F_RELOAD, OFF(webhook_max_age), 0,
	  "Give up on a delivery this long after the event." },

	{ "daemon", "poll_interval", CONFIG_DURATION, "6h", MINUTE, 30 * DAY,
	  NULL, CONFIG_F_RELOAD, OFF(poll_interval), 0,
	  "Time between polls of the catalog's tags." },
	{ "daemon", "scan_interval", CONFIG_DURATION, "1h", MINUTE, 30 * DAY,
	  NULL, CONFIG_F_RELOAD, OFF(scan_interval), 0,
	  "Time between scans of the scan paths." },
	{ "daemon", "scan", CONFIG_PATHS, NULL, 0, 0, NULL,
	  CONFIG_F_RELOAD, OFF(scan_paths), OFF(nscan_paths),
	  "Trees the daemon scans; space separated, repeatable." },
};
const size_t config_noptions = sizeof config_options / sizeof config_options[0];

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

/* The sections, in the order the dump prints them. */
static const struct config_section {
	const char		*name;
	enum config_sect_id	 id;
	int			 arg;		/* takes a NAME */
} config_sections[] = {
	{ "general", SECT_GENERAL, 0 },
	{ "policy", SECT_POLICY, 0 },
	{ "rules", SECT_RULES, 0 },
	{ "registries", SECT_REGISTRIES, 0 },
	{ "registry", SECT_REGISTRY, 1 },
	{ "webhook", SECT_WEBHOOK, 0 },
	{ "daemon", SECT_DAEMON, 0 },
	{ "image", SECT_IMAGE, 1 },
};
#define CONFIG_NSECTIONS (sizeof config_sections / sizeof config_sections[0])

static const struct config_section config_bad_section = { "", SECT_BAD, 0 };

static const char *const config_image_keys[] = {
	"production", "build", "note", NULL
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

struct config_stream {
	struct config_parse	*p;
	const char		*data;
	size_t			 len, pos;
};

/* Print "file:line: message" (control characters shown as '?'). */
static void __attribute__((format(printf, 3, 4)))
config_error_at(struct config_parse *p, unsigned line, const char *fmt, ...)
{
	va_list		 ap;
	char		*msg, *s;

	p->nerrors++;
	if (p->errfp == NULL || p->nerrors > CONFIG_MAX_ERRORS + 1)
		return;
	if (p->nerrors == CONFIG_MAX_ERRORS + 1) {
		fprintf(p->errfp, "%s: more errors not shown\n", p->file);
		return;
	}
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	for (s = msg; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
	if (line != 0)
		fprintf(p->errfp, "%s:%u: %s\n", p->file, line, msg);
	else
		fprintf(p->errfp, "%s: %s\n", p->file, msg);
	free(msg);
}

#define config_error(p, ...) config_error_at((p), (p)->lineno, __VA_ARGS__)

/* Edit distance, ignoring case; SIZE_MAX for long strings. */
static size_t
config_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), row[33], i, j, prev, tmp;
	size_t	 best;

	if (la > 32 || lb > 32)
		return (SIZE_MAX);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return (row[lb]);
}

/* The index of the candidate closest to name, if a likely typo, or -1. */
static int
config_suggest(const char *name, const char *const *cands, size_t n)
{
	size_t	 i, d, bestd = SIZE_MAX, limit;
	int	 best = -1;

	for (i = 0; i < n; i++) {
		d = config_distance(name, cands[i]);
		limit = strlen(cands[i]) < 5 ? 1 : 2;
		if (d <= limit && d < bestd) {
			best = (int)i;
			bestd = d;
		}
	}
	return (best);
}

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

char *
config_format_duration(long long v)
{
	char	*s;

	if (v != 0 && v % DAY == 0)
		xasprintf(&s, "%lldd", v / DAY);
	else if (v != 0 && v % HOUR == 0)
		xasprintf(&s, "%lldh", v / HOUR);
	else if (v != 0 && v % MINUTE == 0)
		xasprintf(&s, "%lldm", v / MINUTE);
	else
		xasprintf(&s, "%llds", v);
	return (s);
}

char *
config_format_size(long long v)
{
	char	*s;

	if (v != 0 && v % (1LL << 30) == 0)
		xasprintf(&s, "%lldG", v >> 30);
	else if (v != 0 && v % (1LL << 20) == 0)
		xasprintf(&s, "%lldM", v >> 20);
	else if (v != 0 && v % (1LL << 10) == 0)
		xasprintf(&s, "%lldK", v >> 10);
	else
		xasprintf(&s, "%lld", v);
	return (s);
}

/* Leading decimal digits of s, without overflow; -1 if there are none. */
static int
config_number(const char *s, long long *out, const char **end)
{
	long long	 v = 0;

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LLONG_MAX - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	*out = v;
	*end = s;
	return (0);
}

/* A number with a one-letter unit from units (mults alongside). */
static int
config_number_unit(const char *s, const char *units, const long long *mults,
    int bare, long long *out)
{
	const char	*end, *u;
	long long	 v;

	if (config_number(s, &v, &end) != 0)
		return (-1);
	if (*end == '\0') {
		if (!bare && v != 0)
			return (-1);
		*out = v;
		return (0);
	}
	u = strchr(units, *end);
	if (u == NULL || end[1] != '\0')
		return (-1);
	if (v > LLONG_MAX / mults[u - units])
		return (-1);
	*out = v * mults[u - units];
	return (0);
}

/* Text of v as the option's type shows it, for range messages. */
static char *
config_format_value(const struct config_option *o, long long v)
{
	char	*s;

	if (o->type == CONFIG_DURATION)
		return (config_format_duration(v));
	if (o->type == CONFIG_SIZE)
		return (config_format_size(v));
	xasprintf(&s, "%lld", v);
	return (s);
}

/* Parse an int, duration or size and check the option's bounds. */
static int
config_parse_scalar(const struct config_option *o, const char *value,
    long long *out, char **cause)
{
	static const long long	 dmults[] = { 1, MINUTE, HOUR, DAY };
	static const long long	 smults[] = {
		1LL << 10, 1LL << 10, 1LL << 20, 1LL << 30
	};
	char			*lo, *hi;
	int			 rc;

	if (o->type == CONFIG_DURATION)
		rc = config_number_unit(value, "smhd", dmults, 0, out);
	else if (o->type == CONFIG_SIZE)
		rc = config_number_unit(value, "kKMG", smults, 1, out);
	else
		rc = config_number_unit(value, "", NULL, 1, out);
	if (rc != 0) {
		if (o->type == CONFIG_DURATION)
			xasprintf(cause, "invalid duration '%s' (a number and "
			    "a unit s, m, h or d, as in 90s or 6h)", value);
		else if (o->type == CONFIG_SIZE)
			xasprintf(cause, "invalid size '%s' (bytes, or a "
			    "number and K, M or G, as in 4M)", value);
		else
			xasprintf(cause, "invalid number '%s'", value);
		return (-1);
	}
	if (*out < o->min || *out > o->max) {
		lo = config_format_value(o, o->min);
		hi = config_format_value(o, o->max);
		xasprintf(cause, "%s is out of range (%s to %s)", value, lo,
		    hi);
		free(lo);
		free(hi);
		return (-1);
	}
	return (0);
}

static int
config_parse_bool(const char *value, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return (0);
		}
	}
	return (-1);
}

static int
config_parse_enum(const struct config_option *o, const char *value,
    int *out, char **cause)
{
	struct buf	 b;
	int		 i;

	for (i = 0; o->choices[i] != NULL; i++) {
		if (strcmp(o->choices[i], value) == 0) {
			*out = i;
			return (0);
		}
	}
	buf_init(&b, SIZE_MAX / 2);
	buf_printf(&b, "invalid value '%s' (one of:", value);
	for (i = 0; o->choices[i] != NULL; i++)
		buf_printf(&b, "%s %s", i == 0 ? "" : ",", o->choices[i]);
	buf_adds(&b, ")");
	*cause = buf_take(&b);
	return (-1);
}

/* An http(s) URL with a host and no user:password@ part. */
static int
config_check_url(const char *value, char **cause)
{
	const char	*host;
	size_t		 n;

	if (strncmp(value, "https://", 8) == 0)
		host = value + 8;
	else if (strncmp(value, "http://", 7) == 0)
		host = value + 7;
	else {
		*cause = xstrdup("not an http:// or https:// URL");
		return (-1);
	}
	n = strcspn(host, "/?#");
	if (n == 0) {
		*cause = xstrdup("the URL has no host");
		return (-1);
	}
	if (memchr(host, '@', n) != NULL) {
		*cause = xstrdup("the URL must not hold credentials (use "
		    "username and password_file)");
		return (-1);
	}
	if (strpbrk(value, " \t") != NULL) {
		*cause = xstrdup("the URL holds a space");
		return (-1);
	}
	return (0);
}

/* A path from the file: relative ones are relative to its directory. */
static char *
config_resolve(const struct config_parse *p, const char *value)
{
	char	*s;

	if (value[0] == '/' || p == NULL || p->dir == NULL)
		return (xstrdup(value));
	xasprintf(&s, "%s/%s", p->dir, value);
	return (s);
}

/* Append the space-separated paths of value to the option's list. */
static int
config_add_paths(const struct config_parse *p, const struct config_option *o,
    void *base, const char *value, char **cause)
{
	char		***v = (char ***)((char *)base + o->off);
	size_t		 *n = (size_t *)((char *)base + o->off_n);
	const char	 *s = value;
	char		 *word;
	size_t		  len;

	for (;;) {
		s += strspn(s, " \t");
		len = strcspn(s, " \t");
		if (len == 0)
			return (0);
		if (*n >= CONFIG_MAX_SCAN_PATHS) {
			xasprintf(cause, "too many paths (at most %d)",
			    CONFIG_MAX_SCAN_PATHS);
			return (-1);
		}
		word = xstrndup(s, len);
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = config_resolve(p, word);
		free(word);
		s += len;
	}
}

/* Set one option of base (a struct config or registry_conf) from text. */
static int
config_set(const struct config_parse *p, const struct config_option *o,
    void *base, const char *value, char **cause)
{
	void		*field = (char *)base + o->off;
	char		**sp = field;
	long long	 v;
	int		 i;

	switch (o->type) {
	case CONFIG_URL:
		if (config_check_url(value, cause) != 0)
			return (-1);
		/* FALLTHROUGH */
	case CONFIG_STRING:
		free(*sp);
		*sp = xstrdup(value);
		return (0);
	case CONFIG_PATH:
		free(*sp);
		*sp = config_resolve(p, value);
		return (0);
	case CONFIG_INT:
	case CONFIG_DURATION:
	case CONFIG_SIZE:
		if (config_parse_scalar(o, value, &v, cause) != 0)
			return (-1);
		if (o->type == CONFIG_SIZE)
			*(long long *)field = v;
		else
			*(int *)field = (int)v;
		return (0);
	case CONFIG_BOOL:
		if (config_parse_bool(value, &i) != 0) {
			xasprintf(cause, "invalid boolean '%s' (yes or no)",
			    value);
			return (-1);
		}
		*(int *)field = i;
		return (0);
	case CONFIG_ENUM:
		if (config_parse_enum(o, value, &i, cause) != 0)
			return (-1);
		*(int *)field = i;
		return (0);
	case CONFIG_PATHS:
		return (config_add_paths(p, o, base, value, cause));
	}
	*cause = xstrdup("unknown option type");
	return (-1);
}

/* Apply the table's defaults to the options of one kind of struct. */
static void
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

static void
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

static void
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

static void
config_parse_init(struct config_parse *p, struct config *c, const char *file,
    FILE *errfp, int catalog_only)
{
	const char	*slash;

	memset(p, 0, sizeof *p);
	p->c = c;
	p->file = file;
	p->errfp = errfp;
	p->catalog_only = catalog_only;
	slash = strrchr(file, '/');
	if (slash != NULL)
		p->dir = xstrndup(file, slash - file);
	p->seen = xcalloc(config_noptions, sizeof *p->seen);
}

static void
config_parse_deinit(struct config_parse *p)
{
	free(p->dir);
	free(p->seen);
	free(p->reg_seen);
	config_images_free(&p->img);
}

/* [registry NAME]: find or add the registry, by its normalized name. */
static void
config_registry_section(struct config_parse *p, const char *name)
{
	struct config		*c = p->c;
	struct registry_conf	*r;
	struct ref		 ref;
	char			*probe, *cause;
	size_t			 i;
	int			 ok;

	xasprintf(&probe, "%s/x", name);
	ok = ref_parse(probe, &ref, &cause) == 0 &&
	    (strcmp(ref.registry, name) == 0 ||
	    strcmp(name, "index.docker.io") == 0);
	free(probe);
	free(cause);
	if (!ok) {
		config_error(p, "invalid registry name '%s' (a host such as "
		    "ghcr.io or localhost:5000)", name);
		p->sect = &config_bad_section;
		goto out;
	}
	for (i = 0; i < c->nregistries; i++) {
		if (strcmp(c->registries[i].name, ref.registry) == 0)
			break;
	}
	if (i == c->nregistries) {
		if (c->nregistries >= CONFIG_MAX_REGISTRIES) {
			config_error(p, "too many [registry] sections (at "
			    "most %d)", CONFIG_MAX_REGISTRIES);
			p->sect = &config_bad_section;
			goto out;
		}
		c->registries = xreallocarray(c->registries,
		    c->nregistries + 1, sizeof *c->registries);
		p->reg_seen = xreallocarray(p->reg_seen,
		    (c->nregistries + 1) * config_noptions,
		    sizeof *p->reg_seen);
		memset(p->reg_seen + c->nregistries * config_noptions, 0,
		    config_noptions * sizeof *p->reg_seen);
		r = &c->registries[c->nregistries++];
		memset(r, 0, sizeof *r);
		r->name = xstrdup(ref.registry);
		config_apply_defaults(r, 1);
	}
	p->cur = i;
out:
	ref_deinit(&ref);
}

/* [image NAME]: start a catalog entry. */
static void
config_image_section(struct config_parse *p, const char *name)
{
	struct config_images	*img = &p->img;
	struct catalog_entry	*e;
	struct ref		 ref;
	char			*cause, *ident = NULL;
	size_t			 i;

	p->sect = &config_bad_section;
	if (ref_parse(name, &ref, &cause) != 0) {
		config_error(p, "invalid image reference '%s': %s", name,
		    cause);
		free(cause);
		goto out;
	}
	if (ref.tag != NULL || ref.digest != NULL) {
		config_error(p, "image '%s' must not have a tag or digest "
		    "(list tags with production = and build =)", name);
		goto out;
	}
	if (img->n >= CONFIG_MAX_IMAGES) {
		config_error(p, "too many images (at most %d)",
		    CONFIG_MAX_IMAGES);
		goto out;
	}
	ident = ref_identity(&ref);
	for (i = 0; i < img->n; i++) {
		if (strcmp(img->ident[i], ident) == 0) {
			config_error(p, "duplicate image '%s' (first defined "
			    "on line %u)", name, img->v[i].line);
			goto out;
		}
	}
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
	e->ref = ref;
	memset(&ref, 0, sizeof ref);
	e->identity = xstrdup(ident);
	e->not_registry = strcmp(ident, "docker.io/library/scratch") == 0;
	e->file = xstrdup(p->file);
	e->line = p->lineno;
	img->ident[img->n] = ident;
	ident = NULL;
	img->note_line[img->n] = 0;
	p->cur = img->n++;
	p->sect = &config_sections[SECT_IMAGE];
out:
	free(ident);
	ref_deinit(&ref);
}

/* Report an unknown section, with the closest name as a hint. */
static void
config_unknown_section(struct config_parse *p, const char *kind,
    const char *text)
{
	const char	*names[CONFIG_NSECTIONS];
	size_t		 i;
	int		 hint;

	for (i = 0; i < CONFIG_NSECTIONS; i++)
		names[i] = config_sections[i].name;
	hint = config_suggest(kind, names, CONFIG_NSECTIONS);
	if (hint != -1)
		config_error(p, "unknown section [%s]; did you mean [%s%s]?",
		    text, names[hint], config_sections[hint].arg ? " NAME" :
		    "");
	else
		config_error(p, "unknown section [%s]", text);
}

/* Report an unknown key (what: "key" or "rule"), with a hint. */
static void
config_unknown_key(struct config_parse *p, const char *what,
    const char *name, const char *const *names, size_t n)
{
	const char	*arg = NULL;
	int		 hint;

	if (p->sect->id == SECT_REGISTRY)
		arg = p->c->registries[p->cur].name;
	else if (p->sect->id == SECT_IMAGE)
		arg = p->img.v[p->cur].image;
	hint = config_suggest(name, names, n);
	config_error(p, "unknown %s '%s' in [%s%s%s]%s%s%s", what, name,
	    p->sect->name, arg != NULL ? " " : "", arg != NULL ? arg : "",
	    hint != -1 ? "; did you mean '" : "",
	    hint != -1 ? names[hint] : "", hint != -1 ? "'?" : "");
}

/* A key of [general], [policy], [registries], [registry] and so on. */
static void
config_option_key(struct config_parse *p, const char *name,
    const char *value)
{
	const struct config_option	*o;
	const char			*names[64];
	unsigned			*seen;
	void				*base;
	char				*cause;
	size_t				 i, n = 0;

	o = config_option_find(p->sect->name, name);
	if (o == NULL) {
		for (i = 0; i < config_noptions && n < 64; i++) {
			if (strcmp(config_options[i].section,
			    p->sect->name) == 0)
				names[n++] = config_options[i].name;
		}
		config_unknown_key(p, "key", name, names, n);
		return;
	}
	i = o - config_options;
	if (p->sect->id == SECT_REGISTRY) {
		seen = &p->reg_seen[p->cur * config_noptions + i];
		base = &p->c->registries[p->cur];
	} else {
		seen = &p->seen[i];
		base = p->c;
	}
	if (o->type != CONFIG_PATHS && *seen != 0) {
		config_error(p, "duplicate key '%s' (first set on line %u)",
		    name, *seen);
		return;
	}
	*seen = p->lineno;
	if (config_set(p, o, base, value, &cause) != 0) {
		config_error(p, "%s: %s", name, cause);
		free(cause);
	}
}

/* A key of [rules]: a rule id and its severity. */
static void
config_rule_key(struct config_parse *p, const char *name, const char *value)
{
	const char	*names[RULE_COUNT];
	enum severity	 sev;
	int		 i;

	i = rules_lookup(name);
	if (i < 0) {
		for (i = 0; i < RULE_COUNT; i++)
			names[i] = rules_table[i].id;
		config_unknown_key(p, "rule", name, names, RULE_COUNT);
		return;
	}
	if (p->rule_seen[i] != 0) {
		config_error(p, "duplicate key '%s' (first set on line %u)",
		    name, p->rule_seen[i]);
		return;
	}
	p->rule_seen[i] = p->lineno;
	if (severity_parse(value, &sev) != 0) {
		config_error(p, "%s: invalid severity '%s' (one of: off, "
		    "info, warning, error)", name, value);
		return;
	}
	p->c->severity[i] = sev;
}

/* A tag as the reference grammar allows it after "name:". */
static int
config_tag_valid(const char *tag)
{
	struct ref	 r;
	char		*probe, *cause = NULL;
	int		 ok;

	xasprintf(&probe, "tagdrift-probe:%s", tag);
	ok = ref_parse(probe, &r, &cause) == 0 && r.tag != NULL &&
	    r.digest == NULL && strcmp(r.tag, tag) == 0;
	ref_deinit(&r);
	free(cause);
	free(probe);
	return (ok);
}

/* production = / build =: add tags separated by spaces or commas. */
static void
config_image_tags(struct config_parse *p, struct catalog_entry *e,
    const char *name, enum catalog_stage stage, const char *value)
{
	const char	*s = value;
	char		*tag;
	size_t		 len, i;

	for (;;) {
		s += strspn(s, " \t,");
		len = strcspn(s, " \t,");
		if (len == 0)
			break;
		tag = xstrndup(s, len);
		s += len;
		for (i = 0; i < e->ntags && e->ntags < CONFIG_MAX_TAGS; i++) {
			if (strcmp(e->tags[i].tag, tag) == 0)
				break;
		}
		if (e->ntags >= CONFIG_MAX_TAGS)
			config_error(p, "%s: too many tags for %s (at most %d)",
			    name, e->image, CONFIG_MAX_TAGS);
		else if (!config_tag_valid(tag))
			config_error(p, "%s: invalid tag '%s'", name, tag);
		else if (i < e->ntags)
			config_error(p, "%s: tag '%s' is already listed for %s",
			    name, tag, e->image);
		else {
			e->tags = xreallocarray(e->tags, e->ntags + 1,
			    sizeof *e->tags);
			e->tags[e->ntags].tag = tag;
			e->tags[e->ntags++].stage = stage;
			tag = NULL;
		}
		free(tag);
	}
}

/* A key of [image NAME]. */
static void
config_image_key(struct config_parse *p, const char *name, const char *value)
{
	struct catalog_entry	*e = &p->img.v[p->cur];
	enum catalog_stage	 stage;

	if (strcmp(name, "note") == 0) {
		if (p->img.note_line[p->cur] != 0) {
			config_error(p, "duplicate key 'note' (first set on "
			    "line %u)", p->img.note_line[p->cur]);
			return;
		}
		p->img.note_line[p->cur] = p->lineno;
		e->note = xstrdup(value);
		return;
	}
	if (strcmp(name, "production") == 0)
		stage = CATALOG_PRODUCTION;
	else if (strcmp(name, "build") == 0)
		stage = CATALOG_BUILD;
	else {
		config_unknown_key(p, "key", name, config_image_keys, 3);
		return;
	}
	if (e->not_registry) {
		config_error(p, "%s: %s is not a registry image and has no "
		    "tags", name, e->image);
		return;
	}
	config_image_tags(p, e, name, stage, value);
}

/* inih's callback: the reader has just handed it line p->lineno. */
static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct config_parse	*p = arg;
	const char		*s;

	(void)section;	/* inih truncates it; the reader keeps our own */
	if (*name == '\0') {
		config_error(p, "syntax error: no key before '='");
		return (1);
	}
	if (p->sect == NULL) {
		config_error(p, "key '%s' outside any section (add a "
		    "[section] line above it)", name);
		return (1);
	}
	if (p->sect->id == SECT_BAD)
		return (1);
	for (s = value; *s != '\0'; s++) {
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f) {
			config_error(p, "%s: the value holds a control "
			    "character", name);
			return (1);
		}
	}
	if (*value == '\0') {
		config_error(p, "%s: missing value", name);
		return (1);
	}
	if (p->sect->id == SECT_RULES)
		config_rule_key(p, name, value);
	else if (p->sect->id == SECT_IMAGE)
		config_image_key(p, name, value);
	else
		config_option_key(p, name, value);
	return (1);
}

/* Switch to the section named by text (what is between '[' and ']'). */
static void
config_section(struct config_parse *p, const char *text)
{
	const struct config_section	*sec = NULL;
	const char			*s = text;
	char				*kind, *arg = NULL;
	size_t				 len, i;

	p->sect = &config_bad_section;
	s += strspn(s, " \t");
	len = strcspn(s, " \t");
	kind = xstrndup(s, len);
	s += len + strspn(s + len, " \t");
	len = strcspn(s, " \t");
	if (len != 0)
		arg = xstrndup(s, len);
	s += len + strspn(s + len, " \t");
	for (i = 0; i < CONFIG_NSECTIONS; i++) {
		if (strcmp(config_sections[i].name, kind) == 0)
			sec = &config_sections[i];
	}
	if (*s != '\0')
		config_error(p, "unexpected text in section header [%s]",
		    text);
	else if (*kind == '\0')
		config_error(p, "empty section header");
	else if (sec == NULL)
		config_unknown_section(p, kind, text);
	else if (p->catalog_only && sec->id != SECT_IMAGE)
		config_error(p, "[%s] does not belong in a catalog file (only "
		    "[image NAME] sections do)", kind);
	else if (sec->arg && arg == NULL)
		config_error(p, "[%s] needs a name, as in [%s]", kind,
		    sec->id == SECT_IMAGE ? "image node" : "registry ghcr.io");
	else if (!sec->arg && arg != NULL)
		config_error(p, "[%s] takes no name", kind);
	else if (sec->id == SECT_REGISTRY) {
		p->sect = sec;
		config_registry_section(p, arg);
	} else if (sec->id == SECT_IMAGE)
		config_image_section(p, arg);
	else
		p->sect = sec;
	free(kind);
	free(arg);
}

/* inih's find_chars_or_comment: the first of chars, or an inline comment. */
static const char *
config_find(const char *s, const char *chars)
{
	int	 was_space = 0;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return (s);
}

/*
 * Check one line (leading space removed) before inih sees it: section
 * headers are handled here, syntax errors reported.  -1 means inih must
 * not see the line.
 */
static int
config_line(struct config_parse *p, const char *s)
{
	const char	*end, *after;
	char		*text;

	if (*s == '\0' || *s == ';' || *s == '#')
		return (0);
	if (*s == '[') {
		end = config_find(s + 1, "]");
		if (*end != ']') {
			config_error(p, "syntax error: missing ']' in section "
			    "header");
			p->sect = &config_bad_section;
			return (-1);
		}
		after = end + 1;
		while (isspace((unsigned char)*after))
			after++;
		if (*after != '\0' && *after != ';' && *after != '#') {
			config_error(p, "syntax error: text after ']'");
			p->sect = &config_bad_section;
			return (-1);
		}
		text = xstrndup(s + 1, end - s - 1);
		config_section(p, text);
		free(text);
		return (0);
	}
	end = config_find(s, "=:");
	if (*end != '=' && *end != ':') {
		config_error(p, "syntax error: expected 'key = value'");
		return (-1);
	}
	return (0);
}

/*
 * inih's reader: copy the next line into str (num bytes), counting lines.
 * A line that does not fit, or holds a NUL, is reported and handed over
 * empty rather than split.
 */
static char *
config_reader(char *str, int num, void *arg)
{
	struct config_stream	*st = arg;
	struct config_parse	*p = st->p;
	const char		*line, *nl;
	size_t			 n, limit;

	if (st->pos >= st->len || num < 1)
		return (NULL);
	line = st->data + st->pos;
	nl = memchr(line, '\n', st->len - st->pos);
	n = nl != NULL ? (size_t)(nl - line) : st->len - st->pos;
	st->pos += n + (nl != NULL);
	p->lineno++;
	str[0] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		n--;
	limit = num > 3 ? (size_t)num - 3 : 0;
	if (n > limit) {
		config_error(p, "line too long (more than %zu characters)",
		    limit);
		return (str);
	}
	if (memchr(line, '\0', n) != NULL) {
		config_error(p, "the line holds a NUL byte");
		return (str);
	}
	if (p->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		n -= 3;
	}
	while (n > 0 && isspace((unsigned char)*line)) {
		line++;
		n--;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	if (config_line(p, str) != 0)
		str[0] = '\0';
	return (str);
}

/* Run inih over one file's text. */
static void
config_parse_buf(struct config_parse *p, const char *data, size_t len)
{
	struct config_stream	 st;
	int			 rc;

	st.p = p;
	st.data = data;
	st.len = len;
	st.pos = 0;
	rc = ini_parse_stream(config_reader, &st, config_handler, p);
	if (rc > 0)
		config_error_at(p, (unsigned)rc, "syntax error");
	else if (rc < 0)
		config_error_at(p, 0, "cannot parse the file (inih: %d)", rc);
}

/* Read a whole file, up to CONFIG_FILE_MAX bytes; err is its errno. */
static int
config_read(const char *path, char **data, size_t *len, int *err,
    char **cause)
{
	struct buf	 b;
	char		 tmp[8192];
	ssize_t		 n;
	int		 fd, rc = -1;

	buf_init(&b, CONFIG_FILE_MAX);
	*err = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		*err = errno;
		*cause = xstrdup(strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err = errno;
			*cause = xstrdup(strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_add(&b, tmp, (size_t)n) != 0) {
			*err = EFBIG;
			xasprintf(cause, "the file is larger than %d bytes",
			    CONFIG_FILE_MAX);
			goto out;
		}
	}
	*len = b.len;
	*data = buf_take(&b);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	buf_deinit(&b);
	return (rc);
}

/* Parse a catalog file (only [image] sections) into out. */
static void
config_parse_catalog(struct config_parse *p, const char *name,
    const char *data, size_t len, struct config_images *out)
{
	struct config_parse	 cp;

	config_parse_init(&cp, p->c, name, p->errfp, 1);
	config_parse_buf(&cp, data, len);
	*out = cp.img;
	memset(&cp.img, 0, sizeof cp.img);
	p->nerrors += cp.nerrors;
	config_parse_deinit(&cp);
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

static void
config_parse_builtin(struct config_parse *p, struct config_images *out)
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
		config_parse_builtin(p, &img);
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
	size_t			 i, mirror;

	mirror = config_option_find("registry", "mirror") - config_options;
	for (i = 0; i < c->nregistries; i++) {
		r = &c->registries[i];
		if (r->concurrency == 0)
			r->concurrency = c->concurrency;
		if (r->mirror != NULL && !r->insecure &&
		    strncmp(r->mirror, "http://", 7) == 0)
			config_error_at(p, p->reg_seen[i * config_noptions +
			    mirror], "mirror: plain http:// needs insecure = "
			    "yes in [registry %s]", r->name);
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

struct config *
config_default(void)
{
	struct config		*c = config_new();
	struct config_parse	 p;
	struct config_images	 img;

	config_parse_init(&p, c, CONFIG_BUILTIN_NAME, stderr, 1);
	config_parse_builtin(&p, &img);
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

/* One option's line in the dump; secrets show as <set>. */
static void
config_dump_option(FILE *f, const struct config_option *o, const void *base)
{
	const char	*field = (const char *)base + o->off;
	const char	*v = NULL;
	char		*s = NULL, *const *list;
	size_t		 i, n;

	switch (o->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_URL:
		v = *(char *const *)field;
		if (v != NULL && (o->flags & CONFIG_F_SECRET))
			v = "<set>";
		break;
	case CONFIG_INT:
		xasprintf(&s, "%d", *(const int *)field);
		break;
	case CONFIG_DURATION:
		s = config_format_duration(*(const int *)field);
		break;
	case CONFIG_SIZE:
		s = config_format_size(*(const long long *)field);
		break;
	case CONFIG_BOOL:
		v = *(const int *)field ? "yes" : "no";
		break;
	case CONFIG_ENUM:
		v = o->choices[*(const int *)field];
		break;
	case CONFIG_PATHS:
		list = *(char **const *)field;
		n = *(const size_t *)((const char *)base + o->off_n);
		for (i = 0; i < n; i++)
			fprintf(f, "%s = %s\n", o->name, list[i]);
		if (n == 0)
			fprintf(f, "# %s = (not set)\n", o->name);
		return;
	}
	if (s == NULL && v == NULL)
		fprintf(f, "# %s = (not set)\n", o->name);
	else
		fprintf(f, "%s = %s\n", o->name, s != NULL ? s : v);
	free(s);
}

static void
config_dump_options(FILE *f, const char *section, const void *base)
{
	size_t	 i;

	for (i = 0; i < config_noptions; i++) {
		if (strcmp(config_options[i].section, section) == 0)
			config_dump_option(f, &config_options[i], base);
	}
}

/* production = or build = lines, wrapped well inside the line limit. */
static void
config_dump_tags(FILE *f, const struct catalog_entry *e,
    enum catalog_stage stage, const char *key)
{
	size_t	 i, col = 0;

	for (i = 0; i < e->ntags; i++) {
		if (e->tags[i].stage != stage)
			continue;
		if (col != 0 && col + 1 + strlen(e->tags[i].tag) > 72) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0)
			col = fprintf(f, "%s =", key);
		col += fprintf(f, " %s", e->tags[i].tag);
	}
	if (col != 0)
		fputc('\n', f);
}

static void
config_dump_catalog(FILE *f, const struct config *c)
{
	const struct catalog_entry	*e;
	const char			*from;
	size_t				 i;

	if (c->catalog_path != NULL)
		from = c->catalog_path;
	else if (c->ncatalog > 0 &&
	    strcmp(c->catalog[0].file, CONFIG_BUILTIN_NAME) == 0)
		from = "built-in";
	else
		from = c->path;
	fprintf(f, "# catalog: %zu image%s (%s)\n", c->ncatalog,
	    c->ncatalog == 1 ? "" : "s", from != NULL ? from : "empty");
	for (i = 0; i < c->ncatalog; i++) {
		e = &c->catalog[i];
		fprintf(f, "\n[image %s]\n", e->image);
		config_dump_tags(f, e, CATALOG_PRODUCTION, "production");
		config_dump_tags(f, e, CATALOG_BUILD, "build");
		if (e->note != NULL)
			fprintf(f, "note = %s\n", e->note);
	}
}

void
config_dump(const struct config *c, void *fp)
{
	FILE				*f = fp;
	const struct config_section	*sec;
	char				*db;
	size_t				 i, j;

	fprintf(f, "# tagdrift configuration: %s\n",
	    c->path != NULL ? c->path : "built-in defaults");
	for (i = 0; i < CONFIG_NSECTIONS; i++) {
		sec = &config_sections[i];
		if (sec->id == SECT_REGISTRY) {
			for (j = 0; j < c->nregistries; j++) {
				fprintf(f, "\n[registry %s]\n",
				    c->registries[j].name);
				config_dump_options(f, "registry",
				    &c->registries[j]);
			}
			continue;
		}
		if (sec->id == SECT_IMAGE) {
			fputc('\n', f);
			config_dump_catalog(f, c);
			continue;
		}
		fprintf(f, "\n[%s]\n", sec->name);
		if (sec->id == SECT_RULES) {
			for (j = 0; j < RULE_COUNT; j++)
				fprintf(f, "%s = %s\n", rules_table[j].id,
				    severity_name(c->severity[j]));
			continue;
		}
		config_dump_options(f, sec->name, c);
		if (sec->id == SECT_GENERAL && c->db_path == NULL) {
			db = config_db_path(c);
			fprintf(f, "# database default: %s\n", db);
			free(db);
		}
	}
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
