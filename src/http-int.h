/*
 * Internals shared by http.c (the engine) and http-easy.c (requests and
 * their easy handles); nothing outside the http module includes this.
 */

#ifndef HTTP_INT_H
#define HTTP_INT_H

#include <curl/curl.h>
#include <uv.h>

#include "http.h"

enum http_state {
	HTTP_STATE_NEW = 0,
	HTTP_STATE_QUEUED,
	HTTP_STATE_ACTIVE,
	HTTP_STATE_DONE
};

struct http_list {
	struct http_request	*head;
	struct http_request	*tail;
};

struct http {
	uv_loop_t		*loop;
	CURLM			*multi;
	uv_timer_t		 timer;
	struct http_opts	 opts;
	char			*user_agent;
	struct http_sock	*socks;
	struct http_host	*hosts;
	struct http_list	 active;
	unsigned		 pending_closes;
	int			 freeing;
	int			 torn_down;
};

struct http_request {
	struct http		*http;
	struct http_host	*host;
	enum http_state		 state;
	struct http_request	*prev;	/* host queue or active list */
	struct http_request	*next;
	enum http_method	 method;
	char			*url;
	char			*logurl;	/* without user:password@ */
	char			*effurl;
	char			*errtext;
	struct curl_slist	*headers;
	char			*body;
	size_t			 bodylen;
	unsigned		 timeout_ms;
	unsigned		 connect_timeout_ms;
	char			*ca_file;	/* NULL: the system's CAs */
	size_t			 max_body;
	size_t			 max_header;
	int			 flags;
	http_done_cb		*cb;
	void			*arg;
	CURL			*easy;
	char			 errbuf[CURL_ERROR_SIZE];
	size_t			 header_bytes;
	int			 over;	/* 1 body, 2 headers */
	int			 connected;	/* a connection was ready */
	size_t			 hdralloc;
	struct http_response	 resp;
};

/* http-easy.c */
void		 http_slist_add(struct http_request *, const char *);
CURL		*http_easy(struct http_request *);
void		 http_log_request(struct http_request *);
int		 http_parse_url(struct http_request *, char **, char **);

#endif /* HTTP_INT_H */
