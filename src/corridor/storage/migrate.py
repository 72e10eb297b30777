"""Run the Alembic migrations of every domain against a party's database.

Each domain owns a migration branch (``branch_labels``) in ``migrations/versions``; a
database is current when every branch head is applied (``upgrade heads``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from corridor.storage.database import Database

_MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database: Database) -> Config:
    """An Alembic configuration bound to ``database``'s engine (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS.as_posix())
    config.set_main_option("version_locations", (_MIGRATIONS / "versions").as_posix())
    # Alembic 1.16+ asks which separator splits version_locations; ours is a single path.
    config.set_main_option("path_separator", "os")
    config.attributes["engine"] = database.engine
    return config


def upgrade_database(database: Database) -> None:
    """Apply every pending migration on every branch."""
    command.upgrade(alembic_config(database), "heads")
