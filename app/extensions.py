"""Extension instances only; they are bound to the app in create_app()."""
from typing import TYPE_CHECKING, Any, TypeAlias

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

# What a function that takes a session accepts: a plain Session, or Flask-SQLAlchemy's scoped db.session.
AnySession: TypeAlias = Session | scoped_session[Any]

# Models subclass `Model`: db.Model at run time; for the type checker, the declarative Base it extends.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
