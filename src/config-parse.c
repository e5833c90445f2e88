/*
 * The configuration file parser.  inih splits a file into sections and
 * key = value pairs; our reader hands it one line at a time, so it knows the
 * line number, finds over-long lines and syntax errors itself and keeps the
 * full section name.  Here are the reader, inih's handler, the dispatch of
 * sections and keys ([registry NAME], the catalog's [image NAME] and the
 * rest) and "file:line: message" errors with their did-you-mean hints.
 * config.c reads the files and assembles the catalog.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "config-parse.h"
#include "xmalloc.h"

/* Errors printed per file; the rest are only counted. */
#define CONFIG_MAX_ERRORS	100

/* The sections, in the order the dump prints them. */
static const struct config_section config_sections[] = {
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

/* What inih reads from: one file's text, line by line. */
struct config_stream {
	struct config_parse	*p;
	const char		*data;
	size_t			 len, pos;
};

/* Print "file:line: message" (control characters shown as '?'). */
void
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

const struct config_section *
config_section_table(size_t *n)
{
	*n = CONFIG_NSECTIONS;
	return (config_sections);
}

void
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

void
config_parse_deinit(struct config_parse *p)
{
	free(p->dir);
	free(p->seen);
	free(p->reg_seen);
	config_images_free(&p->img);
}

/* Whether name is a registry host as references spell it; ref gets it. */
static int
config_registry_name(const char *name, struct ref *ref)
{
	char	*probe, *cause;
	int	 ok;

	xasprintf(&probe, "%s/x", name);
	ok = ref_parse(probe, ref, &cause) == 0 &&
	    (strcmp(ref->registry, name) == 0 ||
	    strcmp(name, "index.docker.io") == 0);
	free(probe);
	free(cause);
	return (ok);
}

/* Add a registry with its defaults, under its normalized name. */
static void
config_registry_add(struct config_parse *p, const char *name)
{
	struct config		*c = p->c;
	struct registry_conf	*r;

	c->registries = xreallocarray(c->registries, c->nregistries + 1,
	    sizeof *c->registries);
	p->reg_seen = xreallocarray(p->reg_seen,
	    (c->nregistries + 1) * config_noptions, sizeof *p->reg_seen);
	memset(p->reg_seen + c->nregistries * config_noptions, 0,
	    config_noptions * sizeof *p->reg_seen);
	r = &c->registries[c->nregistries++];
	memset(r, 0, sizeof *r);
	r->name = xstrdup(name);
	config_apply_defaults(r, 1);
}

/* [registry NAME]: find or add the registry, by its normalized name. */
static void
config_registry_section(struct config_parse *p, const char *name)
{
	struct config	*c = p->c;
	struct ref	 ref;
	size_t		 i;

	if (!config_registry_name(name, &ref)) {
		config_error(p, "invalid registry name '%s' (a host such as "
		    "ghcr.io or localhost:5000)", name);
		p->sect = &config_bad_section;
		goto out;
	}
	for (i = 0; i < c->nregistries; i++) {
		if (strcmp(c->registries[i].name, ref.registry) == 0)
			break;
	}
	if (i == c->nregistries && c->nregistries >= CONFIG_MAX_REGISTRIES) {
		config_error(p, "too many [registry] sections (at most %d)",
		    CONFIG_MAX_REGISTRIES);
		p->sect = &config_bad_section;
		goto out;
	}
	if (i == c->nregistries)
		config_registry_add(p, ref.registry);
	p->cur = i;
out:
	ref_deinit(&ref);
}

/* [image NAME]: start a catalog entry. */
static void
config_image_section(struct config_parse *p, const char *name)
{
	struct config_images	*img = &p->img;
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
	p->cur = config_images_add(img, name, &ref, ident, p->file,
	    p->lineno);
	ident = NULL;
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
	if (config_set(p->dir, o, base, value, &cause) != 0) {
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
			e->tags[e->ntags].line = p->lineno;
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

/* Split a section header into its kind and NAME; returns what follows. */
static const char *
config_section_words(const char *text, char **kind, char **arg)
{
	const char	*s = text;
	size_t		 len;

	s += strspn(s, " \t");
	len = strcspn(s, " \t");
	*kind = xstrndup(s, len);
	s += len + strspn(s + len, " \t");
	len = strcspn(s, " \t");
	*arg = len != 0 ? xstrndup(s, len) : NULL;
	return (s + len + strspn(s + len, " \t"));
}

/* Switch to the section named by text (what is between '[' and ']'). */
static void
config_section(struct config_parse *p, const char *text)
{
	const struct config_section	*sec = NULL;
	const char			*s;
	char				*kind, *arg;
	size_t				 i;

	p->sect = &config_bad_section;
	s = config_section_words(text, &kind, &arg);
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
void
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

/* Parse a catalog file (only [image] sections) into out. */
void
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
