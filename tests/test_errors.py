"""The error tree: roots, builtin bases, fields, messages and pickling."""

from __future__ import annotations

import pickle

import pytest

import statuskit
from statuskit import errors


def samples() -> list[errors.StatusKitError]:
    return [
        errors.TaskNotFound("9.9", ["1.1"]),
        errors.InvalidTaskId("../x", "contains '..'"),
        errors.InvalidTransition(
            "1.1", "completed", "failed", "completed tasks change only with force"
        ),
        errors.LockTimeout("/tmp/s.lock", 1.5, {"pid": "42", "host": "h"}),
        errors.CorruptStatus("bad", "/tmp/s.json", "$.tasks[0]", (1, 2), ["/tmp/s.json.bak"]),
        errors.SchemaTooNew(3, 1),
        errors.StatusMissing("/tmp/s.json"),
        errors.StatusMissing("/tmp/s.json", ["/tmp/s.json.bak"]),
        errors.StatusExists("/tmp/s.json"),
        errors.StatusExists("/tmp/s.json", ["/tmp/s.json.bak"]),
        errors.DuplicateTaskIds(["1.1", "2.3"], "/tmp/s.json"),
        errors.UnsafePath("/tmp/s.json.lock", "a symbolic link to /tmp/victim"),
        errors.RepairRefused("no backup"),
        errors.PlanError("no phases", "x.md"),
        errors.RunNotFound(None),
        errors.FindingsNotFound("1.1", "/tmp/findings/1-1.md"),
    ]


class TestTree:
    """Every error has one root and the builtin base that matches its meaning."""

    @pytest.mark.parametrize("error", samples(), ids=lambda e: type(e).__name__)
    def test_pickle_round_trip(self, error: errors.StatusKitError) -> None:
        """Errors survive pickling with their fields and message."""
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert again.args == error.args
        assert str(again) == str(error)
        assert vars(again) == vars(error)

    def test_builtin_bases(self) -> None:
        """LookupError, ValueError, TimeoutError as the style guide says."""
        assert issubclass(errors.TaskNotFound, LookupError)
        assert issubclass(errors.LockTimeout, TimeoutError)
        assert issubclass(errors.CorruptStatus, ValueError)
        assert issubclass(errors.InvalidTransition, ValueError)
        assert issubclass(errors.StatusMissing, FileNotFoundError)
        for name in errors.__all__:
            assert issubclass(getattr(errors, name), statuskit.StatusKitError)

    def test_messages(self) -> None:
        """Messages name the facts."""
        lock = errors.LockTimeout("/tmp/s.lock", 1.5, {"pid": "42", "host": "h"})
        assert lock.holder_pid == 42
        assert str(lock) == "could not lock /tmp/s.lock within 1.5s; held by host h, pid 42"
        corrupt = errors.CorruptStatus("bad", "/tmp/s.json", "$.tasks[0]", (1, 2))
        assert str(corrupt) == (
            "/tmp/s.json (line 1, column 2) is corrupt at $.tasks[0]: bad; no valid backup exists"
        )
        assert str(errors.TaskNotFound("9.9")) == "task '9.9' not found"
