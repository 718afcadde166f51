"""The Alembic migrations build exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_upgrading_a_library_with_cases_keeps_every_row(tmp_path):
    """Batch mode rebuilds SQLite tables; with foreign keys on, rebuilding `cases` once cascaded into
    its sections, tags and citations and deleted them all. Every row must survive an upgrade."""

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.models import Case, CaseSection, CaseTag
    from tests.helpers import PG_URL, make_config, pg_database, sample_record, write_jsonl

    url = pg_database("yianshifa_test_upgrade") if PG_URL else None
    application = create_app(make_config(tmp_path, url))
    with application.app_context():
        upgrade()
        from app.services.taxonomy import load_terms

        load_terms()
        path = write_jsonl(tmp_path / "a.jsonl", [sample_record(source_id=f"m-{i}") for i in range(3)])
        assert application.test_cli_runner().invoke(args=["cases", "import", "--quiet", str(path)]).exit_code == 0

        def counts():
            return [db.session.scalar(select(func.count()).select_from(model)) for model in (Case, CaseSection, CaseTag)]

        before = counts()
        assert before[0] == 3 and before[1] == 6 and before[2] > 0
        db.session.remove()
        downgrade(revision="b7e2d91c4f60")  # before the columns later migrations add to `cases`
        upgrade()
        assert counts() == before
        db.session.remove()
        db.engine.dispose()
