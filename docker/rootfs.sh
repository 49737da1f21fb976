#!/bin/sh
# Builds the runtime image's whole file system in $1 (run in the Dockerfile's
# rootfs stage, a bookworm-slim with the runtime packages installed): the two
# programs and the few commands the entrypoint uses, each with the shared
# libraries ldd finds, the CA bundle, the time zones, the bundled data and the
# demo, a passwd with the one user. Nothing else: no package manager, no
# documentation, no perl. A library the programs gain later is picked up by
# ldd; a file they open at run time (not a library) must be listed here.
set -eu
R=$1
STAGING=${2:-/staging}
UID_=10001

# Debian's merged /usr: the top-level directories are links.
mkdir -p "$R/usr/bin" "$R/usr/lib" "$R/usr/lib64" "$R/usr/sbin" "$R/etc" \
    "$R/tmp" "$R/var/lib/rpps-search" "$R/var/tmp"
for d in bin lib lib64 sbin; do ln -s "usr/$d" "$R/$d"; done
chmod 1777 "$R/tmp" "$R/var/tmp"

# copy FILE: to the same canonical path under $R, links followed.
copy() {
    dst=$R$(readlink -f "$(dirname "$1")")/$(basename "$1")
    [ -e "$dst" ] && return 0
    mkdir -p "$(dirname "$dst")"
    cp -L "$1" "$dst"
}

# libs EXE...: every shared library EXE loads, the loader included.
libs() {
    for exe in "$@"; do
        # "libx.so.1 => /lib/.../libx.so.1 (0x...)" and "/lib64/ld-... (0x...)"
        ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// {print $3}
                          $1 ~ /^\// {print $1}' |
            while read -r lib; do copy "$lib"; done
    done
}

cp -a "$STAGING/usr/." "$R/usr/"
# The entrypoint's commands (POSIX sh, coreutils) and a few for whoever
# opens a shell in the container to look around.
CMDS="curl dash date od tr dirname id sleep mkdir cat ls cp mv rm du df"
for c in $CMDS; do copy "/usr/bin/$c"; done
libs "$R/usr/bin/rpps-import" "$R/usr/bin/rpps-server" "$R/usr/bin/tini"
for c in $CMDS; do libs "/usr/bin/$c"; done
ln -s dash "$R/usr/bin/sh"

# TLS: the system store as Debian lays it out: the bundle (libcurl's
# default) and the hashed directory (the importer adds it to the pinned
# IGC-Sante chain with CURLOPT_CAPATH), with what its links point to; and
# OpenSSL's configuration (OPENSSLDIR links).
mkdir -p "$R/etc/ssl" "$R/usr/share"
cp -a /etc/ssl/certs "$R/etc/ssl/"
cp -a /usr/share/ca-certificates "$R/usr/share/"
cp /etc/ssl/openssl.cnf "$R/etc/ssl/"
cp -a /usr/lib/ssl "$R/usr/lib/"
# Time zones for RPPS_REFRESH_AT (TZ=Europe/Paris, overseas departments).
mkdir -p "$R/usr/share/zoneinfo"
(cd /usr/share/zoneinfo && tar cf - --exclude=./right --exclude=./posix .) |
    (cd "$R/usr/share/zoneinfo" && tar xf -)
ln -s ../usr/share/zoneinfo/Etc/UTC "$R/etc/localtime"

cat >"$R/etc/passwd" <<EOF
root:x:0:0:root:/root:/usr/sbin/nologin
rpps:x:$UID_:$UID_:rpps-search:/var/lib/rpps-search:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$R/etc/group" <<EOF
root:x:0:
rpps:x:$UID_:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$R/etc/nsswitch.conf"
chown "$UID_:$UID_" "$R/var/lib/rpps-search"
cp -a /etc/ld.so.conf /etc/ld.so.conf.d "$R/etc/"
ldconfig -r "$R"
