"""One agent session: a subprocess whose output is parsed live, with a real timeout.

* The agent runs in a new session (its own process group), so a timeout kills it *and* every
  process it started (SIGTERM, then SIGKILL after a grace period).
* The timeout is wall-clock, enforced by the caller's loop: a silent, hung agent is killed
  as surely as a chatty one.
* stdout is read on a thread and fed to a :class:`~statuskit.stream.StreamParser`; events
  arrive on a queue as they happen, and the raw stream is kept in a log for replay.
* stderr is drained on another thread into a log file, so a chatty agent never blocks on a
  full pipe.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO

import attrs

from statuskit.stream import Event, StreamParser

__all__ = ["AgentMissing", "AgentSession", "SessionEnd"]


class AgentMissing(Exception):
    """The agent command cannot be started (not installed, not executable)."""


@attrs.frozen
class SessionEnd:
    """How a session ended."""

    exit_code: int | None
    """The agent's exit code (negative: killed by that signal)."""
    timed_out: bool
    """The session ran past its timeout and was killed."""
    duration_s: float
    """Wall time of the session."""


class AgentSession:
    """Start an agent command, stream its events, enforce its timeout.

    Args:
        argv: the command.
        prompt: written to the agent's stdin (then closed), unless ``stdin_prompt`` is False.
        cwd: the agent's working folder.
        env: its environment.
        timeout: seconds before the session is killed.
        stream_log: where to copy the raw stdout.
        stderr_log: where to copy stderr.

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
    ) -> None:
        self.timeout = timeout
        self.grace = grace
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.parser = StreamParser()
        self.started = time.monotonic()
        self.last_output = self.started
        self._stderr_log = open(stderr_log, "ab")  # noqa: SIM115 - closed in wait()
        self._stream_log = open(stream_log, "ab")  # noqa: SIM115 - closed in wait()
        try:
            self.process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE if prompt is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            self._stderr_log.close()
            self._stream_log.close()
            raise AgentMissing(f"cannot start agent {argv[0]!r}: {exc.strerror}") from exc
        self._readers = [
            threading.Thread(target=self._read_stdout, name="agent-stdout", daemon=True),
            threading.Thread(target=self._drain_stderr, name="agent-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if prompt is not None:
            threading.Thread(target=self._write_prompt, args=(prompt,), daemon=True).start()

    def _write_prompt(self, prompt: str) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(prompt.encode())
            stdin.close()
        except OSError:  # the agent exited before reading its prompt
            pass

    @staticmethod
    def _pump(pipe: IO[bytes] | None, log: IO[bytes], on_chunk: Callable[[bytes], None]) -> None:
        """Copy a pipe to its log as data arrives (``read1``), handing each chunk on."""
        assert pipe is not None
        read = getattr(pipe, "read1", pipe.read)
        while chunk := read(65536):
            log.write(chunk)
            log.flush()
            on_chunk(chunk)

    def _read_stdout(self) -> None:
        def parse(chunk: bytes) -> None:
            self.last_output = time.monotonic()
            for event in self.parser.feed(chunk):
                self.events.put(event)

        self._pump(self.process.stdout, self._stream_log, parse)
        for event in self.parser.close():
            self.events.put(event)
        self.events.put(None)  # end of stream

    def _drain_stderr(self) -> None:
        self._pump(self.process.stderr, self._stderr_log, lambda chunk: None)

    @property
    def remaining(self) -> float:
        """Seconds left before the timeout."""
        return self.timeout - (time.monotonic() - self.started)

    def poll(self) -> bool:
        """True once the agent has exited. Kills it when the timeout has passed."""
        if self.process.poll() is not None:
            return True
        if self.remaining <= 0:
            self.kill()
            return True
        return False

    def kill(self) -> None:
        """SIGTERM the whole process group, then SIGKILL after the grace period."""
        self.timed_out = True
        for sig, wait in ((signal.SIGTERM, self.grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; make sure no child of it survives either.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            return

    timed_out = False

    def wait(self) -> SessionEnd:
        """Wait for the exit and the end of both pipes; close the logs."""
        code = self.process.wait()
        for reader in self._readers:
            reader.join(10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        self._stream_log.close()
        self._stderr_log.close()
        return SessionEnd(code, self.timed_out, time.monotonic() - self.started)
