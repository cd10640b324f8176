#!/usr/bin/env python3
"""A hostile HTTP server for registry tests, on 127.0.0.1 only.

    hostile-server.py --root DIR --port-file FILE --log FILE

Serves files under --root; logs "GET PATH status=CODE" per request. Paths
that attack the client:

    /bomb/N.toml    a registry with 50 new includes (/bomb/N-0.toml ...),
                    four levels deep (well within the depth limit):
                    6 million documents
    /bigheader/X    a 200 answer with a 1 MiB response header
"""

import argparse
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, headers=()):
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write("GET %s status=%d\n" % (self.path, code))
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a hostile answer

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/bomb/"):
            stem = path[len("/bomb/"):-len(".toml")]
            body = "# a registry\n"
            if stem.count("-") < 4:
                body += "".join('[[includes]]\nurl = "%s-%d.toml"\n'
                                % (stem, i) for i in range(50))
            return self.answer(200, body.encode())
        if path.startswith("/bigheader/"):
            return self.answer(200, b"x", [("X-Filler", "a" * (1 << 20))])
        full = os.path.realpath(os.path.join(ARGS.root, path.lstrip("/")))
        if not full.startswith(os.path.realpath(ARGS.root) + "/") or \
                not os.path.isfile(full):
            return self.answer(404, b"not found\n")
        with open(full, "rb") as f:
            return self.answer(200, f.read())


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
