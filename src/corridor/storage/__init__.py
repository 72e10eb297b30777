"""Persistence plumbing shared by every domain: engine, sessions, unit of work, migrations."""

from corridor.storage.base import Base
from corridor.storage.database import Database, create_database
from corridor.storage.errors import StorageError
from corridor.storage.migrate import upgrade_database
from corridor.storage.unit_of_work import UnitOfWork

__all__ = ["Base", "Database", "StorageError", "UnitOfWork", "create_database", "upgrade_database"]
