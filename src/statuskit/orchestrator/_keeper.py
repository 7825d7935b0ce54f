"""The session keeper: the parent of one agent session, so that the session leaves nothing behind.

Started by :class:`~statuskit.orchestrator.agent.AgentSession` by file path (standard library
only, so it starts in a few tens of milliseconds)::

    python _keeper.py STATUS_FD GRACE PARENT_PID -- AGENT ARGV...

Why a process of its own: an agent's processes can leave its process group (``setsid``, a
daemonizing double fork); ``killpg`` no longer reaches them, and they may hold the agent's
stdout open for ever. On Linux the keeper makes itself a *child subreaper*
(``PR_SET_CHILD_SUBREAPER``): whatever the agent starts, however it detaches, stays a descendant
of the keeper — an orphan is re-parented to the keeper, not to init — so the keeper finds each
one under ``/proc/<pid>/task/*/children`` and kills it. It also asks to be told when the
orchestrator dies (``PR_SET_PDEATHSIG``), so even a SIGKILLed orchestrator leaves no agent
running.

Protocol, one line at a time on STATUS_FD: ``pid N`` once the agent runs, or
``error ERRNO TEXT`` when it cannot start; ``exit CODE`` when the agent itself exits (negative:
killed by that signal). The keeper ends the session when it is told to (SIGTERM, SIGINT or
SIGHUP, or its parent's death): SIGTERM to every descendant, then, GRACE seconds later, SIGKILL
to what is left, until nothing is. It exits by itself once the agent and all its descendants
are gone.

Limits: elsewhere than Linux there is no subreaper, and the keeper kills the agent's process
group only. A process handed to another service (``systemd-run``, ``ssh``, a container runtime)
is nobody's descendant here and is out of reach on every system.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_STOP = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
_WATCHED = {signal.SIGCHLD, *_STOP}
_HARD_KILL_FOR = 5.0  # seconds of SIGKILL rounds before the keeper gives up (D-state processes)


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found


def descendants() -> list[int]:
    """Every process below this one (with the subreaper set: everything the agent started)."""
    found: list[int] = []
    todo = _children(os.getpid())
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.append(pid)
            todo += _children(pid)
    return found


class _Waiter:
    """Waits for SIGCHLD or a stop signal: ``sigtimedwait`` where there is one, else handlers."""

    def __init__(self) -> None:
        self.timed = hasattr(signal, "sigtimedwait")  # not on macOS
        self.pending: int | None = None
        if self.timed:
            signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
        else:
            for signum in _STOP:
                signal.signal(signum, self._note)

    def _note(self, signum: int, frame: object) -> None:
        self.pending = signum

    def wait(self, timeout: float) -> int | None:
        if self.timed:
            info = signal.sigtimedwait(_WATCHED, timeout)
            return None if info is None else info.si_signo
        time.sleep(min(timeout, 0.05))
        signum, self.pending = self.pending, None
        return signum


class Keeper:
    """One agent session: start, report, reap, and end it completely."""

    def __init__(self, status_fd: int, grace: float, parent: int) -> None:
        self.waiter = _Waiter()
        self.status_fd = status_fd
        self.grace = grace
        self.parent = parent
        self.agent: int | None = None
        self.agent_done = False
        self.subreaper = _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    def report(self, line: str) -> None:
        # The orchestrator may be gone: the session still ends cleanly.
        with contextlib.suppress(OSError):
            os.write(self.status_fd, (line + "\n").encode("utf-8", "replace"))

    def start(self, argv: list[str]) -> bool:
        try:
            self.agent = os.posix_spawnp(
                argv[0],
                argv,
                os.environ,
                setsid=True,  # its own group: killpg reaches it even without a subreaper
                setsigmask=(),  # the keeper may block signals; the agent must not inherit that
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),  # Python ignores them; undo it
            )
        except OSError as exc:
            self.report(f"error {exc.errno or 0} {exc.strerror or exc}")
            return False
        self.report(f"pid {self.agent}")
        # The keeper must not hold the agent's pipes: their end is how the session ends.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        return True

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.agent:
                self.agent_done = True
                self.report(f"exit {os.waitstatus_to_exitcode(status)}")

    def alive(self) -> bool:
        if self.subreaper:
            return bool(descendants())
        if self.agent is None:
            return False
        try:
            os.killpg(self.agent, 0)
        except OSError:
            return not self.agent_done
        return True

    def signal_all(self, signum: int) -> None:
        if self.agent is not None:
            with contextlib.suppress(OSError):
                os.killpg(self.agent, signum)
        if self.subreaper:
            for pid in descendants():
                with contextlib.suppress(OSError):
                    os.kill(pid, signum)

    def wait_signal(self, timeout: float) -> int | None:
        signum = self.waiter.wait(timeout)
        self.reap()
        return signum

    def watch(self) -> None:
        """Wait until told to stop, or until the agent and its descendants are all gone."""
        while True:
            signo = self.wait_signal(1.0)
            if signo in _STOP or os.getppid() != self.parent:
                return
            if self.agent_done and not self.alive():
                return

    def end(self) -> None:
        """SIGTERM everything, SIGKILL after the grace period, until nothing is left."""
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while self.alive() and (left := deadline - time.monotonic()) > 0:
            if self.wait_signal(min(left, 0.05)) in _STOP:
                break  # told twice: no more grace
        deadline = time.monotonic() + _HARD_KILL_FOR
        while self.alive() and time.monotonic() < deadline:
            self.signal_all(signal.SIGKILL)
            self.wait_signal(0.02)
        self.reap()


def main(argv: list[str]) -> int:
    """``STATUS_FD GRACE PARENT_PID -- ARGV...``; see the module docstring."""
    status_fd, grace, parent = int(argv[0]), float(argv[1]), int(argv[2])
    os.set_inheritable(status_fd, False)  # the agent must not hold it: its end means "done"
    command = argv[4:]
    keeper = Keeper(status_fd, grace, parent)
    if os.getppid() != parent:  # the orchestrator died before the keeper could ask to be told
        keeper.report("error 0 the orchestrator is gone")
        return 1
    if not keeper.start(command):
        return 127
    keeper.watch()
    keeper.end()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
