#!/bin/sh
# Installs what building, running and testing need on Debian (bookworm).
# Run as root, or it uses sudo.
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
    build-essential pkg-config ca-certificates curl \
    libmicrohttpd-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev \
    libjansson-dev zlib1g-dev libminizip-dev \
    zip unzip python3 python3-feedparser openssl wrk time bc
# The web page's browser test (tests/e2e_web.sh): Debian's Chromium, driven
# by playwright-core from npm (tests/web/package-lock.json pins it, with
# ical.js and html-validate); no browser download of its own. The API's
# contract test (tests/e2e_openapi.sh) takes @redocly/cli, @stoplight/
# prism-http and yaml from the same package-lock.json. Node.js and
# npm come with the machine image here (nodesource's nodejs bundles npm,
# which Debian's npm package would conflict with): Debian's only if absent.
$SUDO apt-get install -y -q --no-install-recommends chromium
if ! command -v npm >/dev/null 2>&1; then
    $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
(cd "$(dirname "$0")/../tests/web" && npm ci --no-audit --no-fund --loglevel=error)
