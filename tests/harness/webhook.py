#!/usr/bin/python3
"""Webhook receiver harness for tagdrift tests (Python 3 stdlib only).

A loopback HTTP server that records every POST it receives and answers as
the test tells it to, so that black-box tests can watch tagdrift deliver
alerts through a receiver that works, fails, hangs, drops connections or
is not listening at all. Talks to nothing but 127.0.0.1.

Commands (DIR is the receiver's own directory):

  webhook.py start DIR [--owner PID] [--secret-file F] [--max-lifetime S]
      Starts the receiver on a free 127.0.0.1 port and prints
      127.0.0.1:PORT once it accepts connections. A server process owns
      the socket; it stops by itself when --owner PID is gone (pass $$)
      or after --max-lifetime seconds (default 900, 0 = never). With
      --secret-file, X-Tagdrift-Signature is checked against the HMAC-SHA256
      of the body under the file's bytes (one trailing newline, \\n or
      \\r\\n, is not part of the secret). Refuses to start twice on a DIR.

  webhook.py mode DIR ok
  webhook.py mode DIR status N [--count K] [--retry-after S] [--body-bytes B]
  webhook.py mode DIR hang [--count K]
  webhook.py mode DIR close [--count K]
      Changes how the next requests are answered: ok (200, the default);
      status N (answer N, with Retry-After: S when given, the body padded
      to B bytes with --body-bytes); hang (read the
      request, record it, never answer; the connection stays open until
      the client gives up or the receiver stops); close (read the request,
      record it, close the connection without a response). With --count K
      only the next K requests, then back to ok. Returns once the server
      has taken the change.

  webhook.py down DIR / webhook.py up DIR
      Close the listening socket (new connections are refused; requests
      already in progress go on) and open it again on the same port.

  webhook.py wait DIR N [--timeout S]
      Waits until N requests are recorded (default timeout 10 s); exit 1
      and the count on stderr if they are not.

  webhook.py stop DIR
      Stops the receiver (TERM, KILL after 3 s); idempotent.

Files in DIR: received.jsonl (one JSON object per POST, in arrival order:
seq, time (RFC 3339 UTC, milliseconds), t (epoch seconds), method, path,
headers (names lower-cased; a repeated header keeps the last value), body
(UTF-8 text, invalid bytes replaced), body_bytes, signature (the header's
value or null), verified (true or false when a secret is set, null when
not), status (the status answered, null for hang or close), outcome
("answered", "hang" or "close")); webhook.port, webhook.pid, webhook.log,
control.json (what mode/down/up asked), applied (the last change taken),
webhook.exit (why the server stopped).

Requests other than POST get 405 and are not recorded. A POST body is read
by Content-Length or chunked, up to 16 MiB (past that: 413, recorded).
"""

import argparse
import datetime
import hashlib
import hmac
import http.server
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from harnesslib import HarnessError, die, pid_alive, pid_serves, read_int

START_TIMEOUT = 10.0
STOP_GRACE = 3.0
CONTROL_POLL = 0.02
MAX_BODY = 16 * 1024 * 1024


def pid_serves_dir(pid, d):
    """pid is this program serving DIR d (not a recycled pid)."""
    return pid_serves(pid, b"_serve", d)


def paths(d):
    return {k: os.path.join(d, v) for k, v in (
        ("port", "webhook.port"), ("pid", "webhook.pid"),
        ("log", "webhook.log"), ("control", "control.json"),
        ("applied", "applied"), ("received", "received.jsonl"),
        ("exit", "webhook.exit"))}


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def now_rfc3339():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
        t.microsecond // 1000)


def read_secret(path):
    with open(path, "rb") as f:
        s = f.read()
    if s.endswith(b"\r\n"):
        return s[:-2]
    if s.endswith(b"\n"):
        return s[:-1]
    return s


# ------------------------------------------------------------------ server

class Behaviour:
    """What the next requests get; changed by control.json generations."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "ok"
        self.status = 200
        self.count = -1         # requests left in this mode; -1: no limit
        self.retry_after = None
        self.body_bytes = 0

    def set(self, c):
        with self.lock:
            self.mode = c.get("mode", "ok")
            self.status = int(c.get("status") or 200)
            self.count = int(c.get("count", -1))
            self.retry_after = c.get("retry_after")
            self.body_bytes = int(c.get("body_bytes") or 0)

    def take(self):
        """The (mode, status, retry_after, body_bytes) for one request."""
        with self.lock:
            if self.mode == "ok" or self.count == 0:
                return "ok", 200, None, 0
            if self.count > 0:
                self.count -= 1
            return (self.mode, self.status, self.retry_after,
                    self.body_bytes)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        """The body, or None when it is over MAX_BODY."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    return None
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            return None
        return self.rfile.read(n) if n > 0 else b""

    def verify(self, body):
        secret = self.server.secret
        if secret is None:
            return None
        sig = self.headers.get("X-Tagdrift-Signature")
        if sig is None or body is None:
            return False
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(sig.encode("utf-8", "replace"),
                                   want.encode())

    def record(self, body, status, outcome):
        st = self.server.state
        with st.lock:
            st.seq += 1
            line = json.dumps({
                "seq": st.seq, "time": now_rfc3339(), "t": time.time(),
                "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": (body or b"").decode("utf-8", "replace"),
                "body_bytes": len(body) if body is not None else None,
                "signature": self.headers.get("X-Tagdrift-Signature"),
                "verified": self.verify(body),
                "status": status, "outcome": outcome}, sort_keys=True)
            st.received.write(line + "\n")
            st.received.flush()

    def answer(self, status, extra=None, body_bytes=0):
        body = json.dumps({"status": status}).encode() + b"\n"
        if body_bytes > len(body):
            body += b" " * (body_bytes - len(body))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def hang(self):
        """Never answer: wait for the client to hang up or the end."""
        sock = self.connection
        while not self.server.state.stopping.is_set():
            r, _, _ = select.select([sock], [], [], 0.1)
            if r:
                try:
                    if not sock.recv(4096):
                        break
                except OSError:
                    break
        self.close_connection = True

    def do_POST(self):
        body = self.read_body()
        if body is None:
            self.record(None, 413, "answered")
            self.close_connection = True
            return self.answer(413)
        mode, status, retry_after, body_bytes = \
            self.server.state.behaviour.take()
        if mode == "hang":
            self.record(body, None, "hang")
            return self.hang()
        if mode == "close":
            self.record(body, None, "close")
            self.close_connection = True
            return None
        extra = {}
        if mode == "status" and retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        self.record(body, status, "answered")
        return self.answer(status, extra, body_bytes)

    def not_allowed(self):
        self.answer(405, {"Allow": "POST"})

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = not_allowed


class State:
    def __init__(self, d, args):
        self.dir = d
        self.p = paths(d)
        self.lock = threading.Lock()
        self.seq = 0
        self.received = open(self.p["received"], "a")
        self.behaviour = Behaviour()
        self.stopping = threading.Event()
        self.secret = read_secret(args.secret_file) if args.secret_file \
            else None
        self.port = 0
        self.server = None
        self.thread = None
        self.gen = 0

    def listen(self):
        srv = Server(("127.0.0.1", self.port), Receiver)
        srv.state = self
        srv.secret = self.secret
        self.port = srv.server_address[1]
        self.server = srv
        self.thread = threading.Thread(target=srv.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def unlisten(self):
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def apply(self):
        """Take a new control.json generation, if there is one."""
        try:
            with open(self.p["control"]) as f:
                c = json.load(f)
        except (OSError, ValueError):
            return
        if int(c.get("gen", 0)) <= self.gen:
            return
        if int(c.get("mode_gen", 0)) > self.gen:
            self.behaviour.set(c)
        if c.get("listening", True) and self.server is None:
            self.listen()
        elif not c.get("listening", True):
            self.unlisten()
        self.gen = int(c["gen"])
        write_atomic(self.p["applied"], "%d\n" % self.gen)


def cmd_serve(args):
    d = args.dir
    st = State(d, args)
    stopping = []
    signal.signal(signal.SIGTERM, lambda s, f: stopping.append(s))
    signal.signal(signal.SIGINT, lambda s, f: stopping.append(s))
    signal.signal(signal.SIGHUP, lambda s, f: stopping.append(s))
    st.listen()
    write_atomic(st.p["pid"], "%d\n" % os.getpid())
    write_atomic(st.p["port"], "%d\n" % st.port)
    t0 = time.monotonic()
    reason = None
    while reason is None:
        time.sleep(CONTROL_POLL)
        st.apply()
        if stopping:
            reason = "signal %d" % stopping[0]
        elif args.owner and not pid_alive(args.owner):
            reason = "owner pid %d gone" % args.owner
        elif args.max_lifetime and \
                time.monotonic() - t0 > args.max_lifetime:
            reason = "max lifetime %ds reached" % args.max_lifetime
    st.stopping.set()
    st.unlisten()
    write_atomic(st.p["exit"], "0 %s\n" % reason)
    st.received.close()
    return 0


# ----------------------------------------------------------------- clients

def stop_dir(d):
    p = paths(d)
    pid = read_int(p["pid"])
    if pid_serves_dir(pid, d):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.02)
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline and pid_alive(pid):
                time.sleep(0.02)
    try:
        os.unlink(p["pid"])
    except FileNotFoundError:
        pass


def connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def cmd_start(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    p = paths(d)
    if pid_serves_dir(read_int(p["pid"]), d):
        die("a receiver is already running for %s; stop it first" % d)
    if args.secret_file:
        read_secret(args.secret_file)       # fail here, not in the server
    for k in ("port", "pid", "exit", "control", "applied"):
        try:
            os.unlink(p[k])
        except FileNotFoundError:
            pass
    argv = [sys.executable, os.path.abspath(__file__), "_serve", d,
            "--owner", str(args.owner or 0),
            "--max-lifetime", str(args.max_lifetime)]
    if args.secret_file:
        argv += ["--secret-file", os.path.abspath(args.secret_file)]
    with open(p["log"], "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        port = read_int(p["port"])
        if port and read_int(p["pid"]) == proc.pid and connects(port):
            print("127.0.0.1:%d" % port)
            return 0
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    stop_dir(d)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    try:
        with open(p["log"], errors="replace") as f:
            tail = "".join(f.readlines()[-15:])
    except OSError:
        tail = ""
    die("receiver did not start; log %s:\n%s" % (p["log"], tail))


def control(d, **change):
    """Write the next control.json generation and wait until it is taken."""
    p = paths(d)
    if not pid_serves_dir(read_int(p["pid"]), d):
        die("no receiver running for %s" % d)
    try:
        with open(p["control"]) as f:
            c = json.load(f)
    except (OSError, ValueError):
        c = {"gen": read_int(p["applied"]) or 0, "listening": True}
    c.update(change)
    c["gen"] = int(c.get("gen", 0)) + 1
    if "mode" in change:
        c["mode_gen"] = c["gen"]
    write_atomic(p["control"], json.dumps(c))
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        if (read_int(p["applied"]) or 0) >= c["gen"]:
            return 0
        time.sleep(0.01)
    die("the receiver did not take the change within 5 s")


def cmd_mode(args):
    d = os.path.abspath(args.dir)
    if args.mode == "status":
        if args.status is None or not 100 <= args.status <= 599:
            die("mode status needs a status code 100-599")
    elif args.status is not None:
        die("only mode status takes a status code")
    if args.retry_after is not None and args.mode != "status":
        die("--retry-after goes with mode status")
    if args.body_bytes is not None and args.mode != "status":
        die("--body-bytes goes with mode status")
    if args.count is not None and args.count < 1:
        die("--count must be 1 or more")
    return control(d, mode=args.mode, status=args.status,
                   count=args.count if args.count is not None else -1,
                   retry_after=args.retry_after,
                   body_bytes=args.body_bytes or 0)


def cmd_down(args):
    return control(os.path.abspath(args.dir), listening=False)


def cmd_up(args):
    d = os.path.abspath(args.dir)
    control(d, listening=True)
    port = read_int(paths(d)["port"])
    if not connects(port):
        die("port %d does not accept connections after up" % port)
    return 0


def count_received(d):
    try:
        with open(paths(d)["received"], "rb") as f:
            return sum(1 for line in f if line.endswith(b"\n"))
    except FileNotFoundError:
        return 0


def cmd_wait(args):
    d = os.path.abspath(args.dir)
    deadline = time.monotonic() + args.timeout
    while True:
        n = count_received(d)
        if n >= args.n:
            return 0
        if time.monotonic() >= deadline:
            die("%d of %d requests after %gs" % (n, args.n, args.timeout))
        time.sleep(0.02)


def cmd_stop(args):
    stop_dir(os.path.abspath(args.dir))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="webhook.py",
                                 description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("start", help="start a receiver for DIR")
    s.add_argument("dir")
    s.add_argument("--owner", type=int, default=0,
                   help="stop the receiver when this pid is gone")
    s.add_argument("--secret-file",
                   help="verify X-Tagdrift-Signature with this secret")
    s.add_argument("--max-lifetime", type=int, default=900,
                   help="stop after this many seconds (0: no cap)")
    s.set_defaults(fn=cmd_start)

    s = sub.add_parser("_serve")
    s.add_argument("dir")
    s.add_argument("--owner", type=int, default=0)
    s.add_argument("--secret-file")
    s.add_argument("--max-lifetime", type=int, default=0)
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("mode", help="change how requests are answered")
    s.add_argument("dir")
    s.add_argument("mode", choices=("ok", "status", "hang", "close"))
    s.add_argument("status", type=int, nargs="?")
    s.add_argument("--count", type=int,
                   help="only the next K requests, then ok")
    s.add_argument("--retry-after", help="Retry-After value (status mode)")
    s.add_argument("--body-bytes", type=int,
                   help="pad the answer's body to B bytes (status mode)")
    s.set_defaults(fn=cmd_mode)

    s = sub.add_parser("down", help="close the listening socket")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_down)

    s = sub.add_parser("up", help="listen again on the same port")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_up)

    s = sub.add_parser("wait", help="wait until N requests are recorded")
    s.add_argument("dir")
    s.add_argument("n", type=int)
    s.add_argument("--timeout", type=float, default=10.0)
    s.set_defaults(fn=cmd_wait)

    s = sub.add_parser("stop", help="stop the receiver (idempotent)")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_stop)

    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except HarnessError as e:
        sys.stderr.write("webhook.py %s: %s\n" % (args.cmd, e))
        return 1
    except OSError as e:
        sys.stderr.write("webhook.py %s: %s\n" % (args.cmd, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
