#!/usr/bin/env python3
"""A local HTTP server for download tests (Python standard library only).

Serves files from --root on 127.0.0.1, on a free port written to
--port-file, and logs one line per request to --log, when the answer starts:

    METHOD PATH?QUERY range=<Range header or -> status=<code> if-range=<If-Range or ->

plus "dropped PATH?QUERY after N bytes" for cut connections.
The query string of a request picks a behaviour (several may combine):

    status=CODE     answer CODE with a short body (e.g. 404)
    fail=N          answer 503 to the first N requests of this URL
    fail_status=C   with fail=N: answer C instead of 503 (e.g. 429)
    retry_after=S   with fail=N: send "Retry-After: S" (default 0)
    retry_after_date=S  with fail=N: send Retry-After as the HTTP-date S
                    seconds from now
    norange=1       ignore Range headers (always 200 and the whole file)
    drop=BYTES      on the first request of this URL, send the headers of
                    the whole answer, BYTES bytes of body, then close
    corrupt=1       serve the file with its bytes flipped (wrong checksum)
    rate=BPS        send at about BPS bytes per second
    key=K           only makes URLs distinct (separate counters)
    etag=E          the file's ETag is "E" (default: from its size and mtime)
    redirect=URL    answer 302 with Location: URL
    then=FILE       from the second request of this URL on, serve FILE (under
                    --root) instead: another version of the file, with its
                    own ETag and Last-Modified
    ignore_if_range=1  answer a Range even when its If-Range names another
                    version (206 from the file as it is now)
    drop_validators=1  from the second request of this URL on, send
                    neither ETag nor Last-Modified
    endless=1       200 with a chunked body that never ends (no
                    Content-Length) until the client closes
    length=N        announce Content-Length: N whatever the body holds, send
                    the whole body, then close

Files are served with ETag and Last-Modified; a Range with an If-Range
that names neither is ignored (200 and the whole file), as RFC 9110 says.

Counters are per PATH?QUERY and live as long as the server.
"""

import argparse
import email.utils
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()
ARGS = None


def bump(url):
    with LOCK:
        COUNTS[url] = COUNTS.get(url, 0) + 1
        return COUNTS[url]


def log_line(text):
    with LOCK:
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(text + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the log file is the record
        pass

    def logged(self, code):
        # Logged when the answer starts, so a slow body is already counted.
        log_line("%s %s range=%s status=%s if-range=%s" % (
            self.command, self.path, self.headers.get("Range", "-"), code,
            self.headers.get("If-Range", "-")))

    def answer(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.logged(code)
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.serve()

    def serve(self):
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        n = bump(self.path)
        if "redirect" in q:
            return self.answer(302, b"moved\n", {"Location": q["redirect"]})
        if "status" in q:
            code = int(q["status"])
            return self.answer(code, b"status %d\n" % code)
        if n <= int(q.get("fail", "0")):
            code = int(q.get("fail_status", "503"))
            after = q.get("retry_after", "0")
            if "retry_after_date" in q:
                after = email.utils.formatdate(
                    time.time() + int(q["retry_after_date"]), usegmt=True)
            return self.answer(code, b"try again\n", {"Retry-After": after})
        if q.get("endless"):
            return self.endless()
        rel = urllib.parse.unquote(url.path).lstrip("/")
        if "then" in q and n > 1 + int(q.get("fail", "0")):
            rel = q["then"]
        path = os.path.realpath(os.path.join(ARGS.root, rel))
        if not path.startswith(os.path.realpath(ARGS.root) + os.sep) or \
                not os.path.isfile(path):
            return self.answer(404, b"not found\n")
        with open(path, "rb") as f:
            data = f.read()
        st = os.stat(path)
        etag = '"%s"' % q.get("etag", "%x-%x" % (st.st_size, st.st_mtime_ns))
        modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        if q.get("corrupt"):
            data = bytes(b ^ 0xFF for b in data)
        start, code = 0, 200
        headers = {"ETag": etag, "Last-Modified": modified}
        if q.get("drop_validators") and n > 1 + int(q.get("fail", "0")):
            headers = {}
        rng = self.headers.get("Range")
        if self.headers.get("If-Range", etag) not in (etag, modified) \
                and not q.get("ignore_if_range"):
            rng = None  # the file changed since the part was fetched
        if rng and not q.get("norange") and rng.startswith("bytes="):
            first, _, last = rng[6:].partition("-")
            start = int(first or 0)
            end = int(last) if last else len(data) - 1
            if start >= len(data):
                return self.answer(416, b"", {
                    "Content-Range": "bytes */%d" % len(data)})
            end = min(end, len(data) - 1)
            headers["Content-Range"] = "bytes %d-%d/%d" % (
                start, end, len(data))
            data = data[start:end + 1]
            code = 206
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", q.get("length", str(len(data))))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.logged(code)
        if self.command == "HEAD":
            return
        limit = len(data)
        if "drop" in q and n == 1 + int(q.get("fail", "0")):
            limit = min(limit, int(q["drop"]))
        rate = int(q.get("rate", "0"))
        chunk = 65536 if not rate else max(1024, rate // 20)
        sent = 0
        try:
            while sent < limit:
                piece = data[sent:min(limit, sent + chunk)]
                self.wfile.write(piece)
                self.wfile.flush()
                sent += len(piece)
                if rate:
                    time.sleep(len(piece) / rate)
        except (BrokenPipeError, ConnectionResetError):
            return
        if limit < len(data) or "length" in q:
            if limit < len(data):
                log_line("dropped %s after %d bytes" % (self.path, limit))
            self.close_connection = True
            self.connection.shutdown(2)


    def endless(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.logged(200)
        if self.command == "HEAD":
            return
        piece = os.urandom(65536)
        chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
        sent = 0
        try:
            while True:
                self.wfile.write(chunk)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            log_line("endless %s closed by the client after %d bytes" % (
                self.path, sent))
        self.close_connection = True


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    ARGS = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
