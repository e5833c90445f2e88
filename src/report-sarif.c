/*
 * SARIF 2.1.0 for code scanning (GitHub accepts it with rule metadata,
 * levels and regions).  Findings on the catalog point at the config file.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "xmalloc.h"

#define SARIF_SCHEMA	"https://json.schemastore.org/sarif-2.1.0.json"

static const char *
report_sarif_level(enum severity s)
{
	switch (s) {
	case SEV_ERROR:
		return ("error");
	case SEV_WARNING:
		return ("warning");
	case SEV_INFO:
		return ("note");
	case SEV_OFF:
		break;
	}
	return ("none");
}

static json_t *
report_sarif_text(const char *s)
{
	return (json_pack("{s:o}", "text", report_json_str(s)));
}

static json_t *
report_sarif_rules(void)
{
	json_t	*rules, *r, *props;
	int	 i;

	rules = json_array();
	for (i = 0; i < RULE_COUNT; i++) {
		const struct rule_info	*ri = &rules_table[i];

		props = json_pack("{s:[s,s]}", "tags", "containers",
		    ri->needs_registry ? "registry" : "offline");
		r = json_pack("{s:s,s:s,s:o,s:o,s:o,s:{s:s},s:o}",
		    "id", ri->id, "name", ri->id,
		    "shortDescription", report_sarif_text(ri->summary),
		    "fullDescription", report_sarif_text(ri->summary),
		    "help", report_sarif_text(ri->help),
		    "defaultConfiguration", "level",
		    report_sarif_level(ri->severity == SEV_OFF ? SEV_WARNING :
		    ri->severity), "properties", props);
		json_array_append_new(rules, r);
	}
	return (rules);
}

static json_t *
report_sarif_result(const struct finding *f)
{
	json_t	*res, *loc, *region, *msg;
	char	*text;

	region = json_pack("{s:i}", "startLine", f->line > 0 ? f->line : 1);
	if (f->column > 0)
		json_object_set_new(region, "startColumn",
		    json_integer(f->column));
	loc = json_pack("{s:{s:{s:o,s:s},s:o}}", "physicalLocation",
	    "artifactLocation", "uri", report_json_str(f->file), "uriBaseId",
	    "%SRCROOT%", "region", region);
	if (f->suggestion != NULL)
		xasprintf(&text, "%s Suggested: %s", f->message, f->suggestion);
	else
		text = xstrdup(f->message);
	msg = report_sarif_text(text);
	free(text);
	res = json_pack("{s:s,s:i,s:s,s:o,s:[o]}", "ruleId",
	    rules_table[f->rule].id, "ruleIndex", (int)f->rule, "level",
	    report_sarif_level(f->severity), "message", msg, "locations", loc);
	json_object_set_new(res, "partialFingerprints", json_pack("{s:o}",
	    "tagdriftFinding/v1", report_json_str(f->text)));
	return (res);
}

int
report_sarif(FILE *fp, const struct report *rp)
{
	json_t	*doc, *run, *results;
	size_t	 i;
	int	 rc;

	results = json_array();
	for (i = 0; i < rp->findings->n; i++)
		json_array_append_new(results,
		    report_sarif_result(&rp->findings->v[i]));
	run = json_pack("{s:{s:{s:s,s:s,s:s,s:o}},s:o,s:s}",
	    "tool", "driver", "name", "tagdrift", "version", PACKAGE_VERSION,
	    "semanticVersion", PACKAGE_VERSION,
	    "rules", report_sarif_rules(), "results", results,
	    "columnKind", "utf16CodeUnits");
	doc = json_pack("{s:s,s:s,s:[o]}", "$schema", SARIF_SCHEMA, "version",
	    "2.1.0", "runs", run);
	rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII);
	fputc('\n', fp);
	json_decref(doc);
	return (rc == 0 ? 0 : -1);
}
