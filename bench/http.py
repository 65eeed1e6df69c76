"""forwardTrace over HTTP against a running ``tracegraph serve``."""

from __future__ import annotations

from pathlib import Path


def forward_ms(db: Path, lot: str, runs: int) -> tuple[float | None, str]:
    from tracegraph import cli

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in cli.app.registered_commands}
    names |= {g.name or "" for g in cli.app.registered_groups}
    if "serve" not in names:
        return None, "not measured: this build has no `tracegraph serve` (the API is branch issue-3)"
    raise NotImplementedError
