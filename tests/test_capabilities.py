"""Optional store capabilities: declared by isinstance, and doing what they promise."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from statuskit import (
    JsonFileStore,
    MemoryStore,
    PlanCatalog,
    PlanMismatch,
    PlanStatus,
    Restorable,
    Task,
    Tracker,
    Watchable,
)
from statuskit.store._watch import FileChangeFeed


def sample(plan_path: str | None = None) -> PlanStatus:
    return PlanStatus(tasks=(Task(id="1.1"), Task(id="1.2")), plan_path=plan_path)


class TestDeclared:
    """Capabilities are protocols checked with isinstance."""

    def test_json_file(self, tmp_path: Path) -> None:
        """The JSON file keeps backups and can be watched; it holds one plan."""
        store = JsonFileStore(tmp_path / "s.json")
        assert isinstance(store, Restorable)
        assert isinstance(store, Watchable)
        assert not isinstance(store, PlanCatalog)

    def test_memory(self) -> None:
        """The memory store has none of them."""
        store = MemoryStore()
        assert not isinstance(store, Restorable)
        assert not isinstance(store, Watchable)


class TestFileFeed:
    """A change feed on the JSON file wakes on a replacement and never misses one."""

    @pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
    def test_wakes_on_update(self, tmp_path: Path, polling: bool) -> None:
        """No change: wait times out (False). A change, even made before waiting: True."""
        store = JsonFileStore(tmp_path / "s.json")
        store.create(sample())
        with FileChangeFeed(store.path, poll_interval=0.01, force_polling=polling) as feed:
            assert feed.mode == ("polling" if polling else "inotify")
            assert feed.wait(0.05) is False
            Tracker(store).start("1.1")  # before wait(): queued, not lost
            assert feed.wait(10) is True

    def test_wakes_a_waiting_thread(self, tmp_path: Path) -> None:
        """A thread blocked in wait() returns when another writer changes the status."""
        store = JsonFileStore(tmp_path / "s.json")
        store.create(sample())
        woke = threading.Event()
        feed = store.watch()

        def waiter() -> None:
            if feed.wait(30):
                woke.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        Tracker(JsonFileStore(store.path)).complete("1.2")
        thread.join(30)
        feed.close()
        assert woke.is_set()


class TestPlanCheck:
    """The tracker refuses a status that records another existing plan file."""

    def test_mismatch(self, tmp_path: Path) -> None:
        """Two different plan files both existing: refused; nothing written."""
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        plan_a, plan_b = tmp_path / "a" / "plan.md", tmp_path / "b" / "plan.md"
        plan_a.write_text("# a\n")
        plan_b.write_text("# b\n")
        store = MemoryStore(sample(str(plan_a)))
        with pytest.raises(PlanMismatch) as info:
            Tracker(store, plan_path=str(plan_b)).start("1.1")
        assert info.value.recorded == str(plan_a)
        assert store.writes == 0
        assert Tracker(store, plan_path=str(plan_a)).start("1.1").changed

    def test_same_file_other_spelling_and_moved_plans(self, tmp_path: Path) -> None:
        """Another name of the same file matches; a recorded plan that is gone does not block."""
        plan = tmp_path / "plan.md"
        plan.write_text("# p\n")
        store = MemoryStore(sample(str(plan)))
        assert Tracker(store, plan_path=str(tmp_path / "." / "plan.md")).start("1.1").changed
        moved = MemoryStore(sample(str(tmp_path / "old" / "plan.md")))
        assert Tracker(moved, plan_path=str(plan)).start("1.1").changed
