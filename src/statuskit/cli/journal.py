"""The journal command: ``log [TASK] [--since REV] [--limit N] [--text]``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from statuskit.cli._args import count, task_id, token
from statuskit.cli._context import Context

if TYPE_CHECKING:
    from statuskit.journal import JournalEvent


def args_log(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "task_id",
        nargs="?",
        type=task_id,
        metavar="TASK_ID",
        help="only the events about this task",
    )
    parser.add_argument(
        "--since",
        type=token,
        default=0,
        metavar="REV",
        help="only events after revision REV (0: from the start)",
    )
    parser.add_argument(
        "--limit", type=count, metavar="N", help="only the newest N events (after --since)"
    )
    parser.add_argument("--text", action="store_true", help="a readable timeline")


def _claim(event: JournalEvent) -> str:
    who = event.owner or "?"
    return f"{who} (token {event.token})" if event.token is not None else who


def _describe(event: JournalEvent) -> str:
    """What happened, in words."""
    details = event.details
    kind = event.kind
    if kind in ("claimed", "reclaimed"):
        text = f"{event.from_state} -> {event.to_state}, {kind} by {_claim(event)}"
        previous = details.get("previous")
        if isinstance(previous, dict):
            text += f" from {previous.get('owner')} (token {previous.get('token')})"
        return text + f", lease until {details.get('leaseExpiresAt')}"
    if kind == "heartbeat":
        return f"heartbeat by {_claim(event)}, lease until {details.get('leaseExpiresAt')}"
    if kind == "moved":
        text = f"{event.from_state} -> {event.to_state}"
        if event.owner is not None or event.token is not None:
            text += f" under {_claim(event)}"
        return text
    if kind == "forced":
        override = details.get("override")
        if override == "token":
            return (
                f"forced past the claim (token given {details.get('token')}, "
                f"current {details.get('current')})"
            )
        return f"forced out of completed (to {details.get('to')})"
    if kind == "updated" and "fields" in details:
        return "updated " + ", ".join(str(f) for f in details["fields"])
    if kind in ("run_started", "run_ended", "run_updated"):
        text = f"{kind.replace('_', ' ')} {details.get('run')}"
        if kind != "run_started":
            text += (
                f" ({details.get('tasksCompleted')} completed, {details.get('tasksFailed')} failed)"
            )
        return text
    rest = ", ".join(f"{key}={value}" for key, value in details.items())
    return kind + (f" ({rest})" if rest else "")


def _text(events: list[JournalEvent]) -> str:
    from statuskit.codec import format_timestamp

    lines = []
    for event in events:
        what = _describe(event)
        for key in ("error", "reason", "notes"):
            if key in event.details:
                what += f"; {key}: {event.details[key]}"
        actor = event.actor
        by = f"pid {actor.pid}@{actor.host}" if actor.pid is not None else actor.host or "?"
        stamp = format_timestamp(event.at).replace("T", " ")
        lines.append(f"r{event.rev:<5} {stamp}  {event.task or '-':<8} {what}  [{by}]")
    return "\n".join(lines) if lines else "(no events)"


def run_log(ctx: Context, args: argparse.Namespace) -> dict[str, Any] | str:
    tracker = ctx.tracker()
    events = list(tracker.history(since=args.since, task=args.task_id))
    if args.limit is not None:
        events = events[len(events) - args.limit :] if args.limit else []
    if args.text:
        return _text(events)
    return {
        "ok": True,
        "events": [event.to_json() for event in events],
        "store": tracker.store.location,
    }
