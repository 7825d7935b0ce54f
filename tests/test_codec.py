"""The status.json codec: lossless on the real corpus, strict about malformed documents."""

from __future__ import annotations

import copy
import json
import pickle
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given

from statuskit import (
    SCHEMA_VERSION,
    CorruptStatus,
    PlanStatus,
    SchemaTooNew,
    decode,
    encode,
)
from statuskit.codec import format_timestamp, parse_timestamp

from .helpers import corpus_dir, corpus_files
from .strategies import offsets, statuses, times

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
