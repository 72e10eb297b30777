"""Unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from corridor.storage.errors import StorageError


class UnitOfWork:
    """Context manager around one session; ``commit()`` is explicit, exit rolls back.

    Usage: ``with UnitOfWork(sessions) as uow: ...; uow.commit()``. Database errors are
    translated into :class:`StorageError` where they leave this boundary.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    def __enter__(self) -> Self:
        self._session = self._sessions()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    @property
    def session(self) -> Session:
        """The open session; only valid inside the ``with`` block."""
        if self._session is None:
            raise StorageError("unit of work used outside its 'with' block")
        return self._session

    def commit(self) -> None:
        """Commit; the change is durable when this returns."""
        try:
            self.session.commit()
        except SQLAlchemyError as exc:
            self.session.rollback()
            raise StorageError(f"commit failed: {exc.__class__.__name__}") from exc
