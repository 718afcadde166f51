"""All models, imported here so Alembic and the app see the whole metadata."""
from app.models.case import (
    CASE_TYPES,
    ISSUER_KIND_SHORT,
    ISSUER_KINDS,
    SECTION_KINDS,
    Case,
    CaseSection,
    CaseStatus,
    Issuer,
)
from app.models.collection import AUDIENCES, PARTS, Collection, CollectionItem
from app.models.law import LAW_KINDS, CaseCitation, Law, LawArticle
from app.models.outbox import IndexQueue, ZeroResultQuery
from app.models.outreach import (
    FORMS,
    ORDER_STATES,
    Delivery,
    DeliveryPhoto,
    DutyEvidence,
    DutyItem,
    Evaluation,
    KeyDate,
    MenuItem,
    Order,
    OrderAttempt,
    OrderEvent,
    OrganisationPageView,
    PageView,
    RubricCriterion,
)
from app.models.taxonomy import SCHEMES, CaseTag, TaxonomyTerm
from app.models.user import ROLES, LoginAttempt, Organisation, User, UserSession
from app.models.workflow import REVISION_STATES, AuditEvent, CaseRevision, RevisionState

__all__ = [
    "CASE_TYPES", "ISSUER_KIND_SHORT", "ISSUER_KINDS", "SECTION_KINDS", "SCHEMES", "CaseStatus",
    "RevisionState", "Case", "CaseSection", "Issuer", "IndexQueue", "CaseTag", "TaxonomyTerm", "LAW_KINDS",
    "Law", "LawArticle", "CaseCitation", "ZeroResultQuery", "ROLES", "LoginAttempt", "Organisation", "User",
    "UserSession", "REVISION_STATES", "AuditEvent", "CaseRevision",
    "AUDIENCES", "PARTS", "Collection", "CollectionItem",
    # 菜单式普法 and the assessment (issue 13); its own audience codes stay in app.models.outreach.AUDIENCES
    "FORMS", "ORDER_STATES", "Delivery", "DeliveryPhoto", "DutyEvidence", "DutyItem", "Evaluation", "KeyDate",
    "MenuItem", "Order", "OrderAttempt", "OrderEvent", "OrganisationPageView", "PageView", "RubricCriterion",
]
