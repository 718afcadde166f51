"""National laws, regulations and judicial interpretations, and their articles."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model

LAW_KINDS = ("宪法", "法律", "行政法规", "司法解释", "部门规章")


class Law(Model):
    """One version of a law; the newest version of a title is the current one."""

    __tablename__ = "laws"
    __table_args__ = (UniqueConstraint("source_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    short_name: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    department: Mapped[str | None] = mapped_column(String(20))
    version_date: Mapped[dt.date | None] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    preamble: Mapped[str] = mapped_column(Text, default="")
    source_path: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))

    articles: Mapped[list[LawArticle]] = relationship(
        back_populates="law", order_by="LawArticle.position", cascade="all, delete-orphan"
    )


class LawArticle(Model):
    """An article (条) with its paragraphs (款) in order; items (项) are lines inside paragraphs."""

    __tablename__ = "law_articles"
    __table_args__ = (UniqueConstraint("law_id", "number", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    law_id: Mapped[int] = mapped_column(ForeignKey("laws.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    sub: Mapped[int] = mapped_column(Integer, default=0)  # 之一 → 1, 之二 → 2
    label: Mapped[str] = mapped_column(String(40))  # as written: 第一百三十三条之一
    chapter: Mapped[str] = mapped_column(String(500), default="")  # 第一编 总则 › 第二章 犯罪
    paragraphs: Mapped[list[str]] = mapped_column(JSON)

    law: Mapped[Law] = relationship(back_populates="articles")

    @property
    def text(self) -> str:
        """The whole article, paragraphs separated by newlines."""
        return "\n".join(self.paragraphs)

    @property
    def slug(self) -> str:
        """The article's part of its page address: 1165, or 133-1 for 第一百三十三条之一."""
        return f"{self.number}-{self.sub}" if self.sub else str(self.number)

    def paragraph(self, number: int) -> str | None:
        """Paragraph (款) `number`, counted from 1, or None."""
        return self.paragraphs[number - 1] if 0 < number <= len(self.paragraphs) else None

    def item(self, paragraph: int, number: int) -> str | None:
        """Item (项) `number` of a paragraph: its （N） line, or None."""
        lines = (self.paragraph(paragraph) or "").split("\n")[1:]
        return lines[number - 1] if 0 < number <= len(lines) else None


class CaseCitation(Model):
    """An article a case cites, as parsed from its text; `article_id` is set when we hold that article."""

    __tablename__ = "case_citations"
    # Both indexes end in case_id so that the look-ups by article answer from the index alone: by article_id
    # or law_title alone they read one table row per citation. (article, case): the per-article counts of
    # citing cases behind every lay question, 145 → 9 ms for the 40 most cited articles at 100,000 cases;
    # (law, number, sub, case): the cases applying an article on 问法条 and article pages, 25 → 5 ms each.
    __table_args__ = (Index("ix_case_citations_article_id_case_id", "article_id", "case_id"),
                      Index("ix_case_citations_law_title_number_sub_case_id", "law_title", "number", "sub", "case_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(String(300))
    law_title: Mapped[str | None] = mapped_column(String(300))
    number: Mapped[int] = mapped_column(Integer)
    sub: Mapped[int] = mapped_column(Integer, default=0)
    paragraph: Mapped[int | None] = mapped_column(Integer)
    item: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int | None] = mapped_column(Integer)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("law_articles.id", ondelete="SET NULL"))

    article: Mapped[LawArticle | None] = relationship(lazy="joined")

    slug = LawArticle.slug  # same address form: it reads only number and sub

    @property
    def label(self) -> str:
        """The article as written in the normal form: 第1165条 → 第一千一百六十五条 when we hold it."""
        if self.article is not None:
            return self.article.label
        return f"第{self.number}条" + (f"之{self.sub}" if self.sub else "")
