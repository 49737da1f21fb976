#!/bin/sh
# Turn a text file (stdin) into a C string constant named $1, so the schema
# ships inside the binaries. Portable: od + sed, no xxd needed.
name=$1
printf 'const char %s[] = {\n' "$name"
od -An -v -tx1 | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\n'
