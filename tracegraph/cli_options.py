"""Global options of the ``tracegraph`` command (``--db``), accepted before or after the command.

Click reads a group's options only before its subcommand, yet people write ``tracegraph counts --db x.db``
as often as ``tracegraph --db x.db counts``. The root group therefore moves its own value options (those
of the app callback) to the front before parsing: one rule here, not a parameter on every command. No
subcommand declares an option of the same name (tests/cli checks it), so a moved token never had
another meaning; ``--`` ends the options, as everywhere in click.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup, TyperOption


class GlobalOptionsGroup(TyperGroup):
    """The root command group: its value options may also follow the (sub)command."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._hoist(ctx, args))

    def _hoist(self, ctx: typer.Context, args: list[str]) -> list[str]:
        """``args`` with every ``--opt VALUE`` and ``--opt=VALUE`` of a global option moved to the front."""
        options = {name: p for p in self.params if isinstance(p, TyperOption) and not p.is_flag and not p.is_eager
                   for name in p.opts}
        front: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                rest += args[i:]
                break
            name, has_value, _ = arg.partition("=")
            if name not in options:
                rest.append(arg)
                i += 1
            elif has_value:
                front.append(arg)
                i += 1
            elif i + 1 < len(args):
                front += args[i:i + 2]
                i += 2
            else:
                raise typer.BadParameter("it needs a value after it", ctx=ctx, param=options[name])
        return front + rest
