"""The case aggregate: a case, its ordered sections and the body that issued it."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model

if TYPE_CHECKING:
    from app.models.law import CaseCitation
    from app.models.taxonomy import CaseTag

CASE_TYPES = ("刑事", "民事", "行政", "执行", "国家赔偿", "公益诉讼", "行政执法", "监察", "其他")
ISSUER_KINDS = {
    "court": "审判机关",
    "procuratorate": "检察机关",
    "supervisory": "监察机关",
    "enforcement": "行政执法机关",
    "judicial_admin": "司法行政机关",
    "legal_service": "律师及法律服务机构",
    "other": "其他",
}
# Short names for tiles and facets (法院 rather than 审判机关).
ISSUER_KIND_SHORT = {"court": "法院", "procuratorate": "检察院", "supervisory": "监察机关",
                     "enforcement": "行政执法机关", "judicial_admin": "司法行政机关",
                     "legal_service": "律师及法律服务机构", "other": "其他"}
SECTION_KINDS = {
    "facts": "基本案情",
    "claims": "诉讼请求",
    "procedure": "诉讼过程",
    "outcome": "裁判结果",
    "reasoning": "裁判理由",
    "holding": "裁判要点",
    "explanation": "以案释法",
    "significance": "典型意义",
    "legal_basis": "相关法条",
    "remedy": "权利救济途径",
    "other": "其他",
}


class CaseStatus(StrEnum):
    """Whether the public sees a case. Review states (submitted, returned …) belong to its revisions."""

    DRAFT = "draft"  # never published: only its organisation and the reviewers see it
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"  # was public; its page answers 410 with the reason


CASE_STATUS_LABELS = {CaseStatus.DRAFT: "未公开", CaseStatus.PUBLISHED: "已公开", CaseStatus.WITHDRAWN: "已撤回"}


class Issuer(Model):
    """A publishing body (court, procuratorate, enforcement agency …); also the organisation of publishers."""

    __tablename__ = "issuers"
    __table_args__ = (UniqueConstraint("name", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # Set for organisations whose staff publish through the web (an import leaves it empty).
    region: Mapped[str | None] = mapped_column(String(200))


class Case(Model):
    """A typical case with every field of the interchange format plus derived state."""

    __tablename__ = "cases"
    # Indexes for a library of 100,000 cases (each leads with the column a single-column index had, which it
    # replaces). The 考核 figures count published cases per period and body (/figures, the dashboard): by the
    # status index alone each count read every published case, 32-37 ms apiece. A publisher's dashboard lists
    # the body's cases newest first and counts them by status: 155 + 36 ms for a body with 65,000 cases.
    __table_args__ = (Index("ix_cases_status_published_date_issuer_id", "status", "published_date", "issuer_id"),
                      Index("ix_cases_issuer_id_updated_at", "issuer_id", "updated_at"),
                      Index("ix_cases_issuer_id_status", "issuer_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    case_type: Mapped[str] = mapped_column(String(10), index=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    document_number: Mapped[str | None] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(200))
    court: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    judgment_date: Mapped[dt.date | None] = mapped_column(Date)
    published_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    keywords: Mapped[list[str] | None] = mapped_column(JSON)
    source_name: Mapped[str | None] = mapped_column(String(500))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    # 普法版: the optional lay layer of the interchange record (schemas/case.py PlainSchema).
    plain: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.PUBLISHED)
    # Set when this is another publication of the same case (e.g. the 公报 version of a guiding case):
    # the canonical, most authoritative version is the one listed and searched (app/services/duplicates.py).
    canonical_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    # SHA-256 of the interchange record, so an unchanged re-import touches nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    issuer: Mapped[Issuer] = relationship(lazy="joined")
    sections: Mapped[list[CaseSection]] = relationship(
        back_populates="case",
        order_by="CaseSection.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    tags: Mapped[list[CaseTag]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin"
    )
    citations: Mapped[list[CaseCitation]] = relationship(
        order_by="CaseCitation.position", cascade="all, delete-orphan", lazy="select"
    )
    canonical: Mapped[Case | None] = relationship(remote_side=[id], back_populates="republished", lazy="select")
    republished: Mapped[list[Case]] = relationship(back_populates="canonical", lazy="select", order_by="Case.id")

    @hybrid_property
    def is_public(self) -> bool:
        """The one rule for "the public may see this case" (also a SQL condition: .where(Case.is_public))."""
        return self.status == CaseStatus.PUBLISHED

    @hybrid_property
    def is_listed(self) -> bool:
        """Public and not another publication of a listed case: what search, facets and lists count."""
        return self.status == CaseStatus.PUBLISHED and self.canonical_id is None

    @is_listed.inplace.expression
    @classmethod
    def _is_listed_expression(cls):
        return and_(cls.status == CaseStatus.PUBLISHED, cls.canonical_id.is_(None))

    @property
    def also_published(self) -> list[Case]:
        """The other public publications of this case: the listed one first, then the rest."""
        head = self.canonical or self
        group = [head, *head.republished]
        return [c for c in group if c is not self and c.is_public]

    @property
    def was_public(self) -> bool:
        """Published now or before (withdrawn): there is a public version to compare with."""
        return self.status in (CaseStatus.PUBLISHED, CaseStatus.WITHDRAWN)

    @property
    def status_label(self) -> str:
        """The public state's Chinese name."""
        return CASE_STATUS_LABELS.get(CaseStatus(self.status), self.status)

    @property
    def year(self) -> int | None:
        """Year used by the year facet: publication year, else judgment year."""
        date = self.published_date or self.judgment_date
        return date.year if date else None

    @property
    def source(self) -> dict | None:
        """The interchange `source` object, rebuilt from its two columns."""
        if not self.source_name:
            return None
        return {"name": self.source_name, **({"url": self.source_url} if self.source_url else {})}

    def cited_law_names(self) -> list[str]:
        """Short names (民法典, 工伤保险条例) of the laws whose articles the case cites."""
        return sorted({c.law_title.removeprefix("中华人民共和国") for c in self.citations if c.law_title})

    def tag_names(self, scheme: str) -> list[str]:
        """Names of this case's tags in one taxonomy scheme, in taxonomy order."""
        return [t.name for t in self._terms(scheme)]

    def tag_codes(self, scheme: str) -> list[str]:
        """Stable codes of this case's tags in one taxonomy scheme, in taxonomy order."""
        return [t.code for t in self._terms(scheme)]

    def _terms(self, scheme: str) -> list:
        """This case's terms of one scheme, in taxonomy order."""
        return sorted((t.term for t in self.tags if t.term.scheme == scheme), key=lambda t: t.position)


class CaseSection(Model):
    """One section of a case body, in order (基本案情, 裁判理由 …)."""

    __tablename__ = "case_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    heading: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="sections")

