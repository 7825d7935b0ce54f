"""The status.json codec: lossless on the real corpus, strict about malformed documents."""

from __future__ import annotations

import copy
import inspect
import json
import math
import pickle
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuskit import (
    SCHEMA_VERSION,
    CorruptStatus,
    PlanStatus,
    SchemaTooNew,
    Task,
    decode,
    encode,
)
from statuskit.codec import (
    MAX_INTEGER,
    MAX_NESTING,
    dumps,
    dumps_line,
    format_timestamp,
    loads,
    parse_timestamp,
)

from .helpers import corpus_dir, corpus_files
from .strategies import hostile_json, hostile_text, nested, offsets, statuses, times

UTC = timezone.utc


def _utc_ms(text: str) -> str:
    """An independent rendering of the file's timestamp form, for the expected documents."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def normalized(original: dict[str, Any]) -> dict[str, Any]:
    """The corpus document with exactly the normalizations listed in docs/file-format.md."""
    doc = copy.deepcopy(original)
    doc["schemaVersion"] = SCHEMA_VERSION
    for key in ("planPath", "planName", "createdAt", "lastUpdatedAt", "currentPhase"):
        doc.setdefault(key, None)
    for key in ("createdAt", "lastUpdatedAt"):
        if doc[key] is not None:
            doc[key] = _utc_ms(doc[key])
    for task in doc["tasks"]:
        if "description" not in task and "title" in task:
            task["description"] = task.pop("title")
        task.setdefault("description", "")
        if "skipReason" not in task and "reason" in task:
            task["skipReason"] = task.pop("reason")
        if isinstance(task.get("notes"), bool):
            del task["notes"]
        for key in ("findingsPath", "dependencies"):
            if key in task and task[key] in (None, []):
                del task[key]
        for key in ("startedAt", "completedAt", "lastErrorAt"):
            if task.get(key) is not None:
                task[key] = _utc_ms(task[key])
    for run in doc.get("runs", []):
        if "runId" not in run and "id" in run:
            run["runId"] = run.pop("id")
        for key in ("startedAt", "completedAt"):
            if run.get(key) is not None:
                run[key] = _utc_ms(run[key])
    counts = Counter(task["status"] for task in doc["tasks"])
    doc["summary"] = {
        "totalTasks": len(doc["tasks"]),
        **{
            state: counts.get(state, 0)
            for state in ("pending", "in_progress", "completed", "failed", "skipped")
        },
    }
    return doc


STATUS_FILES = corpus_files("status", "*.json")


class TestCorpus:
    """Every real status.json decodes, and re-encodes to the same JSON value."""

    def test_all_68_files_present_and_decode(self) -> None:
        """The corpus has 68 files and every one decodes."""
        folder = corpus_dir("status")
        files = sorted(folder.glob("*.json"))
        assert len(files) == 68
        total = sum(len(decode(json.loads(f.read_text())).tasks) for f in files)
        assert total == 5537

    @pytest.mark.parametrize("path", STATUS_FILES, ids=lambda p: p.stem)
    def test_lossless(self, path: Path) -> None:
        """encode(decode(x)) equals x up to the documented normalizations."""
        original = json.loads(path.read_text())
        assert encode(decode(original)) == normalized(original)

    @pytest.mark.parametrize("path", STATUS_FILES, ids=lambda p: p.stem)
    def test_second_round_trip_is_identity(self, path: Path) -> None:
        """Once normalized, a document round-trips exactly."""
        once = encode(decode(json.loads(path.read_text())))
        assert encode(decode(json.loads(json.dumps(once)))) == once

    def test_legacy_variants_are_understood(self) -> None:
        """title, notes:true, phase '1' + phaseName, null findingsPath, -06:00, V-ids."""
        folder = corpus_dir("status")
        seen = Counter[str]()
        for path in folder.glob("*.json"):
            raw = json.loads(path.read_text())
            status = decode(raw)
            for raw_task, task in zip(raw["tasks"], status.tasks, strict=True):
                if "title" in raw_task and "description" not in raw_task:
                    assert task.description == raw_task["title"]
                    seen["title"] += 1
                if raw_task.get("notes") is True:
                    assert task.notes is None
                    seen["notes-true"] += 1
                if "phaseName" in raw_task:
                    assert task.extra["phaseName"] == raw_task["phaseName"]
                    seen["phaseName"] += 1
                if task.id.startswith("V"):
                    seen["V-id"] += 1
            for raw_run, run in zip(raw["runs"], status.runs, strict=True):
                if "id" in raw_run:
                    assert run.run_id == raw_run["id"]
                    seen["run-id"] += 1
            for key in ("completedAt", "mergedAt"):
                if "-06:00" in str(raw.get(key, "")):
                    assert status.extra[key] == raw[key]  # unknown keys: untouched
                    seen["offset"] += 1
        assert seen == Counter(
            {"title": 27, "notes-true": 2, "phaseName": 27, "V-id": 8, "run-id": 1, "offset": 4}
        )


class TestRoundTrip:
    """decode(encode(x)) == x for generated statuses."""

    @given(statuses())
    def test_round_trip(self, status: PlanStatus) -> None:
        """Generated statuses survive encode, JSON text and decode."""
        again = decode(json.loads(json.dumps(encode(status))))
        assert again == attrs.evolve(status, stored_summary=status.summary)

    @given(times, offsets)
    def test_any_offset_is_read_as_the_same_instant(self, moment: datetime, tz: timezone) -> None:
        """A timestamp written with any offset decodes to the same instant."""
        text = moment.astimezone(tz).isoformat(timespec="milliseconds")
        assert parse_timestamp(text) == moment
        assert format_timestamp(parse_timestamp(text)) == format_timestamp(moment)

    def test_timestamp_forms(self) -> None:
        """Z, offsets, no fraction, six digits, naive (taken as UTC)."""
        expected = datetime(2025, 12, 27, 8, 50, 30, tzinfo=UTC)
        for text in (
            "2025-12-27T08:50:30Z",
            "2025-12-27T08:50:30.000Z",
            "2025-12-27T02:50:30-06:00",
            "2025-12-27T08:50:30.000000+00:00",
            "2025-12-27T08:50:30",
        ):
            assert parse_timestamp(text) == expected, text
        assert format_timestamp(expected) == "2025-12-27T08:50:30.000Z"
        with pytest.raises(ValueError, match="naive"):
            format_timestamp(datetime(2025, 1, 1))

    @pytest.mark.parametrize("text", ["2025-12-27", "yesterday", "2025-13-01T00:00:00Z", ""])
    def test_bad_timestamps_rejected(self, text: str) -> None:
        """Date-only values and garbage are not timestamps."""
        with pytest.raises(ValueError):  # noqa: PT011 - both parse errors are ValueErrors
            parse_timestamp(text)


def _doc(**task_fields: object) -> dict[str, Any]:
    return {"tasks": [{"id": "1.1", "phase": "P", "status": "pending", **task_fields}]}


class TestMalformed:
    """Malformed documents raise CorruptStatus naming the JSON path."""

    @pytest.mark.parametrize(
        ("doc", "path"),
        [
            ([], "$"),
            ({"tasks": {}}, "$.tasks"),
            ({}, "$.tasks"),
            ({"tasks": [1]}, "$.tasks[0]"),
            (_doc(status="done"), "$.tasks[0].status"),
            (_doc(status=3), "$.tasks[0].status"),
            (_doc(id=""), "$.tasks[0].id"),
            (_doc(startedAt="soon"), "$.tasks[0].startedAt"),
            (_doc(duration=-5), "$.tasks[0].duration"),
            (_doc(duration="5"), "$.tasks[0].duration"),
            (_doc(dependencies="1.0"), "$.tasks[0].dependencies"),
            (_doc(dependencies=["1.0", 2]), "$.tasks[0].dependencies[1]"),
            (
                _doc(executionConstraints={"sequential": "yes"}),
                "$.tasks[0].executionConstraints.sequential",
            ),
            ({"tasks": [], "runs": [{"startedAt": "x"}]}, "$.runs[0].runId"),
            ({"tasks": [], "summary": []}, "$.summary"),
            ({"tasks": [], "schemaVersion": "2"}, "$.schemaVersion"),
            (_doc(claimToken="7"), "$.tasks[0].claimToken"),
            (_doc(claimToken=-1), "$.tasks[0].claimToken"),
            (_doc(leaseExpiresAt="soon"), "$.tasks[0].leaseExpiresAt"),
            (_doc(heartbeatAt=5), "$.tasks[0].heartbeatAt"),
            (_doc(reclaimCount=1.5), "$.tasks[0].reclaimCount"),
            (_doc(holder="me"), "$.tasks[0].holder"),
            (_doc(holder={"host": "h"}), "$.tasks[0].holder.pid"),
            (_doc(holder={"host": "h", "pid": None}), "$.tasks[0].holder.pid"),
            (_doc(holder={"host": "", "pid": 3}), "$.tasks[0].holder.host"),
            (_doc(holder={"host": "h", "pid": True}), "$.tasks[0].holder.pid"),
            ({"tasks": [], "revision": "3"}, "$.revision"),
            ({"tasks": [], "lastClaimToken": -2}, "$.lastClaimToken"),
        ],
    )
    def test_json_path_named(self, doc: object, path: str) -> None:
        """The error names where the problem is."""
        with pytest.raises(CorruptStatus) as info:
            decode(doc)
        assert info.value.json_path == path
        assert path in str(info.value)

    def test_every_problem_listed(self) -> None:
        """All problems are collected, not only the first."""
        doc = {
            "tasks": [
                {"id": "1.1", "status": "done"},
                {"id": "1.2", "status": "pending"},
                {"id": "1.3", "status": "pending", "startedAt": 5},
            ]
        }
        with pytest.raises(CorruptStatus) as info:
            decode(doc)
        assert [where for where, _ in info.value.problems] == [
            "$.tasks[0].status",
            "$.tasks[2].startedAt",
        ]
        assert "unknown status 'done'" in info.value.problems[0][1]

    def test_error_pickles(self) -> None:
        """CorruptStatus keeps its fields through pickle."""
        with pytest.raises(CorruptStatus) as info:
            decode(_doc(status="nope"))
        again = pickle.loads(pickle.dumps(info.value))
        assert again.json_path == "$.tasks[0].status"
        assert str(again) == str(info.value)


class TestLeaseFields:
    """Leases, tokens and the revision: read, written back exactly, absent means 0/None."""

    def test_written_back_exactly(self) -> None:
        """Every new key, and an unknown key inside the holder, survives a round trip."""
        doc = {
            "schemaVersion": SCHEMA_VERSION,
            "revision": 12,
            "lastClaimToken": 7,
            "tasks": [
                {
                    "id": "1.1",
                    "phase": "P",
                    "description": "d",
                    "status": "in_progress",
                    "startedAt": "2025-06-01T12:00:00.000Z",
                    "owner": "w1",
                    "claimToken": 7,
                    "leaseExpiresAt": "2025-06-01T12:30:00.000Z",
                    "heartbeatAt": "2025-06-01T12:10:00.000Z",
                    "holder": {"host": "h", "pid": 42, "x_start": 1},
                    "reclaimCount": 2,
                }
            ],
        }
        status = decode(doc)
        task = status.task("1.1")
        assert (status.revision, status.last_token) == (12, 7)
        assert (task.token, task.reclaim_count, task.holder and task.holder.pid) == (7, 2, 42)
        assert task.leased
        out = encode(status)
        del out["summary"], out["planPath"], out["planName"], out["createdAt"]
        del out["lastUpdatedAt"], out["currentPhase"], out["runs"]
        assert out == doc

    def test_absent_means_zero(self) -> None:
        """A file without the keys reads as revision 0, no token; writes no such keys."""
        status = decode({"tasks": [{"id": "1.1", "status": "pending"}]})
        assert (status.revision, status.last_token, status.tasks[0].token) == (0, 0, None)
        out = encode(status)
        assert not {"revision", "lastClaimToken"} & set(out)
        assert not {"claimToken", "leaseExpiresAt", "holder", "reclaimCount"} & set(out["tasks"][0])


class TestSchemaVersion:
    """Version 0 files upgrade on write; newer files are read-only."""

    def test_missing_version_is_zero_and_upgrades(self) -> None:
        """A file without schemaVersion reads as version 0 and is written as current."""
        status = decode({"tasks": []})
        assert status.schema_version == 0
        assert encode(status)["schemaVersion"] == SCHEMA_VERSION

    def test_newer_version_readable_not_writable(self) -> None:
        """schemaVersion above ours decodes, but encoding it raises SchemaTooNew."""
        status = decode({"schemaVersion": SCHEMA_VERSION + 1, "tasks": [], "futureKey": 1})
        assert status.schema_version == SCHEMA_VERSION + 1
        assert status.extra == {"futureKey": 1}
        with pytest.raises(SchemaTooNew) as info:
            encode(status)
        assert info.value.version == SCHEMA_VERSION + 1
        assert pickle.loads(pickle.dumps(info.value)).supported == SCHEMA_VERSION


class TestUnknownKeys:
    """Unknown keys at every level survive."""

    def test_all_levels(self) -> None:
        """Top, task, constraints, run and summary extras come back."""
        doc = {
            "weird": {"nested": [1, 2]},
            "tasks": [
                {
                    "id": "1.1",
                    "phase": "P",
                    "status": "pending",
                    "dependents": ["1.2"],
                    "executionConstraints": {"sequential": True, "sequentialGroup": "g", "x": 1},
                },
            ],
            "runs": [{"runId": "r", "tasksCompleted": 0, "tasksFailed": 0, "phase": "P1"}],
            "summary": {"totalTasks": 1, "pending": 1, "note": "keep"},
        }
        out = encode(decode(doc))
        assert out["weird"] == {"nested": [1, 2]}
        assert out["tasks"][0]["dependents"] == ["1.2"]
        assert out["tasks"][0]["executionConstraints"] == {
            "sequential": True,
            "sequentialGroup": "g",
            "x": 1,
        }
        assert out["runs"][0]["phase"] == "P1"
        assert out["summary"]["note"] == "keep"

    def test_both_legacy_and_current_keys(self) -> None:
        """When title and description both exist, title is kept as an unknown key."""
        out = encode(decode(_doc(description="d", title="t", skipReason="s", reason="r")))
        task = out["tasks"][0]
        assert (task["description"], task["title"]) == ("d", "t")
        assert (task["skipReason"], task["reason"]) == ("s", "r")


# --------------------------------------------------------------------------- hostile documents


def _file(doc: object) -> bytes:
    """JSON text as another program might write it (NaN allowed, raw non-ASCII)."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _reads_back(status: PlanStatus) -> None:
    """What decoded can be written as UTF-8 and read back as the same status."""
    text = dumps(status)
    again = loads(text.encode("utf-8"))
    assert again == attrs.evolve(
        status, stored_summary=status.summary, schema_version=SCHEMA_VERSION
    )


class TestLoads:
    """loads: bytes of a file in, a status or CorruptStatus out — never anything else."""

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (b"[" * 100_000, "nested too deeply"),
            (b'{"a": ' * 100_000, "nested too deeply"),
            (b'{"tasks": [], "x": ' + b"9" * 5000 + b"}", "more than"),
            (b'{"tasks": [{"id": "1", "duration": ' + b"9" * 5000 + b"}]}", "more than"),
            (b'{"tasks": [], "x": NaN}', "NaN is not a JSON number"),
            (b'{"tasks": [], "x": [-Infinity]}', "-Infinity is not a JSON number"),
            (b'{"tasks": [], "cost": 1e999}', "too large for a float"),
            (b'{"tasks": [], "x": "\xff"}', "not UTF-8"),
            (b"  \n", "empty file"),
            (b'{"tasks": [}', "invalid JSON"),
        ],
    )
    def test_hostile_bytes_are_corrupt(self, raw: bytes, reason: str) -> None:
        """Each way json.loads can fail is CorruptStatus, with a reason that says which."""
        with pytest.raises(CorruptStatus) as info:
            loads(raw, origin="s.json")
        assert reason in info.value.reason
        assert info.value.path == "s.json"
        assert str(info.value).startswith("s.json")

    def test_origin_is_optional(self) -> None:
        """Without an origin the error names no file."""
        with pytest.raises(CorruptStatus) as info:
            loads(b"[")
        assert info.value.path is None
        assert loads(b'{"tasks": [{"id": "1"}]}').tasks == (Task(id="1"),)

    def test_syntax_error_keeps_position(self) -> None:
        """A JSON syntax error still reports line and column."""
        with pytest.raises(CorruptStatus) as info:
            loads(b'{\n"tasks": [}', origin="s.json")
        assert info.value.position == (2, 11)

    @given(statuses(max_tasks=3), st.data())
    def test_hostile_values_are_corrupt_or_writable(
        self, status: PlanStatus, data: st.DataObject
    ) -> None:
        """Any value under any unknown key: CorruptStatus, or a status that writes back."""
        doc = encode(status)
        value = data.draw(
            hostile_json
            | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 2**53, 10**300])
            | st.integers(0, 80).map(lambda depth: nested(depth, as_object=depth % 2 == 1))
        )
        place = data.draw(st.sampled_from(["top", "task", "constraints", "run", "summary"]))
        if place == "top":
            doc["x_hostile"] = value
        elif place == "summary":
            doc["summary"]["x_hostile"] = value
        elif place == "run":
            doc["runs"].append({"runId": "r", "x_hostile": value})
        else:
            doc["tasks"].append({"id": "9.9", "status": "pending"})
            target = doc["tasks"][-1]
            if place == "constraints":
                target["executionConstraints"] = target = {"sequential": False}
            target["x_hostile"] = value
        error: CorruptStatus | None = None
        try:
            decoded = loads(_file(doc))
        except CorruptStatus as exc:
            error = exc
        if error is None:
            _reads_back(decoded)
        else:  # a text-level error has no path; a value-level one names the hostile key
            assert error.json_path is None or "x_hostile" in error.json_path


class TestNesting:
    """Unknown values nest at most MAX_NESTING levels, so a decoded file can always be written."""

    @pytest.mark.parametrize(
        ("wrap", "level", "path"),
        [
            (lambda v: {"tasks": [], "x": v}, 1, "$.x"),
            (lambda v: {"tasks": [], "summary": {"x": v}}, 2, "$.summary.x"),
            (lambda v: {"tasks": [{"id": "1", "x": v}]}, 3, "$.tasks[0].x"),
            (lambda v: {"tasks": [], "runs": [{"runId": "r", "x": v}]}, 3, "$.runs[0].x"),
            (
                lambda v: {"tasks": [{"id": "1", "executionConstraints": {"x": v}}]},
                4,
                "$.tasks[0].executionConstraints.x",
            ),
        ],
    )
    def test_limit_at_every_level(self, wrap: Any, level: int, path: str) -> None:
        """The deepest allowed document decodes; one level more is corrupt, with the path."""
        room = MAX_NESTING - level
        for as_object in (False, True):
            deepest = wrap(nested(room, as_object=as_object))
            _reads_back(decode(deepest))
            with pytest.raises(CorruptStatus) as info:
                decode(wrap(nested(room + 1, as_object=as_object)))
            assert info.value.json_path is not None
            assert info.value.json_path.startswith(path)
            assert f"more than {MAX_NESTING} levels" in info.value.reason

    @pytest.mark.parametrize("depth", [MAX_NESTING, 500, 986])
    def test_deep_but_parsable_is_refused(self, depth: int) -> None:
        """Nesting the parser reads but a later write may not (the issue saw 986) is corrupt."""
        raw = b'{"tasks": [], "deep": ' + b"[" * depth + b"]" * depth + b"}"
        with pytest.raises(CorruptStatus, match=r"levels deep|nested too deeply"):
            loads(raw)

    def test_deepest_file_writes_with_a_deep_stack(self) -> None:
        """A file at the limit encodes even when the caller is far down its own stack."""
        status = decode({"tasks": [], "x": nested(MAX_NESTING - 1)})
        headroom = 6 * MAX_NESTING  # generous: what encoding such a file needs

        def descend(depth: int) -> str:
            return dumps(status, indent=2) if depth == 0 else descend(depth - 1)

        assert descend(sys.getrecursionlimit() - headroom - len(inspect.stack()))


class TestStrictNumbers:
    """Non-finite numbers are refused on decode; integers of known keys fit in 2^53 - 1."""

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_under_unknown_key(self, bad: float) -> None:
        """decode of a value built in Python names the place of a NaN or infinity."""
        with pytest.raises(CorruptStatus) as info:
            decode({"tasks": [], "x": {"cost": [1.5, bad]}})
        assert info.value.json_path == "$.x.cost[1]"

    @pytest.mark.parametrize("bad", [math.nan, math.inf, 2**53, 1e300, 10**400, -(10**400)])
    def test_known_integers_bounded(self, bad: float) -> None:
        """duration, retryCount and counts refuse non-finite, huge and negative values."""
        for key in ("duration", "retryCount"):
            with pytest.raises(CorruptStatus) as info:
                decode(_doc(**{key: bad}))
            assert info.value.json_path == f"$.tasks[0].{key}"
        with pytest.raises(CorruptStatus):
            decode({"tasks": [], "summary": {"pending": bad}})

    def test_largest_integer_accepted(self) -> None:
        """2^53 - 1 and integral floats are accepted."""
        task = decode(_doc(duration=MAX_INTEGER, retryCount=3.0)).tasks[0]
        assert (task.duration_ms, task.retry_count) == (MAX_INTEGER, 3)

    @pytest.mark.parametrize(
        ("value", "path"),
        [({1, 2}, "$.x"), ({"a": (1, object())}, "$.x.a[1]"), ({"a": {3: "x"}}, "$.x.a")],
    )
    def test_values_that_are_not_json(self, value: object, path: str) -> None:
        """Sets, objects and non-string keys (only from Python callers) are refused."""
        with pytest.raises(CorruptStatus) as info:
            decode({"tasks": [], "x": value})
        assert info.value.json_path == path

    def test_dumps_refuses_non_finite(self) -> None:
        """A status built in Python with NaN is never written as NaN."""
        status = PlanStatus(tasks=(), extra={"x": math.nan})
        for indent in ("lines", None, 2):
            with pytest.raises(ValueError, match="JSON"):
                dumps(status, indent=indent)
        with pytest.raises(ValueError, match="JSON"):
            dumps_line({"cost": math.inf})

    def test_legacy_title_must_be_text(self) -> None:
        """A legacy title that is not a string is reported, not kept as the description."""
        with pytest.raises(CorruptStatus) as info:
            decode(_doc(title=[1]))
        assert info.value.json_path == "$.tasks[0].title"


def _instant_seconds(naive: datetime, offset_minutes: int) -> int:
    """The UTC instant in seconds since 0001-01-01, by integer arithmetic (cannot overflow)."""
    day_seconds = naive.hour * 3600 + naive.minute * 60 + naive.second
    return (naive.toordinal() - 1) * 86400 + day_seconds - offset_minutes * 60


_FIRST_OK = _instant_seconds(datetime(1, 1, 2), 0)
_FIRST_BAD = _instant_seconds(datetime(9999, 12, 31), 0)
_ALL_OFFSETS = [timezone(timedelta(minutes=m)) for m in (-1439, -60, 0, 60, 1439)]


class TestTimestampRange:
    """Timestamps that decode can be shown in every time zone and subtracted."""

    @pytest.mark.parametrize(
        "text",
        [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:59:59Z",
            "9999-12-31T00:00:00.000Z",
            "0001-01-01T00:30:00+01:00",
            "0001-01-01T00:00:00.000Z",
            "0001-01-01T23:59:59Z",
        ],
    )
    def test_out_of_range_is_corrupt_with_path(self, text: str) -> None:
        """The issue's examples: refused at decode time, naming the key."""
        with pytest.raises(ValueError, match="out of range"):
            parse_timestamp(text)
        with pytest.raises(CorruptStatus) as info:
            decode(_doc(startedAt=text))
        assert info.value.json_path == "$.tasks[0].startedAt"
        assert "out of range" in info.value.reason

    @pytest.mark.parametrize(
        "text", ["2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00+05:60", "2025-01-01T00:00+9"]
    )
    def test_bad_offsets(self, text: str) -> None:
        """Offsets of 24 hours or more, or 60 minutes, are not ISO 8601."""
        with pytest.raises(ValueError, match="ISO 8601"):
            parse_timestamp(text)

    def test_edges_accepted(self) -> None:
        """The first and last accepted instants."""
        first = parse_timestamp("0001-01-02T00:00:00.000Z")
        last = parse_timestamp("9999-12-31T00:59:59.999+01:00")
        assert format_timestamp(last) == "9999-12-30T23:59:59.999Z"
        for tz in _ALL_OFFSETS:
            assert first.astimezone(tz) == first
            assert last.astimezone(tz) == last
        assert (last - first).days == 3652056  # 9999-12-30 - 0001-01-02

    @given(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
        st.integers(-1439, 1439),
        st.booleans(),
    )
    def test_accepted_iff_showable(self, naive: datetime, minutes: int, canonical: bool) -> None:
        """Refused exactly outside the range; accepted values convert to any zone and back."""
        naive = naive.replace(microsecond=naive.microsecond // 1000 * 1000)
        sign = "-" if minutes < 0 else "+"
        offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        if canonical:
            minutes, offset = 0, "Z"
        text = naive.isoformat(timespec="milliseconds") + offset
        seconds = _instant_seconds(naive, minutes)
        if not _FIRST_OK <= seconds < _FIRST_BAD:
            with pytest.raises(ValueError, match="out of range"):
                parse_timestamp(text)
            return
        moment = parse_timestamp(text)
        for tz in _ALL_OFFSETS:
            assert moment.astimezone(tz) == moment
        assert parse_timestamp(format_timestamp(moment)) == moment
        assert abs(moment - parse_timestamp("5000-06-15T12:00:00Z")) < timedelta(days=3652059)


class TestStrictOutput:
    """dumps and dumps_line write strict JSON that every line splitter sees as intended."""

    @given(hostile_json)
    def test_dumps_line_is_one_line(self, value: object) -> None:
        """One line for str.splitlines, valid UTF-8, and the same value read back."""
        line = dumps_line(value)
        assert len(line.splitlines()) == 1
        line.encode("utf-8")  # a lone surrogate would raise here
        assert json.loads(line) == value

    def test_escapes_exactly_the_trouble(self) -> None:
        """Raw non-ASCII text stays; the three line breaks and lone surrogates are escaped."""
        line = dumps_line({"a": "é→\x85\u2028\u2029\ud800", "b": [1.5, None, True]})
        assert line == '{"a": "é→\\u0085\\u2028\\u2029\\ud800", "b": [1.5, null, true]}'

    @given(statuses(max_tasks=3), st.lists(hostile_text, min_size=1, max_size=4))
    def test_file_layout_survives_line_splitters(
        self, status: PlanStatus, texts: list[str]
    ) -> None:
        """Every layout: lines are the layout's lines only, UTF-8, and the status reads back."""
        tasks_out = tuple(
            attrs.evolve(task, notes=texts[i % len(texts)], extra={"x_t": texts[0]})
            for i, task in enumerate(status.tasks)
        )
        status = attrs.evolve(status, tasks=tasks_out, plan_name=texts[-1])
        for indent in ("lines", None, 2):
            text = dumps(status, indent=indent)
            assert text.splitlines() == text.split("\n")[:-1]
            again = loads(text.encode("utf-8"))
            assert again == attrs.evolve(status, stored_summary=status.summary)
