/* sd_notify's protocol over a datagram socket (notify.h). */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"

#define NOTIFY_MAX	4096

int
notify_send(const char *fmt, ...)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	char			 msg[NOTIFY_MAX];
	socklen_t		 len;
	va_list			 ap;
	int			 fd, n, rv = -1, saved = errno;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return (0);
	if (strlen(path) >= sizeof sun.sun_path)
		return (-1);
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (-1);
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto out;
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == n)
		rv = 0;
	close(fd);
out:
	errno = saved;
	return (rv);
}

uint64_t
notify_watchdog_usec(void)
{
	const char	*usec = getenv("WATCHDOG_USEC");
	const char	*pid = getenv("WATCHDOG_PID");
	char		*end;
	unsigned long long v;

	if (usec == NULL || *usec == '\0')
		return (0);
	if (pid != NULL && *pid != '\0' &&
	    strtol(pid, NULL, 10) != (long)getpid())
		return (0);
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return (0);
	return ((uint64_t)v);
}
