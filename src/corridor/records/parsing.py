"""Parse and validate FHIR R4 JSON bundles at the edge of the records domain.

``fhir.resources`` 8 ships no plain R4 package; its R4B (4.3.0) models read R4 (4.0.1)
bundles unchanged (blueprint §8), so they are the validator here. Callers get the plain
dict back: the models are only a gate, the data stays JSON.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from corridor.records.errors import InvalidFhir

# A patient bundle is a few MB at most; refuse anything absurd before parsing it.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
# Bundle.type value set (FHIR R4 §2.36, http://hl7.org/fhir/R4/valueset-bundle-type.html);
# the models do not check code bindings, so this edge does.
BUNDLE_TYPES = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "(bundle)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def parse_bundle(data: bytes) -> dict[str, Any]:
    """Parse ``data`` as a FHIR R4 ``Bundle`` and validate it; return the plain JSON dict.

    Raises :class:`InvalidFhir` with a short message naming the first problem.
    """
    # Imported here: loading the FHIR model tree takes about a second, which callers
    # that never parse FHIR (the CLI's other commands) should not pay.
    from fhir.resources.R4B.bundle import Bundle  # noqa: PLC0415

    if len(data) > MAX_BUNDLE_BYTES:
        raise InvalidFhir(f"bundle is {len(data)} bytes; the limit is {MAX_BUNDLE_BYTES}")
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidFhir(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidFhir("a FHIR bundle must be a JSON object")
    if value.get("resourceType") != "Bundle":
        raise InvalidFhir(f"expected resourceType Bundle, got {value.get('resourceType')!r}")
    if value.get("type") not in BUNDLE_TYPES:
        raise InvalidFhir(f"Bundle.type {value.get('type')!r} is not a FHIR bundle type")
    try:
        Bundle.model_validate(value)
    except ValidationError as exc:
        raise InvalidFhir(f"not a valid FHIR R4 Bundle: {_first_problem(exc)}") from exc
    except (TypeError, ValueError, KeyError) as exc:
        # fhir.resources raises plain errors for some shapes (e.g. an unknown resourceType).
        raise InvalidFhir(
            f"not a valid FHIR R4 Bundle: unknown or malformed resource ({exc})"
        ) from exc
    return value
