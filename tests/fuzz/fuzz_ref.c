/*
 * libFuzzer target for src/ref.c.  Besides surviving any input, a valid
 * reference must round-trip: parsing its canonical form, its ref_with text
 * and its familiar name gives the same reference (the same image, for the
 * familiar name).  Seeds: tests/data/fuzz/ref/.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void __attribute__((noreturn))
fuzz_ref_fail(const char *what, const char *input, const char *other)
{
	fprintf(stderr, "fuzz_ref: %s\n  input: %.300s\n  other: %.300s\n",
	    what, input, other != NULL ? other : "(null)");
	abort();
}

/* Equal strings, or both NULL. */
static int
fuzz_ref_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Parse s, which a valid reference produced, and compare with want. */
static void
fuzz_ref_reparse(const char *input, const char *s, const struct ref *want,
    const char *want_tag)
{
	struct ref	 r;
	char		*cause = NULL;

	if (ref_parse(s, &r, &cause) != 0)
		fuzz_ref_fail("derived form does not parse", input, s);
	if (!fuzz_ref_streq(r.registry, want->registry) ||
	    !fuzz_ref_streq(r.repository, want->repository) ||
	    !fuzz_ref_streq(r.tag, want_tag) ||
	    !fuzz_ref_streq(r.digest, want->digest))
		fuzz_ref_fail("derived form parses differently", input, s);
	if (!ref_same_image(&r, want))
		fuzz_ref_fail("derived form is another image", input, s);
	ref_deinit(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ref	 r, again;
	char		*s, *cause = NULL, *canonical, *familiar, *identity;
	char		*with, *fid;
	const char	*tag;

	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	if (ref_parse(s, &r, &cause) != 0) {
		if (cause == NULL || r.registry != NULL || r.repository != NULL)
			fuzz_ref_fail("failure without cause", s, NULL);
		free(cause);
		free(s);
		return (0);
	}
	if (cause != NULL || r.registry == NULL || r.repository == NULL ||
	    r.written == NULL)
		fuzz_ref_fail("success with missing fields", s, cause);
	if (strlen(r.repository) > REF_PATH_MAX ||
	    (r.tag != NULL && strlen(r.tag) > REF_TAG_MAX))
		fuzz_ref_fail("length limit passed", s, NULL);
	if (r.digest != NULL && ref_digest_valid(r.digest, NULL) != 0)
		fuzz_ref_fail("invalid digest accepted", s, r.digest);

	canonical = ref_canonical(&r);
	familiar = ref_familiar_name(&r);
	identity = ref_identity(&r);

	/* The canonical form: ":latest" appears only when nothing was. */
	tag = r.tag;
	if (tag == NULL && r.digest == NULL)
		tag = "latest";
	fuzz_ref_reparse(s, canonical, &r, tag);

	/* The replacement text with the same tag and digest. */
	with = ref_with(&r, r.tag, r.digest);
	fuzz_ref_reparse(s, with, &r, r.tag);

	/* The familiar name is the same image. */
	if (ref_parse(familiar, &again, &cause) != 0)
		fuzz_ref_fail("familiar name does not parse", s, familiar);
	fid = ref_identity(&again);
	if (strcmp(fid, identity) != 0)
		fuzz_ref_fail("familiar name is another image", s, familiar);
	if (again.tag != NULL || again.digest != NULL)
		fuzz_ref_fail("familiar name has a tag or digest", s,
		    familiar);

	free(fid);
	ref_deinit(&again);
	free(with);
	free(identity);
	free(familiar);
	free(canonical);
	ref_deinit(&r);
	free(s);
	return (0);
}
