"""Domain model and storage (SQLAlchemy 2.0 + Alembic)."""

from models.base import Base
from models.entities import (
    ADOPTION_STATUSES,
    CHANNELS,
    AdoptionDecision,
    AuditLog,
    Cluster,
    ClusterMember,
    Comment,
    Consultation,
    ContactPoint,
    DraftVersion,
    DuplicateGroup,
    EmbeddingCache,
    FeedbackItem,
    PipelineRun,
    Provision,
    RawRecord,
    Source,
    Suggestion,
    SuggestionProvision,
    User,
)
from models import accounts  # noqa: E402,F401  (registers the review application's tables)
from models import rollup  # noqa: E402,F401  (registers the roll-up tables)

__all__ = [
    "ADOPTION_STATUSES",
    "CHANNELS",
    "AdoptionDecision",
    "AuditLog",
    "Base",
    "Cluster",
    "ClusterMember",
    "Comment",
    "Consultation",
    "ContactPoint",
    "DraftVersion",
    "DuplicateGroup",
    "EmbeddingCache",
    "FeedbackItem",
    "PipelineRun",
    "Provision",
    "RawRecord",
    "Source",
    "Suggestion",
    "SuggestionProvision",
    "User",
]
