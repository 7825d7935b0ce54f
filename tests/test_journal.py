"""The journal: events derived from two snapshots, recorded atomically with every write."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import attrs
import pytest

from statuskit import (
    Actor,
    Intent,
    JournalEvent,
    JsonFileStore,
    MemoryStore,
    PlanStatus,
    Run,
    StatusStore,
    Task,
    TaskState,
    Tracker,
    claim,
    heartbeat,
)
from statuskit import transitions as tr
from statuskit.journal import commit, decode_line, diff, encode_line, read_lines
from statuskit.store._journal import journal_path

UTC = timezone.utc
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ACTOR = Actor(host="h", pid=1)
C = TaskState.COMPLETED


def plan(*ids: str) -> PlanStatus:
    return PlanStatus(
        tasks=tuple(Task(id=i, phase="Phase 1", description=f"task {i}") for i in ids),
        created_at=T0,
    )


def kinds(events: list[JournalEvent] | tuple[JournalEvent, ...]) -> list[tuple[str, str | None]]:
    return [(event.kind, event.task) for event in events]


class TestDiff:
    """What each kind of change turns into."""

    def test_claim_move_heartbeat_reclaim(self) -> None:
        """Claims, moves under a claim, heartbeats and reclaims, with owner and token."""
        old = plan("1.1", "1.2")
        claimed, _ = claim(old, 2, "w1", now=T0, lease=timedelta(minutes=1))
        events = diff(old, claimed, rev=2, at=T0, actor=ACTOR)
        assert [(e.kind, e.task, e.from_state, e.to_state, e.owner, e.token) for e in events] == [
            ("claimed", "1.1", "pending", "in_progress", "w1", 1),
            ("claimed", "1.2", "pending", "in_progress", "w1", 2),
        ]
        assert events[0].details == {"leaseExpiresAt": "2025-06-01T12:01:00.000Z"}
        beat, _ = heartbeat(claimed, "1.1", 1, now=T0 + timedelta(seconds=30))
        assert [(e.kind, e.details) for e in diff(claimed, beat, rev=3, at=T0)] == [
            ("heartbeat", {"leaseExpiresAt": "2025-06-01T12:01:30.000Z"})
        ]
        taken, _ = claim(beat, 1, "w2", now=T0 + timedelta(minutes=5))
        (event,) = diff(beat, taken, rev=4, at=T0)
        assert (event.kind, event.task, event.owner, event.token) == ("reclaimed", "1.1", "w2", 3)
        assert event.details["previous"] == {"owner": "w1", "token": 1}
        done = tr.complete(taken, "1.1", now=T0, token=3, notes="n")
        (moved,) = diff(taken, done, rev=5, at=T0)
        assert (moved.kind, moved.from_state, moved.to_state, moved.owner, moved.token) == (
            "moved",
            "in_progress",
            "completed",
            "w2",
            3,
        )
        assert moved.details == {"notes": "n"}
        assert moved.is_move

    def test_release_error_reason_and_updates(self) -> None:
        """A reset names the claim it released; errors, reasons, other fields are shown."""
        claimed, _ = claim(plan("1.1", "1.2"), 1, "w1", now=T0)
        failed = tr.fail(claimed, "1.1", now=T0, error="boom", token=1)
        assert diff(claimed, failed, rev=3, at=T0)[0].details == {"error": "boom"}
        reset = tr.reset(failed, "1.1", now=T0)
        (event,) = diff(failed, reset, rev=4, at=T0)
        assert event.details == {"released": {"owner": "w1", "token": 1}}
        skipped = tr.skip(reset, "1.2", now=T0, reason="later")
        assert diff(reset, skipped, rev=5, at=T0)[0].details == {"reason": "later"}
        renamed = attrs.evolve(
            skipped,
            tasks=(attrs.evolve(skipped.tasks[0], findings_path="f.md"), skipped.tasks[1]),
        )
        (event,) = diff(skipped, renamed, rev=6, at=T0)
        assert (event.kind, event.details, event.is_move) == (
            "updated",
            {"fields": ["findingsPath"]},
            False,
        )

    def test_tasks_added_removed_runs_plan(self) -> None:
        """Tasks added and removed, runs started and ended, plan fields."""
        old = attrs.evolve(plan("1.1", "1.2"), runs=(Run(run_id="r0", started_at=T0),))
        new = attrs.evolve(
            old,
            tasks=(old.tasks[0], Task(id="1.3")),
            runs=(
                attrs.evolve(old.runs[0], completed_at=T0, tasks_completed=2),
                Run(run_id="r1", started_at=T0),
            ),
            plan_name="Renamed",
        )
        events = diff(old, new, rev=2, at=T0)
        assert kinds(events) == [
            ("added", "1.3"),
            ("removed", "1.2"),
            ("run_ended", None),
            ("run_started", None),
            ("plan_updated", None),
        ]
        assert events[2].details == {"run": "r0", "tasksCompleted": 2, "tasksFailed": 0}
        assert events[3].details == {"run": "r1"}
        assert events[4].details == {"fields": ["planName"]}

    def test_misaligned_tasks_fall_back_to_ids(self) -> None:
        """A reordering changes nothing; a changed task in a reordered plan is found by id."""
        old = plan("1.1", "1.2")
        swapped = attrs.evolve(old, tasks=(old.tasks[1], attrs.evolve(old.tasks[0], status=C)))
        assert kinds(diff(old, swapped, rev=2, at=T0)) == [("moved", "1.1")]


class TestCommit:
    """commit numbers the revision, turns intents into events, and drops them."""

    def test_revision_and_events(self) -> None:
        """Revision + 1; intents become events first; `by` names the actor's owner."""
        old = attrs.evolve(plan("1.1"), revision=41)
        forced = tr.complete(claim(old, 1, "w1", now=T0)[0], "1.1", now=T0, force=True)
        stored, events = commit(old, forced, actor=ACTOR, at=T0)
        assert stored.revision == 42
        assert stored.intents == ()
        assert kinds(events) == [("forced", "1.1"), ("moved", "1.1")]
        assert all(e.rev == 42 and e.at == T0 for e in events)
        assert all(e.actor == Actor(host="h", pid=1, owner="w1") for e in events)

    def test_creation_and_fallback(self) -> None:
        """A creation is one `created` event; a change no event describes is `updated`."""
        stored, events = commit(None, plan("1.1"), actor=ACTOR, at=T0)
        assert (stored.revision, kinds(events)) == (1, [("created", None)])
        assert events[0].details == {"tasks": 1}
        touched = attrs.evolve(stored, last_updated_at=T0)
        again, events = commit(stored, touched, actor=ACTOR, at=T0)
        assert (again.revision, kinds(events)) == (2, [("updated", None)])
        intent = Intent(kind="repaired", details={"fixed": ["summary_mismatch"]})
        _, events = commit(again, attrs.evolve(again, intents=(intent,)), actor=ACTOR, at=T0)
        assert [(e.kind, dict(e.details)) for e in events] == [
            ("repaired", {"fixed": ["summary_mismatch"]})
        ]


class TestLines:
    """One line per revision; readers take the committed lineage."""

    def test_round_trip(self) -> None:
        """encode_line/decode_line keep every field; foreign or torn lines are None."""
        _, events = commit(plan("1.1"), claim(plan("1.1"), 1, "w", now=T0)[0], actor=ACTOR, at=T0)
        line = encode_line(events)
        assert "\n" not in line
        assert decode_line(line) == events
        for bad in (
            '{"rev": 1, "at": "2025',
            "[]",
            '{"rev": "1"}',
            "",
            '{"rev":1,"at":"x","events":[]}',
        ):
            assert decode_line(bad) is None
        with pytest.raises(ValueError, match="none given"):
            encode_line(())

    def test_orphans_superseded_and_torn_lines(self) -> None:
        """Lines above the status's revision are ignored; of two lines for a revision the
        later counts; unparsable lines are skipped."""

        def line(rev: int, task: str) -> str:
            return encode_line(
                (
                    JournalEvent(
                        rev=rev, at=T0, kind="moved", task=task, from_state="p", to_state="c"
                    ),
                )
            )

        lines = [line(1, "a"), line(2, "orphan"), "torn{", line(2, "b"), line(3, "c"), line(4, "d")]
        assert [(e.rev, e.task) for e in read_lines(lines, 3)] == [(1, "a"), (2, "b"), (3, "c")]


def stores() -> dict[str, Callable[[Path], StatusStore]]:
    return {
        "memory": lambda folder: MemoryStore(),
        "jsonfile": lambda folder: JsonFileStore(folder / "status.json", lock_timeout=5),
    }


@pytest.fixture(params=sorted(stores()))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StatusStore:
    return stores()[request.param](tmp_path)


class TestScripted:
    """After a scripted sequence the journal holds exactly the expected moves, in order."""

    def test_sequence(self, store: StatusStore) -> None:
        """Every write, one revision; every move where it happened."""
        store.create(plan("1.1", "1.2", "1.3"))
        clock = [T0]
        tracker = Tracker(store, clock=lambda: clock[0])
        (first,) = tracker.claim(1, "w1", lease=timedelta(seconds=10))
        tracker.heartbeat("1.1", first.token or 0)
        tracker.start("1.2", owner="alice")
        tracker.complete("1.2", notes="ok")
        tracker.complete("1.2")  # an idempotent repeat: no write, no event
        (second,) = tracker.claim(1, "w2", lease=timedelta(minutes=5))  # 1.3
        tracker.fail("1.3", error="boom", token=second.token)
        tracker.reset("1.3")
        clock[0] = T0 + timedelta(seconds=11)  # 1.1's lease is over: the next claim takes it
        (third,) = tracker.claim(1, "w3")
        assert (third.id, third.reclaim_count) == ("1.1", 1)
        tracker.complete("1.1", token=third.token)
        run = tracker.start_run()
        tracker.complete_run(run.run_id, completed=2, failed=0)
        tracker.skip("1.3", reason="later")
        history = list(store.history())
        assert [(e.rev, e.kind, e.task, e.from_state, e.to_state) for e in history] == [
            (1, "created", None, None, None),
            (2, "claimed", "1.1", "pending", "in_progress"),
            (3, "heartbeat", "1.1", "in_progress", "in_progress"),
            (4, "moved", "1.2", "pending", "in_progress"),
            (5, "moved", "1.2", "in_progress", "completed"),
            (6, "claimed", "1.3", "pending", "in_progress"),
            (7, "moved", "1.3", "in_progress", "failed"),
            (8, "moved", "1.3", "failed", "pending"),
            (9, "reclaimed", "1.1", "in_progress", "in_progress"),
            (10, "moved", "1.1", "in_progress", "completed"),
            (11, "run_started", None, None, None),
            (12, "run_ended", None, None, None),
            (13, "moved", "1.3", "pending", "skipped"),
        ]
        assert store.read().revision == 13
        assert [e.actor.owner for e in history[1:6]] == ["w1", "w1", "alice", None, "w2"]
        assert all(e.actor.pid == os.getpid() for e in history)
        assert [e.rev for e in store.history(since=11)] == [12, 13]
        assert [e.kind for e in store.history(task="1.3")] == [
            "claimed",
            "moved",
            "moved",
            "moved",
        ]

    def test_repair_sync_and_force_are_named(self, store: StatusStore, tmp_path: Path) -> None:
        """Intents a diff cannot show reach the journal through the tracker."""
        from statuskit import parse_plan

        store.create(attrs.evolve(plan("1.1"), plan_path=None))
        tracker = Tracker(store, clock=lambda: T0)
        tracker.claim(1, "w1")
        tracker.complete("1.1", force=True)
        store.update(lambda s: attrs.evolve(s, tasks=(attrs.evolve(s.tasks[0], duration_ms=5),)))
        tracker.repair()
        tracker.sync(parse_plan("# P\n\n## Phase 1: A\n- [ ] 1.1 task 1.1\n- [ ] 1.2 New\n"))
        events = list(store.history(since=2))
        assert [(e.rev, e.kind, e.task) for e in events] == [
            (3, "forced", "1.1"),
            (3, "moved", "1.1"),
            (4, "updated", "1.1"),
            (5, "repaired", None),
            (5, "updated", "1.1"),
            (6, "synced", None),
            (6, "updated", "1.1"),
            (6, "added", "1.2"),
            (6, "plan_updated", None),
        ]
        assert events[3].details == {"fixed": ["duration_mismatch"]}
        assert events[6].details == {"fields": ["phase"]}


class TestJsonJournal:
    """The JSON backend's journal file."""

    def test_file_and_lines(self, tmp_path: Path) -> None:
        """status.journal.jsonl beside the status: one line per revision."""
        path = tmp_path / "status.json"
        store = JsonFileStore(path)
        store.create(plan("1.1"))
        Tracker(store).complete("1.1")
        journal = tmp_path / "status.journal.jsonl"
        assert journal_path(str(path)) == str(journal)
        lines = journal.read_text().splitlines()
        assert [json.loads(line)["rev"] for line in lines] == [1, 2]
        other = tmp_path / "other"
        JsonFileStore(other).create(plan("1.1"))
        assert (tmp_path / "other.journal.jsonl").exists()

    def test_journal_mode_follows_the_status(self, tmp_path: Path) -> None:
        """A journal created for a private status is private too."""
        path = tmp_path / "status.json"
        path.write_text(json.dumps({"tasks": [{"id": "1.1", "status": "pending"}]}))
        os.chmod(path, 0o600)
        Tracker(JsonFileStore(path)).complete("1.1")
        assert (tmp_path / "status.journal.jsonl").stat().st_mode & 0o777 == 0o600

    def test_old_file_without_journal(self, tmp_path: Path) -> None:
        """A file from before revisions has no history; its journal starts at its next write."""
        path = tmp_path / "status.json"
        path.write_text(
            json.dumps({"planName": "Old", "tasks": [{"id": "1.1", "status": "pending"}]})
        )
        store = JsonFileStore(path)
        assert store.read().revision == 0
        assert list(store.history()) == []
        Tracker(store).start("1.1")
        assert [(e.rev, e.kind) for e in store.history()] == [(1, "moved")]
        assert json.loads(path.read_text())["revision"] == 1

    def test_crash_before_replace_leaves_an_invisible_line(self, tmp_path: Path) -> None:
        """A line whose status never landed is ignored, then superseded by the next write."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(plan("1.1", "1.2"))
        orphan = JournalEvent(
            rev=2, at=T0, kind="moved", task="1.1", from_state="pending", to_state="completed"
        )
        with open(store.journal.path, "a", encoding="utf-8") as handle:
            handle.write(encode_line((orphan,)) + "\n")
            handle.write('{"rev": 3, "at": "2025-06-01T12:00:00.000Z", "ev')  # torn mid-line
        assert kinds(list(store.history())) == [("created", None)]
        Tracker(store).complete("1.2")
        assert [(e.rev, e.task) for e in store.history()] == [(1, None), (2, "1.2")]
        raw = Path(store.journal.path).read_text().split("\n")
        assert raw[-1] == ""
        assert json.loads(raw[-2])["rev"] == 2  # the new line did not glue onto the torn one

    def test_restore_starts_a_new_lineage(self, tmp_path: Path) -> None:
        """Restoring a backup: a `restored` event names the lost revisions; the history is
        that of the restored status."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(plan("1.1", "1.2", "1.3"))
        tracker = Tracker(store, clock=lambda: T0)
        tracker.complete("1.1")  # rev 2
        tracker.complete("1.2")  # rev 3 (the backup .bak.1 is rev 1, .bak rev 2)
        tracker.complete("1.3")  # rev 4
        Path(store.path).write_text("{ torn")
        report = tracker.repair()
        assert report.action == "restored"
        restored = store.read()
        assert restored.revision == 4
        history = list(store.history())
        assert [(e.rev, e.kind) for e in history] == [
            (1, "created"),
            (2, "moved"),
            (3, "moved"),
            (4, "restored"),
        ]
        assert history[-1].details["lost"] == [4, 4]
        assert history[-1].details["revision"] == 3
        tracker.complete("1.3")
        assert [e.rev for e in store.history()] == [1, 2, 3, 4, 5]

    def test_unwritable_status_logs_nothing(self, tmp_path: Path) -> None:
        """A write that cannot be serialized appends no line."""
        store = JsonFileStore(tmp_path / "status.json")
        store.create(plan("1.1"))
        before = Path(store.journal.path).read_bytes()
        with pytest.raises(ValueError, match=r"NaN|finite|JSON"):
            store.update(lambda s: attrs.evolve(s, extra={"x": float("nan")}))
        assert Path(store.journal.path).read_bytes() == before


class TestBackendsAgree:
    """The memory and JSON stores record the same events for the same operations."""

    def test_same_history(self, tmp_path: Path) -> None:
        """Event for event (times and actors aside)."""
        trackers = []
        stores: tuple[StatusStore, ...] = (MemoryStore(), JsonFileStore(tmp_path / "status.json"))
        for store in stores:
            store.create(plan("1.1", "1.2", "1.3"))
            ticks = iter([T0 + timedelta(seconds=i) for i in range(1000)])
            trackers.append(Tracker(store, clock=partial(next, ticks)))
        for tracker in trackers:
            got = tracker.claim(2, "w", lease=timedelta(seconds=3))
            tracker.complete("1.1", token=got[0].token, notes="x")
            tracker.start("1.3")
            tracker.claim(1, "v")  # 1.2 reclaimed: its lease is over
            tracker.fail("1.3", error="e")
            tracker.write_findings("1.3", "text")

        def shape(store: StatusStore) -> list[dict[str, object]]:
            return [
                {k: v for k, v in e.to_json().items() if k not in ("at", "actor")}
                for e in store.history()
            ]

        assert shape(trackers[0].store) == shape(trackers[1].store)
        assert len(shape(trackers[0].store)) == 8
