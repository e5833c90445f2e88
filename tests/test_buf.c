/* The capped buffer: growth, the cap, and take. */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static void
test_buf_grows_and_terminates(void **state)
{
	struct buf	 b;
	int		 i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_int_equal(b.len, 3000);
	assert_int_equal(b.data[3000], '\0');
	assert_memory_equal(b.data + 2997, "abc", 3);
	buf_deinit(&b);
}

static void
test_buf_cap_is_enforced(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, '9'), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), -1);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "ok"), 0);
	assert_string_equal(b.data, "42-ok");
	assert_int_equal(buf_printf(&b, "%s", "too long"), -1);
	buf_deinit(&b);
}

static void
test_buf_take_hands_over(void **state)
{
	struct buf	 b;
	char		*s;

	(void)state;
	buf_init(&b, 64);
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
	buf_adds(&b, "hello");
	s = buf_take(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	buf_deinit(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_terminates),
		cmocka_unit_test(test_buf_cap_is_enforced),
		cmocka_unit_test(test_buf_take_hands_over),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
