"""The lease and journal commands: claim --lease, heartbeat, --token on writes, log."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from .clihelp import Result, run

PLAN = """\
# Plan: Leases

## Phase 1: Work
- [ ] 1.1 First
- [ ] 1.2 Second
- [ ] 1.3 Third
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "plan.md").write_text(PLAN)
    assert run("--plan", "plan.md", "init", cwd=tmp_path).code == 0
    return tmp_path


def sk(project: Path, *argv: str, stdin: str = "") -> Result:
    return run("--plan", "plan.md", *argv, cwd=project, stdin=stdin)


def ok(result: Result) -> Any:
    assert result.code == 0, result.stdout + result.stderr
    return result.json


def error(result: Result, code: int) -> dict[str, Any]:
    assert result.code == code, result.stdout + result.stderr
    body: dict[str, Any] = result.json["error"]
    return body


def status_doc(project: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (project / "docs" / "plan-outputs" / "plan" / "status.json").read_text()
    )
    return doc


class TestClaimAndTokens:
    """claim returns tokens and leases; writes need them; --force is recorded."""

    def test_claim_returns_token_and_lease(self, project: Path) -> None:
        """Each claimed task carries token and leaseExpiresAt; --lease sets the length."""
        doc = ok(sk(project, "claim", "2", "--owner", "w1", "--lease", "10m"))
        claimed = doc["claimed"]
        assert [(t["id"], t["token"], t["owner"]) for t in claimed] == [
            ("1.1", 1, "w1"),
            ("1.2", 2, "w1"),
        ]
        assert all(t["claimToken"] == t["token"] for t in claimed)
        file = status_doc(project)
        assert file["lastClaimToken"] == 2
        assert [t.get("leaseExpiresAt") for t in file["tasks"]][:2] == [
            t["leaseExpiresAt"] for t in claimed
        ]

    def test_write_without_token_is_stale_claim(self, project: Path) -> None:
        """Exit 15 naming the holder and the lease's end; the file is untouched."""
        ok(sk(project, "claim", "1", "--owner", "w1"))
        before = status_doc(project)
        body = error(sk(project, "mark-complete", "1.1"), 15)
        assert body["code"] == "stale_claim"
        assert "held by w1 until" in body["message"]
        assert body["details"]["token"] is None
        # The current token is never shown: a stale worker must not be able to copy it.
        assert "currentToken" not in body["details"]
        assert "token 1" not in body["message"]
        stale = error(sk(project, "mark-failed", "1.1", "--error", "x", "--token", "7"), 15)
        assert "token 1" not in stale["message"]
        assert "token 7" in stale["message"]
        assert error(sk(project, "reset", "1.1"), 15)
        assert error(sk(project, "write-findings", "1.1", "--stdin", stdin="x"), 15)
        assert status_doc(project) == before
        assert not (project / "docs" / "plan-outputs" / "plan" / "findings").exists()

    def test_writes_with_token(self, project: Path) -> None:
        """--token on mark-*, write-findings and reset is accepted from the holder."""
        ok(sk(project, "claim", "3", "--owner", "w1"))
        ok(sk(project, "mark-started", "1.1", "--token", "1"))
        ok(sk(project, "write-findings", "1.1", "--stdin", "--token", "1", stdin="# F\n"))
        assert ok(sk(project, "mark-complete", "1.1", "--token", "1"))["task"]["status"] == (
            "completed"
        )
        ok(sk(project, "mark-skipped", "1.2", "--reason", "no", "--token", "2"))
        assert "owner" not in ok(sk(project, "reset", "1.3", "--token", "3"))["task"]

    def test_force_is_journaled(self, project: Path) -> None:
        """--force overrides the token; `log` shows the override."""
        ok(sk(project, "claim", "1", "--owner", "w1"))
        ok(sk(project, "mark-failed", "1.1", "--error", "ops", "--force"))
        events = ok(sk(project, "log", "1.1"))["events"]
        assert [e["event"] for e in events] == ["claimed", "forced", "moved"]
        assert events[1]["override"] == "token"
        assert events[1]["current"] == 1

    def test_heartbeat(self, project: Path) -> None:
        """heartbeat extends the lease with the right token; a wrong one is exit 15."""
        claimed = ok(sk(project, "claim", "1", "--owner", "w1", "--lease", "1m"))["claimed"][0]
        doc = ok(sk(project, "heartbeat", "1.1", "--token", "1", "--lease", "2h"))
        assert (doc["task"], doc["owner"], doc["token"]) == ("1.1", "w1", 1)
        assert doc["leaseExpiresAt"] > claimed["leaseExpiresAt"]
        assert error(sk(project, "heartbeat", "1.1", "--token", "2"), 15)
        assert error(sk(project, "heartbeat", "1.1"), 2)  # --token is required
        ok(sk(project, "mark-complete", "1.1", "--token", "1"))
        assert error(sk(project, "heartbeat", "1.1", "--token", "1"), 4)

    @pytest.mark.parametrize(
        "argv",
        [
            ["claim", "--owner", "w", "--lease", "0s"],
            ["claim", "--owner", "w", "--lease", "soon"],
            ["mark-complete", "1.1", "--token", "-1"],
            ["mark-complete", "1.1", "--token", "1e3"],
            ["log", "--since", "x"],
        ],
    )
    def test_usage_errors(self, project: Path, argv: list[str]) -> None:
        """Bad leases, tokens and revisions are usage errors (exit 2), in JSON."""
        assert error(sk(project, *argv), 2)["code"] == "usage"

    def test_status_and_detect_stuck_show_leases(self, project: Path) -> None:
        """Expired leases are listed, with their holder, before anyone reclaims them."""
        ok(sk(project, "claim", "1", "--owner", "w2", "--lease", "1h"))
        ok(sk(project, "claim", "1", "--owner", "w1", "--lease", "10ms"))
        deadline = time.monotonic() + 60
        while True:  # wait for the short lease to run out, however slow the machine
            running = ok(sk(project, "status"))["inProgress"]
            if running[1]["expired"] or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert [(x["id"], x["owner"], x["expired"]) for x in running] == [
            ("1.1", "w2", False),
            ("1.2", "w1", True),
        ]
        assert all("token" not in x and "leaseExpiresAt" in x for x in running)
        stuck = ok(sk(project, "detect-stuck", "--after", "1h"))
        assert [t["id"] for t in stuck["stuck"]] == ["1.2"]
        assert [(x["task"], x["expired"]) for x in stuck["leases"]] == [
            ("1.1", False),
            ("1.2", True),
        ]
        marked = ok(sk(project, "detect-stuck", "--mark-failed"))
        assert [t["id"] for t in marked["stuck"]] == ["1.2"]
        assert [t["status"] for t in status_doc(project)["tasks"]] == [
            "in_progress",
            "failed",
            "pending",
        ]

    def test_claim_pid_names_the_holder(self, project: Path) -> None:
        """--pid records the holder process on this host."""
        import os

        claimed = ok(sk(project, "claim", "--owner", "w", "--pid", str(os.getpid())))["claimed"]
        assert claimed[0]["holder"]["pid"] == os.getpid()
        assert ok(sk(project, "status"))["inProgress"][0]["holderDead"] is False
        assert ok(sk(project, "detect-stuck"))["leases"][0]["holder"]["pid"] == os.getpid()


class TestLog:
    """statuskit log: JSON events, a text timeline, filters."""

    def test_log_json_and_filters(self, project: Path) -> None:
        """Events in revision order; TASK, --since and --limit select."""
        ok(sk(project, "claim", "2", "--owner", "w1"))
        ok(sk(project, "mark-complete", "1.1", "--token", "1", "--notes", "done"))
        ok(sk(project, "mark-failed", "1.2", "--token", "2", "--error", "boom"))
        events = ok(sk(project, "log"))["events"]
        assert [(e["rev"], e["event"], e.get("task")) for e in events] == [
            (1, "created", None),
            (2, "claimed", "1.1"),
            (2, "claimed", "1.2"),
            (3, "moved", "1.1"),
            (4, "moved", "1.2"),
        ]
        assert events[3]["notes"] == "done"
        assert events[4]["error"] == "boom"
        assert events[3]["actor"]["owner"] == "w1"
        assert {"host", "pid"} <= set(events[3]["actor"])
        assert [e["rev"] for e in ok(sk(project, "log", "--since", "2"))["events"]] == [3, 4]
        assert [e["rev"] for e in ok(sk(project, "log", "--limit", "2"))["events"]] == [3, 4]
        assert ok(sk(project, "log", "--limit", "0"))["events"] == []
        assert [e["event"] for e in ok(sk(project, "log", "1.2"))["events"]] == [
            "claimed",
            "moved",
        ]

    def test_log_text(self, project: Path) -> None:
        """--text prints a readable timeline, one line per event."""
        ok(sk(project, "claim", "1", "--owner", "w1"))
        ok(sk(project, "mark-complete", "1.1", "--token", "1"))
        result = sk(project, "log", "--text")
        assert result.code == 0
        lines = result.stdout.splitlines()
        assert len(lines) == 3
        assert "claimed by w1 (token 1)" in lines[1]
        assert "in_progress -> completed under w1 (token 1)" in lines[2]

    def test_log_without_status(self, tmp_path: Path) -> None:
        """No status yet: not_found, as for every read."""
        (tmp_path / "plan.md").write_text(PLAN)
        assert error(run("--plan", "plan.md", "log", cwd=tmp_path), 3)["code"] == "not_found"
