#!/usr/bin/env python3
"""A tiny SMTP sink for the alerts test: answers HELO/EHLO, MAIL, RCPT, DATA, QUIT, and stores
each message in DIR as N.eml: the envelope (HELO, MAIL, RCPT lines), an empty line, the DATA
bytes exactly as received (dot-stuffing undone, the final dot line removed).
Usage: sink.py ADDR PORT DIR"""
import os
import socketserver
import sys

ADDR, PORT, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
COUNT = [0]


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        env = []
        self.reply("220 sink ready")
        while True:
            line = self.rfile.readline(1024)
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode(errors="replace")
            verb = cmd[:4].upper()
            if verb in ("HELO", "EHLO", "MAIL", "RCPT"):
                env.append(cmd)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while True:
                    l = self.rfile.readline(4096)
                    if not l or l == b".\r\n":
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    data += l
                COUNT[0] += 1
                path = os.path.join(DIR, "%04d.eml" % COUNT[0])
                with open(path + ".tmp", "wb") as f:
                    f.write("\r\n".join(env).encode() + b"\r\n\r\n" + data)
                os.rename(path + ".tmp", path)
                env = [e for e in env if e[:4].upper() in ("HELO", "EHLO")]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 unknown")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that resets its connection (keepalived exiting mid-session) is no error.
        pass


with Server((ADDR, PORT), Handler) as s:
    open(os.path.join(DIR, "ready"), "w").close()
    s.serve_forever()
