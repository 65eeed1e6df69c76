"""The one place where TraceGraph's exceptions are defined.

Every error a user can meet derives from :class:`TraceGraphError`; each carries a stable
``code`` that the CLI prints and the GraphQL API puts in ``extensions.code``::

    TraceGraphError                      code
    ├── NotFound                         NOT_FOUND       a start id or record that does not exist
    ├── BadInput                         BAD_INPUT       a malformed argument or identifier
    │   └── LoadError                    BAD_INPUT       a file that cannot be loaded at all
    ├── LimitExceeded                    LIMIT_EXCEEDED  a trace deeper or larger than allowed
    ├── StoreError                       STORE_ERROR     the backend failed, is misconfigured, or changed
    │                                                    under a kept result (run it again)
    │   ├── NoDatabase                   STORE_ERROR     an embedded store file to read does not exist
    │   ├── DocumentChanged              STORE_ERROR     a document changed since it was read (retried)
    │   └── IntegrityError               STORE_ERROR     a stored record no longer matches its recorded hash
    ├── MissingExtra                     MISSING_EXTRA   an optional extra this needs is not installed
    └── AccessDenied                     FORBIDDEN       (API) a role may not do this
        └── Unauthenticated              UNAUTHENTICATED (API) no valid key or token

Anything else escaping the library is a bug and is masked by the API.
"""

from __future__ import annotations


class TraceGraphError(Exception):
    """Base of every domain error; ``code`` is stable and documented."""

    code = "INTERNAL"


class NotFound(TraceGraphError):
    code = "NOT_FOUND"


class BadInput(TraceGraphError):
    code = "BAD_INPUT"


class LoadError(BadInput):
    """A whole file or batch could not be loaded; nothing from the batch was written.

    The message names the file and, where known, the record (row) and field.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        where = ", ".join(
            part for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field {field}" if field else "",
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.row, self.field = file, row, field


class LimitExceeded(TraceGraphError):
    code = "LIMIT_EXCEEDED"


class StoreError(TraceGraphError):
    code = "STORE_ERROR"


class DocumentChanged(StoreError):
    """A document changed between being read and a write based on it (another process wrote it):
    nothing was written; read again and retry."""


class MissingExtra(TraceGraphError):
    """A feature needs an optional extra that is not installed; the message says how to install it."""

    code = "MISSING_EXTRA"

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(f"{feature} needs the [{extra}] extra (module {module!r} is missing): "
                         f"pip install 'tracegraph[{extra}]'")
        self.extra, self.module = extra, module


class AccessDenied(TraceGraphError):
    code = "FORBIDDEN"


class Unauthenticated(AccessDenied):
    code = "UNAUTHENTICATED"


class NoDatabase(StoreError):
    """Opening an embedded store file read-only that does not exist: nothing to read, nothing broken.

    Commands that are useful without records (``identify`` parses the text) catch it; the rest report it.
    """


class IntegrityError(StoreError):
    """A stored record that is never rewritten (a frozen recall scope version) no longer hashes to the
    SHA-256 recorded when it was written: it was changed in the store behind the library's back."""
