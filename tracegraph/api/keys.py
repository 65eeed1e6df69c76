"""API keys, kept hashed in the graph's own database.

A key reads ``tgk_<id>_<secret>``: ``id`` (12 hex digits) finds the record, ``secret`` (32 random
bytes, URL-safe) proves possession. Only SHA-256 of the secret is stored: with 256 bits of entropy a
slow KDF adds nothing, and the comparison runs in constant time. Records live in the store's
``api_keys`` document collection (the ``document`` table of a SQLite file), so a key works for every
process serving that database. A key is shown once, when created.

A key's name is the actor and signer the audit trail records, so it must stand for one key. Creating a
named key also writes the name's entry in ``api_key_names`` (the id that took it last), expecting it as
read before the check: of two creations that checked at once, the second write finds the entry moved,
checks again and is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import BadInput, DocumentChanged, NotFound, Unauthenticated
from ..graph import default_user
from ..recall.audit import AuditLog
from ..store import Store
from .roles import Principal, Role

COLLECTION = "api_keys"
NAMES = "api_key_names"  # name -> {"id": the key that took it last}
PREFIX = "tgk"
_ATTEMPTS = 3


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown(record: ApiKey) -> dict[str, Any]:
    """A key record as it may be shown or audited: without its hash."""
    return {k: v for k, v in asdict(record).items() if k != "sha256"}


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    sha256: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > _now())


class ApiKeys:
    """Create, list, revoke and verify API keys in one store.

    Creating and revoking a key are audited as ``actor`` (by default the process's user), the entry
    written in the same transaction as the key record.
    """

    def __init__(self, store: Store, actor: str | None = None) -> None:
        self.store = store
        self.actor = actor or default_user()

    def create(self, role: Role | str, name: str = "", expires_in_days: int | None = None) -> tuple[str, ApiKey]:
        """A new key: returns the plain key (to show once) and its stored record. A name (trimmed; blank is
        none) is unique among keys not revoked (an unnamed key acts as ``apikey:<id>``)."""
        name = name.strip()
        try:
            role = Role(role)
        except ValueError:
            raise BadInput(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}") from None
        if expires_in_days is not None and expires_in_days <= 0:
            raise BadInput("expires_in_days must be positive")
        try:
            expires = None if expires_in_days is None else (
                datetime.now(UTC) + timedelta(days=expires_in_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        except OverflowError:
            raise BadInput(f"expires_in_days: {expires_in_days} days from now is past the year 9999") from None
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        record = ApiKey(key_id, name, role.value, _now(), expires, None, _digest(secret))
        for attempt in range(1, _ATTEMPTS + 1):
            # the name's entry, read before the check: a creation that commits after this read moves it
            claim = (name, self.store.documents(NAMES, [name]).get(name)) if name else None
            taken = [k.id for k in self.list() if name and k.name == name and k.revoked_at is None]
            if taken:
                raise BadInput(f"name: an API key named {name!r} exists (id {taken[0]}); the audit trail names "
                               "a key by its name, so choose another name or revoke that key first")
            try:
                self._save(record, "apikey.create", f"create a {role.value} key", before=None, claim=claim)
                break
            except DocumentChanged:
                if attempt == _ATTEMPTS:
                    raise
        return f"{PREFIX}_{key_id}_{secret}", record

    def list(self) -> list[ApiKey]:
        return [ApiKey(**body) for body in self.store.documents(COLLECTION).values()]

    def revoke(self, key_id: str) -> ApiKey:
        found = self.store.documents(COLLECTION, [key_id])
        if not found:
            raise NotFound(f"no API key with id {key_id!r}")
        held = ApiKey(**found[key_id])
        if held.revoked_at is not None:
            return held  # nothing changes, so nothing is written or audited
        record = ApiKey(**{**asdict(held), "revoked_at": _now()})
        self._save(record, "apikey.revoke", "revoke the key", before=shown(held))
        return record

    def _save(self, record: ApiKey, action: str, why: str, before: dict[str, Any] | None,
              claim: tuple[str, dict[str, Any] | None] | None = None) -> None:
        """Write the key record and its audit entry (never the hash) in one transaction; with ``claim`` (a name
        and its NAMES entry as read) also take the name, unless that entry has moved since (DocumentChanged)."""
        documents: dict[tuple[str, str], dict[str, Any]] = {(COLLECTION, record.id): asdict(record)}
        expected: dict[tuple[str, str], dict[str, Any] | None] = {}
        if claim is not None:
            name, read = claim
            documents[(NAMES, name)] = {"id": record.id}
            expected[(NAMES, name)] = read
        AuditLog(self.store).record(self.actor, action, f"apikey:{record.id}", why, before=before,
                                    after=shown(record), documents=documents, expected=expected)

    def any_active(self) -> bool:
        return any(k.active for k in self.list())

    def verify(self, presented: str) -> Principal:
        """The principal a presented key stands for; Unauthenticated for anything else."""
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        found = self.store.documents(COLLECTION, [key_id]) if prefix == PREFIX and key_id and secret else {}
        record = ApiKey(**found[key_id]) if found else None
        # Compare even when there is no record, so timing does not tell which ids exist.
        matches = hmac.compare_digest(_digest(secret), record.sha256 if record else "0" * 64)
        if record is None or not matches:
            raise Unauthenticated("the API key is not valid")
        if not record.active:
            raise Unauthenticated("the API key has been revoked or has expired")
        return Principal(record.id, record.name, Role(record.role))
