"""Optional extras: the one place that imports a module needing one, and says which when it is missing.

Heavy or specialised dependencies come with extras (``pip install 'tracegraph[standards]'``); the
modules that need them are imported only when used, through :func:`extra_module`, so a missing
dependency is a :class:`~tracegraph.errors.MissingExtra` naming the extra, not a bare ImportError.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtra

EXTRAS: dict[str, frozenset[str]] = {
    # extra -> the top-level modules it installs (as pyproject.toml lists them)
    "standards": frozenset({"biip", "lxml"}),
    "neo4j": frozenset({"neo4j"}),
    "api": frozenset({"strawberry", "starlette", "uvicorn", "cross_web"}),
    "notebook": frozenset({"pandas", "networkx"}),
}


def extra_module(name: str, extra: str, feature: str | None = None) -> ModuleType:
    """Import ``name`` (a module that needs ``extra``); MissingExtra if one of the extra's modules is missing.

    Any other missing module is a bug or a broken install, and its ImportError propagates unchanged.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in EXTRAS[extra]:
            raise
        raise MissingExtra(feature or name, extra, missing) from None
