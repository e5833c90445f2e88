"""Helpers the loopback harness programs share (registry.py, authfront.py,
webhook.py): the one-line failure they report, and the checks on the pid
files in their directories.  Python 3 standard library only; imported from
the programs' own directory.
"""


class HarnessError(Exception):
    """A failure reported to the user as one line on stderr, exit 1."""


def die(msg):
    raise HarnessError(msg)


def read_int(path):
    """The integer a small file holds, or None."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid):
    """Whether pid runs (a zombie does not count)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:][:1] not in ("Z", "X", "")


def pid_argv(pid):
    """The argv words of pid as bytes, [] when it cannot be read."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def pid_serves(pid, word, d):
    """pid is alive, has an argv word containing word and serves DIR d
    (so a recycled pid is never signalled)."""
    if pid is None or not pid_alive(pid):
        return False
    argv = pid_argv(pid)
    return any(word in a for a in argv) and d.encode() in argv
