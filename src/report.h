/*
 * Reports of an audit: text for terminals, JSON for programs, SARIF 2.1.0
 * for code-scanning services.  Each writer takes the scan and the findings
 * and writes one document.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "rules.h"
#include "scan.h"

enum report_format {
	REPORT_TEXT = 0,
	REPORT_JSON,
	REPORT_SARIF
};

extern const char *const report_format_names[];

struct report {
	const struct scan_result	*scan;		/* NULL for the catalog */
	const struct findings		*findings;
	int				 color;		/* ANSI colours */
	int				 verbose;	/* list every reference */
	const char			*notice;	/* e.g. offline state */
};

int	report_write(FILE *, enum report_format, const struct report *);
int	report_text(FILE *, const struct report *);
int	report_json(FILE *, const struct report *);
int	report_sarif(FILE *, const struct report *);
/* s as valid UTF-8 (and without control characters for a terminal). */
char	*report_clean(const char *, int for_terminal);
/* A jansson string (or null) from file bytes; needs <jansson.h>. */
#ifdef JANSSON_H
json_t	*report_json_str(const char *);
#endif

#endif
