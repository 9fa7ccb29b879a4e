#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Drive a command under a real PTY, for exec/attach tests (issue 8).
#
#   pty-drive.py [--rows R] [--cols C] -- CMD...   steps on stdin, one a line:
#     send TEXT        write TEXT (Python escapes: \x10 is Ctrl-P, \r Enter)
#     expect REGEX     wait (10 s) until the output since the last match has it
#     resize R C       set the window size (the kernel sends SIGWINCH)
#     sleep SEC
#     signal NAME      send a signal to CMD (e.g. TERM)
#     wait             wait for CMD to end; print "EXIT <status>"
# The terminal's settings (stty -g) are compared before CMD and after it ends:
# a difference fails. Exits 1 on a missed expect, with the output so far.
import fcntl, os, pty, re, select, signal, struct, sys, termios, time

def main():
    args = sys.argv[1:]
    rows, cols = 24, 80
    while args and args[0] != '--':
        if args[0] == '--rows': rows = int(args[1]); args = args[2:]
        elif args[0] == '--cols': cols = int(args[1]); args = args[2:]
        else: sys.exit('bad option ' + args[0])
    cmd = args[1:]
    steps = sys.stdin.read().splitlines()

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.closerange(3, 1024)
        os.execvp(cmd[0], cmd)
    out = b''
    pos = 0
    status = None

    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([master], [], [], timeout)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                return False
            out += data
            return bool(data)
        return True

    def dump(msg):
        sys.stderr.write('pty-drive: %s\n--- output ---\n%s\n---\n' % (msg, out.decode('utf-8', 'replace')))
        sys.exit(1)

    for line in steps:
        if not line.strip():
            continue
        op, _, arg = line.partition(' ')
        if op == 'send':
            os.write(master, arg.encode().decode('unicode_escape').encode('latin-1'))
        elif op == 'expect':
            rx = re.compile(arg.encode())
            deadline = time.time() + 10
            while True:
                m = rx.search(out, pos)
                if m:
                    pos = m.end()
                    break
                if time.time() > deadline:
                    dump('timed out waiting for %r' % arg)
                pump(0.2)
        elif op == 'resize':
            r, c = arg.split()
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', int(r), int(c), 0, 0))
        elif op == 'sleep':
            end = time.time() + float(arg)
            while time.time() < end:
                pump(0.05)
        elif op == 'signal':
            os.kill(pid, getattr(signal, 'SIG' + arg))
        elif op == 'wait':
            deadline = time.time() + 20
            while True:
                p, st = os.waitpid(pid, os.WNOHANG)
                if p:
                    status = os.waitstatus_to_exitcode(st)
                    if status < 0:
                        status = 128 - status
                    break
                if time.time() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    dump('command did not end')
                pump(0.05)
            while pump(0.05) and select.select([master], [], [], 0)[0]:
                pass
            print('EXIT %d' % status)
        else:
            sys.exit('bad step ' + line)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    after = termios.tcgetattr(slave)
    if before != after:
        dump('terminal settings not restored: %r != %r' % (before, after))
    sys.stdout.flush()
    sys.stdout.buffer.write(b'--- output ---\n' + out + b'\n')

main()
