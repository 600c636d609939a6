#!/usr/bin/python3
"""hostile_http.py — a tracker that misbehaves, for tests/t82-hostile-tracker.sh.

Answers every request (any method, any path) in one of these ways, chosen
with --mode; stdlib only, loopback only, every loop bounded:
  huge       200 JSON that never ends (streams up to --max-bytes, 64 MiB)
  gzipbomb   200 gzip-encoded JSON: 1 KiB on the wire, 100 MiB unpacked
  trickle    200 headers, then one byte every 0.5 s (up to 60 s)
  stall      accepts the connection and says nothing (up to 60 s)
  garbage    200 application/json with an HTML page as the body
  deep       200 JSON nested 200,000 levels deep
  wrongtype  200 JSON of the wrong shapes (strings for numbers, null lists)
  headers    200 with 5,000 headers and a 200 KiB header line
  badunicode 200 JSON with a lone surrogate escape
  badstatus  a status line that is not HTTP
  redirect   302 to file:///etc/passwd
  empty      a well-behaved empty answer: 200 [] (for the TLS checks)
--tls-cert/--tls-key serve HTTPS.
Writes its port to --port-file and the request lines it saw to stderr.
"""
import argparse
import gzip
import socket
import socketserver
import sys
import threading
import time

MODES = ("huge", "gzipbomb", "trickle", "stall", "garbage", "deep", "wrongtype", "badunicode",
         "headers", "badstatus", "redirect", "empty")


class Handler(socketserver.StreamRequestHandler):
    def read_request(self):
        line = self.rfile.readline(65536)
        length = 0
        while True:
            h = self.rfile.readline(65536)
            if not h or h in (b"\r\n", b"\n"):
                break
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":", 1)[1].strip() or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        sys.stderr.write(line.decode("latin-1"))
        sys.stderr.flush()
        return line

    def send(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            return False

    def handle(self):
        self.connection.settimeout(70)
        if not self.read_request():
            return
        mode = self.server.mode
        json_head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\n")
        if mode == "huge":
            self.send(json_head + b"\r\n[")
            chunk = b'{"number": 1, "title": "x", "body": "' + b"A" * 65000 + b'"},'
            sent = 0
            while sent < self.server.max_bytes and self.send(chunk):
                sent += len(chunk)
        elif mode == "gzipbomb":
            body = gzip.compress(b"[" + b" " * (100 << 20) + b"]", 9)
            self.send(json_head + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                      % len(body) + body)
        elif mode == "trickle":
            self.send(json_head + b"\r\n")
            end = time.time() + 60
            while time.time() < end and self.send(b" "):
                time.sleep(0.5)
        elif mode == "stall":
            end = time.time() + 60
            while time.time() < end:
                try:
                    if not self.connection.recv(1, socket.MSG_DONTWAIT):
                        break
                except BlockingIOError:
                    pass
                except OSError:
                    break
                time.sleep(0.2)
        elif mode == "garbage":
            body = b"<html><body><h1>502 Bad Gateway</h1>" + b"<p>oops</p>" * 100 + b"</html>"
            self.send(json_head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif mode == "deep":
            body = b"[" * 200000 + b"]" * 200000
            self.send(json_head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif mode == "wrongtype":
            body = (b'[{"number": "seven", "title": 12, "body": ["x"], "state": null, '
                    b'"labels": "bug", "assignees": {"a": 1}, "html_url": 3, '
                    b'"updated_at": false}, 17, null, "str", {"number": -1}, '
                    b'{"number": 1e300, "title": "big"}, '
                    b'{"number": 9223372036854775807, "title": "t", "body": "closeloop:x.1"}]')
            self.send(json_head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif mode == "badunicode":
            body = b'[{"number": 1, "title": "\\ud800", "body": ""}]'
            self.send(json_head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif mode == "headers":
            h = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"y" * 40) for i in range(5000))
            h += b"X-Long: " + b"z" * (200 << 10) + b"\r\n"
            self.send(json_head + h + b"Content-Length: 2\r\n\r\n[]")
        elif mode == "badstatus":
            self.send(b"SMTP/9.9 banana\r\n\r\n[]")
        elif mode == "empty":
            self.send(json_head + b"Content-Length: 2\r\n\r\n[]")
        elif mode == "redirect":
            self.send(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\n"
                      b"Content-Length: 0\r\nConnection: close\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=MODES, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--max-bytes", type=int, default=64 << 20)
    ap.add_argument("--max-seconds", type=int, default=300)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.mode = a.mode
    srv.max_bytes = a.max_bytes
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    threading.Timer(a.max_seconds, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
