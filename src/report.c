#include "autoconf.h"

#include <stdint.h>

#include "buf.h"
#include "report.h"

const char *const report_format_names[] = { "text", "json", "sarif", NULL };

int
report_write(FILE *f, enum report_format fmt, const struct report *rp)
{
	int	 rc;

	switch (fmt) {
	case REPORT_JSON:
		rc = report_json(f, rp);
		break;
	case REPORT_SARIF:
		rc = report_sarif(f, rp);
		break;
	case REPORT_TEXT:
	default:
		rc = report_text(f, rp);
		break;
	}
	if (fflush(f) != 0 || ferror(f))
		rc = -1;
	return (rc);
}

/* Length of a valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
report_utf8_len(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	}
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return (0);
	return (n);
}

/*
 * A copy of s that is valid UTF-8 (bad bytes become U+FFFD); with
 * for_terminal, control characters become '?' so a hostile file cannot
 * drive the terminal.  The caller frees the result.
 */
char *
report_clean(const char *s, int for_terminal)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b;
	size_t			 n;

	buf_init(&b, SIZE_MAX / 2);
	while (*p != '\0') {
		n = report_utf8_len(p);
		if (n == 0) {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
		} else if (for_terminal && n == 1 && (*p < 0x20 || *p == 0x7f)) {
			buf_addc(&b, '?');
			p++;
		} else {
			buf_add(&b, p, n);
			p += n;
		}
	}
	return (buf_take(&b));
}
