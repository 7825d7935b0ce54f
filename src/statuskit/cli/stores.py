"""Store commands: plans (what a store holds), migrate (copy a plan to another store)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from statuskit.cli._args import nonempty
from statuskit.cli._common import dry, summary_json
from statuskit.cli._context import Context
from statuskit.cli._errors import CliError
from statuskit.cli._output import warn

if TYPE_CHECKING:
    from statuskit import PlanEntry, StatusStore


def _entry_json(entry: PlanEntry) -> dict[str, Any]:
    from statuskit.codec import format_timestamp

    return {
        "key": entry.key,
        "planPath": entry.plan_path,
        "planName": entry.plan_name,
        "lastUpdatedAt": format_timestamp(entry.last_updated_at) if entry.last_updated_at else None,
        "summary": summary_json(entry.summary),
    }


def _folder_entries(folder: str) -> list[dict[str, Any]]:
    """The JSON layout: every ``<output-dir>/<key>/status.json``."""
    from statuskit import CorruptStatus, JsonFileStore, PlanEntry, SchemaTooNew

    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    entries = []
    for name in names:
        path = os.path.join(folder, name, "status.json")
        if not os.path.isfile(path):
            continue
        try:
            status = JsonFileStore(path).read()
        except (CorruptStatus, SchemaTooNew) as exc:
            entries.append({"key": name, "statusPath": path, "error": str(exc)})
            continue
        entry = PlanEntry(
            key=name,
            plan_path=status.plan_path,
            plan_name=status.plan_name,
            summary=status.summary,
            last_updated_at=status.last_updated_at,
        )
        entries.append({**_entry_json(entry), "statusPath": path})
    return entries


def run_plans(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """``plans``: every plan of the store (or of the JSON layout's output dir)."""
    from statuskit import PlanCatalog, open_store

    url = ctx.store_url()
    if url is None:  # the JSON layout: one folder per plan under the output dir
        return {"ok": True, "store": ctx.output_dir, "plans": _folder_entries(ctx.output_dir)}
    with open_store(url, lock_timeout=ctx.lock_timeout) as store:
        if not isinstance(store, PlanCatalog):
            raise CliError(
                "usage",
                f"{store.location} does not list its plans",
                "plans lists database stores (sqlite:, postgresql:) and the JSON layout",
            )
        return {
            "ok": True,
            "store": store.location,
            "plans": [_entry_json(entry) for entry in store.plans()],
        }


def args_migrate(parser: argparse.ArgumentParser) -> None:
    """``migrate``'s options."""
    parser.add_argument(
        "--to",
        required=True,
        type=nonempty,
        metavar="URL",
        help="the target store: sqlite:PATH, a status.json path, a folder of the JSON layout...",
    )
    parser.add_argument(
        "--to-key", type=nonempty, metavar="KEY", help="the plan key in the target (the same)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace the plan if the target already has it"
    )


def _source_key(ctx: Context) -> str:
    """The plan key: --plan-key, the plan file's stem, else the status file's folder."""
    if ctx.plan_key_arg or ctx.plan_path(required=False):
        return ctx.plan_key()
    if ctx.status_arg:
        return os.path.basename(os.path.dirname(os.path.abspath(ctx.status_arg)))
    return ctx.plan_key()  # raises the usual "no plan chosen"


def _copy_findings(source: StatusStore, target: StatusStore, ids: list[str], write: bool) -> int:
    from statuskit import FindingsNotFound, InvalidTaskId

    copied = 0
    for task_id in dict.fromkeys(ids):
        try:
            text = source.read_findings(task_id)
        except (FindingsNotFound, InvalidTaskId):
            continue
        if write:
            target.write_findings(task_id, text)
        copied += 1
    return copied


def run_migrate(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """``migrate``: copy the plan (findings, then status) into the store ``--to`` names."""
    import attrs

    from statuskit import open_store
    from statuskit.codec import encode
    from statuskit.store.base import Importable

    source = ctx.tracker()
    status = source.status()
    key = args.to_key or _source_key(ctx)
    with open_store(args.to, plan=key, lock_timeout=ctx.lock_timeout) as target:
        if target.location == source.store.location:
            raise CliError("usage", f"--to names the source itself ({target.location})")
        replaced = target.exists()
        if replaced and not args.force:
            raise CliError(
                "exists",
                f"{target.location} already holds a plan under key {key!r}",
                "pass --force to replace it, or --to-key to store this one under another key",
                target=target.location,
            )
        # Findings first: a copy interrupted after them is simply run again; the status,
        # written last, is what makes the target hold the plan.
        ids = [task.id for task in status.tasks]
        findings = _copy_findings(source.store, target, ids, write=not args.dry_run)
        history = source.store.history()
        if not args.dry_run:
            if replaced:
                # The target keeps its own journal: the copy lands there as one more write.
                target.update(lambda current: status)
            elif isinstance(target, Importable):
                target.import_status(status, history)  # the same revision, the same log
            else:
                target.create(status)
            copied = target.read()
            # A copy written as a new revision (a replaced plan) numbers it in the target.
            if encode(attrs.evolve(copied, revision=status.revision)) != encode(status):
                raise CliError(
                    "internal",
                    f"the copy in {target.location} differs from the source",
                    "this is a bug in statuskit; the source is unchanged",
                )
        if replaced:
            warn(f"replaced the plan {key!r} in {target.location}")
        return {
            "ok": True,
            "from": source.store.location,
            "to": target.location,
            "planKey": key,
            "tasks": len(status.tasks),
            "runs": len(status.runs),
            "findings": findings,
            "events": 0 if replaced else len(history),
            "replaced": replaced,
            **dry(args),
        }
