/*
 * The audit's JSON document (version 1), described in tagdrift(1).  It is
 * streamed: an audit of a large tree holds thousands of references, and
 * building one jansson tree for them costs more than the scan.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

/* A JSON string from bytes found in files: invalid UTF-8 is replaced. */
json_t *
report_json_str(const char *s)
{
	json_t	*j;
	char	*clean;

	if (s == NULL)
		return (json_null());
	j = json_string(s);
	if (j == NULL) {
		clean = report_clean(s, 0);
		j = json_string(clean);
		free(clean);
	}
	return (j);
}

/* Write s as a JSON string (or null), escaped, valid UTF-8. */
static void
report_json_put(FILE *fp, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p;
	char			*clean = NULL;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80) {
			clean = report_clean(s, 0);
			s = clean;
			break;
		}
	}
	putc_unlocked('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs_unlocked("\\\"", fp);
			break;
		case '\\':
			fputs_unlocked("\\\\", fp);
			break;
		case '\n':
			fputs_unlocked("\\n", fp);
			break;
		case '\t':
			fputs_unlocked("\\t", fp);
			break;
		case '\r':
			fputs_unlocked("\\r", fp);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fputs_unlocked("\\u00", fp);
				putc_unlocked(hex[*p >> 4], fp);
				putc_unlocked(hex[*p & 0xf], fp);
			} else
				putc_unlocked(*p, fp);
		}
	}
	putc_unlocked('"', fp);
	free(clean);
}

static void
report_json_key(FILE *fp, const char *indent, const char *key, int first)
{
	fprintf(fp, "%s\n%s\"%s\": ", first ? "" : ",", indent, key);
}

static void
report_json_kv(FILE *fp, const char *indent, const char *key, const char *v,
    int first)
{
	report_json_key(fp, indent, key, first);
	report_json_put(fp, v);
}

static void
report_json_ref(FILE *fp, const struct scan_ref *r)
{
	const char	*in = "      ";
	int		 ok = r->resolved;

	fputs("    {", fp);
	report_json_kv(fp, in, "file", r->file, 1);
	report_json_key(fp, in, "line", 0);
	fprintf(fp, "%u", r->line);
	report_json_key(fp, in, "column", 0);
	fprintf(fp, "%u", r->column);
	report_json_kv(fp, in, "kind", scan_kind_name(r->kind), 0);
	report_json_kv(fp, in, "stage", r->stage, 0);
	report_json_key(fp, in, "final_stage", 0);
	fputs(r->final_stage ? "true" : "false", fp);
	report_json_kv(fp, in, "text", r->text, 0);
	report_json_key(fp, in, "resolved", 0);
	fputs(ok ? "true" : "false", fp);
	report_json_kv(fp, in, "registry", ok ? r->ref.registry : NULL, 0);
	report_json_kv(fp, in, "repository", ok ? r->ref.repository : NULL, 0);
	report_json_kv(fp, in, "tag", ok ? r->ref.tag : NULL, 0);
	report_json_kv(fp, in, "digest", ok ? r->ref.digest : NULL, 0);
	if (!ok)
		report_json_kv(fp, in, "problem", r->problem, 0);
	fputs("\n    }", fp);
}

static void
report_json_finding(FILE *fp, const struct finding *f)
{
	const char	*in = "      ";
	size_t		 i;

	fputs("    {", fp);
	report_json_kv(fp, in, "rule", rules_table[f->rule].id, 1);
	report_json_kv(fp, in, "severity", severity_name(f->severity), 0);
	report_json_kv(fp, in, "file", f->file, 0);
	report_json_key(fp, in, "line", 0);
	fprintf(fp, "%u", f->line);
	report_json_key(fp, in, "column", 0);
	fprintf(fp, "%u", f->column);
	report_json_kv(fp, in, "text", f->text, 0);
	report_json_kv(fp, in, "message", f->message, 0);
	report_json_kv(fp, in, "suggestion", f->suggestion, 0);
	report_json_key(fp, in, "evidence", 0);
	fputs("{", fp);
	for (i = 0; i < f->nevidence; i++)
		report_json_kv(fp, "        ", f->evidence[i].key,
		    f->evidence[i].value, i == 0);
	fputs(f->nevidence > 0 ? "\n      }" : "}", fp);
	fputs("\n    }", fp);
}

int
report_json(FILE *fp, const struct report *rp)
{
	const struct scan_result	*sr = rp->scan;
	size_t				 i;

	/* One lock for the document, not one per character (the walker's
	 * threads make glibc lock every stdio call otherwise). */
	flockfile(fp);
	fprintf(fp, "{\n  \"version\": 1,\n  \"tool\": {\n    \"name\": "
	    "\"tagdrift\",\n    \"version\": \"%s\"\n  },\n  \"references\": [",
	    PACKAGE_VERSION);
	for (i = 0; sr != NULL && i < sr->nrefs; i++) {
		fputs(i == 0 ? "\n" : ",\n", fp);
		report_json_ref(fp, &sr->refs[i]);
	}
	fputs(sr != NULL && sr->nrefs > 0 ? "\n  ],\n  \"findings\": [" :
	    "],\n  \"findings\": [", fp);
	for (i = 0; i < rp->findings->n; i++) {
		fputs(i == 0 ? "\n" : ",\n", fp);
		report_json_finding(fp, &rp->findings->v[i]);
	}
	fputs(rp->findings->n > 0 ? "\n  ],\n  \"skipped\": [" :
	    "],\n  \"skipped\": [", fp);
	for (i = 0; sr != NULL && i < sr->nskips; i++) {
		fputs(i == 0 ? "\n    {" : ",\n    {", fp);
		report_json_kv(fp, "      ", "path", sr->skips[i].path, 1);
		report_json_kv(fp, "      ", "reason", sr->skips[i].reason, 0);
		fputs("\n    }", fp);
	}
	fputs(sr != NULL && sr->nskips > 0 ? "\n  ]" : "]", fp);
	if (rp->notice != NULL)
		report_json_kv(fp, "  ", "notice", rp->notice, 0);
	fputs("\n}\n", fp);
	funlockfile(fp);
	return (ferror(fp) ? -1 : 0);
}
