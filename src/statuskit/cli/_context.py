"""Where the plan and its status are, resolved lazily from the global options.

Order: ``--status FILE`` (a JSON file, explicit); else ``--store URL`` or
``$STATUSKIT_STORE`` with the plan key (``--plan-key``, or the plan file's stem); else the JSON
layout ``<output-dir>/<plan stem>/status.json``. The plan file is ``--plan``, else
``$STATUSKIT_PLAN``, else the path in ``.claude/current-plan.txt``.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from statuskit.cli._args import DEFAULT_OUTPUT_DIR
from statuskit.cli._errors import CliError, Hints

if TYPE_CHECKING:
    from statuskit import StatusStore, Tracker

__all__ = ["POINTER_FILE", "Context"]

POINTER_FILE = os.path.join(".claude", "current-plan.txt")


def _env(name: str) -> str | None:
    """An environment variable's value; one that is not UTF-8 text is a usage error."""
    value = os.environ.get(name)
    if value and any("\ud800" <= char <= "\udfff" for char in value):
        raise CliError(
            "usage", f"${name} is not valid UTF-8 text", "statuskit's settings must be UTF-8"
        )
    return value


class Context:
    """The global options of one call, and the plan, store and tracker they lead to."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.plan_arg: str | None = getattr(args, "plan", None)
        self.status_arg: str | None = getattr(args, "status", None)
        self.store_arg: str | None = getattr(args, "store", None)
        self.plan_key_arg: str | None = getattr(args, "plan_key", None)
        self.output_dir: str = getattr(args, "output_dir", None) or DEFAULT_OUTPUT_DIR
        self.lock_timeout: float = getattr(args, "lock_timeout", 10.0)
        self.plan_source: str | None = None
        self._store: StatusStore | None = None

    # ------------------------------------------------------------------ the plan

    def plan_path(self, *, required: bool = True) -> str | None:
        """The plan's markdown file: --plan, $STATUSKIT_PLAN, then .claude/current-plan.txt."""
        if self.plan_arg:
            self.plan_source = "--plan"
            return self.plan_arg
        env = _env("STATUSKIT_PLAN")
        if env:
            self.plan_source = "$STATUSKIT_PLAN"
            return env
        try:
            with open(POINTER_FILE, encoding="utf-8") as handle:
                pointed = handle.read(4096).strip()
        except (OSError, UnicodeDecodeError):
            pointed = ""
        if pointed:
            self.plan_source = POINTER_FILE
            return pointed
        if not required:
            return None
        raise CliError(
            "usage",
            "no plan chosen",
            "pass --plan PLAN.md (or --status STATUS.json), set STATUSKIT_PLAN, or write the "
            f"plan's path into {POINTER_FILE}",
        )

    def read_plan_text(self, path: str) -> str:
        """The plan file's text (a leading byte-order mark removed)."""
        where = f" (from {self.plan_source})" if self.plan_source else ""
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            raise CliError(
                "not_found", f"plan file {path} not found{where}", "check the plan's path"
            ) from None
        except IsADirectoryError:
            raise CliError("usage", f"plan {path} is a folder, not a markdown file") from None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CliError("plan_error", f"plan file {path} is not UTF-8 text: {exc}") from None

    def plan_key(self) -> str:
        """The plan's key in a store: --plan-key, else the plan file's stem."""
        if self.plan_key_arg:
            return self.plan_key_arg
        plan = self.plan_path()
        assert plan is not None
        return os.path.splitext(os.path.basename(plan))[0]

    # ------------------------------------------------------------------ the store

    def store_url(self) -> str | None:
        """--store, else $STATUSKIT_STORE (``None``: the JSON layout)."""
        if self.store_arg:
            return self.store_arg
        env = _env("STATUSKIT_STORE")
        return env or None

    def status_path(self) -> str:
        """The JSON layout's file: --status, else ``<output-dir>/<plan key>/status.json``."""
        if self.status_arg:
            return self.status_arg
        return os.path.join(self.output_dir, self.plan_key(), "status.json")

    def store(self) -> StatusStore:
        """The store the options choose (opened once per call)."""
        if self._store is None:
            from statuskit import open_store

            url = None if self.status_arg else self.store_url()
            if url is None:
                self._store = open_store(self.status_path(), lock_timeout=self.lock_timeout)
            else:
                self._store = open_store(url, plan=self.plan_key(), lock_timeout=self.lock_timeout)
        return self._store

    def tracker(self) -> Tracker:
        """A tracker over the store, refusing a status that belongs to another plan file."""
        from statuskit import Tracker

        # With --status the plan is only checked when named explicitly: $STATUSKIT_PLAN or a
        # pointer file did not choose this status, so they are no evidence of a mismatch.
        plan = self.plan_arg if self.status_arg else self.plan_path(required=False)
        return Tracker(self.store(), plan_path=plan)

    # ------------------------------------------------------------------ hints

    def hints(self) -> Hints:
        """How a hint names a command: with the plan and store options this call was given.

        Options from the environment or the pointer file are left out: they choose the same
        status again when the printed command runs in the same shell and folder.
        """
        prefix = ["statuskit"]
        for flag, value in (
            ("--plan", self.plan_arg),
            ("--status", self.status_arg),
            ("--store", self.store_arg),
            ("--plan-key", self.plan_key_arg),
            ("--output-dir", getattr(self.args, "output_dir", None)),
        ):
            if value:
                # --flag=VALUE keeps a value that starts with "-" from reading as an option.
                prefix += [f"{flag}={value}"] if value.startswith("-") else [flag, value]
        try:
            plan_known = self.plan_path(required=False) is not None
        except CliError:
            plan_known = False
        return Hints(prefix, plan_known=plan_known)

    def command(self, *words: str, needs_plan: bool = False) -> str:
        """A command line for a hint, runnable as printed (see :meth:`hints`)."""
        return self.hints().command(*words, needs_plan=needs_plan)

    def location(self) -> str | None:
        """Where the opened store keeps the status (``None``: no store was opened)."""
        return self._store.location if self._store is not None else None

    def close(self) -> None:
        """Close the store, if one was opened."""
        store, self._store = self._store, None
        if store is not None:
            store.close()
