#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as a user at a terminal would.

  pty-run.py [options] -- CMD...

The command gets the pty as its controlling terminal and as stdin, stdout
and stderr; everything it writes is saved (--transcript). Options:
  --background        run CMD in a process group of its own, not the
                      terminal's foreground one (as `CMD &` from a shell)
  --send TEXT=KEYS    once TEXT has appeared, type KEYS (both with Python escapes:
                      \\x1d is Ctrl-], \\x01 Ctrl-A); repeatable, in order
  --sigterm TEXT      once TEXT has appeared, send SIGTERM to CMD
  --signal NAME       send this signal there instead (HUP: the terminal
                      was closed)
  --timeout S         kill CMD after S seconds (exit 124)
Exit status: CMD's; 124 on timeout; 125 when CMD was stopped (SIGTTOU,
SIGTTIN) and had to be killed; 126 when the terminal's modes were not
restored after CMD ended.
"""
import argparse, os, select, signal, sys, termios, time, tty, fcntl

ap = argparse.ArgumentParser()
ap.add_argument("--background", action="store_true")
ap.add_argument("--send", action="append", default=[])
ap.add_argument("--sigterm")
ap.add_argument("--signal", default="TERM")
ap.add_argument("--timeout", type=float, default=30)
ap.add_argument("--transcript", required=True)
ap.add_argument("cmd", nargs=argparse.REMAINDER)
a = ap.parse_args()
cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
sends = []
for s in a.send:
    text, keys = s.split("=", 1)
    unescape = lambda s: s.encode().decode("unicode_escape").encode("latin-1")
    sends.append((unescape(text), unescape(keys)))

master, slave = os.openpty()
before = termios.tcgetattr(slave)
# the CMD's pid comes back through this pipe (the grandchild's, when it
# runs in the background)
rpid, wpid = os.pipe()
leader = os.fork()
if leader == 0:
    os.close(master)
    os.close(rpid)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    if not a.background:
        os.write(wpid, str(os.getpid()).encode())
        os.close(wpid)
        os.execvp(cmd[0], cmd)
    # a job-control shell's background job: its own process group
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execvp(cmd[0], cmd)
    os.setpgid(pid, pid)
    os.write(wpid, str(pid).encode())
    os.close(wpid)
    while True:
        _, st = os.waitpid(pid, os.WUNTRACED)
        if os.WIFSTOPPED(st):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os._exit(125)
        os._exit(os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
os.close(wpid)
target = int(os.read(rpid, 32) or b"0")
os.close(rpid)

out = b""
deadline = time.monotonic() + a.timeout
status = None
termed = False
while True:
    if time.monotonic() > deadline:
        os.kill(target, signal.SIGKILL)
        status = 124
    r, _, _ = select.select([master], [], [], 0.05)
    if r:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            chunk = b""
        out += chunk
    while sends and sends[0][0] in out:
        os.write(master, sends.pop(0)[1])
    if a.sigterm and not termed and a.sigterm.encode() in out:
        os.kill(target, getattr(signal, "SIG" + a.signal))
        termed = True
    pid, st = os.waitpid(leader, os.WNOHANG)
    if pid:
        # what is left on the terminal
        while select.select([master], [], [], 0.05)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if status is None:
            status = os.waitstatus_to_exitcode(st)
            if status < 0:
                status = 128 - status
        break
open(a.transcript, "wb").write(out)
after = termios.tcgetattr(slave)
if status not in (124, 125) and after[:4] != before[:4]:
    sys.stderr.write("pty-run: terminal modes not restored\n")
    sys.exit(126)
sys.exit(status)
