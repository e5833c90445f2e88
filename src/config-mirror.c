/*
 * --mirror REGISTRY=URL: a mirror named on the command line, over what the
 * configuration says of that registry (config.h).
 */
#include "autoconf.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-parse.h"
#include "ref.h"
#include "xmalloc.h"

/* Whether the host of an http:// URL is a loopback name or address. */
static int
config_mirror_loopback(const char *url)
{
	const char	*h = url + 7, *end;
	char		 host[256];
	struct in_addr	 a4;
	size_t		 len;

	if (strncmp(h, "[::1]", 5) == 0 && strchr(":/", h[5]) != NULL)
		return (1);
	end = h + strcspn(h, ":/");
	len = (size_t)(end - h);
	if (len == 0 || len >= sizeof host)
		return (0);
	memcpy(host, h, len);
	host[len] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return (1);
	return (inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127);
}

/* The registry_conf of name (normalized), added with its defaults. */
static struct registry_conf *
config_mirror_registry(struct config *c, const char *name, char **cause)
{
	struct registry_conf	*r;
	size_t			 i;

	for (i = 0; i < c->nregistries; i++) {
		if (strcmp(c->registries[i].name, name) == 0)
			return (&c->registries[i]);
	}
	if (c->nregistries >= CONFIG_MAX_REGISTRIES) {
		xasprintf(cause, "too many registries (at most %d)",
		    CONFIG_MAX_REGISTRIES);
		return (NULL);
	}
	c->registries = xreallocarray(c->registries, c->nregistries + 1,
	    sizeof *c->registries);
	r = &c->registries[c->nregistries++];
	memset(r, 0, sizeof *r);
	r->name = xstrdup(name);
	config_apply_defaults(r, 1);
	if (r->concurrency == 0)
		r->concurrency = c->concurrency;
	return (r);
}

int
config_add_mirror(struct config *c, const char *spec, char **cause)
{
	struct registry_conf	*r;
	struct ref		 ref;
	const char		*eq, *url;
	char			*name, *probe, *why = NULL;
	int			 rv = -1, https;

	memset(&ref, 0, sizeof ref);
	eq = strchr(spec, '=');
	if (eq == NULL || eq == spec || eq[1] == '\0') {
		xasprintf(cause, "--mirror %s: want REGISTRY=URL", spec);
		return (-1);
	}
	name = xstrndup(spec, (size_t)(eq - spec));
	url = eq + 1;
	xasprintf(&probe, "%s/x", name);
	if (ref_parse(probe, &ref, &why) != 0 || (strcmp(ref.registry,
	    name) != 0 && strcmp(name, "index.docker.io") != 0)) {
		xasprintf(cause, "--mirror %s: invalid registry name '%s'",
		    spec, name);
		goto out;
	}
	https = strncmp(url, "https://", 8) == 0 && url[8] != '\0';
	if (!https && !(strncmp(url, "http://", 7) == 0 && url[7] != '\0')) {
		xasprintf(cause, "--mirror %s: the URL must start with "
		    "https:// (or http:// on a loopback address)", spec);
		goto out;
	}
	r = config_mirror_registry(c, ref.registry, cause);
	if (r == NULL)
		goto out;
	if (!https && !r->insecure && !config_mirror_loopback(url)) {
		xasprintf(cause, "--mirror %s: plain http:// needs insecure = "
		    "yes in [registry %s] (or a loopback address)", spec,
		    ref.registry);
		goto out;
	}
	if (!https)
		r->insecure = 1;
	free(r->mirror);
	r->mirror = xstrdup(url);
	while (strlen(r->mirror) > 8 && r->mirror[strlen(r->mirror) - 1] == '/')
		r->mirror[strlen(r->mirror) - 1] = '\0';
	rv = 0;
out:
	ref_deinit(&ref);
	free(why);
	free(probe);
	free(name);
	return (rv);
}
