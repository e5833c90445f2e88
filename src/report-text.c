/*
 * The terminal report: findings grouped by file, the suggestion under each,
 * then what was skipped and a summary.  Colour only when asked (a TTY).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

#define C_RESET		"\033[0m"
#define C_BOLD		"\033[1m"
#define C_DIM		"\033[2m"
#define C_RED		"\033[31m"
#define C_YELLOW	"\033[33m"
#define C_CYAN		"\033[36m"
#define C_GREEN		"\033[32m"

static const char *
report_text_color(const struct report *rp, enum severity s)
{
	if (!rp->color)
		return ("");
	switch (s) {
	case SEV_ERROR:
		return (C_RED);
	case SEV_WARNING:
		return (C_YELLOW);
	case SEV_INFO:
		return (C_CYAN);
	case SEV_OFF:
		break;
	}
	return ("");
}

static const char *
report_text_c(const struct report *rp, const char *code)
{
	return (rp->color ? code : "");
}

static void
report_text_finding(FILE *fp, const struct report *rp, const struct finding *f)
{
	char	*msg;

	msg = report_clean(f->message, 1);
	fprintf(fp, "  %4u:%-3u %s%-7s%s %-17s %s\n", f->line, f->column,
	    report_text_color(rp, f->severity), severity_name(f->severity),
	    report_text_c(rp, C_RESET), rules_table[f->rule].id, msg);
	free(msg);
	if (f->suggestion != NULL) {
		msg = report_clean(f->suggestion, 1);
		fprintf(fp, "%*s%s-> %s%s\n", 36, "",
		    report_text_c(rp, C_GREEN), msg, report_text_c(rp, C_RESET));
		free(msg);
	}
}

static void
report_text_summary(FILE *fp, const struct report *rp)
{
	size_t	 i, count[SEV_ERROR + 1] = { 0 }, files = 0;

	for (i = 0; i < rp->findings->n; i++) {
		count[rp->findings->v[i].severity]++;
		if (i == 0 || strcmp(rp->findings->v[i].file,
		    rp->findings->v[i - 1].file) != 0)
			files++;
	}
	fprintf(fp, "%s%zu finding%s%s (%zu error%s, %zu warning%s, %zu info) "
	    "in %zu file%s", report_text_c(rp, C_BOLD), rp->findings->n,
	    rp->findings->n == 1 ? "" : "s", report_text_c(rp, C_RESET),
	    count[SEV_ERROR], count[SEV_ERROR] == 1 ? "" : "s",
	    count[SEV_WARNING], count[SEV_WARNING] == 1 ? "" : "s",
	    count[SEV_INFO], files, files == 1 ? "" : "s");
	if (rp->scan != NULL)
		fprintf(fp, "; %zu reference%s in %zu file%s scanned, %zu "
		    "skipped", rp->scan->nrefs, rp->scan->nrefs == 1 ? "" : "s",
		    rp->scan->files_scanned,
		    rp->scan->files_scanned == 1 ? "" : "s", rp->scan->nskips);
	fputs("\n", fp);
}

int
report_text(FILE *fp, const struct report *rp)
{
	const struct finding	*f;
	size_t			 i;
	char			*s;

	for (i = 0; i < rp->findings->n; i++) {
		f = &rp->findings->v[i];
		if (i == 0 || strcmp(f->file, rp->findings->v[i - 1].file) != 0) {
			s = report_clean(f->file, 1);
			fprintf(fp, "%s%s%s%s\n", i == 0 ? "" : "\n",
			    report_text_c(rp, C_BOLD), s,
			    report_text_c(rp, C_RESET));
			free(s);
		}
		report_text_finding(fp, rp, f);
	}
	if (rp->scan != NULL && rp->scan->nskips > 0) {
		fprintf(fp, "%sskipped:%s\n", rp->findings->n > 0 ? "\n" : "",
		    report_text_c(rp, C_DIM));
		for (i = 0; i < rp->scan->nskips; i++) {
			s = report_clean(rp->scan->skips[i].path, 1);
			fprintf(fp, "  %s: %s\n", s, rp->scan->skips[i].reason);
			free(s);
		}
		fputs(report_text_c(rp, C_RESET), fp);
	}
	if (rp->notice != NULL)
		fprintf(fp, "\nnote: %s\n", rp->notice);
	if (rp->findings->n > 0 || (rp->scan != NULL && rp->scan->nskips > 0))
		fputs("\n", fp);
	report_text_summary(fp, rp);
	return (0);
}
