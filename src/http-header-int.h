/*
 * Internals shared by http-header.c and http-header-auth.c: the scanner
 * over one header value, URL helpers and cause messages; nothing outside
 * the http-header module includes this.
 */

#ifndef HTTP_HEADER_INT_H
#define HTTP_HEADER_INT_H

#include <stddef.h>

#include <curl/curl.h>

#include "http-header.h"

/* A value being parsed: n bytes at p, position i. */
struct http_header_scan {
	const char	*p;
	size_t		 n;
	size_t		 i;
};

/* Scheme, host and port (the default one when absent) of a URL. */
struct http_header_origin {
	char	*scheme;
	char	*host;
	char	*port;
};

void	 http_header_cause(char **cause, const char *what, const char *error,
	    const struct http_header_scan *s);
const char	*http_header_element_end(struct http_header_scan *s);
char	*http_header_lowerdup(const char *s, size_t n);
void	 http_header_origin_free(struct http_header_origin *o);
void	 http_header_origin_get(CURLU *u, struct http_header_origin *o);
int	 http_header_ows(int c);
int	 http_header_peek(const struct http_header_scan *s);
const char	*http_header_prepare(struct http_header_scan *s, const char *v,
	    size_t len);
int	 http_header_resolve(const char *what, const char *base,
	    const char *ref, char **out, char **cause);
void	 http_header_skip_list(struct http_header_scan *s);
void	 http_header_skip_ows(struct http_header_scan *s);
int	 http_header_t68char(int c);
size_t	 http_header_token(struct http_header_scan *s, const char **start);
CURLU	*http_header_url_load(const char *url, const char **error);
char	*http_header_value(struct http_header_scan *s, const char *stops,
	    const char **error);

#endif /* HTTP_HEADER_INT_H */
