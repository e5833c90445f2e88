#!/usr/bin/python3
"""Local OCI registry harness for tagdrift tests (Python 3 stdlib only).

Starts and stops Debian's docker-registry (CNCF distribution 2.8) on a free
127.0.0.1 port behind a small pass-through front (OCI tags/list pagination,
which 2.8 lacks; a request log; injected faults; optionally HTTPS with a
throwaway CA, and Docker Hub's tag API with the push times it saw), and
fills it with tiny synthetic images pushed over the HTTP API. Talks to
nothing but loopback.
See tests/harness/README.md for the commands.
"""

import argparse
import gzip
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone

from harnesslib import HarnessError, die, read_int

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_INTOTO = "application/vnd.in-toto+json"

# The Accept list a client should send (spec section 5 / protocol doc 3.2).
FULL_ACCEPT = ", ".join([MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST,
                         MT_DOCKER_MANIFEST])

DEFAULT_CREATED = "2026-01-01T00:00:00Z"
START_TIMEOUT = 10.0
STOP_GRACE = 3.0
HTTP_TIMEOUT = 10.0
MAX_TAG_PAGES = 10000


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- processes

def find_binary():
    env = os.environ.get("TAGDRIFT_REGISTRY_BIN")
    if env:
        return env
    for cand in ("/usr/bin/docker-registry",
                 shutil.which("docker-registry"), shutil.which("registry")):
        if cand and os.access(cand, os.X_OK):
            return cand
    die("docker-registry not found: apt-get install docker-registry "
        "(scripts/install-deps.sh does it), or set TAGDRIFT_REGISTRY_BIN")


def pid_state(pid):
    """Return the /proc state letter of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2:][:1]


def pid_alive(pid):
    state = pid_state(pid)
    return state is not None and state not in ("Z", "X")


def pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def pid_matches(pid, *needles):
    """True when pid is alive and every needle is in one of its argv words
    (guards against signalling a recycled pid)."""
    if pid is None or not pid_alive(pid):
        return False
    argv = pid_cmdline(pid)
    return all(any(n.encode() in arg for arg in argv) for n in needles)


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return not pid_alive(pid)


def kill_pid(pid, grace):
    """TERM pid, KILL it after grace seconds, wait for it to be gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if wait_gone(pid, grace):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait_gone(pid, 5.0)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def paths(d):
    return {
        "config": os.path.join(d, "config.yml"),
        "storage": os.path.join(d, "storage"),
        "log": os.path.join(d, "registry.log"),
        "port": os.path.join(d, "registry.port"),
        "backend": os.path.join(d, "backend.port"),
        "pid": os.path.join(d, "registry.pid"),
        "sup": os.path.join(d, "supervisor.pid"),
        "exit": os.path.join(d, "registry.exit"),
        "requests": os.path.join(d, "requests.log"),
        "faults": os.path.join(d, "faults.json"),
    }


def write_config(p, port):
    # No auth section: anonymous push and pull. Delete enabled so tests can
    # make a tag vanish. No upload purging: no background work.
    text = """version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
  redirect:
    disable: true
http:
  addr: 127.0.0.1:%d
  secret: %s
  headers:
    X-Content-Type-Options: [nosniff]
""" % (json.dumps(p["storage"]), port, secrets.token_hex(16))
    with open(p["config"], "w") as f:
        f.write(text)


def log_tail(p, n=15):
    try:
        with open(p["log"], "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-n:])


def ping(port, tls=False):
    try:
        if tls:
            # Readiness only: the test's own CA is checked by the client
            # under test, not here.
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=1.0,
                                            context=ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        c.request("GET", "/v2/")
        st = c.getresponse().status
        c.close()
        return st
    except (OSError, http.client.HTTPException):
        return None


# ---------------------------------------------------------------- the front

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade"}
ERROR_CODES = {401: "UNAUTHORIZED", 403: "DENIED", 404: "NAME_UNKNOWN",
               429: "TOOMANYREQUESTS"}
TAGS_PATH = re.compile(r"/v2/(.+)/tags/list")
MANIFEST_PATH = re.compile(r"/v2/(.+)/manifests/([A-Za-z0-9_][A-Za-z0-9_.-]*)")
HUB_PATH = re.compile(r"/v2/namespaces/([^/]+)/repositories/([^/]+)/tags/?")
HUB_PAGE_MAX = 100


def error_body(code, message, detail=None):
    e = {"code": code, "message": message}
    if detail is not None:
        e["detail"] = detail
    return json.dumps({"errors": [e]}, separators=(",", ":")).encode()


class Faults:
    """Injected responses read from DIR/faults.json (see `fault`)."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def take(self, method, path):
        """Return the first matching live rule, consuming one of its times."""
        with self.lock:
            try:
                with open(self.path) as f:
                    rules = json.load(f)
            except (OSError, ValueError):
                return None
            for r in rules:
                if r.get("times", -1) == 0:
                    continue
                if r.get("method") and r["method"] != method:
                    continue
                if not re.search(r.get("path", ""), path):
                    continue
                if r.get("times", -1) > 0:
                    r["times"] -= 1
                    tmp = self.path + ".tmp"
                    with open(tmp, "w") as f:
                        json.dump(rules, f)
                    os.rename(tmp, self.path)
                return r
        return None


class FrontServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # Python's default backlog of 5 stalls a client that opens 16
    # connections at once by a second (a SYN retransmit).
    request_queue_size = 128

    tls = None      # an ssl.SSLContext with --tls

    def handle_error(self, request, client_address):
        # A client hanging up mid-request is routine in timeout tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def log_line(self, line):
        with self.log_lock:
            self.reqlog.write(line + "\n")
            self.reqlog.flush()

    def finish_request(self, request, client_address):
        """With --tls, do the handshake here, in the request's thread; a
        client speaking plain HTTP is logged as `PLAIN <request line> 0`,
        a failed handshake as `TLS-FAIL <reason> 0`, then dropped."""
        if self.tls is None:
            return super().finish_request(request, client_address)
        request.settimeout(HTTP_TIMEOUT)
        try:
            first = request.recv(1024, socket.MSG_PEEK)
            if first[:1] != b"\x16":
                line = first.split(b"\r\n")[0].decode("latin-1")
                self.log_line("PLAIN %s 0" % (line or "(nothing)"))
                return
            conn = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as e:
            reason = getattr(e, "reason", None) or type(e).__name__
            self.log_line("TLS-FAIL %s 0" % reason)
            return
        try:
            conn.settimeout(None)
            super().finish_request(conn, client_address)
        finally:
            conn.close()


class Front(http.server.BaseHTTPRequestHandler):
    """Pass-through front of the registry: OCI tags/list pagination (2.8
    has none), a request log, and injected faults."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, a kept-alive
    # client's delayed ACK adds ~40 ms to every GET.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        srv = self.server
        with srv.log_lock:
            srv.reqlog.write("%s %s %d\n" % (self.command, self.path, status))
            srv.reqlog.flush()

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if te == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def backend(self, method, path, body):
        c = http.client.HTTPConnection("127.0.0.1", self.server.backend_port,
                                       timeout=30)
        try:
            c.putrequest(method, path, skip_host=True,
                         skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                    continue
                c.putheader(k, v)
            if body or method in ("PUT", "POST", "PATCH"):
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body or None)
            r = c.getresponse()
            return r.status, r.reason, r.getheaders(), r.read()
        finally:
            c.close()

    def reply(self, status, reason, headers, body, extra=None):
        # Log first: once the headers are out, a client's HEAD is done and
        # a test may read the log before a later record() would run.
        self.record(status)
        self.send_response_only(status, reason)
        has_len = False
        for k, v in list(headers) + list((extra or {}).items()):
            lk = k.lower()
            if lk in HOP_BY_HOP:
                continue
            if lk == "content-length":
                if self.command != "HEAD":
                    continue
                has_len = True
            self.send_header(k, v)
        no_body = self.command == "HEAD" or status in (204, 304) or \
            status < 200
        shape = getattr(self, "shape", None) or {}
        size = len(body)
        if shape.get("body_bytes") is not None:
            size = max(size, int(shape["body_bytes"]))
        if not no_body:
            self.send_header("Content-Length", str(size))
        elif self.command == "HEAD" and not has_len and status not in \
                (204, 304):
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if not no_body:
            try:
                self.send_body(body, size, shape)
            except OSError:
                # The client gave up (timeout tests): nothing to answer.
                self.close_connection = True

    def send_body(self, body, size, shape):
        """Write body padded with spaces to size bytes, streamed (so a big
        body never sits in memory), after shape's stall, cut after
        shape's truncate bytes (the connection then closes)."""
        self.wfile.flush()
        if shape.get("stall"):
            time.sleep(float(shape["stall"]))
        limit = size
        if shape.get("truncate") is not None:
            limit = min(size, int(shape["truncate"]))
            self.close_connection = True
        self.wfile.write(body[:limit])
        sent = min(len(body), limit)
        pad = b" " * 65536
        while sent < limit:
            k = min(len(pad), limit - sent)
            self.wfile.write(pad[:k])
            sent += k
        self.wfile.flush()

    def tags(self, name, query, extra):
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        st, reason, hdrs, body = self.backend(
            "GET", "/v2/%s/tags/list" % name, b"")
        if st != 200:
            return self.reply(st, reason, hdrs, body)
        obj = json.loads(body)
        alltags = obj.get("tags")
        tags = sorted(alltags or [])
        limit = self.server.page_max or None
        if "n" in q:
            try:
                n = int(q["n"][0])
                if n < 0:
                    raise ValueError
            except ValueError:
                return self.reply(
                    400, "Bad Request",
                    [("Content-Type", "application/json; charset=utf-8")],
                    error_body("PAGINATION_NUMBER_INVALID",
                               "invalid number of results requested",
                               {"n": q["n"][0]}))
            limit = n if limit is None else min(n, limit)
        if "last" in q:
            tags = [t for t in tags if t > q["last"][0]]
        extra = dict(extra)
        if limit is not None and len(tags) > limit:
            tags = tags[:limit]
            if limit > 0:
                extra["Link"] = '</v2/%s/tags/list?%s>; rel="next"' % (
                    name, urllib.parse.urlencode(
                        [("last", tags[-1]), ("n", str(limit))]))
        out = {"name": obj.get("name", name),
               "tags": tags if (tags or alltags is not None) else None}
        hdrs = [(k, v) for k, v in hdrs if k.lower() != "content-type"]
        hdrs.append(("Content-Type", "application/json; charset=utf-8"))
        return self.reply(200, "OK", hdrs,
                          json.dumps(out, separators=(",", ":")).encode(),
                          extra)

    def handle_any(self):
        body = self.read_body()
        u = urllib.parse.urlsplit(self.path)
        rule = self.server.faults.take(self.command, self.path)
        extra = {}
        self.shape = None
        if rule is not None:
            self.shape = {k: rule[k] for k in ("body_bytes", "truncate",
                                               "stall") if k in rule}
            if rule.get("delay"):
                time.sleep(float(rule["delay"]))
            if rule.get("drop"):
                self.close_connection = True
                self.record(0)
                return
            extra = rule.get("headers") or {}
            st = int(rule.get("status") or 0)
            if st:
                if "body" in rule:
                    eb = rule["body"].encode()
                else:
                    eb = error_body(ERROR_CODES.get(st, "UNKNOWN"),
                                    "injected by tagdrift harness")
                return self.reply(
                    st, None,
                    [("Content-Type", "application/json; charset=utf-8")],
                    eb, extra)
        m = TAGS_PATH.fullmatch(u.path)
        if self.command == "GET" and m is not None:
            return self.tags(m.group(1), u.query, extra)
        m = HUB_PATH.fullmatch(u.path)
        if self.command == "GET" and m is not None and self.server.hub:
            return self.hub_tags(m.group(1), m.group(2), u.query)
        try:
            st, reason, hdrs, rbody = self.backend(self.command, self.path,
                                                   body)
        except (OSError, http.client.HTTPException) as e:
            return self.reply(502, "Bad Gateway",
                              [("Content-Type", "text/plain")],
                              ("backend: %s\n" % e).encode())
        self.note_push(u.path, st)
        return self.reply(st, reason, hdrs, rbody, extra)

    def note_push(self, path, status):
        """Remember when a manifest was PUT by tag (not by digest)."""
        m = MANIFEST_PATH.fullmatch(path)
        if self.command != "PUT" or status != 201 or m is None:
            return
        with self.server.log_lock:
            self.server.pushed[(m.group(1), m.group(2))] = time.time()

    def hub_json(self, status, obj):
        return self.reply(status, None,
                          [("Content-Type", "application/json")],
                          json.dumps(obj, separators=(",", ":")).encode())

    def hub_tags(self, ns, name, query):
        """Docker Hub's tag API for what this front saw pushed: newest
        push first with ordering=last_updated, else by name; page and
        page_size (default 10, at most 100) as Hub pages."""
        q = urllib.parse.parse_qs(query)
        repo = "%s/%s" % (ns, name)
        try:
            size = int(q.get("page_size", ["10"])[0])
            page = int(q.get("page", ["1"])[0])
            if size < 1 or page < 1:
                raise ValueError
        except ValueError:
            return self.hub_json(400, {"message": "invalid page"})
        size = min(size, HUB_PAGE_MAX)
        with self.server.log_lock:
            seen = [(t, when) for (r, t), when in self.server.pushed.items()
                    if r == repo]
        if not seen:
            return self.hub_json(404, {
                "message": "httperror 404: object not found",
                "errinfo": {"namespace": ns, "repository": name}})
        if q.get("ordering", [""])[0] == "last_updated":
            seen.sort(key=lambda x: (-x[1], x[0]))
        else:
            seen.sort()
        chunk = seen[(page - 1) * size:page * size]
        host = self.headers.get("Host", "127.0.0.1")
        nxt = None
        if page * size < len(seen):
            nxt = "http://%s/v2/namespaces/%s/repositories/%s/tags?%s" % (
                host, ns, name, urllib.parse.urlencode(
                    [("page", page + 1), ("page_size", size)] +
                    [("ordering", o) for o in q.get("ordering", [])]))
        results = []
        for i, (tag, when) in enumerate(chunk):
            t = datetime.fromtimestamp(when, timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ")
            results.append({"id": i + 1, "name": tag, "last_updated": t,
                            "tag_last_pushed": t, "tag_last_pulled": None,
                            "tag_status": "active", "v2": True,
                            "repository": 0, "images": []})
        return self.hub_json(200, {"count": len(seen), "next": nxt,
                                   "previous": None, "results": results})

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


# -------------------------------------------------------------- supervision

def cmd_supervise(args):
    """Parent of the registry process: serves the front, reaps the registry,
    enforces the lifetime cap and the owner pid, stops it when told to."""
    d = args.dir
    p = paths(d)
    stopping = []

    def on_term(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_term)
    front = None
    if args.front_port:
        try:
            front = FrontServer(("127.0.0.1", args.front_port), Front)
        except OSError as e:
            sys.stderr.write("harness front: bind 127.0.0.1:%d: %s\n"
                             % (args.front_port, e))
            with open(p["exit"], "w") as f:
                f.write("-1 front bind failed\n")
            return 1
        if args.tls:
            front.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            front.tls.load_cert_chain(args.tls[0], args.tls[1])
        front.backend_port = args.backend_port
        front.page_max = args.page_max
        front.hub = args.hub
        front.pushed = {}
        front.log_lock = threading.Lock()
        front.reqlog = open(p["requests"], "a")
        front.faults = Faults(p["faults"])
        threading.Thread(target=front.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("REGISTRY_")}
    with open(p["log"], "ab") as log:
        proc = subprocess.Popen([args.bin, "serve", p["config"]],
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, env=env, close_fds=True)
    with open(p["pid"] + ".tmp", "w") as f:
        f.write("%d\n" % proc.pid)
    os.rename(p["pid"] + ".tmp", p["pid"])
    t0 = time.monotonic()
    reason = None
    while True:
        try:
            rc = proc.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            pass
        if stopping:
            reason = "signal %d" % stopping[0]
        elif args.owner and not pid_alive(args.owner):
            reason = "owner pid %d gone" % args.owner
        elif args.max_lifetime and \
                time.monotonic() - t0 > args.max_lifetime:
            reason = "max lifetime %ds reached" % args.max_lifetime
        if reason:
            proc.terminate()
            try:
                rc = proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
            break
    if front is not None:
        front.shutdown()
        front.server_close()
        front.reqlog.close()
    with open(p["exit"], "w") as f:
        f.write("%d %s\n" % (rc, reason or "exited by itself"))
    if reason and not stopping:
        sys.stderr.write("harness supervisor: stopped registry: %s\n"
                         % reason)
    return 0


def stop_dir(d):
    p = paths(d)
    sup = read_int(p["sup"])
    reg = read_int(p["pid"])
    if pid_matches(sup, "_supervise", d):
        # It TERMs the registry, KILLs it after STOP_GRACE, reaps it, exits.
        kill_pid(sup, STOP_GRACE + 2.0)
    if pid_matches(reg, p["config"]):
        # Orphaned (its supervisor was killed hard): signal it directly.
        kill_pid(reg, STOP_GRACE)
    for k in ("pid", "sup"):
        try:
            os.unlink(p[k])
        except FileNotFoundError:
            pass


def two_ports():
    a = free_port()
    b = free_port()
    while b == a:
        b = free_port()
    return a, b


def cmd_start(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    p = paths(d)
    if pid_matches(read_int(p["pid"]), p["config"]):
        die("a registry is already running for %s (pid %d); stop it first"
            % (d, read_int(p["pid"])))
    binary = find_binary()
    os.makedirs(p["storage"], exist_ok=True)
    last = ""
    for attempt in range(5):
        backend, front = two_ports()
        if args.raw:
            front = 0
        write_config(p, backend)
        for k in ("exit", "pid", "sup", "port", "backend"):
            try:
                os.unlink(p[k])
            except FileNotFoundError:
                pass
        with open(p["log"], "ab") as log:
            log.write(b"--- harness: start attempt %d: registry 127.0.0.1:%d"
                      b" front %d\n" % (attempt + 1, backend, front))
            sup = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "_supervise",
                 d, "--bin", binary, "--owner", str(args.owner or 0),
                 "--max-lifetime", str(args.max_lifetime),
                 "--backend-port", str(backend), "--front-port", str(front),
                 "--page-max", str(args.page_max)] +
                (["--tls"] + [os.path.abspath(x) for x in args.tls]
                 if args.tls else []) + (["--hub"] if args.hub else []),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                close_fds=True)
        with open(p["sup"], "w") as f:
            f.write("%d\n" % sup.pid)
        port = front or backend
        deadline = time.monotonic() + args.timeout
        ok = False
        status = None
        while time.monotonic() < deadline:
            if os.path.exists(p["exit"]) or sup.poll() is not None:
                break
            if os.path.exists(p["pid"]):
                status = ping(port, bool(args.tls) and not args.raw)
                if status == 200:
                    ok = True
                    break
            time.sleep(0.05)
        if ok:
            with open(p["backend"], "w") as f:
                f.write("%d\n" % backend)
            with open(p["port"], "w") as f:
                f.write("%d\n" % port)
            print("127.0.0.1:%d" % port)
            return 0
        timed_out = time.monotonic() >= deadline
        stop_dir(d)
        try:
            sup.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pass
        last = log_tail(p)
        if "address already in use" in last.lower():
            continue
        if timed_out:
            die("registry did not answer GET /v2/ with 200 within %gs "
                "(last status %s); log %s:\n%s"
                % (args.timeout, status, p["log"], last))
        die("registry exited during startup; log %s:\n%s" % (p["log"], last))
    die("no free port after 5 attempts; log tail:\n%s" % last)


def openssl(*argv):
    r = subprocess.run(["openssl"] + list(argv), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        die("openssl %s: %s" % (argv[0], r.stdout.decode("utf-8",
                                                         "replace")))


def cmd_tls_certs(args):
    """DIR/ca.pem (a CA valid two days), DIR/server.pem and server.key
    (for IP 127.0.0.1 and localhost, signed by it); prints DIR/ca.pem."""
    if shutil.which("openssl") is None:
        die("openssl not found: apt-get install openssl")
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    f = {k: os.path.join(d, k) for k in ("ca.pem", "ca.key", "server.pem",
                                         "server.key", "server.csr",
                                         "server.ext")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", f["ca.key"], "-out", f["ca.pem"],
            "-days", "2", "-subj", "/CN=tagdrift harness test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", f["server.key"], "-out", f["server.csr"],
            "-subj", "/CN=127.0.0.1")
    with open(f["server.ext"], "w") as fp:
        fp.write("basicConstraints=CA:FALSE\n"
                 "keyUsage=critical,digitalSignature\n"
                 "extendedKeyUsage=serverAuth\n"
                 "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", f["server.csr"], "-CA", f["ca.pem"],
            "-CAkey", f["ca.key"], "-CAcreateserial", "-days", "2",
            "-extfile", f["server.ext"], "-out", f["server.pem"])
    print(f["ca.pem"])
    return 0


def cmd_stop(args):
    stop_dir(os.path.abspath(args.dir))
    return 0


def cmd_fault(args):
    p = paths(os.path.abspath(args.dir))
    rules = []
    if not args.clear:
        try:
            with open(p["faults"]) as f:
                rules = json.load(f)
        except (OSError, ValueError):
            rules = []
        try:
            re.compile(args.path)
        except re.error as e:
            die("bad --path regex: %s" % e)
        r = {"path": args.path, "times": args.times}
        if args.method:
            r["method"] = args.method.upper()
        if args.status:
            r["status"] = args.status
        if args.header:
            r["headers"] = {}
            for h in args.header:
                k, sep, v = h.partition(":")
                if not sep or not k.strip():
                    die("--header wants 'Name: value', got %r" % h)
                r["headers"][k.strip()] = v.strip()
        if args.body is not None:
            r["body"] = args.body
        if args.delay:
            r["delay"] = args.delay
        if args.drop:
            r["drop"] = True
        if args.body_bytes is not None:
            if args.body_bytes < 0:
                die("--body-bytes wants a size >= 0")
            r["body_bytes"] = args.body_bytes
        if args.truncate is not None:
            if args.truncate < 0:
                die("--truncate wants a size >= 0")
            r["truncate"] = args.truncate
        if args.stall:
            r["stall"] = args.stall
        rules.append(r)
    tmp = p["faults"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rules, f, indent=1)
    os.rename(tmp, p["faults"])
    return 0


# --------------------------------------------------------------------- HTTP

class Client:
    """Keep-alive HTTP/1.1 client for one registry address."""

    def __init__(self, addr):
        if "://" in addr:
            u = urllib.parse.urlsplit(addr)
            if u.scheme != "http":
                die("only plain http registries: %s" % addr)
            addr = u.netloc
        host, sep, port = addr.rpartition(":")
        if not sep or not port.isdigit():
            die("address must be HOST:PORT, got %r" % addr)
        self.host = host.strip("[]")
        if not (self.host == "localhost" or self.host == "::1" or
                re.fullmatch(r"127(\.[0-9]{1,3}){3}", self.host)):
            die("refusing non-loopback address %r: tests never use the "
                "network" % addr)
        self.port = int(port)
        self.addr = addr
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """Return (status, headers, body bytes); retries once on a dropped
        keep-alive connection."""
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=HTTP_TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, r.headers, data
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as e:
                self.close()
                if attempt:
                    die("%s %s: %s" % (method, path, e))
            except (OSError, http.client.HTTPException) as e:
                self.close()
                die("%s http://%s%s: %s" % (method, self.addr, path, e))
        return None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def expect(st, want, method, path, body):
    if st != want:
        die("%s %s: HTTP %d (wanted %d): %s"
            % (method, path, st, want,
               body[:500].decode("utf-8", "replace")))


def split_ref(ref):
    """REPO:TAG or REPO@DIGEST -> (repo, reference)."""
    if "@" in ref:
        repo, _, r = ref.partition("@")
    else:
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        if colon <= slash:
            die("reference needs :TAG or @DIGEST: %r" % ref)
        repo, r = ref[:colon], ref[colon + 1:]
    if not repo or not r:
        die("bad reference %r" % ref)
    return repo, r


class Pusher:
    def __init__(self, client, repo):
        self.c = client
        self.repo = repo
        self.have = set()

    def blob(self, data):
        dg = sha256_digest(data)
        if dg in self.have:
            return dg
        path = "/v2/%s/blobs/%s" % (self.repo, dg)
        st, _, _ = self.c.request("HEAD", path)
        if st == 200:
            self.have.add(dg)
            return dg
        path = "/v2/%s/blobs/uploads/" % self.repo
        st, h, b = self.c.request("POST", path, b"")
        expect(st, 202, "POST", path, b)
        loc = h.get("Location")
        if not loc:
            die("POST %s: 202 without Location" % path)
        u = urllib.parse.urlsplit(loc)
        q = u.query + ("&" if u.query else "") + \
            urllib.parse.urlencode({"digest": dg})
        put = u.path + "?" + q
        st, h, b = self.c.request(
            "PUT", put, data, {"Content-Type": "application/octet-stream"})
        expect(st, 201, "PUT", u.path, b)
        got = h.get("Docker-Content-Digest")
        if got and got != dg:
            die("blob upload: registry says %s, we computed %s" % (got, dg))
        self.have.add(dg)
        return dg

    def manifest(self, ref, mediatype, raw):
        dg = sha256_digest(raw)
        path = "/v2/%s/manifests/%s" % (self.repo, ref)
        st, h, b = self.c.request("PUT", path, raw,
                                  {"Content-Type": mediatype})
        expect(st, 201, "PUT", path, b)
        got = h.get("Docker-Content-Digest")
        if got != dg:
            die("PUT %s: registry digest %s, ours %s" % (path, got, dg))
        return dg


# ------------------------------------------------------------ image building

def parse_platform(s):
    parts = s.strip().split("/")
    if len(parts) < 2 or len(parts) > 3 or not all(parts):
        die("platform must be OS/ARCH[/VARIANT]: %r" % s)
    plat = {"architecture": parts[1], "os": parts[0]}
    if len(parts) == 3:
        plat["variant"] = parts[2]
    return plat


def plat_str(plat):
    s = plat["os"] + "/" + plat["architecture"]
    if "variant" in plat:
        s += "/" + plat["variant"]
    return s


def make_layer(content):
    """Deterministic gzip'd tar with one small file; returns (gz, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) \
            as tar:
        ti = tarfile.TarInfo("etc/tagdrift-harness")
        ti.size = len(content)
        ti.mtime = 0
        ti.mode = 0o644
        tar.addfile(ti, io.BytesIO(content))
    tarbytes = raw.getvalue()
    return gzip.compress(tarbytes, compresslevel=9, mtime=0), \
        sha256_digest(tarbytes)


def dump_manifest(obj):
    # Indented like `docker push` output: clients must hash the bytes as
    # served, never re-serialized JSON.
    return json.dumps(obj, indent=3).encode()


def dump_compact(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


class Kind:
    def __init__(self, docker):
        self.docker = docker
        self.index = MT_DOCKER_LIST if docker else MT_OCI_INDEX
        self.manifest = MT_DOCKER_MANIFEST if docker else MT_OCI_MANIFEST
        self.config = MT_DOCKER_CONFIG if docker else MT_OCI_CONFIG
        self.layer = MT_DOCKER_LAYER if docker else MT_OCI_LAYER


def build_image(pusher, kind, plat, seed, created, layer=None, labels=None):
    """Upload layer and config blobs for one platform; return the manifest
    bytes and a summary dict."""
    if layer is None:
        layer = make_layer(("tagdrift harness seed=%s platform=%s\n"
                            % (seed, plat_str(plat))).encode())
    gz, diff_id = layer
    lab = {"org.tagdrift.harness.seed": str(seed)}
    lab.update(labels or {})
    cfg = dict(plat)
    cfg.update({
        "created": created,
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": lab},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created,
                     "created_by": "tagdrift test harness"}],
    })
    cfgraw = dump_compact(cfg)
    ldg = pusher.blob(gz)
    cdg = pusher.blob(cfgraw)
    man = {"schemaVersion": 2, "mediaType": kind.manifest,
           "config": {"mediaType": kind.config, "digest": cdg,
                      "size": len(cfgraw)},
           "layers": [{"mediaType": kind.layer, "digest": ldg,
                       "size": len(gz)}]}
    raw = dump_manifest(man)
    return raw, {"platform": plat_str(plat), "mediaType": kind.manifest,
                 "digest": sha256_digest(raw), "size": len(raw),
                 "config": cdg, "layer": ldg}


def build_attestation(pusher, repo, tag, subject_digest, seed, created):
    """BuildKit-style provenance attestation manifest for one image."""
    stmt = dump_compact({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "pkg:docker/%s@%s" % (repo, tag),
                     "digest": {"sha256": subject_digest.split(":")[1]}}],
        "predicate": {"builder": {"id": "tagdrift-harness"},
                      "metadata": {"seed": str(seed)}},
    })
    sdg = pusher.blob(stmt)
    cfgraw = dump_compact({"architecture": "unknown", "os": "unknown",
                           "created": created, "config": {},
                           "rootfs": {"type": "layers",
                                      "diff_ids": [sdg]}})
    cdg = pusher.blob(cfgraw)
    man = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
           "config": {"mediaType": MT_OCI_CONFIG, "digest": cdg,
                      "size": len(cfgraw)},
           "layers": [{"mediaType": MT_INTOTO, "digest": sdg,
                       "size": len(stmt),
                       "annotations": {"in-toto.io/predicate-type":
                                       "https://slsa.dev/provenance/v0.2"}}]}
    return dump_manifest(man)


def cmd_push(args):
    repo, tag = split_ref(args.ref)
    if "@" in args.ref:
        die("push needs REPO:TAG")
    kind = Kind(args.docker)
    plats = [parse_platform(s) for s in args.platforms.split(",")]
    use_index = args.index or args.attestation or len(plats) > 1
    if args.attestation and args.docker:
        die("--attestation needs an OCI index (BuildKit never puts "
            "attestations in a Docker manifest list)")
    cli = Client(args.addr)
    pusher = Pusher(cli, repo)
    summary = {"repository": repo, "tag": tag, "manifests": []}
    if not use_index:
        raw, info = build_image(pusher, kind, plats[0], args.seed,
                                args.created)
        top = pusher.manifest(tag, kind.manifest, raw)
        summary.update({"digest": top, "mediaType": kind.manifest,
                        "size": len(raw)})
        summary["manifests"].append(info)
    else:
        entries = []
        for plat in plats:
            raw, info = build_image(pusher, kind, plat, args.seed,
                                    args.created)
            pusher.manifest(info["digest"], kind.manifest, raw)
            summary["manifests"].append(info)
            entries.append({"mediaType": kind.manifest,
                            "digest": info["digest"], "size": len(raw),
                            "platform": plat})
        if args.attestation:
            for info in list(summary["manifests"]):
                raw = build_attestation(pusher, repo, tag, info["digest"],
                                        args.seed, args.created)
                dg = pusher.manifest(sha256_digest(raw), MT_OCI_MANIFEST,
                                     raw)
                entries.append({
                    "mediaType": MT_OCI_MANIFEST, "digest": dg,
                    "size": len(raw),
                    "annotations": {
                        "vnd.docker.reference.digest": info["digest"],
                        "vnd.docker.reference.type": "attestation-manifest"},
                    "platform": {"architecture": "unknown",
                                 "os": "unknown"}})
                summary["manifests"].append({
                    "platform": "unknown/unknown", "digest": dg,
                    "mediaType": MT_OCI_MANIFEST, "size": len(raw),
                    "attests": info["digest"]})
        idx = {"schemaVersion": 2, "mediaType": kind.index,
               "manifests": entries}
        raw = dump_manifest(idx)
        top = pusher.manifest(tag, kind.index, raw)
        summary.update({"digest": top, "mediaType": kind.index,
                        "size": len(raw)})
    cli.close()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(top)
    return 0


def cmd_many(args):
    if args.count < 0 or args.count > 100000:
        die("N must be 0..100000")
    kind = Kind(args.docker)
    plat = parse_platform(args.platform)
    cli = Client(args.addr)
    pusher = Pusher(cli, args.repo)
    layer = make_layer(("tagdrift harness many seed=%s\n"
                        % args.seed).encode())
    shared = None
    out = []
    for i in range(args.count):
        tag = args.format.format(i=i)
        if args.distinct or shared is None:
            labels = {"org.tagdrift.harness.index": str(i)} \
                if args.distinct else None
            raw, _ = build_image(pusher, kind, plat, args.seed, args.created,
                                 layer=layer, labels=labels)
            shared = raw
        dg = pusher.manifest(tag, kind.manifest, shared)
        out.append("%s %s" % (tag, dg))
    cli.close()
    if out:
        print("\n".join(out))
    return 0


def cmd_digest(args):
    repo, ref = split_ref(args.ref)
    cli = Client(args.addr)
    path = "/v2/%s/manifests/%s" % (repo, ref)
    method = "GET" if args.get or args.cmd == "manifest" else "HEAD"
    st, h, b = cli.request(method, path, None, {"Accept": args.accept})
    cli.close()
    if st != 200:
        die("%s %s: HTTP %d %s" % (method, path, st,
                                   b[:300].decode("utf-8", "replace")))
    dg = h.get("Docker-Content-Digest")
    if not dg:
        die("%s %s: no Docker-Content-Digest header" % (method, path))
    if args.get and sha256_digest(b) != dg:
        die("GET %s: body hashes to %s, header says %s"
            % (path, sha256_digest(b), dg))
    if args.verbose:
        sys.stderr.write("Content-Type: %s\n" % h.get("Content-Type"))
    if args.cmd == "manifest":
        sys.stdout.buffer.write(b)
        sys.stdout.flush()
    else:
        print(dg)
    return 0


def next_link(h):
    """Target of the rel="next" Link header, or None."""
    for v in h.get_all("Link") or []:
        for part in v.split(","):
            part = part.strip()
            if not part.startswith("<") or ">" not in part:
                continue
            url, _, params = part[1:].partition(">")
            rels = [x.strip() for x in params.split(";")]
            if 'rel="next"' in rels or "rel=next" in rels:
                return url
    return None


def cmd_tags(args):
    cli = Client(args.addr)
    path = "/v2/%s/tags/list" % args.repo
    if args.n is not None:
        path += "?n=%d" % args.n
    seen = set()
    tags = []
    pages = 0
    while path is not None:
        if path in seen or pages >= MAX_TAG_PAGES:
            die("tags/list pagination loops at %s" % path)
        seen.add(path)
        st, h, b = cli.request("GET", path)
        expect(st, 200, "GET", path, b)
        pages += 1
        tags.extend(json.loads(b).get("tags") or [])
        nxt = next_link(h)
        if nxt is None:
            break
        u = urllib.parse.urlsplit(nxt)
        if u.netloc and u.netloc != cli.addr:
            die("cross-origin Link %s" % nxt)
        path = u.path + ("?" + u.query if u.query else "")
    cli.close()
    sys.stderr.write("pages=%d tags=%d\n" % (pages, len(tags)))
    if tags:
        print("\n".join(tags))
    return 0


def cmd_delete(args):
    repo, ref = split_ref(args.ref)
    if not ref.startswith("sha256:"):
        die("registry 2.8 deletes manifests by digest only: REPO@sha256:...")
    cli = Client(args.addr)
    path = "/v2/%s/manifests/%s" % (repo, ref)
    st, _, b = cli.request("DELETE", path)
    cli.close()
    expect(st, 202, "DELETE", path, b)
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="registry.py",
                                 description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("start", help="start a registry for DIR")
    s.add_argument("dir")
    s.add_argument("--timeout", type=float, default=START_TIMEOUT)
    s.add_argument("--owner", type=int, default=0,
                   help="stop the registry when this pid is gone")
    s.add_argument("--max-lifetime", type=int, default=900,
                   help="stop the registry after this many seconds "
                   "(0: no cap)")
    s.add_argument("--raw", action="store_true",
                   help="no front: the address is docker-registry itself")
    s.add_argument("--page-max", type=int, default=0,
                   help="front: at most this many tags per tags/list page "
                   "even without ?n= (0: no cap)")
    s.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                   help="front: serve HTTPS with this PEM certificate "
                   "chain and key (push through backend.port)")
    s.add_argument("--hub", action="store_true",
                   help="front: answer Docker Hub's tag API with the "
                   "times of the manifest PUTs it saw")
    s.set_defaults(fn=cmd_start)

    s = sub.add_parser("stop", help="stop the registry of DIR (idempotent)")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_stop)

    s = sub.add_parser("_supervise")
    s.add_argument("dir")
    s.add_argument("--bin", required=True)
    s.add_argument("--owner", type=int, default=0)
    s.add_argument("--max-lifetime", type=int, default=0)
    s.add_argument("--backend-port", type=int, required=True)
    s.add_argument("--front-port", type=int, default=0)
    s.add_argument("--page-max", type=int, default=0)
    s.add_argument("--tls", nargs=2)
    s.add_argument("--hub", action="store_true")
    s.set_defaults(fn=cmd_supervise)

    s = sub.add_parser("tls-certs", help="make a throwaway CA and a "
                       "127.0.0.1 server certificate in DIR")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_tls_certs)

    s = sub.add_parser("fault", help="inject a response at the front")
    s.add_argument("dir")
    s.add_argument("--clear", action="store_true", help="remove all rules")
    s.add_argument("--method")
    s.add_argument("--path", default="", help="regex searched in the "
                   "request path and query")
    s.add_argument("--status", type=int, default=0,
                   help="answer with this status (0: pass through)")
    s.add_argument("--times", type=int, default=1,
                   help="how many requests it hits (-1: all)")
    s.add_argument("--header", action="append",
                   help="'Name: value' added to the response")
    s.add_argument("--body", help="response body (default: errors JSON)")
    s.add_argument("--delay", type=float, default=0.0,
                   help="seconds to wait before answering")
    s.add_argument("--drop", action="store_true",
                   help="close the connection without answering")
    s.add_argument("--body-bytes", type=int,
                   help="pad the body with spaces to this many bytes "
                   "(streamed)")
    s.add_argument("--truncate", type=int,
                   help="send only this many body bytes, announcing the "
                   "full length, then close")
    s.add_argument("--stall", type=float, default=0.0,
                   help="seconds to wait between the headers and the body")
    s.set_defaults(fn=cmd_fault)

    s = sub.add_parser("push", help="push a synthetic image")
    s.add_argument("addr")
    s.add_argument("ref", metavar="REPO:TAG")
    s.add_argument("--platforms", default="linux/amd64")
    s.add_argument("--seed", default="0")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--oci", dest="docker", action="store_false")
    g.add_argument("--docker", dest="docker", action="store_true")
    s.add_argument("--index", action="store_true",
                   help="push an index even for one platform")
    s.add_argument("--attestation", action="store_true")
    s.add_argument("--created", default=DEFAULT_CREATED)
    s.add_argument("--json", action="store_true",
                   help="print every digest pushed as JSON")
    s.set_defaults(fn=cmd_push, docker=False)

    s = sub.add_parser("many", help="push N tags of one repository")
    s.add_argument("addr")
    s.add_argument("repo")
    s.add_argument("count", type=int, metavar="N")
    s.add_argument("--format", default="1.0.{i}",
                   help="tag pattern, {i} counts from 0 (default 1.0.{i})")
    s.add_argument("--seed", default="0")
    s.add_argument("--platform", default="linux/amd64")
    s.add_argument("--distinct", action="store_true",
                   help="a different manifest (digest) for every tag")
    s.add_argument("--docker", action="store_true")
    s.add_argument("--created", default=DEFAULT_CREATED)
    s.set_defaults(fn=cmd_many)

    s = sub.add_parser("digest", help="HEAD a manifest, print its digest")
    s.add_argument("addr")
    s.add_argument("ref", metavar="REPO:TAG|REPO@DIGEST")
    s.add_argument("--accept", default=FULL_ACCEPT)
    s.add_argument("--get", action="store_true",
                   help="GET instead of HEAD and check the body's hash")
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(fn=cmd_digest)

    s = sub.add_parser("manifest", help="GET a manifest, print its bytes")
    s.add_argument("addr")
    s.add_argument("ref", metavar="REPO:TAG|REPO@DIGEST")
    s.add_argument("--accept", default=FULL_ACCEPT)
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(fn=cmd_digest, get=True)

    s = sub.add_parser("tags", help="list all tags following Link")
    s.add_argument("addr")
    s.add_argument("repo")
    s.add_argument("--n", type=int)
    s.set_defaults(fn=cmd_tags)

    s = sub.add_parser("delete", help="DELETE a manifest by digest")
    s.add_argument("addr")
    s.add_argument("ref", metavar="REPO@DIGEST")
    s.set_defaults(fn=cmd_delete)

    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except HarnessError as e:
        sys.stderr.write("registry.py %s: %s\n" % (args.cmd, e))
        return 1
    except BrokenPipeError:
        # Reader went away (| head): not our failure to report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
