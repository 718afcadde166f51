"""Taxonomies (hot issues, law topics) and the tags that attach cases to their terms."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model

if TYPE_CHECKING:
    from app.models.case import Case

SCHEMES = {"hot_issue": "热点问题", "law_topic": "法律部门"}


class TaxonomyTerm(Model):
    """One term of a scheme, with the transparent rules that suggest it automatically."""

    __tablename__ = "taxonomy_terms"
    __table_args__ = (UniqueConstraint("scheme", "code"), UniqueConstraint("scheme", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)


class CaseTag(Model):
    """A case's membership in a term; `auto` tags came from the rules, with their evidence."""

    __tablename__ = "case_tags"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    term_id: Mapped[int] = mapped_column(
        ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    auto: Mapped[bool] = mapped_column(Boolean, default=True)
    evidence: Mapped[str] = mapped_column(String(500), default="")

    case: Mapped[Case] = relationship(back_populates="tags")
    term: Mapped[TaxonomyTerm] = relationship(lazy="joined")
