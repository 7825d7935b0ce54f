"""The public API is exactly what __all__ says, and every name resolves and is documented."""

from __future__ import annotations

import inspect

import statuskit

EXPECTED = [
    "SCHEMA_VERSION",
    "Actor",
    "ApplyReport",
    "ChangeFeed",
    "CorruptStatus",
    "Criterion",
    "DuplicateTaskIds",
    "ExecutionConstraints",
    "FindingsNotFound",
    "Holder",
    "Intent",
    "InvalidTaskId",
    "InvalidTransition",
    "JournalEvent",
    "JsonFileStore",
    "Lease",
    "LockTimeout",
    "MemoryStore",
    "NextReport",
    "Op",
    "Outcome",
    "Phase",
    "PhaseProgress",
    "Pick",
    "Plan",
    "PlanCatalog",
    "PlanEntry",
    "PlanError",
    "PlanMismatch",
    "PlanStatus",
    "PlanTask",
    "PlanWarning",
    "Problem",
    "RepairRefused",
    "RepairReport",
    "Restorable",
    "Run",
    "RunExists",
    "RunNotFound",
    "SchemaTooNew",
    "StaleClaim",
    "StatusExists",
    "StatusKitError",
    "StatusMissing",
    "StatusStore",
    "StoreClock",
    "StoreNotSupported",
    "StoreUnavailable",
    "Summary",
    "SyncReport",
    "Task",
    "TaskNotFound",
    "TaskState",
    "Tracker",
    "UnsafePath",
    "Waiting",
    "Watchable",
    "apply_batch",
    "claim",
    "decode",
    "encode",
    "heartbeat",
    "is_blocked",
    "is_complete",
    "natural_key",
    "next_tasks",
    "open_store",
    "parse_plan",
    "phase_progress",
    "progress_percent",
    "ready",
    "repair",
    "retryable",
    "status_from_plan",
    "stuck",
    "summarize",
    "sync_apply",
    "sync_check",
    "utc_now",
    "validate",
]


class TestExports:
    """__all__ is pinned, sorted, resolvable and documented."""

    def test_pinned(self) -> None:
        """Adding or removing a public name is a deliberate change to this list."""
        assert statuskit.__all__ == EXPECTED

    def test_sorted(self) -> None:
        """__all__ is sorted (constants first, as isort orders them)."""
        assert statuskit.__all__ == sorted(statuskit.__all__, key=lambda n: (not n.isupper(), n))

    def test_resolve_and_documented(self) -> None:
        """Every name resolves; every class and function has a docstring."""
        for name in statuskit.__all__:
            value = getattr(statuskit, name)
            if inspect.isclass(value) or inspect.isfunction(value):
                assert inspect.getdoc(value), name

    def test_version(self) -> None:
        """__version__ is a string, loaded lazily."""
        assert isinstance(statuskit.__version__, str)

    def test_fixed_names(self) -> None:
        """The names other code relies on exist with their meanings."""
        assert statuskit.TaskState.IN_PROGRESS.value == "in_progress"
        assert {m.name for m in statuskit.TaskState} == {
            "PENDING",
            "IN_PROGRESS",
            "COMPLETED",
            "FAILED",
            "SKIPPED",
        }
        task = statuskit.Task(id="1.1", description="d", phase="p")
        assert (
            task.id,
            task.description,
            task.phase,
            task.status,
            task.notes,
            task.dependencies,
        ) == ("1.1", "d", "p", statuskit.TaskState.PENDING, None, ())
        status = statuskit.PlanStatus(tasks=(task,))
        assert isinstance(status.tasks, tuple)
        assert status.runs == ()
        summary = statuskit.summarize(status.tasks)
        assert (
            summary.total,
            summary.pending,
            summary.in_progress,
            summary.completed,
            summary.failed,
            summary.skipped,
        ) == (1, 1, 0, 0, 0, 0)
        assert statuskit.decode(statuskit.encode(status)).tasks == status.tasks
        assert isinstance(statuskit.MemoryStore(), statuskit.StatusStore)
        assert isinstance(
            statuskit.JsonFileStore("x.json", lock_timeout=1.0), statuskit.StatusStore
        )
