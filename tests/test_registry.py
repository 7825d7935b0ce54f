"""open_store: one way to a store, by path or URL scheme, including other packages' backends."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from statuskit import (
    InvalidTaskId,
    JsonFileStore,
    MemoryStore,
    PlanStatus,
    StatusStore,
    StoreNotSupported,
    Task,
    Tracker,
    open_store,
)
from statuskit.store import registry
from statuskit.store.registry import mask_password, scheme_of


def sample() -> PlanStatus:
    return PlanStatus(tasks=(Task(id="1.1"), Task(id="1.2")), plan_name="Registry")


class TestTargets:
    """Paths and built-in schemes open the expected backend on the expected place."""

    def test_plain_path(self, tmp_path: Path) -> None:
        """A path is a JsonFileStore on that file, with the lock timeout passed on."""
        target = tmp_path / "status.json"
        with open_store(target, lock_timeout=3.5) as store:
            assert isinstance(store, JsonFileStore)
            assert store.path == str(target)
            assert store.lock_timeout == 3.5
            assert store.location == str(target)

    def test_file_urls(self, tmp_path: Path) -> None:
        """`file:PATH` and `file:///abs/PATH` name the same file."""
        target = tmp_path / "s.json"
        for url in (f"file:{target}", f"file://{target}"):
            store = open_store(url)
            assert isinstance(store, JsonFileStore)
            assert store.path == str(target)

    def test_folder_and_plan_key(self, tmp_path: Path) -> None:
        """A folder with a plan key is the JSON layout: <folder>/<key>/status.json."""
        store = open_store(tmp_path, plan="auth")
        assert isinstance(store, JsonFileStore)
        assert store.path == str(tmp_path / "auth" / "status.json")
        store.create(sample())
        assert (tmp_path / "auth" / "status.json").is_file()

    def test_options_reach_the_backend(self, tmp_path: Path) -> None:
        """Backend options (here the JSON file's backup count) are passed through."""
        store = open_store(tmp_path / "s.json", backups=0)
        assert isinstance(store, JsonFileStore)
        assert store.backups == 0

    def test_memory_is_shared_by_name_and_plan(self) -> None:
        """memory:NAME with a plan key is one store per process; other keys are separate."""
        first = open_store("memory:test-shared", plan="a")
        first.create(sample())
        assert open_store("memory:test-shared", plan="a") is first
        assert not open_store("memory:test-shared", plan="b").exists()
        assert not open_store("memory:other-name", plan="a").exists()
        assert isinstance(first, MemoryStore)

    def test_bad_plan_keys(self, tmp_path: Path) -> None:
        """A plan key becomes a folder name: separators and dots-only keys are refused."""
        for key in ("../x", "a/b", "..", "", "\x00"):
            with pytest.raises(InvalidTaskId):
                open_store(tmp_path, plan=key)

    def test_empty_and_unknown(self) -> None:
        """An empty target and an unknown scheme are clear errors naming what is known."""
        with pytest.raises(StoreNotSupported, match="empty"):
            open_store("")
        with pytest.raises(StoreNotSupported, match="unknown scheme 'nosuch'") as info:
            open_store("nosuch://x")
        assert "sqlite" in str(info.value)
        assert "statuskit.stores" in str(info.value)

    def test_missing_driver_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A built-in backend whose driver is not installed says which extra to install."""
        monkeypatch.setitem(
            registry._BUILTIN,
            "fakedb",
            ("statuskit_test_no_such_driver_module.sub", "open_it", "fakedb"),
        )
        with pytest.raises(StoreNotSupported, match=r"statuskit\[fakedb\]"):
            open_store("fakedb://user:secret@host/db")

    def test_windows_drive_is_not_a_scheme(self) -> None:
        """`C:\\x` is a path; `sqlite:x` has a scheme."""
        assert scheme_of("C:\\x\\status.json") is None
        assert scheme_of("sqlite:x.db") == "sqlite"
        assert scheme_of("postgresql://h/db") == "postgresql"
        assert scheme_of("docs/plan-outputs/a/status.json") is None


class TestPasswords:
    """Secrets never reach a message."""

    @pytest.mark.parametrize(
        ("target", "shown"),
        [
            ("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db"),
            ("postgres://u:p%40ss@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"),
            ("postgresql://h/db?password=secret&x=1", "postgresql://h/db?password=***&x=1"),
            ("postgresql://u@h/db", "postgresql://u@h/db"),
        ],
    )
    def test_masked(self, target: str, shown: str) -> None:
        """The password is replaced, everything else kept."""
        assert mask_password(target) == shown

    def test_unknown_scheme_error_is_masked(self) -> None:
        """Even an unknown scheme's error hides the password."""
        with pytest.raises(StoreNotSupported) as info:
            open_store("nosuch://user:hunter2@host/db")
        assert "hunter2" not in str(info.value)


TOY_BACKEND = """
from statuskit import MemoryStore

OPENED = []


def open_toy(target, *, plan, lock_timeout, **options):
    OPENED.append((target, plan, lock_timeout, options))
    return MemoryStore()
"""


class TestEntryPoints:
    """A backend in another package is found through the statuskit.stores entry points."""

    def test_third_party_scheme(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A tiny installed distribution registers `toy:`; open_store finds and calls it."""
        (tmp_path / "statuskit_toy_backend.py").write_text(TOY_BACKEND)
        info = tmp_path / "statuskit_toy_backend-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: statuskit-toy-backend\n")
        (info / "entry_points.txt").write_text(
            textwrap.dedent(
                """\
                [statuskit.stores]
                toy = statuskit_toy_backend:open_toy
                """
            )
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        store = open_store("toy:anything", plan="p1", lock_timeout=2.0, flavour="x")
        assert isinstance(store, StatusStore)
        import statuskit_toy_backend  # type: ignore[import-not-found]

        assert statuskit_toy_backend.OPENED == [("toy:anything", "p1", 2.0, {"flavour": "x"})]
        store.create(sample())
        assert Tracker(store).start("1.1").changed


class TestClose:
    """Every store is a context manager; close is idempotent."""

    def test_context_manager(self, tmp_path: Path) -> None:
        """Leaving `with` closes; closing twice is harmless."""
        for store in (open_store(tmp_path / "s.json"), open_store("memory:close-test")):
            with store as entered:
                assert entered is store
            store.close()
