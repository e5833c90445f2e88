#include "autoconf.h"

#include <sys/types.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk-int.h"
#include "xmalloc.h"

/*
 * The .tagdriftignore rules of the walk: read from each directory that has
 * one, dropped when the walk leaves it, and matched last rule first.
 */

/*
 * Match path components against pattern components where "**" stands for
 * any number of them: wildcard matching with one backtrack point, so at
 * most ncomps * npath fnmatch() calls whatever the pattern.
 */
static int
walk_match_comps(const char **pc, size_t np, const char **sc, size_t ns)
{
	size_t	 p = 0, s = 0, star = SIZE_MAX, mark = 0;

	while (s < ns) {
		if (p < np && strcmp(pc[p], "**") == 0) {
			star = p++;
			mark = s;
		} else if (p < np && fnmatch(pc[p], sc[s], 0) == 0) {
			p++;
			s++;
		} else if (star != SIZE_MAX) {
			p = star + 1;
			s = ++mark;
		} else
			return (0);
	}
	while (p < np && strcmp(pc[p], "**") == 0)
		p++;
	return (p == np);
}

/* Split a rule's pattern at '/' when a component is "**". */
static void
walk_rule_split(struct walk_rule *r)
{
	char	*s, *slash;
	size_t	 n = 2;

	for (s = r->pattern; *s != '\0'; s++)
		n += *s == '/';
	r->split = xstrdup(r->pattern);
	r->comps = xreallocarray(NULL, n + 1, sizeof *r->comps);
	for (s = r->split; s != NULL; s = slash) {
		slash = strchr(s, '/');
		if (slash != NULL)
			*slash++ = '\0';
		if (*s == '\0' || (strcmp(s, "**") == 0 && r->ncomps > 0 &&
		    strcmp(r->comps[r->ncomps - 1], "**") == 0))
			continue;
		r->comps[r->ncomps++] = s;
	}
	/* Trailing: everything inside, so at least one more component. */
	if (r->ncomps > 0 && strcmp(r->comps[r->ncomps - 1], "**") == 0) {
		r->comps[r->ncomps - 1] = "*";
		r->comps[r->ncomps++] = "**";
	}
}

static int
walk_has_globstar(const char *p)
{
	size_t	 n = strlen(p);

	return (strcmp(p, "**") == 0 || strncmp(p, "**/", 3) == 0 ||
	    strstr(p, "/**/") != NULL || (n >= 3 && strcmp(p + n - 3, "/**")
	    == 0));
}

/* Add one .tagdriftignore line (not NUL-terminated) as a rule. */
static void
walk_rule_add(struct walk *w, const char *line, size_t len)
{
	struct walk_rule	*r;
	const struct walk_frame	*f = &w->frames[w->nframes - 1];
	int			 negate = 0, dironly = 0, anchored = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t') &&
	    (len < 2 || line[len - 2] != '\\'))
		len--;
	if (len == 0 || line[0] == '#')
		return;
	if (line[0] == '!') {
		negate = 1;
		line++;
		len--;
	}
	for (; len > 0 && line[len - 1] == '/'; len--)
		dironly = 1;
	for (; len > 0 && line[0] == '/'; line++, len--)
		anchored = 1;
	if (len == 0 || memchr(line, '\0', len) != NULL)
		return;

	if (w->nrules == w->arules) {
		w->arules = w->arules == 0 ? 8 : w->arules * 2;
		w->rules = xreallocarray(w->rules, w->arules, sizeof *w->rules);
	}
	r = &w->rules[w->nrules++];
	memset(r, 0, sizeof *r);
	r->pattern = xstrndup(line, len);
	r->negate = negate;
	r->dironly = dironly;
	r->anchored = anchored || strchr(r->pattern, '/') != NULL;
	r->baselen = f->pathlen;
	r->basedepth = w->nframes - 1;
	if (r->anchored && walk_has_globstar(r->pattern))
		walk_rule_split(r);
}

void
walk_rules_cut(struct walk *w, size_t n)
{
	while (w->nrules > n) {
		w->nrules--;
		free(w->rules[w->nrules].pattern);
		free(w->rules[w->nrules].split);
		free(w->rules[w->nrules].comps);
	}
}

/* Split the path being looked at into components, for "**" rules. */
static void
walk_split_path(struct walk *w)
{
	char	*s, *slash;

	free(w->pcopy);
	w->pcopy = xstrdup(w->path);
	w->npcomps = 0;
	for (s = w->pcopy; s != NULL; s = slash) {
		slash = strchr(s, '/');
		if (slash != NULL)
			*slash++ = '\0';
		if (w->npcomps == w->apcomps) {
			w->apcomps = w->apcomps == 0 ? 16 : w->apcomps * 2;
			w->pcomps = xreallocarray(w->pcomps, w->apcomps,
			    sizeof *w->pcomps);
		}
		w->pcomps[w->npcomps++] = s;
	}
}

static int
walk_rule_match(struct walk *w, const struct walk_rule *r, const char *name,
    int *split)
{
	const char	*sub;

	if (!r->anchored)
		return (fnmatch(r->pattern, name, 0) == 0);
	if (r->comps == NULL) {
		sub = w->path + r->baselen + (r->baselen != 0);
		return (fnmatch(r->pattern, sub, FNM_PATHNAME) == 0);
	}
	if (!*split) {
		walk_split_path(w);
		*split = 1;
	}
	if (r->basedepth >= w->npcomps)
		return (0);
	return (walk_match_comps(r->comps, r->ncomps, w->pcomps +
	    r->basedepth, w->npcomps - r->basedepth));
}

/* Whether the .tagdriftignore files in force exclude the path (last wins). */
int
walk_ignored(struct walk *w, const char *name, int isdir)
{
	const struct walk_rule	*r;
	size_t			 i;
	int			 split = 0;

	for (i = w->nrules; i-- > 0;) {
		r = &w->rules[i];
		if (r->dironly && !isdir)
			continue;
		if (walk_rule_match(w, r, name, &split))
			return (!r->negate);
	}
	return (0);
}

/* Read the .tagdriftignore of the top frame into rules. */
void
walk_ignore_load(struct walk *w)
{
	const struct walk_frame	*f = &w->frames[w->nframes - 1];
	const char		*line, *end, *nl;
	ssize_t			 len;
	int			 fd;

	walk_set_path(w, f->pathlen, WALK_IGNORE_NAME);
	fd = walk_openat(w, f->fd, WALK_IGNORE_NAME, WALK_OPEN_FILE);
	if (fd == -1) {
		if (errno == ELOOP)
			walk_skip(w, "not a regular file (symlink)");
		else if (errno != ENOENT)
			walk_skip(w, "%s", walk_errstr(errno));
		goto out;
	}
	len = walk_read_fd(&w->rd, fd, WALK_IGNORE_MAX);
	close(fd);
	if (len == -1) {
		walk_skip_read(w);
		goto out;
	}
	end = w->rd.buf + len;
	for (line = w->rd.buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		walk_rule_add(w, line, (size_t)(nl - line));
	}
out:
	walk_cut_path(w, f->pathlen);
}
