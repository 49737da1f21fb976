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
    zip unzip python3 openssl wrk time bc
