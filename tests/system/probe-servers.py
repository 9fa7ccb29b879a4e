#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The servers test-probe-run.sh probes, on 127.0.0.1 (inside the test's netns):
#   probe-servers.py BASE [CERT KEY]
#   BASE+0  200, the body echoes the request's headers
#   BASE+1  503 with a body
#   BASE+2  302 to 192.0.2.1 (TEST-NET-1): a followed redirect would hang
#   BASE+3  accepts, reads, never answers
#   BASE+4  200, then body bytes forever
#   BASE+5  like BASE+0 over TLS with CERT/KEY (self-signed)
#   BASE+6  a full accept queue (backlog 0, filled, never accepted): a
#           connect there hangs, as the kernel drops the SYNs
# Prints "ready" once all listen.
import http.server
import socket
import socketserver
import ssl
import sys
import threading
import time

base = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_body(self, code, body, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        port = self.server.server_address[1] - base
        if port in (0, 5):
            body = ("path=%s\n" % self.path + "".join("%s: %s\n" % kv for kv in self.headers.items())).encode()
            self.send_body(200, body)
        elif port == 1:
            self.send_body(503, b"unavailable\n")
        elif port == 2:
            self.send_body(302, b"moved\n", [("Location", "http://192.0.2.1:9/")])
        elif port == 4:
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 4096
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def silent():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", base + 3))
    s.listen(16)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)


def full():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", base + 6))
    s.listen(0)
    held = []
    for _ in range(2):
        c = socket.socket()
        c.settimeout(0.5)
        try:
            c.connect(("127.0.0.1", base + 6))
        except OSError:
            pass
        held.append(c)
    return s, held


queue = full()
servers = [Server(("127.0.0.1", base + i), Handler) for i in (0, 1, 2, 4)]
if len(sys.argv) > 3:
    tls = Server(("127.0.0.1", base + 5), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    servers.append(tls)
for srv in servers:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
threading.Thread(target=silent, daemon=True).start()
time.sleep(0.2)
print("ready", flush=True)
while True:
    time.sleep(3600)
