#!/bin/sh
# Turn the web page's files (the arguments: server/web/*) into C, so the
# page ships inside rpps-server as the schema does (tools/embed.sh makes
# each file's bytes). Writes to stdout the table web.c reads:
#   const struct web_src web_srcs[]; const size_t web_nsrcs;
set -e
dir=$(dirname "$0")
printf '#include <stddef.h>\n#include "web.h"\n'
i=0
for f in "$@"; do
    sh "$dir/embed.sh" "web_src_$i" < "$f"
    i=$((i + 1))
done
printf 'const struct web_src web_srcs[] = {\n'
i=0
for f in "$@"; do
    printf '    {"%s", web_src_%d, sizeof(web_src_%d) - 1},\n' \
        "$(basename "$f")" "$i" "$i"
    i=$((i + 1))
done
printf '};\nconst size_t web_nsrcs = %d;\n' "$i"
