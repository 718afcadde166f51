"""The importer's bulk path (SQLAlchemy Core) stores exactly what the ORM upsert stores."""
import json
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Case
from app.services import case_bulk, importer, index_sync, linking
from app.services import cases as case_service
from app.services.taxonomy import all_terms
from indexer.documents import build_document
from tests.helpers import sample_record

SEED = sorted((Path(__file__).resolve().parent.parent / "seed_cases").glob("*.jsonl"))
IGNORED = {"id", "source_id", "content_hash", "created_at", "updated_at"}


def _records(per_file: int = 25) -> list[dict]:
    """The first validated records of every seed file (every issuer kind, citations), and one with a
    普法版 layer (an empty part left out), no source and no keywords."""
    texts = [text or "" for path in SEED for _, text, _ in list(importer.read_lines(path))[:per_file]]
    plain = {"story": "张某途经小区时被楼上抛下的花盆砸伤。", "result": "物业公司赔偿。", "tips": ""}
    bare = {key: value for key, value in sample_record(source_id="plain-1", plain=plain).items()
            if key not in ("source", "keywords")}
    texts.append(json.dumps(bare, ensure_ascii=False))
    records = []
    for text in texts:
        record, problems = importer.parse_line(text)
        assert not problems, problems
        records.append(record)
    return records


def _stored(case: Case) -> dict:
    """Everything the database holds for a case, without row ids."""
    return {
        "columns": {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key not in IGNORED},
        "sections": [(s.position, s.kind, s.heading, s.text) for s in case.sections],
        "tags": sorted((t.term.scheme, t.term.code, t.auto, t.evidence) for t in case.tags),
        "citations": [(c.position, c.raw, c.law_title, c.number, c.sub, c.paragraph, c.item, c.version,
                       c.article_id) for c in case.citations],
    }


def test_bulk_inserted_cases_equal_upserted_ones_and_their_documents_too(app):
    records = _records()
    terms, issuers, resolver = all_terms(), case_service.IssuerCache(), linking.ArticleResolver()
    bulk = case_bulk.insert_new([(r, case_service.record_digest(r)) for r in records], terms, issuers, resolver)
    index_sync.note_bulk_insert(db.session, bulk)
    for record in records:
        case_service.upsert(dict(record, source_id=record["source_id"] + "-orm"), terms, issuers, resolver=resolver)
    db.session.commit()

    by_source = {c.source_id: c for c in db.session.scalars(select(Case))}
    assert len(by_source) == 2 * len(records) > 100
    assert sum(bool(c.citations) for c in by_source.values()) > 20 and any(c.plain for c in by_source.values())
    for record, prepared in zip(records, bulk, strict=True):
        inserted, upserted = by_source[record["source_id"]], by_source[record["source_id"] + "-orm"]
        assert inserted.id == prepared.id
        assert inserted.content_hash == case_service.record_digest(record)
        assert _stored(inserted) == _stored(upserted), record["source_id"]
        # the document the drain builds from the record is the one a reload would build
        from_record, from_database = build_document(prepared), build_document(inserted)
        assert from_record == from_database
