#!/usr/bin/env python3
"""A stand-in for the ANS download server, on 127.0.0.1 only, for the
importer's end-to-end tests: serves the generated zips under the ANS paths
with a Content-Disposition file name (as ANS does), answers HEAD, a 500 under
/error500/ and 404 elsewhere. Usage: http_fixture.py DIR PORT_FILE
[CERT KEY] -- with CERT and KEY it speaks TLS. Writes its port to PORT_FILE.
The stamp it announces is DIR/.stamp if present, else the zip's own.

And a hostile or broken server, for the download limits:
  /slow/<ANS path>   the same zip, at about 2 KiB/s (just over curl's
                     1 KiB/s stall limit), with its Content-Length
  /nolength/<MB>     MB MiB of a zip-looking body without Content-Length
                     (ended by closing the connection); logs how much it
                     could send: "nolength: sent N bytes"
  /biglength/        announces a 3 GiB Content-Length, sends 4 KiB, closes
  /redirect?to=URL   302 to URL
  /delay/<S>/<path>  <path>, answered after S seconds
  /html/<path>       an HTML maintenance page with status 200 (ANS's, on a
                     bad day)
  /truncated/<path>  the first half of <path>'s file, its Content-Length
                     saying so (a file cut short at the source)
  /badcrc/<path>     <path>'s zip with every member's CRC-32 wrong (in its
                     local header and the central directory alike, so the
                     zip opens and its data inflates: only reading a
                     member to its end tells)

And the data.gouv.fr mirror, serving the generated texts decompressed:
  /mirror/<kind>     (activite, savoirfaire, diplome, mssante) 302 to
  /static/<name>     the kind's .txt under a name without its extract or
                     date (ps-libreacces-personne-activite.txt...), no
                     Content-Disposition, with Last-Modified (the file's
                     mtime) and an ETag (size and mtime, as nginx makes
                     it); a HEAD or GET whose If-None-Match is that ETag
                     gets 304, unless the query has no304."""
import email.utils
import glob
import http.server
import io
import os
import ssl
import struct
import sys
import time
import urllib.parse
import zipfile

root, port_file = sys.argv[1], sys.argv[2]
PREFIXES = {"/extraction/PS_LibreAcces": "PS_LibreAcces_",
            "/extraction/Extraction_Correspondance_MSSante":
            "Extraction_Correspondance_MSSante_"}


MIRROR = {"activite": ("PS_LibreAcces_Personne_activite_",
                        "ps-libreacces-personne-activite.txt"),
          "savoirfaire": ("PS_LibreAcces_SavoirFaire_",
                          "ps-libreacces-savoirfaire.txt"),
          "diplome": ("PS_LibreAcces_Dipl_AutExerc_",
                      "ps-libreacces-dipl-autexerc.txt"),
          "mssante": ("Extraction_Correspondance_MSSante_",
                      "extraction-correspondance-mssante.txt")}


def bad_crc(data):
    """The zip's bytes with every member's CRC-32 inverted."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        at = zf.start_dir
        infos = zf.infolist()
    for info in infos:
        # The local header's CRC (offset 14), unless a data descriptor
        # after the data holds it (flag bit 3: the local one is zero).
        if not info.flag_bits & 8:
            o = info.header_offset + 14
            buf[o:o + 4] = struct.pack("<I", info.CRC ^ 0xFFFFFFFF)
    for _ in infos:
        assert buf[at:at + 4] == b"PK\x01\x02"
        crc, = struct.unpack_from("<I", buf, at + 16)
        buf[at + 16:at + 20] = struct.pack("<I", crc ^ 0xFFFFFFFF)
        n, m, k = struct.unpack_from("<HHH", buf, at + 28)
        at += 46 + n + m + k
    return bytes(buf)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def find(self):
        prefix = PREFIXES.get(self.path.split("?")[0])
        if not prefix:
            return None, None
        zips = sorted(z for z in glob.glob(os.path.join(root, prefix + "*.zip"))
                      if os.path.basename(z)[len(prefix):len(prefix) + 1].isdigit())
        if not zips:
            return None, None
        path = zips[-1]
        name = os.path.basename(path)
        stamp_file = os.path.join(root, ".stamp")
        if os.path.exists(stamp_file):
            name = prefix + open(stamp_file).read().strip() + ".zip"
        return path, name

    def hostile(self, body):
        """The hostile answers; True if the path was one."""
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/redirect":
            to = urllib.parse.parse_qs(url.query).get("to", ["/"])[0]
            self.send_response(302)
            self.send_header("Location", to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if url.path.startswith("/nolength/"):
            mb = int(url.path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            sent = 0
            if body:
                chunk = b"PK\x03\x04" + b"\0" * ((1 << 16) - 4)
                try:
                    while sent < mb << 20:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except OSError:
                    pass
                sys.stderr.write("nolength: sent %d bytes\n" % sent)
                sys.stderr.flush()
            return True
        if url.path == "/biglength/":
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(3 << 30))
            self.end_headers()
            self.close_connection = True
            if body:
                try:
                    self.wfile.write(b"PK\x03\x04" + b"\0" * 4092)
                except OSError:
                    pass
            return True
        return False

    def mirror(self, body, truncated):
        """The mirror's answers; True if the path was one."""
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        if url.path.startswith("/mirror/") and parts[2] in MIRROR:
            self.send_response(302)
            self.send_header("Location", "/static/" + MIRROR[parts[2]][1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if not url.path.startswith("/static/"):
            return False
        names = [k for k, v in MIRROR.items() if v[1] == parts[2]]
        files = sorted(glob.glob(os.path.join(
            root, MIRROR[names[0]][0] + "[0-9]*.txt"))) if names else []
        if not files:
            self.send_error(404)
            return True
        st = os.stat(files[-1])
        etag = '"%x-%x"' % (st.st_size, st.st_mtime_ns)
        if (self.headers.get("If-None-Match") == etag
                and "no304" not in url.query):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return True
        size = st.st_size // 2 if truncated else st.st_size
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.send_header("Last-Modified",
                         email.utils.formatdate(st.st_mtime, usegmt=True))
        self.send_header("ETag", etag)
        self.end_headers()
        if body:
            with open(files[-1], "rb") as f:
                try:
                    self.wfile.write(f.read(size))
                except OSError:
                    pass
        return True

    def answer(self, body):
        if self.path.startswith("/error500/"):
            self.send_error(500)
            return
        if self.path.startswith("/html/"):
            page = (b"<!DOCTYPE html><html><head><title>Maintenance</title>"
                    b"</head><body>Service en maintenance</body></html>\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            if body:
                self.wfile.write(page)
            return
        if self.hostile(body):
            return
        truncated = self.path.startswith("/truncated/")
        if truncated:
            self.path = self.path[len("/truncated"):]
        if self.mirror(body, truncated):
            return
        if self.path.startswith("/delay/"):
            parts = self.path.split("/", 3)
            time.sleep(float(parts[2]))
            self.path = "/" + parts[3]
        slow = self.path.startswith("/slow/")
        if slow:
            self.path = self.path[len("/slow"):]
        badcrc = self.path.startswith("/badcrc/")
        if badcrc:
            self.path = self.path[len("/badcrc"):]
        path, name = self.find()
        if not path:
            self.send_error(404)
            return
        if badcrc:
            with open(path, "rb") as f:
                data = bad_crc(f.read())
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Disposition",
                             "attachment; filename=" + name)
            self.end_headers()
            if body:
                self.wfile.write(data)
            return
        size = os.path.getsize(path)
        if truncated:
            size //= 2
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Disposition", "attachment; filename=" + name)
        self.end_headers()
        if body:
            with open(path, "rb") as f:
                left = size
                while left > 0:
                    # 2 KiB/s when slow: 512 bytes every 0.25 s.
                    chunk = f.read(min(left, 512 if slow else 1 << 16))
                    left -= len(chunk)
                    if not chunk:
                        break
                    try:
                        self.wfile.write(chunk)
                        if slow:
                            self.wfile.flush()
                            time.sleep(0.25)
                    except OSError:
                        return

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
