#!/usr/bin/env python3
"""A stand-in for the ANS download server, on 127.0.0.1 only, for the
importer's end-to-end tests: serves the generated zips under the ANS paths
with a Content-Disposition file name (as ANS does), answers HEAD, a 500 under
/error500/ and 404 elsewhere. Usage: http_fixture.py DIR PORT_FILE
[CERT KEY] -- with CERT and KEY it speaks TLS. Writes its port to PORT_FILE.
The stamp it announces is DIR/.stamp if present, else the zip's own."""
import glob
import http.server
import os
import ssl
import sys

root, port_file = sys.argv[1], sys.argv[2]
PREFIXES = {"/extraction/PS_LibreAcces": "PS_LibreAcces_",
            "/extraction/Extraction_Correspondance_MSSante":
            "Extraction_Correspondance_MSSante_"}


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

    def answer(self, body):
        if self.path.startswith("/error500/"):
            self.send_error(500)
            return
        path, name = self.find()
        if not path:
            self.send_error(404)
            return
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Disposition", "attachment; filename=" + name)
        self.end_headers()
        if body:
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(1 << 16)
                    if not chunk:
                        break
                    self.wfile.write(chunk)

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
