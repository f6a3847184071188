"""Every table of the platform; importing this registers them on ``Base.metadata``."""

from civicdata.models.audit import AuditCheckpoint, AuditCosignature, AuditEvent, AuditHead
from civicdata.models.citizens import Citizen, CitizenKey, CitizenLookup
from civicdata.models.ingestion import Ingestion, SourceRecord
from civicdata.models.keys import KeyEncryptionKey, MasterKeyState
from civicdata.models.records import RecordBlock
from civicdata.models.releases import (
    BudgetAccount,
    BudgetReservation,
    PublicRelease,
    StoredRelease,
)
from civicdata.models.signing import SigningKeyRecord
from civicdata.oauth import models as _oauth_models  # noqa: F401  (identity and OAuth tables)

__all__ = [
    "AuditCheckpoint",
    "AuditCosignature",
    "AuditEvent",
    "AuditHead",
    "BudgetAccount",
    "BudgetReservation",
    "Citizen",
    "CitizenKey",
    "CitizenLookup",
    "Ingestion",
    "KeyEncryptionKey",
    "MasterKeyState",
    "PublicRelease",
    "RecordBlock",
    "SigningKeyRecord",
    "SourceRecord",
    "StoredRelease",
]
