"""A hospital's FHIR store: patients (with the wallet DID linked to each) and resources."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from corridor.storage.base import Base


class PatientRow(Base):
    """A patient of this hospital, by the local id of his FHIR Patient resource."""

    __tablename__ = "records_patients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wallet_did: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)


class ResourceRow(Base):
    """One FHIR resource as imported, with the patient it belongs to and its clinical date.

    ``patient_id`` is null for shared resources (practitioners, organisations...).
    ``clinical_date``/``clinical_date_last`` are the first and last day its clinical date
    denotes (equal unless the date is partial), null when the type has none.
    """

    __tablename__ = "records_resources"

    resource_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    patient_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("records_patients.id"), index=True, nullable=True
    )
    full_url: Mapped[str | None] = mapped_column(String(512), index=True, nullable=True)
    clinical_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    clinical_date_last: Mapped[date | None] = mapped_column(Date, nullable=True)
    resource_json: Mapped[str] = mapped_column(Text)
