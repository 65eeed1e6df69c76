"""Electronic signatures (21 CFR Part 11 style): signer, meaning, time and the signed record's hash.

A signer re-authenticates at every signature with a personal signing secret, separate from any
API key or login: the secret is set once with ``tracegraph signer set`` (changing it needs the
old one), stored only as a salted scrypt hash, and re-entered to sign. A signature binds the
signer, the meaning, the moment and the SHA-256 of the signed record, and carries a hash over
those four, so a signature copied onto another record or altered no longer checks out
(:func:`intact`, which also asks the audit trail for the entry that recorded it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any, Literal

from ..errors import AccessDenied, BadInput, Unauthenticated
from .audit import AuditLog, digest, now
from .model import Recall

Meaning = Literal["reviewed", "approved", "closed"]
MEANINGS: tuple[str, ...] = ("reviewed", "approved", "closed")
SIGNERS = "signers"
MIN_SECRET = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _hash_secret(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT).hex()


class Signatures:
    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self.store = audit.store

    def set_secret(self, signer: str, secret: str, *, current: str | None = None, why: str = "") -> None:
        """Set (or, given the current secret, change) a signer's signing secret."""
        if len(secret) < MIN_SECRET:
            raise BadInput(f"a signing secret needs at least {MIN_SECRET} characters")
        existing = self.store.documents(SIGNERS, [signer]).get(signer)
        if existing is not None:
            if current is None:
                raise AccessDenied(f"{signer} already has a signing secret: give the current one to change it")
            self.authenticate(signer, current)
        salt = secrets.token_bytes(16)
        doc = {"signer": signer, "salt": salt.hex(), "hash": _hash_secret(secret, salt), "set_at": now()}
        self.audit.record(signer, "signer.set_secret", f"signer:{signer}", why or "signing secret set",
                          before={"set_at": existing["set_at"]} if existing else None, after={"set_at": doc["set_at"]},
                          documents={(SIGNERS, signer): doc})

    def authenticate(self, signer: str, secret: str) -> None:
        """Raise Unauthenticated unless ``secret`` is ``signer``'s signing secret."""
        doc = self.store.documents(SIGNERS, [signer]).get(signer)
        if doc is None:
            raise Unauthenticated(f"{signer} has no signing secret; set one with `tracegraph signer set` "
                                 "(GraphQL: setSigningSecret)")
        if not hmac.compare_digest(_hash_secret(secret, bytes.fromhex(doc["salt"])), doc["hash"]):
            raise Unauthenticated(f"the signing secret for {signer} is wrong")

    def sign(self, signer: str, secret: str, meaning: str, record: str, record_hash: str) -> dict[str, Any]:
        """A signature of ``record`` (with hash ``record_hash``), after re-authenticating ``signer``."""
        if meaning not in MEANINGS:
            raise BadInput(f"a signature means one of {', '.join(MEANINGS)}, not {meaning!r}")
        self.authenticate(signer, secret)
        signature = {"signer": signer, "meaning": meaning, "signed_at": now(), "record": record,
                     "record_hash": record_hash}
        return {**signature, "signature_hash": digest(signature)}


def _audited(signature: dict[str, Any], entries: list[dict[str, Any]]) -> bool:
    """Whether the audit trail recorded this very signature when it was made, by its signer."""
    action = "recall.close" if signature.get("meaning") == "closed" else "recall.sign"
    return any(e.get("action") == action and e.get("actor") == signature.get("signer") and e.get("after") == signature
               and e.get("target") == signature.get("record") for e in entries)


def intact(recall: Recall, entries: Iterable[dict[str, Any]]) -> list[bool]:
    """Whether each of ``recall``'s signatures is intact; ``entries`` are the recall's audit entries.

    A signature is intact when (1) it still hashes to its ``signature_hash``, (2) it names this
    recall, (3) the audit trail holds the ``recall.sign`` (``recall.close`` for closing) entry that
    recorded exactly this signature by its signer, and (4) its ``record_hash`` is this record's
    hash with the signatures before it (:meth:`Recall.record_hash`), or a later intact signature
    covers it: that one binds this signature's hash and the record as it stood then. A signature
    copied from another recall, forged without signing, altered, or followed by a change of the
    record that no later signature covers is not intact. Signatures made before signatures bound
    the earlier ones (stores written by older versions) bound the record alone: that hash is also
    accepted, and :func:`unrecorded` still finds an audited signature removed from the record.
    """
    log = [e for e in entries if e.get("target") == f"recall:{recall.recall_id}"]
    out: list[bool] = []
    covered = False
    for i in reversed(range(len(recall.signatures))):
        s = recall.signatures[i]
        body = {k: v for k, v in s.items() if k != "signature_hash"}
        binds = s.get("record_hash") in {recall.record_hash(i), recall.record_hash(0)}  # 0: older stores
        ok = (digest(body) == s.get("signature_hash") and s.get("record") == f"recall:{recall.recall_id}"
              and _audited(s, log) and (covered or binds))
        covered = covered or ok
        out.append(ok)
    return out[::-1]


def unrecorded(recall: Recall, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit entries of signatures made on ``recall`` that are no longer among its signatures."""
    present = [s.get("signature_hash") for s in recall.signatures]
    return [e for e in entries if e.get("target") == f"recall:{recall.recall_id}"
            and e.get("action") in ("recall.sign", "recall.close") and (e.get("after") or {}).get("signature_hash")
            not in present]
