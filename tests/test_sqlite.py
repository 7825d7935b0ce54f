"""SqliteStore: many plans per file, diff writes, the snapshot cache, schema, errors, crashes.

What every backend must do is in ``test_store_contract``; this file holds what only the
database backend has to prove.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statuskit import (
    DuplicateTaskIds,
    JsonFileStore,
    MemoryStore,
    PlanStatus,
    Run,
    StatusMissing,
    StoreNotSupported,
    Task,
    TaskNotFound,
    TaskState,
    Tracker,
    encode,
    open_store,
    transitions,
)
from statuskit.codec import decode, dumps
from statuskit.store import TaskScoped
from statuskit.store.sqlite import SqliteStore

from . import workers
from .helpers import corpus_files
from .test_concurrency import SPAWN

UTC = timezone.utc
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def plan(n: int = 5, prefix: str = "1") -> PlanStatus:
    return PlanStatus(
        tasks=tuple(
            Task(id=f"{prefix}.{i}", phase=f"Phase {prefix}", description=f"task {i}")
            for i in range(1, n + 1)
        ),
        plan_path="plan.md",
        plan_name="Plan",
        created_at=T0,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "statuskit.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    """Plan ``p`` (5 tasks) in a fresh database."""
    with SqliteStore(db, "p", lock_timeout=5) as opened:
        opened.create(plan())
        yield opened


def rows(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def plan_seq(db: Path, key: str = "p") -> int:
    ((seq,),) = rows(db, "SELECT seq FROM statuskit_plans WHERE plan_key = ?", key)
    assert isinstance(seq, int)
    return seq


class TestTargets:
    """open_store URLs, plan keys, and where things are said to be."""

    def test_absolute_and_relative(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """sqlite:///abs and sqlite:rel name the same file; the location names the plan."""
        monkeypatch.chdir(tmp_path)
        with open_store("sqlite:sub/x.db", plan="k") as rel:
            rel.create(plan())
        with open_store(f"sqlite://{tmp_path}/sub/x.db", plan="k") as absolute:
            assert isinstance(absolute, SqliteStore)
            assert absolute.read().tasks == plan().tasks
            assert absolute.location == f"sqlite://{tmp_path}/sub/x.db#k"
            assert absolute.findings_location("1.2") == (
                f"sqlite://{tmp_path}/sub/x.db#k/findings/1-2.md"
            )

    @pytest.mark.parametrize(
        "target",
        [
            "sqlite:",
            "sqlite://host/x.db",
            "sqlite:folder/",
            "sqlite:///:memory:",
            "sqlite::memory:",
        ],
    )
    def test_bad_targets(self, target: str) -> None:
        """Targets that name no file are refused with the forms that work."""
        with pytest.raises(StoreNotSupported, match=r"sqlite:///abs/path\.db"):
            open_store(target, plan="k")

    def test_options(self, db: Path) -> None:
        """Unknown options and synchronous values are refused."""
        with pytest.raises(StoreNotSupported, match="unknown options"):
            open_store(f"sqlite:{db}", plan="k", backups=3)
        with pytest.raises(StoreNotSupported, match="synchronous"):
            open_store(f"sqlite:{db}", plan="k", synchronous="sometimes")

    def test_no_plan_key(self, store: SqliteStore, db: Path) -> None:
        """Without a key the database lists its plans; anything per plan says what is missing."""
        with SqliteStore(db) as keyless:
            assert [entry.key for entry in keyless.plans()] == ["p"]
            for call in (keyless.read, keyless.exists, lambda: keyless.create(plan())):
                with pytest.raises(StoreNotSupported, match="no plan key"):
                    call()

    def test_missing_database(self, db: Path) -> None:
        """Reading a database that does not exist creates nothing."""
        with SqliteStore(db, "p") as missing:
            assert not missing.exists()
            with pytest.raises(StatusMissing):
                missing.read()
            with pytest.raises(StatusMissing):
                missing.update(lambda s: s)
            assert missing.plans() == []
        assert not db.exists()


class TestManyPlans:
    """One database, many plans: each sees only its own."""

    def test_isolation(self, db: Path) -> None:
        """Same task ids in two plans: changes, findings and counts never cross."""
        with SqliteStore(db, "a") as a, SqliteStore(db, "b") as b:
            a.create(plan(3))
            b.create(plan(4))
            Tracker(a).complete("1.1", notes="a's")
            Tracker(b).fail("1.2", error="b's")
            a.write_findings("1.1", "from a")
            assert [t.status for t in a.read().tasks] == [
                TaskState.COMPLETED,
                TaskState.PENDING,
                TaskState.PENDING,
            ]
            assert b.read().task("1.1").status is TaskState.PENDING
            assert b.read().task("1.2").error == "b's"
            assert a.read().task("1.2").error is None
            with pytest.raises(Exception, match="no findings"):
                b.read_findings("1.1")
            listed = {entry.key: entry.summary for entry in a.plans()}
            assert (listed["a"].total, listed["a"].completed) == (3, 1)
            assert (listed["b"].total, listed["b"].failed) == (4, 1)

    def test_plans_catalog(self, db: Path) -> None:
        """plans() lists every key in order with its plan file, name and last change."""
        for key in ("zeta", "alpha"):
            with SqliteStore(db, key) as s:
                s.create(attrs.evolve(plan(2), plan_path=f"{key}.md", last_updated_at=T0))
        with SqliteStore(db) as catalog:
            entries = catalog.plans()
        assert [(e.key, e.plan_path, e.last_updated_at) for e in entries] == [
            ("alpha", "alpha.md", T0),
            ("zeta", "zeta.md", T0),
        ]


class TestDiffWrites:
    """An update writes the rows it changed, and nothing when nothing changed."""

    def test_one_task_one_row(self, store: SqliteStore, db: Path) -> None:
        """Completing one task rewrites exactly that task's row (both update paths)."""
        before = plan_seq(db)
        store.update(lambda s: transitions.complete(s, "1.3", now=T0))
        assert plan_seq(db) == before + 1
        changed = rows(db, "SELECT id FROM statuskit_tasks WHERE seq = ?", before + 1)
        assert changed == [("1.3",)]
        Tracker(store, clock=lambda: T0).start("1.4")
        assert rows(db, "SELECT id FROM statuskit_tasks WHERE seq = ?", before + 2) == [("1.4",)]

    def test_unchanged_writes_nothing(self, store: SqliteStore, db: Path) -> None:
        """The same object, or an equal one, commits nothing (data_version does not move)."""
        watcher = sqlite3.connect(db)
        version = watcher.execute("PRAGMA data_version").fetchone()
        store.update(lambda s: s)
        store.update(lambda s: attrs.evolve(s, plan_name=s.plan_name))
        Tracker(store).start("1.1")  # one real change, for contrast
        assert watcher.execute("PRAGMA data_version").fetchone() != version
        version = watcher.execute("PRAGMA data_version").fetchone()
        seq = plan_seq(db)
        assert not Tracker(store).start("1.1").changed
        store.update(lambda s: attrs.evolve(s, plan_name=s.plan_name))
        assert watcher.execute("PRAGMA data_version").fetchone() == version
        assert plan_seq(db) == seq
        watcher.close()

    def test_scoped_view(self, store: SqliteStore) -> None:
        """Task operations use a view: the task asked for, exact plan-wide counts."""
        assert isinstance(store, TaskScoped)
        view = store.read_tasks(["1.2", "9.9", "1.2"])
        assert [t.id for t in view.status.tasks] == ["1.2"]
        assert view.summary == store.read().summary
        with pytest.raises(TaskNotFound) as caught:
            view.task("1.9")
        with pytest.raises(TaskNotFound) as whole:
            store.read().task("1.9")
        assert caught.value.suggestions == whole.value.suggestions != ()
        after = store.update_tasks(["1.2"], lambda s: transitions.complete(s, "1.2", now=T0))
        assert after.summary.completed == 1 == store.read().summary.completed

    def test_scoped_change_may_not_reshape(self, store: SqliteStore, db: Path) -> None:
        """A change of a view that adds tasks or runs is refused and writes nothing."""
        seq = plan_seq(db)
        for bad in (
            lambda s: attrs.evolve(s, tasks=(*s.tasks, Task(id="7.7"))),
            lambda s: attrs.evolve(s, runs=(Run(run_id="r"),)),
        ):
            with pytest.raises(ValueError, match="view"):
                store.update_tasks(["1.1"], bad)
        assert plan_seq(db) == seq

    def test_outcome_status_is_read_when_asked(self, store: SqliteStore) -> None:
        """Outcome.summary is exact; Outcome.status is the whole status, read on demand."""
        outcome = Tracker(store).complete("1.5", notes="n")
        assert outcome.summary.completed == 1
        assert outcome.status == store.read()
        dry = Tracker(store).complete("1.4", dry_run=True)
        assert dry.summary.completed == 2
        assert dry.status.task("1.4").status is TaskState.COMPLETED
        assert store.read().task("1.4").status is TaskState.PENDING


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["append", "drop", "insert", "touch", "run", "unrun"]), st.integers(0, 9)
    ),
    max_size=25,
)


def _edit(status: PlanStatus, kind: str, n: int, counter: list[int]) -> PlanStatus:
    counter[0] += 1
    tasks = list(status.tasks)
    fresh = Task(id=f"n.{counter[0]}", description=f"new {counter[0]}", extra={"k": counter[0]})
    if kind == "append":
        tasks += [fresh] * (n % 3 + 1)
    elif kind == "drop":
        del tasks[len(tasks) - n % 3 - 1 :]
    elif kind == "insert":
        tasks.insert(n % (len(tasks) + 1), fresh)
    elif kind == "touch" and tasks:
        i = n % len(tasks)
        tasks[i] = attrs.evolve(tasks[i], notes=f"touched {counter[0]}")
    elif kind == "run":
        return attrs.evolve(status, runs=(*status.runs, Run(run_id=f"r{counter[0]}")))
    elif kind == "unrun":
        return attrs.evolve(status, runs=status.runs[: max(0, len(status.runs) - 1)])
    return attrs.evolve(status, tasks=tuple(tasks))


class TestSnapshotCache:
    """A store that read before sees exactly what other writers wrote since."""

    @settings(max_examples=40, deadline=None)
    @given(edits=EDITS)
    def test_warm_cache_follows_other_writers(self, edits: list[tuple[str, int]]) -> None:
        """Writes by one store (any reshaping) are read exactly by another with a cache."""
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "x.db"
            reference = MemoryStore()
            reference.create(plan(4))  # journaled like the writer's: the same revisions
            counter = [0]
            with SqliteStore(path, "p") as writer, SqliteStore(path, "p") as reader:
                writer.create(plan(4))
                for kind, n in edits:
                    counter[0] += 1
                    change = partial(_edit, kind=kind, n=n, counter=[counter[0]])
                    reference.update(change)
                    writer.update(partial(_edit, kind=kind, n=n, counter=[counter[0]]))
                    assert encode(reader.read()) == encode(reference.read())
                    ids = [t.id for t in reference.read().tasks]
                    twice = tuple(dict.fromkeys(i for n, i in enumerate(ids) if i in ids[:n]))
                    assert reader.read_tasks([]).duplicates == twice
                with SqliteStore(path, "p") as cold:
                    assert encode(cold.read()) == encode(reference.read())

    def test_recreated_plan_is_not_mistaken_for_the_cached_one(self, db: Path) -> None:
        """A plan moved aside and created again (same seq) is read afresh."""
        with SqliteStore(db, "p") as first, SqliteStore(db, "p") as reader:
            first.create(plan(2))
            assert len(reader.read().tasks) == 2
            conn = sqlite3.connect(db)
            with conn:
                for table in ("plans", "tasks", "runs"):
                    conn.execute(f"DELETE FROM statuskit_{table}")
            conn.close()
            first.create(plan(3, prefix="9"))
            assert [t.id for t in reader.read().tasks] == ["9.1", "9.2", "9.3"]


@pytest.mark.parametrize("path", corpus_files("status", "*.json"), ids=lambda p: p.name)
def test_corpus_round_trip(path: Path, tmp_path: Path) -> None:
    """Every corpus status, stored and read back, is what the JSON file store writes for it."""
    original = decode(json.loads(path.read_text()))
    json_store = JsonFileStore(tmp_path / "status.json")
    json_store.create(original)
    with SqliteStore(tmp_path / "x.db", "k") as store:
        store.create(original)
        assert dumps(store.read()) == dumps(json_store.read())
        for backend in (store, json_store):  # and after a diff write
            Tracker(backend, clock=lambda: T0).start_run("probe")
        assert dumps(store.read()) == dumps(json_store.read())
        assert [e.kind for e in store.history()] == [e.kind for e in json_store.history()]


class TestSchema:
    """The store makes and checks its own schema."""

    def test_created_once_by_racing_processes(self, tmp_path: Path) -> None:
        """8 processes creating plans in one new database at once: all there, each migration once.

        Three fresh databases, since a lost race shows only some of the time (switching to
        WAL mode is refused at once, not waited for, while another connection is open).
        """
        for attempt in range(3):
            db = tmp_path / f"race{attempt}.db"
            barrier = SPAWN.Barrier(8)
            queue = SPAWN.Queue()
            procs = [
                SPAWN.Process(
                    target=workers.report, args=(queue, i, _create_plan, (str(db), i, barrier))
                )
                for i in range(8)
            ]
            for proc in procs:
                proc.start()
            outcomes = [queue.get(timeout=120) for _ in procs]
            for proc in procs:
                proc.join(60)
            assert all(ok for _, ok, _ in outcomes), outcomes
            assert rows(db, "SELECT version FROM statuskit_schema") == [
                (1,),
                (2,),
            ]  # each migration applied once
            with SqliteStore(db) as catalog:
                assert sorted(e.key for e in catalog.plans()) == [f"k{i}" for i in range(8)]
            assert rows(db, "PRAGMA journal_mode") == [("wal",)]

    def test_version_1_database_gains_the_journal(self, tmp_path: Path) -> None:
        """A database made before the journal is migrated on open; its writes are then logged."""
        db = tmp_path / "old.db"
        with SqliteStore(db, "p") as store:
            store.create(plan(2))
        conn = sqlite3.connect(db)
        with conn:  # back to what schema version 1 had
            conn.execute("DROP TABLE statuskit_journal")
            conn.execute("DELETE FROM statuskit_schema WHERE version = 2")
        conn.close()
        with SqliteStore(db, "p") as store:
            Tracker(store, clock=lambda: T0).start("1.1")
            assert [e.kind for e in store.history()] == ["moved"]
        assert rows(db, "SELECT version FROM statuskit_schema") == [(1,), (2,)]

    def test_newer_schema_refused(self, store: SqliteStore, db: Path) -> None:
        """A database from a newer statuskit is not touched."""
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("INSERT INTO statuskit_schema VALUES (99, 'later')")
        conn.close()
        with SqliteStore(db, "p") as newer, pytest.raises(StoreNotSupported, match="newer"):
            newer.read()

    def test_foreign_database(self, db: Path) -> None:
        """Another program's database: no plan in it, and creating one leaves its tables be."""
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("CREATE TABLE mine (x)")
            conn.execute("INSERT INTO mine VALUES (42)")
        conn.close()
        with SqliteStore(db, "p") as store:
            assert not store.exists()
            with pytest.raises(StatusMissing):
                store.read()
            store.create(plan())
        assert rows(db, "SELECT x FROM mine") == [(42,)]


def _create_plan(path: str, index: int, barrier: object) -> str:
    barrier.wait()  # type: ignore[attr-defined]
    with SqliteStore(path, f"k{index}", lock_timeout=60) as store:
        store.create(plan())
    return "ok"


def test_empty_view(tmp_path: Path) -> None:
    """A view of no task holds the plan's fields and counts only."""
    with SqliteStore(tmp_path / "x.db", "p") as store:
        store.create(plan(3))
        view = store.read_tasks([])
        assert view.status.tasks == ()
        assert view.status.plan_name == "Plan"
        assert view.summary.total == 3


@pytest.mark.parametrize("dry_run", [False, True])
def test_unknown_task_suggestions_match_memory(tmp_path: Path, dry_run: bool) -> None:
    """An unknown id says the same on SQLite as on the memory store, dry run or not."""
    reference = Tracker(MemoryStore(plan(12)))
    with pytest.raises(TaskNotFound) as expected:
        reference.complete("1.13", dry_run=dry_run)
    with SqliteStore(tmp_path / "x.db", "p") as store:
        store.create(plan(12))
        with pytest.raises(TaskNotFound) as got:
            Tracker(store).complete("1.13", dry_run=dry_run)
    assert str(got.value) == str(expected.value)
    assert got.value.suggestions != ()


def test_view_reports_duplicate_ids(tmp_path: Path) -> None:
    """A view shows the first task of an id, and names the ids that occur twice in the plan."""
    tasks = (Task(id="1.1", notes="first"), Task(id="1.2"), Task(id="1.1", notes="second"))
    with SqliteStore(tmp_path / "x.db", "p") as store:
        store.create(PlanStatus(tasks=tasks))
        view = store.read_tasks(["1.2"])
        assert view.duplicates == ("1.1",)
        assert store.read_tasks(["1.1"]).status.tasks == (tasks[0],)
        before = store.read()
        # A write is refused inside its transaction, as on the whole-plan path.
        with pytest.raises(DuplicateTaskIds) as info:
            store.update_tasks(["1.2"], lambda s: transitions.start(s, "1.2", now=T0))
        assert info.value.ids == ("1.1",)
        assert store.read() == before
