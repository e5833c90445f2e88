#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char	*log_progname = "tagdrift";
static enum log_level	 log_level = LOG_LEVEL_WARN;
static int		 log_json;

static const char *log_level_names[] = { "error", "warn", "info", "debug" };

/* Set the program name shown, the threshold and whether to emit JSON lines. */
void
log_init(const char *progname, enum log_level level, int json)
{
	log_progname = progname;
	log_level = level;
	log_json = json;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_json(int json)
{
	log_json = json;
}

int
log_enabled(enum log_level level)
{
	return (level <= log_level);
}

/* Write one JSON string body, escaping what JSON requires. */
static void
log_json_string(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void	log_vwrite(enum log_level, const char *, const char *,
		    va_list) __attribute__((format(printf, 3, 0)));

static void
log_vwrite(enum log_level level, const char *emsg, const char *fmt,
    va_list ap)
{
	char	 msg[2048];
	int	 saved = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_json) {
		fprintf(stderr, "{\"level\":\"%s\",\"msg\":\"",
		    log_level_names[level]);
		log_json_string(stderr, msg);
		if (emsg != NULL) {
			fputs(": ", stderr);
			log_json_string(stderr, emsg);
		}
		fputs("\"}\n", stderr);
	} else if (emsg != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_progname, msg, emsg);
	else
		fprintf(stderr, "%s: %s\n", log_progname, msg);
	errno = saved;
}

#define LOG_BODY(level, emsg) do {			\
	va_list	ap;					\
	if (!log_enabled(level))			\
		return;					\
	va_start(ap, fmt);				\
	log_vwrite(level, emsg, fmt, ap);		\
	va_end(ap);					\
} while (0)

void
log_warn(const char *fmt, ...)
{
	const char	*e = strerror(errno);

	LOG_BODY(LOG_LEVEL_WARN, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	const char	*e = strerror(errno);
	va_list		 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(3);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(3);
}
