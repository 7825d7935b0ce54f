"""One agent session: a subprocess tree whose output is parsed live and which always ends whole.

* The agent runs under a *keeper* (:mod:`statuskit.orchestrator._keeper`), a small parent
  process that is a child subreaper on Linux: when the session ends, every process the agent
  started is killed, even one that left the process group with ``setsid`` or that keeps the
  agent's stdout open after the agent exited. The keeper also ends the session if the
  orchestrator itself is killed.
* Everything happens on the caller's thread, through ``select``: :meth:`AgentSession.pump`
  waits at most the time it is given, so the caller's loop keeps the view alive and reacts
  to signals; no reader thread can be left blocked on a pipe that never closes.
* The timeout covers the whole session, pipes included: at the deadline the session is ended
  whether or not the agent exited. Two more clocks end it early: ``result_grace`` seconds
  after the agent printed its ``result`` line (a known hang on exit), and ``linger`` seconds
  after the agent exited while something it started still holds its output.
* stdout is fed to a :class:`~statuskit.stream.StreamParser` and copied to a capped log;
  stderr is drained into another, so a chatty agent never blocks on a full pipe.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import attrs

from statuskit.orchestrator import _keeper
from statuskit.orchestrator.logs import DEFAULT_LOG_CAP, CappedLog
from statuskit.stream import Event, StreamParser, TurnResult

__all__ = ["AgentMissing", "AgentSession", "SessionEnd"]

_KEEPER = os.path.abspath(_keeper.__file__)
_START_WAIT = 30.0  # seconds for the keeper to say the agent runs (Python start-up under load)
_KILL_WAIT = 5.0  # seconds after the grace before the keeper itself is SIGKILLed


class AgentMissing(Exception):
    """The agent command cannot be started (not installed, not executable, too long)."""


@attrs.frozen
class SessionEnd:
    """How a session ended."""

    exit_code: int | None
    """The agent's exit code (negative: killed by that signal; ``None``: unknown)."""
    timed_out: bool
    """The session reached its timeout and was ended."""
    duration_s: float
    """Wall time of the session."""
    result: TurnResult | None = None
    """The agent's ``result`` line, if it printed one."""
    ended_by: str | None = None
    """Why the orchestrator ended the session, when it did (timeout, hang after result...)."""


class AgentSession:
    """Start an agent command under a keeper, stream its events, and end it completely.

    Args:
        argv: the command.
        prompt: written to the agent's stdin (then closed), or ``None`` for no stdin.
        cwd: the agent's working folder.
        env: its environment.
        timeout: seconds for the whole session, pipes included.
        stream_log: where to copy the raw stdout (capped at ``log_cap`` bytes, rotated).
        stderr_log: where to copy stderr (the same).
        grace: seconds between SIGTERM and SIGKILL when the session is ended.
        result_grace: seconds the agent may keep running after its ``result`` line.
        linger: seconds the agent's output may stay open after the agent exited.
        log_cap: bytes per log file before it is rotated.

    Raises:
        AgentMissing: the command cannot be started.

    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        prompt: str | None,
        cwd: str,
        env: dict[str, str],
        timeout: float,
        stream_log: str,
        stderr_log: str,
        grace: float = 3.0,
        result_grace: float = 10.0,
        linger: float = 2.0,
        log_cap: int = DEFAULT_LOG_CAP,
    ) -> None:
        self.timeout = timeout
        self.grace = grace
        self.result_grace = result_grace
        self.linger = linger
        self.parser = StreamParser()
        self.started = time.monotonic()
        self.result: TurnResult | None = None
        self.exit_code: int | None = None
        self.ended_by: str | None = None
        self.timed_out = False
        self.agent_pid: int | None = None
        self._result_at: float | None = None
        self._exited_at: float | None = None
        self._ending_at: float | None = None
        self._keeper_gone_at: float | None = None
        self._error: tuple[int, str] | None = None
        self._status_buffer = b""
        self._prompt = (prompt or "").encode()
        self._selector = selectors.DefaultSelector()
        self._stream_log = CappedLog(stream_log, log_cap)
        self._stderr_log = CappedLog(stderr_log, log_cap)
        status_read, status_write = os.pipe()
        try:
            self.keeper = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    _KEEPER,
                    str(status_write),
                    str(grace),
                    str(os.getpid()),
                    "--",
                    *argv,
                ],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE if prompt is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_write,),
                start_new_session=True,  # Ctrl-C in the terminal reaches the orchestrator only
            )
        except OSError as exc:
            os.close(status_read)
            self._close_logs()
            message = _start_error(argv, exc.errno or 0, exc.strerror or str(exc))
            raise AgentMissing(message) from None
        finally:
            os.close(status_write)
        self._status = status_read
        self._open: set[int] = set()
        assert self.keeper.stdout is not None
        assert self.keeper.stderr is not None
        self._out_fd, self._err_fd = self.keeper.stdout.fileno(), self.keeper.stderr.fileno()
        self._watch(self._out_fd, selectors.EVENT_READ)
        self._watch(self._err_fd, selectors.EVENT_READ)
        self._watch(status_read, selectors.EVENT_READ)
        self._stdin_fd = -1
        if self.keeper.stdin is not None:
            self._stdin_fd = self.keeper.stdin.fileno()
            os.set_blocking(self._stdin_fd, False)
            self._watch(self._stdin_fd, selectors.EVENT_WRITE)
        self._await_start(argv)

    # ------------------------------------------------------------------ plumbing

    def _watch(self, fd: int, events: int) -> None:
        self._selector.register(fd, events)
        self._open.add(fd)

    def _unwatch(self, fd: int) -> None:
        if fd in self._open:
            self._selector.unregister(fd)
            self._open.discard(fd)

    def _await_start(self, argv: Sequence[str]) -> None:
        """Wait for the keeper's first word: the agent runs, or why it cannot."""
        deadline = time.monotonic() + _START_WAIT
        while self.agent_pid is None:
            self.pump(0.05)
            if self._error is not None:
                code, text = self._error
                self.close()
                raise AgentMissing(_start_error(argv, code, text))
            if self.agent_pid is None and (
                self._status not in self._open or time.monotonic() > deadline
            ):
                self.close(hurry=True)
                raise AgentMissing(f"cannot start agent {argv[0]!r}: its keeper did not start it")

    def _on_status(self, data: bytes) -> None:
        self._status_buffer += data
        while b"\n" in self._status_buffer:
            line, self._status_buffer = self._status_buffer.split(b"\n", 1)
            word, _, rest = line.decode("utf-8", "replace").partition(" ")
            if word == "pid":
                self.agent_pid = int(rest)
            elif word == "exit":
                self.exit_code = int(rest)
                self._exited_at = time.monotonic()
            elif word == "error":
                code, _, text = rest.partition(" ")
                self._error = (int(code) if code.isdigit() else 0, text)

    def _on_stdout(self, data: bytes, events: list[Event]) -> None:
        self._stream_log.write(data)
        for event in self.parser.feed(data):
            if isinstance(event, TurnResult) and self.result is None:
                self.result = event
                self._result_at = time.monotonic()
            events.append(event)

    def _write_prompt(self, fd: int) -> None:
        try:
            written = os.write(fd, self._prompt[:65536])
        except BlockingIOError:
            return
        except OSError:  # the agent exited (or closed stdin) before reading all of it
            written = len(self._prompt)
        self._prompt = self._prompt[written:]
        if not self._prompt:
            self._unwatch(fd)
            assert self.keeper.stdin is not None
            with contextlib.suppress(OSError):
                self.keeper.stdin.close()

    # ------------------------------------------------------------------ the session

    @property
    def remaining(self) -> float:
        """Seconds left before the timeout."""
        return self.timeout - (time.monotonic() - self.started)

    @property
    def output_open(self) -> bool:
        """Whether the agent's stdout or stderr is still open."""
        return self._out_fd in self._open or self._err_fd in self._open

    @property
    def finished(self) -> bool:
        """True once the keeper is gone and the output is closed: nothing of it runs."""
        return self.keeper.poll() is not None and not self._open

    def pump(self, wait: float) -> list[Event]:
        """Read what is there (waiting at most ``wait`` seconds), enforce the clocks."""
        events: list[Event] = []
        out, err = self._out_fd, self._err_fd
        if self._open:
            for key, _ in self._selector.select(wait):
                fd = int(key.fd)
                if fd == self._stdin_fd:
                    self._write_prompt(fd)
                    continue
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    self._unwatch(fd)
                    if fd == out:
                        events.extend(self.parser.close())
                elif fd == out:
                    self._on_stdout(data, events)
                elif fd == err:
                    self._stderr_log.write(data)
                else:
                    self._on_status(data)
        elif wait > 0:
            time.sleep(min(wait, 0.05))
        self._clocks()
        return events

    def _clocks(self) -> None:
        now = time.monotonic()
        keeper_gone = self.keeper.poll() is not None
        if keeper_gone and self._keeper_gone_at is None:
            self._keeper_gone_at = now
        if self._ending_at is not None:
            if not keeper_gone and now - self._ending_at > self.grace + _KILL_WAIT:
                self._kill_keeper()
            elif self._keeper_gone_at is not None and now - self._keeper_gone_at > 1.0:
                # What still holds the output escaped the keeper: stop reading, never hang.
                self._drop_output()
            return
        if keeper_gone and self.exit_code is None and self._error is None:
            self._kill_keeper()  # the keeper died (OOM killer?): the agent must not outlive it
            self.end("its keeper process died")
        elif self.agent_pid is None:
            return  # still starting: bounded by _await_start, not by the session's clocks
        elif self.remaining <= 0:
            self.timed_out = True
            self.end(f"timeout after {self.timeout:g}s")
        elif self._result_at is not None and now - self._result_at > self.result_grace:
            self.end(f"still running {self.result_grace:g}s after its result")
        elif self._exited_at is not None and self.output_open:
            if now - self._exited_at > self.linger:
                self.end("exited, but a process it started kept its output open")
        elif self._exited_at is not None and not keeper_gone:
            self.end(None)  # exited and closed its output: end what it left running

    def end(self, reason: str | None, *, hurry: bool = False) -> None:
        """Ask the keeper to end the session (SIGTERM to everything, SIGKILL after the grace).

        ``reason`` is recorded as :attr:`ended_by` (``None``: a routine clean-up). With
        ``hurry`` the keeper is told twice, which skips the grace period.
        """
        if self._ending_at is None:
            self._ending_at = time.monotonic()
            if reason is not None:
                self.ended_by = reason
            self._signal_keeper(signal.SIGTERM)
        if hurry:
            self._signal_keeper(signal.SIGTERM)
            self._ending_at -= self.grace

    def _signal_keeper(self, signum: int) -> None:
        if self.keeper.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.keeper.send_signal(signum)

    def _kill_keeper(self) -> None:
        """SIGKILL the keeper and the agent's group ourselves (the keeper did not do it)."""
        with contextlib.suppress(ProcessLookupError):
            self.keeper.kill()
        if self.agent_pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.agent_pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.keeper.wait(1.0)

    def _drop_output(self) -> None:
        for fd in list(self._open):
            self._unwatch(fd)

    def close(self, *, hurry: bool = False) -> SessionEnd:
        """End whatever still runs, close every pipe and log; never raises, never hangs."""
        bound = time.monotonic() + self.grace + 3 * _KILL_WAIT
        if not self.finished:
            self.end("interrupted" if hurry else None, hurry=hurry)
            while not self.finished and time.monotonic() < bound:
                self.pump(0.05)
            if not self.finished:
                self._kill_keeper()
                self._drop_output()
        for fd in list(self._open):
            self._unwatch(fd)
        self._selector.close()
        for pipe in (self.keeper.stdin, self.keeper.stdout, self.keeper.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        with contextlib.suppress(OSError):
            os.close(self._status)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.keeper.wait(1.0)
        self._close_logs()
        return SessionEnd(
            self.exit_code,
            self.timed_out,
            time.monotonic() - self.started,
            self.result,
            self.ended_by,
        )

    def _close_logs(self) -> None:
        self._stream_log.close()
        self._stderr_log.close()


def _start_error(argv: Sequence[str], code: int, text: str) -> str:
    message = f"cannot start agent {argv[0]!r}: {text}"
    if code == errno.E2BIG:
        size = sum(len(part.encode()) + 1 for part in argv)
        message += (
            f" (its command line is {size} bytes: use a smaller --batch, or an agent command "
            "without {prompt}, which then gets the prompt on stdin)"
        )
    elif code in (errno.EACCES, errno.EISDIR):
        message += " (is it an executable file?)"
    return message
