#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given binaries load (one a
# line, sorted), so the runtime image installs exactly those. Run where the binaries were built.
# Usage: deploy/runtime-packages.sh BINARY...
set -euo pipefail
for binary in "$@"; do
  # "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)": the resolved path.
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
  # With the merged /usr, ldd may report /lib/... or /usr/lib/... for a file dpkg lists under
  # the other: ask for the file name in any directory.
  dpkg-query -S "*/$(basename "$lib")" 2>/dev/null | cut -d: -f1 | tr ',' '\n' | tr -d ' '
done | grep -v -- '-dev$' | sort -u
