"""A hospital's FHIR store: import bundles, assemble a patient's record, search, link wallets."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.records.dates import clinical_period
from corridor.records.errors import (
    InvalidFhir,
    PatientMissing,
    PatientNotFound,
    WalletAlreadyLinked,
)
from corridor.records.extraction import SUPPORTING_TYPES
from corridor.records.parsing import parse_bundle
from corridor.records.references import (
    ReferenceIndex,
    bundle_entries,
    entry_key,
    literal_target,
    references_in,
)
from corridor.records.tables import PatientRow, ResourceRow
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

_MAX_ID_CHARS = 64


@dataclass(frozen=True)
class RecordsContext:
    """What the FHIR store needs: the hospital's database."""

    database: Database


@dataclass(frozen=True)
class ImportResult:
    """The patient a bundle was about (``None`` for a provider-only bundle) and what was stored."""

    patient_id: str | None
    counts: dict[str, int]


def _patient_of(entries: list[tuple[str | None, dict[str, Any]]]) -> str | None:
    patients = [res for _, res in entries if res.get("resourceType") == "Patient"]
    if len(patients) > 1:
        raise PatientMissing(f"a bundle may hold one patient; this one holds {len(patients)}")
    if not patients:
        return None
    ident = patients[0].get("id")
    if not isinstance(ident, str) or len(ident) > _MAX_ID_CHARS:
        raise InvalidFhir("the Patient resource needs an id of at most 64 characters")
    return ident


def import_bundle(*, context: RecordsContext, data: bytes) -> ImportResult:
    """Validate and store a FHIR bundle; importing the same bundle again replaces it.

    Resources of the supporting types (:data:`SUPPORTING_TYPES`) are stored as shared;
    every other resource belongs to the bundle's patient.
    """
    bundle = parse_bundle(data)
    entries = bundle_entries(bundle)
    patient_id = _patient_of(entries)
    counts: Counter[str] = Counter()
    with UnitOfWork(context.database.sessions) as uow:
        if patient_id is not None and uow.session.get(PatientRow, patient_id) is None:
            uow.session.add(PatientRow(id=patient_id))
            uow.session.flush()
        for full_url, resource in entries:
            key = entry_key(full_url, resource)
            if key is None:
                continue
            period = clinical_period(resource)
            owned = key[0] not in SUPPORTING_TYPES and patient_id is not None
            uow.session.merge(
                ResourceRow(
                    resource_type=key[0],
                    resource_id=key[1],
                    patient_id=patient_id if owned else None,
                    full_url=full_url,
                    clinical_date=period[0] if period else None,
                    clinical_date_last=period[1] if period else None,
                    resource_json=json.dumps(resource, separators=(",", ":")),
                )
            )
            counts[key[0]] += 1
        uow.commit()
    return ImportResult(patient_id=patient_id, counts=dict(sorted(counts.items())))


def _require_patient_row(session: Session, patient_id: str) -> PatientRow:
    row = session.get(PatientRow, patient_id)
    if row is None:
        raise PatientNotFound(f"no patient {patient_id!r} in this FHIR store")
    return row


class _StoreResolver:
    """Resolves references against shared resources in the store, with a cache."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._by_type: dict[str, tuple[ReferenceIndex, dict[tuple[str, str], ResourceRow]]] = {}

    def _type_index(self, kind: str) -> tuple[ReferenceIndex, dict[tuple[str, str], ResourceRow]]:
        if kind not in self._by_type:
            rows = self._session.scalars(
                select(ResourceRow).where(
                    ResourceRow.resource_type == kind, ResourceRow.patient_id.is_(None)
                )
            ).all()
            index = ReferenceIndex()
            for row in rows:
                index.add(row.full_url, json.loads(row.resource_json))
            self._by_type[kind] = (index, {(r.resource_type, r.resource_id): r for r in rows})
        return self._by_type[kind]

    def resolve(self, reference: str) -> ResourceRow | None:
        if reference.startswith("#"):
            return None
        row = self._session.scalars(
            select(ResourceRow).where(ResourceRow.full_url == reference)
        ).first()
        if row is not None:
            return row
        target = literal_target(reference)
        if target is not None:
            return self._session.get(ResourceRow, target)
        kind = reference.split("?", 1)[0]
        if "?" not in reference or kind not in SUPPORTING_TYPES:
            return None
        index, rows = self._type_index(kind)
        key = index.resolve(reference)
        return rows.get(key) if key is not None else None


def patient_bundle(*, context: RecordsContext, patient_id: str) -> dict[str, Any]:
    """A ``collection`` Bundle of the patient's resources and the shared ones they reference."""
    with UnitOfWork(context.database.sessions) as uow:
        _require_patient_row(uow.session, patient_id)
        rows = list(
            uow.session.scalars(
                select(ResourceRow)
                .where(ResourceRow.patient_id == patient_id)
                .order_by(ResourceRow.resource_type, ResourceRow.resource_id)
            )
        )
        included = {(row.resource_type, row.resource_id) for row in rows}
        resolver = _StoreResolver(uow.session)
        pending = list(rows)
        while pending:
            for reference in set(references_in(json.loads(pending.pop().resource_json))):
                target = resolver.resolve(reference)
                if target is None or target.patient_id is not None:
                    continue
                key = (target.resource_type, target.resource_id)
                if key not in included:
                    included.add(key)
                    rows.append(target)
                    pending.append(target)
        entries = [_entry(row) for row in rows]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _entry(row: ResourceRow) -> dict[str, Any]:
    entry: dict[str, Any] = {"fullUrl": row.full_url} if row.full_url else {}
    entry["resource"] = json.loads(row.resource_json)
    return entry


def search(
    *,
    context: RecordsContext,
    patient_id: str,
    resource_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """The patient's resources, optionally of one type and inside a clinical date range.

    With a date bound, a resource matches only when its whole clinical date lies inside,
    and undated resources never match (the rule consented extraction uses).
    """
    query = select(ResourceRow).where(ResourceRow.patient_id == patient_id)
    if resource_type is not None:
        query = query.where(ResourceRow.resource_type == resource_type)
    if date_from is not None:
        query = query.where(ResourceRow.clinical_date >= date_from)
    if date_to is not None:
        query = query.where(ResourceRow.clinical_date_last <= date_to)
    query = query.order_by(
        ResourceRow.clinical_date, ResourceRow.resource_type, ResourceRow.resource_id
    )
    with UnitOfWork(context.database.sessions) as uow:
        _require_patient_row(uow.session, patient_id)
        return [json.loads(row.resource_json) for row in uow.session.scalars(query)]


def link_wallet(*, context: RecordsContext, patient_id: str, did: str) -> None:
    """Link the patient's wallet DID to his local record (one wallet per patient here)."""
    with UnitOfWork(context.database.sessions) as uow:
        row = _require_patient_row(uow.session, patient_id)
        holder = uow.session.scalars(select(PatientRow).where(PatientRow.wallet_did == did)).first()
        if holder is not None and holder.id != patient_id:
            raise WalletAlreadyLinked("this wallet is already linked to another patient")
        if row.wallet_did == did:
            return
        row.wallet_did = did
        uow.commit()


def patient_for_did(*, context: RecordsContext, did: str) -> str | None:
    """The local patient id linked to wallet ``did``, if any."""
    with UnitOfWork(context.database.sessions) as uow:
        return uow.session.scalars(
            select(PatientRow.id).where(PatientRow.wallet_did == did)
        ).first()


def list_patients(*, context: RecordsContext) -> list[str]:
    """Local ids of every patient in the store, sorted."""
    with UnitOfWork(context.database.sessions) as uow:
        return list(uow.session.scalars(select(PatientRow.id).order_by(PatientRow.id)))
