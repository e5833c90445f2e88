#!/usr/bin/python3
"""Docker Hub-like token auth in front of a harness registry (stdlib only).

A small threaded HTTP server on a free 127.0.0.1 port that sits in front of
a registry started by registry.py (anonymous, no auth) and makes it behave
like Docker Hub's registry-1.docker.io with its auth.docker.io token
service, so tests can exercise the bearer challenge flow on loopback.
Talks to nothing but loopback. It is read-only: push images to the
backend address directly (registry.py push BACKEND ...).

Usage:

  authfront.py start DIR --backend ADDR [--owner PID] [--expires S]
                [--private REPO]... [--user U:P] [--service NAME]
                [--max-lifetime S] [--timeout S]
      Starts the front for the registry at ADDR (127.0.0.1:PORT as printed
      by `registry.py start`), waits until it answers and prints
      127.0.0.1:PORT. Refuses to start twice on one DIR. The server stops
      by itself when --owner PID is gone (pass $$ so a test killed by
      SIGKILL leaks nothing) or after --max-lifetime seconds (default 900,
      0 = never). On failure it prints the error log, leaves nothing
      running and exits 1. The password of --user reaches the server
      through its environment, not its command line.

  authfront.py stop DIR
      TERMs the server (KILL after 3 s) once its pid is checked against
      its command line. Idempotent.

Files in DIR: authfront.port, authfront.pid, authfront.err (the server's
own stderr), authfront.exit (why it stopped) and authfront.log, one line
per request, written before the answer is sent:

  token GET /token STATUS auth=anonymous|basic|bad-basic scope=S... grant=G
  registry METHOD PATH STATUS token=none|valid|expired|unknown|denied
  other METHOD PATH 404

S is each requested scope (blanks and control characters as `?`); G is
what the token may do (`repository:N:pull` entries, comma-separated, or `-`
for nothing). PATH keeps its query. token= is how the request's bearer
token fared: none sent, valid, expired, unknown (never issued) or denied
(valid but without the scope). The `GET /v2/` that start uses to see the
server up is logged too. Tokens, passwords and Authorization headers are
never logged.

Behaviour (like Docker Hub):

- /v2/ and every /v2/<name>/(manifests|blobs|tags)/... request without a
  valid bearer token gets 401 with
  `WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",
  service="registry.test"` (`--service`), plus
  `,scope="repository:<name>:pull"` on repository requests, and a
  distribution-spec body `{"errors":[{"code":"UNAUTHORIZED",...}]}`. An expired token gets the
  same fresh challenge with `error="invalid_token"`.
- GET /token?service=...&scope=... (scope repeatable) answers
  `{"token","access_token","expires_in","issued_at"}` with an opaque random
  token valid for --expires seconds (default 300). Anonymous requests are
  fine; Basic credentials must equal --user, else 401
  `{"details":"incorrect username or password"}`. A wrong service is 400.
- A token grants `repository:<name>:pull` only when the repository exists in
  the backend (its tags/list answers 200) and is not listed with --private,
  or is private and the request carried the --user credentials. Otherwise
  the token is still issued, with no access for that scope, and the
  registry answers the request 401 with
  `error="insufficient_scope"` (an unknown repository looks like a denied
  one, as on Hub).
- With a token that grants the scope, GET and HEAD are forwarded to the
  backend without the Authorization header, and the answer relayed as is.
  Other methods are refused 401 insufficient_scope (scope `pull,push`).
- Other /v2/ paths (_catalog) need any valid token.
"""

import argparse
import base64
import datetime
import http.client
import http.server
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

from harnesslib import HarnessError, die, pid_alive, pid_serves, read_int

DEFAULT_EXPIRES = 300
DEFAULT_SERVICE = "registry.test"
START_TIMEOUT = 10.0
STOP_GRACE = 3.0
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade"}
REPO_PATH = re.compile(r"/v2/(.+?)/(manifests|blobs|tags)/.*")
SCOPE = re.compile(r"repository:([^:]+):([a-z*,]+)")


def pid_serves_dir(pid, d):
    """pid is this program serving DIR d (not a recycled pid)."""
    return pid_serves(pid, b"authfront", d)


def paths(d):
    return {k: os.path.join(d, "authfront." + k)
            for k in ("port", "pid", "err", "exit", "log")}


def rfc3339(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def printable(s):
    """s fit for one log field: no spaces, no control characters."""
    return re.sub(r"[^\x21-\x7e]", "?", s)


def error_body(code, message, detail=None):
    e = {"code": code, "message": message, "detail": detail}
    return json.dumps({"errors": [e]}, separators=(",", ":")).encode()


# ------------------------------------------------------------------ server

class Tokens:
    """Issued tokens: token -> (expiry time, set of repositories)."""

    def __init__(self, lifetime):
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.issued = {}

    def issue(self, repos):
        tok = secrets.token_urlsafe(32)
        now = time.time()
        with self.lock:
            self.issued[tok] = (now + self.lifetime, frozenset(repos))
        return tok, now

    def check(self, authorization):
        """(state, repos): state none, unknown, expired or valid."""
        if not authorization:
            return "none", None
        scheme, _, tok = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return "none", None
        with self.lock:
            ent = self.issued.get(tok.strip())
        if ent is None:
            return "unknown", None
        if time.time() >= ent[0]:
            return "expired", None
        return "valid", ent[1]


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def record(self, line):
        srv = self.server
        with srv.log_lock:
            srv.reqlog.write(line + "\n")
            srv.reqlog.flush()

    def send(self, status, headers, body):
        self.send_response_only(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 0:
            self.rfile.read(n)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True

    # ------------------------------------------------------------ tokens

    def basic_auth(self):
        """anonymous, basic (right credentials) or bad-basic."""
        h = self.headers.get("Authorization")
        if not h:
            return "anonymous"
        scheme, _, cred = h.partition(" ")
        if scheme.lower() != "basic" or self.server.user is None:
            return "bad-basic"
        try:
            plain = base64.b64decode(cred.strip(), validate=True)
        except ValueError:
            return "bad-basic"
        if secrets.compare_digest(plain, self.server.user.encode()):
            return "basic"
        return "bad-basic"

    def repo_exists(self, name):
        st, _, _ = self.backend("GET", "/v2/%s/tags/list" % name, {})
        return st == 200

    def grant(self, scope, auth):
        """The repository a scope grants pull on, or None."""
        m = SCOPE.fullmatch(scope)
        if m is None or "pull" not in m.group(2).split(","):
            return None
        name = m.group(1)
        if name in self.server.private and auth != "basic":
            return None
        if not self.repo_exists(name):
            return None
        return name

    def token(self, query):
        srv = self.server
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        scopes = q.get("scope", [])
        auth = self.basic_auth()
        fields = "auth=%s%s" % (
            auth, "".join(" scope=" + printable(s) for s in scopes))

        def line(status):
            return "token GET /token %d %s" % (status, fields)

        hdrs = [("Content-Type", "application/json")]
        if q.get("service", [""])[0] != srv.service:
            self.record(line(400) + " grant=-")
            return self.send(400, hdrs, json.dumps(
                {"details": "unknown service"}).encode())
        if auth == "bad-basic":
            self.record(line(401) + " grant=-")
            return self.send(401, hdrs, json.dumps(
                {"details": "incorrect username or password"}).encode())
        repos = [r for r in (self.grant(s, auth) for s in scopes) if r]
        tok, now = srv.tokens.issue(repos)
        self.record(line(200) + " grant=" + (",".join(
            "repository:%s:pull" % r for r in repos) or "-"))
        body = {"token": tok, "access_token": tok,
                "expires_in": srv.tokens.lifetime,
                "issued_at": rfc3339(now)}
        return self.send(200, hdrs, json.dumps(body).encode())

    # ---------------------------------------------------------- registry

    def challenge(self, name, state, error=None):
        srv = self.server
        v = 'Bearer realm="http://127.0.0.1:%d/token",service="%s"' % (
            srv.server_address[1], srv.service)
        actions = "pull" if self.command in ("GET", "HEAD") else "pull,push"
        if name is not None:
            v += ',scope="repository:%s:%s"' % (name, actions)
        if error is not None:
            v += ',error="%s"' % error
        self.record("registry %s %s 401 token=%s" % (self.command,
                                                      self.path, state))
        detail = None
        if name is not None:
            detail = [{"Type": "repository", "Class": "", "Name": name,
                       "Action": actions}]
        msg = "authentication required"
        if error == "insufficient_scope":
            msg = "requested access to the resource is denied"
        self.send(401, [("Content-Type", "application/json; charset=utf-8"),
                        ("Docker-Distribution-Api-Version", "registry/2.0"),
                        ("WWW-Authenticate", v)],
                  error_body("UNAUTHORIZED", msg, detail))

    def backend(self, method, path, headers):
        c = http.client.HTTPConnection(self.server.backend[0],
                                       self.server.backend[1], timeout=30)
        try:
            c.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers.items():
                c.putheader(k, v)
            c.endheaders()
            r = c.getresponse()
            return r.status, r.getheaders(), r.read()
        finally:
            c.close()

    def forward(self, state):
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in HOP_BY_HOP and k.lower() not in
                ("authorization", "host", "content-length")}
        try:
            st, rh, body = self.backend(self.command, self.path, hdrs)
        except (OSError, http.client.HTTPException) as e:
            self.record("registry %s %s 502 token=%s" % (
                self.command, self.path, state))
            return self.send(502, [("Content-Type", "text/plain")],
                             ("backend: %s\n" % e).encode())
        self.record("registry %s %s %d token=%s" % (self.command, self.path,
                                                     st, state))
        if self.command == "HEAD":
            # Keep the backend's Content-Length: HEAD has no body here.
            self.send_response_only(st)
            for k, v in rh:
                if k.lower() not in HOP_BY_HOP:
                    self.send_header(k, v)
            self.end_headers()
            return None
        return self.send(st, rh, body)

    def registry(self, path):
        m = REPO_PATH.fullmatch(path)
        name = m.group(1) if m else None
        state, repos = self.server.tokens.check(
            self.headers.get("Authorization"))
        if state != "valid":
            return self.challenge(
                name, state, "invalid_token" if state == "expired" else None)
        if name is not None and (name not in repos or
                                 self.command not in ("GET", "HEAD")):
            return self.challenge(name, "denied", "insufficient_scope")
        return self.forward(state)

    def handle_any(self):
        self.drain()
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/token" and self.command == "GET":
            return self.token(u.query)
        if u.path.startswith("/v2/"):
            return self.registry(u.path)
        self.record("other %s %s 404" % (self.command, self.path))
        return self.send(404, [("Content-Type", "text/plain")],
                         b"404 page not found\n")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def cmd_serve(args):
    """The server process: binds a free port, serves until told to stop,
    its owner is gone or its lifetime is over."""
    p = paths(args.dir)
    stopping = []
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, lambda signum, frame: stopping.append(signum))
    host, _, port = args.backend.rpartition(":")
    srv = Server(("127.0.0.1", 0), Handler)
    srv.backend = (host, int(port))
    srv.service = args.service
    srv.private = set(args.private or [])
    srv.user = args.user
    srv.tokens = Tokens(args.expires)
    srv.log_lock = threading.Lock()
    srv.reqlog = open(p["log"], "a")
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(p["port"] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(p["port"] + ".tmp", p["port"])
    t0 = time.monotonic()
    reason = None
    while reason is None:
        time.sleep(0.1)
        if stopping:
            reason = "signal %d" % stopping[0]
        elif args.owner and not pid_alive(args.owner):
            reason = "owner pid %d gone" % args.owner
        elif args.max_lifetime and \
                time.monotonic() - t0 > args.max_lifetime:
            reason = "max lifetime %ds reached" % args.max_lifetime
    srv.shutdown()
    srv.server_close()
    srv.reqlog.close()
    with open(p["exit"], "w") as f:
        f.write("%s\n" % reason)
    return 0


def ping(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        c.request("GET", "/v2/")
        st = c.getresponse().status
        c.close()
        return st
    except (OSError, http.client.HTTPException):
        return None


def stop_dir(d):
    p = paths(d)
    pid = read_int(p["pid"])
    if pid_serves_dir(pid, d):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    for k in ("pid", "port"):
        try:
            os.unlink(p[k])
        except FileNotFoundError:
            pass


def check_backend(addr):
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or \
            not (host.startswith("127.") or host == "localhost"):
        die("--backend wants a loopback 127.0.0.1:PORT, got %r" % addr)


def cmd_start(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    p = paths(d)
    check_backend(args.backend)
    if args.user is not None and ":" not in args.user:
        die("--user wants USER:PASSWORD")
    if pid_serves_dir(read_int(p["pid"]), d):
        die("an authfront is already running for %s; stop it first" % d)
    for k in ("port", "exit"):
        try:
            os.unlink(p[k])
        except FileNotFoundError:
            pass
    argv = [sys.executable, os.path.abspath(__file__), "_serve", d,
            "--backend", args.backend, "--owner", str(args.owner),
            "--expires", str(args.expires), "--service", args.service,
            "--max-lifetime", str(args.max_lifetime)]
    for r in args.private or []:
        argv += ["--private", r]
    env = dict(os.environ)
    if args.user is not None:
        # Not on the command line, where ps would show it.
        env["AUTHFRONT_USER"] = args.user
    with open(p["err"], "ab") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                stderr=err, env=env, close_fds=True)
    with open(p["pid"], "w") as f:
        f.write("%d\n" % proc.pid)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and proc.poll() is None:
        port = read_int(p["port"])
        if port and ping(port) == 401:
            print("127.0.0.1:%d" % port)
            return 0
        time.sleep(0.05)
    stop_dir(d)
    try:
        with open(p["err"]) as f:
            tail = f.read()[-2000:]
    except OSError:
        tail = "(no log)"
    die("did not answer GET /v2/ with 401 within %gs:\n%s"
        % (args.timeout, tail))


def cmd_stop(args):
    stop_dir(os.path.abspath(args.dir))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="authfront.py",
                                 description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn in (("start", cmd_start), ("_serve", cmd_serve)):
        s = sub.add_parser(name)
        s.add_argument("dir")
        s.add_argument("--backend", required=True,
                       help="registry address 127.0.0.1:PORT")
        s.add_argument("--owner", type=int, default=0,
                       help="stop when this pid is gone")
        s.add_argument("--expires", type=int, default=DEFAULT_EXPIRES,
                       help="token lifetime in seconds")
        s.add_argument("--private", action="append",
                       help="repository that needs --user (repeatable)")
        s.add_argument("--service", default=DEFAULT_SERVICE)
        s.add_argument("--max-lifetime", type=int, default=900)
        s.add_argument("--timeout", type=float, default=START_TIMEOUT)
        if name == "start":
            s.add_argument("--user", help="USER:PASSWORD for private "
                           "repositories")
        s.set_defaults(fn=fn)
    s = sub.add_parser("stop")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_stop)
    args = ap.parse_args(argv)
    if args.cmd == "_serve":
        args.user = os.environ.pop("AUTHFRONT_USER", None)
    try:
        return args.fn(args)
    except HarnessError as e:
        sys.stderr.write("authfront.py %s: %s\n" % (args.cmd, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
