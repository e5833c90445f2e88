/* The report writers: JSON contract, SARIF shape, text safety. */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "report.h"
#include "rules.h"
#include "scan.h"

struct fixture {
	struct scan_result	 sr;
	struct findings		 fs;
	struct report		 rp;
};

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof *fx);
	struct finding	*f;

	scan_result_init(&fx->sr);
	findings_init(&fx->fs);
	scan_add_ref(&fx->sr, "svc/Dockerfile", 7, 6, SCAN_DOCKERFILE, "run", 1,
	    "node:20-alpine", "node:20-alpine", NULL);
	scan_add_ref(&fx->sr, "compose.yaml", 3, 12, SCAN_COMPOSE, NULL, 1,
	    "${IMG}", NULL, "variable IMG is not set and has no default");
	/* Hostile bytes from a scanned file: an escape and invalid UTF-8. */
	scan_add_ref(&fx->sr, "bad\xff.yaml", 1, 1, SCAN_KUBERNETES, NULL, 1,
	    "x\033[31m\xc3", NULL, "bad");
	scan_add_skip(&fx->sr, "big/Dockerfile", "file too large (%d bytes)",
	    5000000);
	f = findings_add(&fx->fs, RULE_EOL, SEV_ERROR, &fx->sr.refs[0],
	    "%s: Node.js 20 reached end of life", "node:20-alpine");
	f->suggestion = strdup("node:26-alpine");
	finding_evidence(f, "eol", "%s", "2026-04-30");
	findings_add(&fx->fs, RULE_UNRESOLVED, SEV_WARNING, &fx->sr.refs[1],
	    "unresolved");
	findings_add(&fx->fs, RULE_UNRESOLVED, SEV_INFO, &fx->sr.refs[2],
	    "%s", fx->sr.refs[2].text);
	fx->rp.scan = &fx->sr;
	fx->rp.findings = &fx->fs;
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;

	findings_free(&fx->fs);
	scan_result_free(&fx->sr);
	free(fx);
	return (0);
}

/* Write a report into memory. */
static char *
render(struct fixture *fx, enum report_format fmt)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f;

	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(report_write(f, fmt, &fx->rp), 0);
	fclose(f);
	return (out);
}

static json_t *
render_json(struct fixture *fx, enum report_format fmt)
{
	json_error_t	 err;
	json_t		*doc;
	char		*s;

	s = render(fx, fmt);
	doc = json_loads(s, 0, &err);
	if (doc == NULL)
		fail_msg("not JSON: %s\n%s", err.text, s);
	free(s);
	return (doc);
}

static void
test_report_json_contract(void **state)
{
	struct fixture	*fx = *state;
	json_t		*doc, *r, *f;

	doc = render_json(fx, REPORT_JSON);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")),
	    1);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(doc, "tool"), "name")), "tagdrift");
	assert_int_equal(json_array_size(json_object_get(doc, "references")),
	    3);
	r = json_array_get(json_object_get(doc, "references"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "file")),
	    "svc/Dockerfile");
	assert_int_equal(json_integer_value(json_object_get(r, "line")), 7);
	assert_string_equal(json_string_value(json_object_get(r, "kind")),
	    "dockerfile");
	assert_string_equal(json_string_value(json_object_get(r, "stage")),
	    "run");
	assert_true(json_is_true(json_object_get(r, "final_stage")));
	assert_string_equal(json_string_value(json_object_get(r,
	    "repository")), "library/node");
	assert_string_equal(json_string_value(json_object_get(r, "tag")),
	    "20-alpine");
	assert_true(json_is_null(json_object_get(r, "digest")));

	r = json_array_get(json_object_get(doc, "references"), 1);
	assert_true(json_is_false(json_object_get(r, "resolved")));
	assert_true(json_is_null(json_object_get(r, "registry")));
	assert_true(json_is_null(json_object_get(r, "repository")));
	assert_true(json_is_null(json_object_get(r, "tag")));
	assert_true(json_is_null(json_object_get(r, "stage")));

	/* Invalid UTF-8 from a file still gives a string, never a gap. */
	r = json_array_get(json_object_get(doc, "references"), 2);
	assert_true(json_is_string(json_object_get(r, "file")));
	assert_true(json_is_string(json_object_get(r, "text")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "file")),
	    "\xef\xbf\xbd"));

	f = json_array_get(json_object_get(doc, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "rule")),
	    "eol");
	assert_string_equal(json_string_value(json_object_get(f, "severity")),
	    "error");
	assert_string_equal(json_string_value(json_object_get(f,
	    "suggestion")), "node:26-alpine");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(f, "evidence"), "eol")), "2026-04-30");
	f = json_array_get(json_object_get(doc, "findings"), 1);
	assert_true(json_is_null(json_object_get(f, "suggestion")));
	assert_int_equal(json_array_size(json_object_get(doc, "skipped")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "skipped"), 0), "reason")),
	    "file too large (5000000 bytes)");
	json_decref(doc);
}

static void
test_report_sarif_shape(void **state)
{
	struct fixture	*fx = *state;
	json_t		*doc, *run, *res, *loc;

	doc = render_json(fx, REPORT_SARIF);
	assert_string_equal(json_string_value(json_object_get(doc, "version")),
	    "2.1.0");
	run = json_array_get(json_object_get(doc, "runs"), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(
	    json_object_get(run, "tool"), "driver"), "rules")), RULE_COUNT);
	res = json_array_get(json_object_get(run, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(res, "ruleId")),
	    "eol");
	assert_int_equal(json_integer_value(json_object_get(res,
	    "ruleIndex")), RULE_EOL);
	assert_string_equal(json_string_value(json_object_get(res, "level")),
	    "error");
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(res, "message"), "text")), "node:26-alpine"));
	loc = json_object_get(json_array_get(json_object_get(res, "locations"),
	    0), "physicalLocation");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    loc, "artifactLocation"), "uri")), "svc/Dockerfile");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    loc, "region"), "startLine")), 7);
	res = json_array_get(json_object_get(run, "results"), 2);
	assert_string_equal(json_string_value(json_object_get(res, "level")),
	    "note");
	json_decref(doc);
}

static void
test_report_text_is_terminal_safe(void **state)
{
	struct fixture	*fx = *state;
	char		*s;

	s = render(fx, REPORT_TEXT);
	assert_null(strchr(s, '\033'));
	assert_non_null(strstr(s, "svc/Dockerfile\n"));
	assert_non_null(strstr(s, "-> node:26-alpine"));
	assert_non_null(strstr(s, "big/Dockerfile: file too large"));
	assert_non_null(strstr(s, "3 findings (1 error, 1 warning, 1 info)"));
	free(s);
	fx->rp.color = 1;
	s = render(fx, REPORT_TEXT);
	assert_non_null(strstr(s, "\033[31merror"));
	/* The hostile escape in the reference text is defused even so. */
	assert_null(strstr(s, "x\033[31m"));
	free(s);
}

static void
test_report_clean_utf8(void **state)
{
	char	*s;

	(void)state;
	s = report_clean("caf\xc3\xa9 ok", 0);
	assert_string_equal(s, "caf\xc3\xa9 ok");
	free(s);
	s = report_clean("a\xff" "b\xed\xa0\x80" "c", 0);
	assert_string_equal(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd" "c");
	free(s);
	s = report_clean("tab\there\x7f", 1);
	assert_string_equal(s, "tab?here?");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_json_contract,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_sarif_shape, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_report_text_is_terminal_safe,
		    setup, teardown),
		cmocka_unit_test(test_report_clean_utf8),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
