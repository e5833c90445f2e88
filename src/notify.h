/*
 * The systemd notification protocol (sd_notify(3)), without libsystemd:
 * one datagram to $NOTIFY_SOCKET per message.  A no-op when not run by
 * systemd.  Leaf module: depends on nothing else in the project.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

/* Send "READY=1", "STATUS=...", ...; -1 only when the send failed. */
int		 notify_send(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));
/*
 * The watchdog interval systemd asked for ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or ours), in microseconds; 0 when none.
 */
uint64_t	 notify_watchdog_usec(void);

#endif
