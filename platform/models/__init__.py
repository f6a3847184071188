"""Every table of the platform; importing this registers them on ``Base.metadata``."""

from civicdata.models.audit import AuditEvent
from civicdata.models.citizens import Citizen, CitizenKey, CitizenLookup
from civicdata.models.records import RecordBlock

__all__ = ["AuditEvent", "Citizen", "CitizenKey", "CitizenLookup", "RecordBlock"]
