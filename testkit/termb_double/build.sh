#!/usr/bin/env bash
# Builds the termb reader and WLT decoder test doubles into .build/termb_double/ (gitignored),
# again only when a .c is newer than its library. Usage: testkit/termb_double/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/termb_double
mkdir -p "$out"
for name in termb_double wlt_double; do
  src=testkit/termb_double/$name.c
  lib=$out/lib$name.so
  if [ ! -f "$lib" ] || [ "$src" -nt "$lib" ]; then
    ${CC:-gcc} -shared -fPIC -O2 -Wall -Wextra -Werror -o "$lib.tmp" "$src"
    mv -f "$lib.tmp" "$lib"
  fi
done
echo "$out"
