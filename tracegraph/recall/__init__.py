"""The recall workflow, its audit trail and electronic signatures."""

from .audit import AuditLog, Verification
from .model import CLASSIFICATIONS, OUTCOMES, Recall, ScopeVersion
from .service import RecallService
from .signatures import MEANINGS, Signatures

__all__ = ["CLASSIFICATIONS", "MEANINGS", "OUTCOMES", "AuditLog", "Recall", "RecallService", "ScopeVersion",
           "Signatures", "Verification"]
