"""Declarative base with a naming convention shared by every table.

The convention makes migrations name constraints identically on SQLite and PostgreSQL
(Alembic docs, "The Importance of Naming Constraints").
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

_NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table; each domain declares its rows in its ``tables.py``."""

    metadata = MetaData(naming_convention=_NAMING_CONVENTION)
