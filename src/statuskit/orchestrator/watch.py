"""Call back whenever a store's status may have changed, within milliseconds where possible.

Stores that can tell (``isinstance(store, Watchable)``: inotify on the JSON file's folder, a
database's change counter or notifications) are waited on; others are read every
``poll_interval`` seconds and compared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from statuskit import PlanStatus, StatusKitError, StatusStore, Watchable

__all__ = ["StatusWatcher"]


class StatusWatcher:
    """Call ``on_change`` (on a background thread) whenever the status may have changed.

    Args:
        store: the store to watch.
        on_change: called with no arguments after each change (coalesced).
        poll_interval: seconds between reads when the store cannot be watched.
        force_polling: read and compare even when the store can be watched (for tests).

    """

    def __init__(
        self,
        store: StatusStore,
        on_change: Callable[[], object],
        *,
        poll_interval: float = 0.1,
        force_polling: bool = False,
    ) -> None:
        self.store = store
        self.on_change = on_change
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._watchable = isinstance(store, Watchable) and not force_polling
        self.mode = "watch" if self._watchable else "polling"
        self._thread = threading.Thread(target=self._run, name="status-watcher", daemon=True)

    def start(self) -> StatusWatcher:
        """Start watching; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (within a fraction of a second)."""
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        if isinstance(self.store, Watchable) and self._watchable:
            feed = self.store.watch()
            try:
                while not self._stop.is_set():
                    if feed.wait(0.2):
                        self.on_change()
            finally:
                feed.close()
            return
        last = self._snapshot()
        while not self._stop.wait(self.poll_interval):
            now = self._snapshot()
            if now is not last and now != last:
                last = now
                self.on_change()

    def _snapshot(self) -> PlanStatus | None:
        try:
            return self.store.read()
        except StatusKitError:
            return None
