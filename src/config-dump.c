/*
 * Option values as text, both ways, so the file, its error messages and
 * the dump always agree on a value's syntax: reading each type's text
 * (numbers, durations, sizes, booleans, choices, URLs, paths) with its
 * bounds checked and setting it through the option table; writing
 * durations and sizes back; and config_dump, which prints the effective
 * configuration in the file's own syntax with secrets hidden.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "config-parse.h"
#include "rules.h"
#include "xmalloc.h"

char *
config_format_duration(long long v)
{
	char	*s;

	if (v != 0 && v % CONFIG_DAY == 0)
		xasprintf(&s, "%lldd", v / CONFIG_DAY);
	else if (v != 0 && v % CONFIG_HOUR == 0)
		xasprintf(&s, "%lldh", v / CONFIG_HOUR);
	else if (v != 0 && v % CONFIG_MINUTE == 0)
		xasprintf(&s, "%lldm", v / CONFIG_MINUTE);
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
	static const long long	 dmults[] = {
		1, CONFIG_MINUTE, CONFIG_HOUR, CONFIG_DAY
	};
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

/* yes, true, on or 1; no, false, off or 0 (any case). */
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

/* The index of value among the choices; cause lists them if none. */
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

/* A path from the file: relative ones are relative to dir (NULL: cwd). */
static char *
config_resolve(const char *dir, const char *value)
{
	char	*s;

	if (value[0] == '/' || dir == NULL)
		return (xstrdup(value));
	xasprintf(&s, "%s/%s", dir, value);
	return (s);
}

/* Append the space-separated paths of value to the option's list. */
static int
config_add_paths(const char *dir, const struct config_option *o,
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
		(*v)[(*n)++] = config_resolve(dir, word);
		free(word);
		s += len;
	}
}

/* Set an int, duration, size or boolean field from text. */
static int
config_set_number(const struct config_option *o, void *field,
    const char *value, char **cause)
{
	long long	 v;
	int		 i;

	if (o->type == CONFIG_BOOL) {
		if (config_parse_bool(value, &i) != 0) {
			xasprintf(cause, "invalid boolean '%s' (yes or no)",
			    value);
			return (-1);
		}
		*(int *)field = i;
		return (0);
	}
	if (config_parse_scalar(o, value, &v, cause) != 0)
		return (-1);
	if (o->type == CONFIG_SIZE)
		*(long long *)field = v;
	else
		*(int *)field = (int)v;
	return (0);
}

/* Set one option of base from its text (see config-parse.h). */
int
config_set(const char *dir, const struct config_option *o, void *base,
    const char *value, char **cause)
{
	void		*field = (char *)base + o->off;
	char		**sp = field;
	int		 i;

	switch (o->type) {
	case CONFIG_URL:
		if (((o->flags & CONFIG_F_NONE) == 0 ||
		    strcmp(value, "none") != 0) &&
		    config_check_url(value, cause) != 0)
			return (-1);
		/* FALLTHROUGH */
	case CONFIG_STRING:
		free(*sp);
		*sp = xstrdup(value);
		return (0);
	case CONFIG_PATH:
		free(*sp);
		*sp = config_resolve(dir, value);
		return (0);
	case CONFIG_INT:
	case CONFIG_DURATION:
	case CONFIG_SIZE:
	case CONFIG_BOOL:
		return (config_set_number(o, field, value, cause));
	case CONFIG_ENUM:
		if (config_parse_enum(o, value, &i, cause) != 0)
			return (-1);
		*(int *)field = i;
		return (0);
	case CONFIG_PATHS:
		return (config_add_paths(dir, o, base, value, cause));
	}
	*cause = xstrdup("unknown option type");
	return (-1);
}


/* The text of a single-valued option (allocated), or NULL when unset. */
static char *
config_value_text(const struct config_option *o, const void *base)
{
	const char	*field = (const char *)base + o->off;
	const char	*v = NULL;
	char		*s = NULL;

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
		break;
	}
	if (s == NULL && v != NULL)
		s = xstrdup(v);
	return (s);
}

/* One option's lines in the dump; secrets show as <set>. */
static void
config_dump_option(FILE *f, const struct config_option *o, const void *base)
{
	char *const	*list;
	char		*s;
	size_t		 i, n;

	if (o->type == CONFIG_PATHS) {
		list = *(char **const *)((const char *)base + o->off);
		n = *(const size_t *)((const char *)base + o->off_n);
		for (i = 0; i < n; i++)
			fprintf(f, "%s = %s\n", o->name, list[i]);
		if (n == 0)
			fprintf(f, "# %s = (not set)\n", o->name);
		return;
	}
	s = config_value_text(o, base);
	if (s == NULL)
		fprintf(f, "# %s = (not set)\n", o->name);
	else
		fprintf(f, "%s = %s\n", o->name, s);
	free(s);
}

/* The options of one section, in table order. */
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

/* Where the catalog came from, then its [image NAME] sections. */
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

/* One section of the dump; SECT_REGISTRY prints every [registry NAME]. */
static void
config_dump_section(FILE *f, const struct config *c,
    const struct config_section *sec)
{
	char	*db;
	size_t	 j;

	if (sec->id == SECT_REGISTRY) {
		for (j = 0; j < c->nregistries; j++) {
			fprintf(f, "\n[registry %s]\n", c->registries[j].name);
			config_dump_options(f, "registry", &c->registries[j]);
		}
		return;
	}
	if (sec->id == SECT_IMAGE) {
		fputc('\n', f);
		config_dump_catalog(f, c);
		return;
	}
	fprintf(f, "\n[%s]\n", sec->name);
	if (sec->id == SECT_RULES) {
		for (j = 0; j < RULE_COUNT; j++)
			fprintf(f, "%s = %s\n", rules_table[j].id,
			    severity_name(c->severity[j]));
		return;
	}
	config_dump_options(f, sec->name, c);
	if (sec->id == SECT_GENERAL && c->db_path == NULL) {
		db = config_db_path(c);
		fprintf(f, "# database default: %s\n", db);
		free(db);
	}
}

void
config_dump(const struct config *c, void *fp)
{
	FILE				*f = fp;
	const struct config_section	*secs;
	size_t				 i, n;

	fprintf(f, "# tagdrift configuration: %s\n",
	    c->path != NULL ? c->path : "built-in defaults");
	secs = config_section_table(&n);
	for (i = 0; i < n; i++)
		config_dump_section(f, c, &secs[i]);
}
