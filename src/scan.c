#include "autoconf.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan-dockerfile.h"
#include "scan-yaml.h"
#include "scan.h"
#include "xmalloc.h"

void
scan_result_init(struct scan_result *sr)
{
	memset(sr, 0, sizeof *sr);
}

void
scan_result_free(struct scan_result *sr)
{
	size_t	 i;

	for (i = 0; i < sr->nrefs; i++) {
		free(sr->refs[i].file);
		free(sr->refs[i].stage);
		free(sr->refs[i].text);
		free(sr->refs[i].problem);
		ref_deinit(&sr->refs[i].ref);
	}
	for (i = 0; i < sr->nskips; i++) {
		free(sr->skips[i].path);
		free(sr->skips[i].reason);
	}
	free(sr->refs);
	free(sr->skips);
	memset(sr, 0, sizeof *sr);
}

struct scan_ref *
scan_add_ref(struct scan_result *sr, const char *file, unsigned line,
    unsigned column, enum scan_kind kind, const char *stage, int final_stage,
    const char *text, const char *value, const char *problem)
{
	struct scan_ref	*r;
	char		*cause = NULL;

	if (sr->nrefs == sr->arefs) {
		sr->arefs = sr->arefs == 0 ? 16 : sr->arefs * 2;
		sr->refs = xreallocarray(sr->refs, sr->arefs, sizeof *sr->refs);
	}
	r = &sr->refs[sr->nrefs++];
	memset(r, 0, sizeof *r);
	r->file = xstrdup(file);
	r->line = line;
	r->column = column;
	r->kind = kind;
	r->stage = stage != NULL ? xstrdup(stage) : NULL;
	r->final_stage = final_stage;
	r->text = xstrdup(text);
	if (value == NULL) {
		r->problem = xstrdup(problem != NULL ? problem :
		    "unresolved variable");
		return (r);
	}
	if (ref_parse(value, &r->ref, &cause) != 0) {
		if (strcmp(value, text) == 0)
			xasprintf(&r->problem, "not a valid image reference: "
			    "%s", cause);
		else
			xasprintf(&r->problem, "'%s' is not a valid image "
			    "reference: %s", value, cause);
		free(cause);
		return (r);
	}
	r->resolved = 1;
	return (r);
}

void
scan_add_skip(struct scan_result *sr, const char *path, const char *fmt, ...)
{
	struct scan_skip	*s;
	va_list			 ap;

	if (sr->nskips == sr->askips) {
		sr->askips = sr->askips == 0 ? 8 : sr->askips * 2;
		sr->skips = xreallocarray(sr->skips, sr->askips,
		    sizeof *sr->skips);
	}
	s = &sr->skips[sr->nskips++];
	s->path = xstrdup(path);
	va_start(ap, fmt);
	xvasprintf(&s->reason, fmt, ap);
	va_end(ap);
}

const char *
scan_kind_name(enum scan_kind kind)
{
	switch (kind) {
	case SCAN_DOCKERFILE:
		return ("dockerfile");
	case SCAN_COMPOSE:
		return ("compose");
	case SCAN_KUBERNETES:
		return ("kubernetes");
	case SCAN_GITHUB_ACTIONS:
		return ("github-actions");
	case SCAN_GITLAB_CI:
		return ("gitlab-ci");
	case SCAN_NONE:
		break;
	}
	return ("none");
}

static int
scan_has_suffix(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return (n >= m && strcmp(s + n - m, suffix) == 0);
}

static int
scan_is_yaml(const char *base)
{
	return (scan_has_suffix(base, ".yml") || scan_has_suffix(base, ".yaml"));
}

/* [Dd]ockerfile or [Cc]ontainerfile, the way Docker and Renovate spell it. */
static int
scan_dockerfile_word(const char *s)
{
	return ((s[0] == 'D' || s[0] == 'd') ? strncmp(s + 1, "ockerfile", 9)
	    == 0 : (s[0] == 'C' || s[0] == 'c') ?
	    strncmp(s + 1, "ontainerfile", 12) == 0 : 0);
}

static int
scan_is_dockerfile(const char *base)
{
	const char	*dot;
	size_t		 wl;

	if (scan_has_suffix(base, ".dockerignore"))
		return (0);
	if (scan_dockerfile_word(base)) {
		wl = (base[0] == 'D' || base[0] == 'd') ? 10 : 13;
		return (base[wl] == '\0' || base[wl] == '.');
	}
	dot = strrchr(base, '.');
	return (dot != NULL && dot != base && scan_dockerfile_word(dot + 1) &&
	    (strcmp(dot + 2, "ockerfile") == 0 ||
	    strcmp(dot + 2, "ontainerfile") == 0));
}

enum scan_kind
scan_kind_of(const char *relpath)
{
	const char	*base;

	base = strrchr(relpath, '/');
	base = base != NULL ? base + 1 : relpath;
	if (scan_is_dockerfile(base))
		return (SCAN_DOCKERFILE);
	if (!scan_is_yaml(base))
		return (SCAN_NONE);
	if (strncmp(base, "compose.", 8) == 0 ||
	    strncmp(base, "docker-compose", 14) == 0)
		return (SCAN_COMPOSE);
	if (strncmp(base, ".gitlab-ci.", 11) == 0 ||
	    scan_has_suffix(base, ".gitlab-ci.yml") ||
	    scan_has_suffix(base, ".gitlab-ci.yaml"))
		return (SCAN_GITLAB_CI);
	if (strstr(relpath, ".github/workflows/") != NULL &&
	    (strncmp(relpath, ".github/workflows/", 18) == 0 ||
	    strstr(relpath, "/.github/workflows/") != NULL))
		return (SCAN_GITHUB_ACTIONS);
	return (SCAN_KUBERNETES);
}

void
scan_buffer(struct scan_result *sr, const char *relpath, enum scan_kind kind,
    const char *buf, size_t len)
{
	sr->files_scanned++;
	if (kind == SCAN_DOCKERFILE)
		scan_dockerfile(sr, relpath, buf, len);
	else if (kind != SCAN_NONE)
		scan_yaml(sr, relpath, kind, buf, len);
}

/* path under root, as the user would type it from here: "svc/Dockerfile". */
static char *
scan_join(const char *root, int isdir, const char *path)
{
	size_t	 n = strlen(root);
	char	*s;

	if (!isdir)
		return (xstrdup(root));
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '.')
		return (xstrdup(path));
	xasprintf(&s, "%.*s/%s", (int)n, root, path);
	return (s);
}

/*
 * With several roots, a path relative to its own root is ambiguous (two
 * roots may each hold a Dockerfile), so the entries found under root are
 * named from the current directory instead.
 */
void
scan_result_prefix(struct scan_result *sr, size_t r0, size_t s0,
    const char *root)
{
	struct stat	 sb;
	size_t		 i;
	char		*p;
	int		 isdir;

	isdir = stat(root, &sb) == 0 && S_ISDIR(sb.st_mode);
	for (i = r0; i < sr->nrefs; i++) {
		p = scan_join(root, isdir, sr->refs[i].file);
		free(sr->refs[i].file);
		sr->refs[i].file = p;
	}
	for (i = s0; i < sr->nskips; i++) {
		p = scan_join(root, isdir, sr->skips[i].path);
		free(sr->skips[i].path);
		sr->skips[i].path = p;
	}
}
