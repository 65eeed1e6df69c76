"""The audit trail: one append-only, hash-chained log of every write.

Each entry records who, when, what (action and target), why, and before/after; large states
(a whole load, a whole scope) appear as counts and SHA-256 digests rather than copies. Each
entry carries the hash of its predecessor and its own hash over everything else. The entry and
the state it describes are written in one store transaction (:meth:`Store.append`, or
:meth:`Store.write` for graph changes), so neither can exist without the other.

What :meth:`AuditLog.verify` detects, and what it cannot:

* Alone: any change, removal or reordering of an entry that is followed by an entry not
  re-hashed to match; it names the first entry that does not check out.
* It cannot tell a chain that someone with write access to the store re-hashed (edit an entry,
  recompute every later hash) or truncated (delete the last entries) from an honest one: the
  chain lives in the same store.
* With anchors: an anchor is the head (seq and hash, :meth:`AuditLog.head`) noted outside the
  store (a QMS record, a ticket, an evidence export). Verifying with anchors also detects any
  re-hash or truncation that touches an anchored entry or one before it, since every anchored
  entry must still be there with its hash, and its hash covers all that came before.
* Entries after the last anchor stay unprotected against a re-hash or truncation.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from ..errors import BadInput
from ..store import Batch, Counts, DocRef, EntryBuilder, LogEntry, Store

LOG = "audit"
GENESIS = "0" * 64


def default_user() -> str:
    """``$TRACEGRAPH_USER`` (unless blank), else the login name, else the numeric user id (a container may
    have no name)."""
    try:
        return os.environ.get("TRACEGRAPH_USER", "").strip() or getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def now() -> str:
    """The current UTC time as stored: ISO 8601 with milliseconds and Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def canonical(data: Any) -> bytes:
    """The one byte form that hashes are taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data)).hexdigest()


@dataclass(frozen=True)
class Head:
    """One point of the chain: an entry's sequence number and hash. Kept outside the store, it is an
    anchor that a later :meth:`AuditLog.verify` checks the chain still passes through."""

    seq: int
    hash: str

    @property
    def anchor(self) -> str:
        """The anchor as one string, e.g. ``42:3f9a...`` (seq, a colon, the full SHA-256 hex)."""
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, anchor: str) -> Head:
        seq, _, hash_ = anchor.strip().partition(":")
        if not (seq.isdigit() and int(seq) > 0 and len(hash_) == 64
                and all(c in "0123456789abcdef" for c in hash_)):
            raise BadInput(f"an audit anchor is '<seq>:<64 hex digits>' as `tracegraph audit head` prints it, "
                           f"not {anchor!r}")
        return cls(int(seq), hash_)

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "anchor": self.anchor}


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int  # entries that checked out
    first_bad: int | None = None  # sequence number of the first entry that does not
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad": self.first_bad, "problem": self.problem}


def _builder(actor: str, action: str, target: str, why: str) -> Callable[..., dict[str, Any]]:
    """Builds the chained entry of one action once its sequence number and predecessor are known."""
    if not actor:
        raise ValueError("an audit entry needs an actor")
    moment = now()

    def build(seq: int, previous: dict[str, Any] | None, before: Any, after: Any) -> dict[str, Any]:
        entry = {"seq": seq, "at": moment, "actor": actor, "action": action, "target": target, "why": why,
                 "before": before, "after": after, "prev": GENESIS if previous is None else previous["hash"]}
        return {**entry, "hash": digest(entry)}
    return build


def entry(actor: str, action: str, target: str, why: str, *, before: Any = None, after: Any = None) -> EntryBuilder:
    """One entry for :meth:`Store.append`, or for a store appending inside its own transaction."""
    build = _builder(actor, action, target, why)
    return lambda seq, previous: build(seq, previous, before, after)


class AuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, actor: str, action: str, target: str, why: str, *, before: Any = None, after: Any = None,
               documents: Mapping[DocRef, dict[str, Any]] | None = None,
               expected: Mapping[DocRef, dict[str, Any] | None] | None = None) -> dict[str, Any]:
        """Append one entry and, in the same transaction, write ``documents``; returns the entry.

        ``expected``: the documents these were computed from, as read (see :meth:`Store.append`).
        """
        return self.store.append(LOG, entry(actor, action, target, why, before=before, after=after), documents,
                                 expected)

    def write(self, actor: str, action: str, target: str, why: str, batch: Batch, *, after: dict[str, Any],
              counted: bool = True) -> dict[str, Any]:
        """Write ``batch`` and its entry in one transaction; returns the entry.

        With ``counted`` the entry's before and after carry the store's counts, read inside that
        transaction, so they describe exactly this change.
        """
        build = _builder(actor, action, target, why)

        def entry(seq: int, previous: dict[str, Any] | None, counts: tuple[Counts, Counts] | None) -> dict[str, Any]:
            if counts is None:
                return build(seq, previous, None, after)
            return build(seq, previous, {"counts": counts[0]}, {"counts": counts[1], **after})
        return cast(dict[str, Any], self.store.write(batch, LogEntry(LOG, entry, counted)))  # given an entry

    def entries(self, target: str | None = None, start: int = 1) -> Iterator[dict[str, Any]]:
        """Entries in order, optionally only those about one target (e.g. "recall:RC-...")."""
        for _, entry in self.store.entries(LOG, start, target):
            yield entry

    def head(self) -> Head | None:
        """The last entry's seq and hash (None while the trail is empty): note it outside the store to
        anchor the chain up to here."""
        last = self.store.last(LOG)
        return None if last is None else Head(last[1]["seq"], last[1]["hash"])

    def contains(self, point: Head) -> bool:
        """Whether the trail still has entry ``point.seq`` with hash ``point.hash``."""
        found = next(self.store.entries(LOG, point.seq), None)
        return found is not None and found[0] == point.seq and found[1].get("hash") == point.hash

    def verify(self, anchors: Iterable[Head] = ()) -> Verification:
        """Check every entry's own hash, its link to the previous entry, and the sequence; then that the
        chain still passes through each anchor (see the module docstring for what this detects)."""
        chain = self._verify_chain()
        if not chain.ok:
            return chain
        for point in sorted(set(anchors), key=lambda a: a.seq):
            if point.seq > chain.entries:
                return Verification(False, chain.entries, point.seq, f"anchored entry {point.seq} is missing: "
                                    f"the trail ends at entry {chain.entries} (entries were removed)")
            if not self.contains(point):
                return Verification(False, chain.entries, point.seq, f"entry {point.seq} does not have its "
                                    "anchored hash: it or an entry before it was changed and the chain re-hashed")
        return chain

    def _verify_chain(self) -> Verification:
        previous_hash, count = GENESIS, 0
        for seq, entry in self.store.entries(LOG):
            body = {k: v for k, v in entry.items() if k != "hash"}
            if entry.get("seq") != seq or seq != count + 1:
                return Verification(False, count, seq, f"entry {seq} is out of sequence (expected {count + 1})")
            if entry.get("prev") != previous_hash:
                return Verification(False, count, seq, f"entry {seq} does not link to entry {seq - 1}")
            if digest(body) != entry.get("hash"):
                return Verification(False, count, seq, f"entry {seq} was changed after it was written")
            previous_hash, count = entry["hash"], count + 1
        return Verification(True, count)
