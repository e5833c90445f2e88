#!/bin/sh
# Print a C file holding the schema migrations, in the order given: the
# array store_migrations[] of { version, name, sql }, where the version is
# the number that starts the file name (sql/001-initial.sql is version 1).
# Usage: embed-sql.sh sql/001-x.sql sql/002-y.sql ...
set -eu
printf '/* Generated from sql/ by scripts/embed-sql.sh; do not edit. */\n'
printf '#include "autoconf.h"\n\n#include <stddef.h>\n\n#include "store.h"\n\n'
printf 'const struct store_migration store_migrations[] = {\n'
for f in "$@"; do
	base=$(basename "$f" .sql)
	num=$(printf '%s' "$base" | sed -e 's/^0*\([0-9][0-9]*\)-.*/\1/')
	case "$num" in
	''|*[!0-9]*) echo "embed-sql.sh: $f: name must start with NNN-" >&2; exit 1 ;;
	esac
	printf '\t{ %s, "%s",\n' "$num" "$base"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t    "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
printf '};\n'
printf 'const size_t store_nmigrations = sizeof store_migrations / sizeof store_migrations[0];\n'
