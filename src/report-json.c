/* The audit's JSON document (version 1), described in tagdrift(1). */
#include "autoconf.h"

#include <stdlib.h>

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

static json_t *
report_json_ref(const struct scan_ref *r)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "file", report_json_str(r->file));
	json_object_set_new(o, "line", json_integer(r->line));
	json_object_set_new(o, "column", json_integer(r->column));
	json_object_set_new(o, "kind", json_string(scan_kind_name(r->kind)));
	json_object_set_new(o, "stage", report_json_str(r->stage));
	json_object_set_new(o, "final_stage", json_boolean(r->final_stage));
	json_object_set_new(o, "text", report_json_str(r->text));
	json_object_set_new(o, "resolved", json_boolean(r->resolved));
	json_object_set_new(o, "registry",
	    report_json_str(r->resolved ? r->ref.registry : NULL));
	json_object_set_new(o, "repository",
	    report_json_str(r->resolved ? r->ref.repository : NULL));
	json_object_set_new(o, "tag",
	    report_json_str(r->resolved ? r->ref.tag : NULL));
	json_object_set_new(o, "digest",
	    report_json_str(r->resolved ? r->ref.digest : NULL));
	if (!r->resolved)
		json_object_set_new(o, "problem", report_json_str(r->problem));
	return (o);
}

static json_t *
report_json_finding(const struct finding *f)
{
	json_t	*o, *ev;
	size_t	 i;

	o = json_object();
	json_object_set_new(o, "rule", json_string(rules_table[f->rule].id));
	json_object_set_new(o, "severity",
	    json_string(severity_name(f->severity)));
	json_object_set_new(o, "file", report_json_str(f->file));
	json_object_set_new(o, "line", json_integer(f->line));
	json_object_set_new(o, "column", json_integer(f->column));
	json_object_set_new(o, "text", report_json_str(f->text));
	json_object_set_new(o, "message", report_json_str(f->message));
	json_object_set_new(o, "suggestion", report_json_str(f->suggestion));
	ev = json_object();
	for (i = 0; i < f->nevidence; i++)
		json_object_set_new(ev, f->evidence[i].key,
		    report_json_str(f->evidence[i].value));
	json_object_set_new(o, "evidence", ev);
	return (o);
}

int
report_json(FILE *fp, const struct report *rp)
{
	json_t	*doc, *tool, *refs, *fs, *skips, *s;
	size_t	 i;
	int	 rc;

	doc = json_object();
	json_object_set_new(doc, "version", json_integer(1));
	tool = json_object();
	json_object_set_new(tool, "name", json_string("tagdrift"));
	json_object_set_new(tool, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(doc, "tool", tool);
	refs = json_array();
	skips = json_array();
	for (i = 0; rp->scan != NULL && i < rp->scan->nrefs; i++)
		json_array_append_new(refs, report_json_ref(&rp->scan->refs[i]));
	for (i = 0; rp->scan != NULL && i < rp->scan->nskips; i++) {
		s = json_object();
		json_object_set_new(s, "path",
		    report_json_str(rp->scan->skips[i].path));
		json_object_set_new(s, "reason",
		    report_json_str(rp->scan->skips[i].reason));
		json_array_append_new(skips, s);
	}
	fs = json_array();
	for (i = 0; i < rp->findings->n; i++)
		json_array_append_new(fs,
		    report_json_finding(&rp->findings->v[i]));
	json_object_set_new(doc, "references", refs);
	json_object_set_new(doc, "findings", fs);
	json_object_set_new(doc, "skipped", skips);
	if (rp->notice != NULL)
		json_object_set_new(doc, "notice", json_string(rp->notice));
	rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII);
	fputc('\n', fp);
	json_decref(doc);
	return (rc == 0 ? 0 : -1);
}
