"""What each method does to one element: the Microsoft tool's processors, in Python.

Pure: time (the evaluation date of the "age over 89" rule) and randomness (AES IVs,
perturbation noise) come in through :class:`OperationContext`. Each function changes one
element and returns the operation it recorded (for the security labels), or ``None``
when it left the element alone. Sources, upstream ``FHIR/src/...Shared.Core``:
``Processors/*Processor.cs`` and ``Utility/{DateTime,PostalCode,CryptoHash,Encrypt,
Reference}Utility.cs``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from corridor.records.deid.config import Generalization, Parameters, Perturbation
from corridor.records.deid.paths import PathEngine
from corridor.records.deid.tree import PRIMITIVE_TYPES, RESOURCE_TYPES, Element

REDACT = "REDACT"
ABSTRACT = "ABSTRACT"
CRYPTOHASH = "CRYPTOHASH"
ENCRYPT = "ENCRYPT"
PERTURB = "PERTURB"
SUBSTITUTE = "SUBSTITUTE"
GENERALIZE = "GENERALIZE"

# DateTimeUtility: FHIR date/dateTime grammars (http://hl7.org/fhir/R4/datatypes.html);
# group 1 is the year, 5 the month, 7 the day, 8 the time with its zone.
_DATE = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"
)
_DATE_TIME = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?"
)
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?")
_YEAR, _MONTH, _DAY, _TIME_PART = 1, 5, 7, 8
_AGE_THRESHOLD = 89  # HIPAA §164.514(b)(2)(i)(C): ages over 89 are aggregated
_DATE_SHIFT_SEED = 131
_DATE_SHIFT_RANGE = 50
_ZIP_PREFIX_DIGITS = 3  # HIPAA §164.514(b)(2)(i)(B): the initial three digits of a ZIP code
_AES_IV_BYTES = 16
_NUMBER_TYPES = frozenset({"decimal", "integer", "positiveInt", "unsignedInt"})
_INTEGER_TYPES = frozenset({"integer", "positiveInt", "unsignedInt"})
_QUANTITY_TYPES = frozenset(
    {"Quantity", "SimpleQuantity", "MoneyQuantity", "Age", "Count", "Distance", "Duration", "Money"}
)
# ReferenceUtility: literal, oid and uuid references keep everything but the id.
_LITERAL_REFERENCE = re.compile(
    r"^(?P<prefix>((http|https)://([A-Za-z0-9\\/.:%$])*)?("
    + "|".join(sorted(RESOURCE_TYPES))
    + r")/)(?P<id>[A-Za-z0-9\-.]{1,64})(?P<suffix>/_history/[A-Za-z0-9\-.]{1,64})?$"
)
_OID_REFERENCE = re.compile(r"^(?P<prefix>urn:oid:)(?P<id>[0-2](\.(0|[1-9][0-9]*))+)(?P<suffix>)$")
_UUID_REFERENCE = re.compile(
    r"^(?P<prefix>urn:uuid:)(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?P<suffix>)$"
)


class OperationFailed(Exception):
    """A rule could not be applied to an element (a *processing error* upstream)."""


@dataclass
class OperationContext:
    """What the operations of one run share: keys, switches, time, randomness, visits."""

    parameters: Parameters
    at: date
    rng: random.Random
    paths: PathEngine
    date_shift_prefix: str = ""
    visited: set[Element] = field(default_factory=set)
    shift_days: dict[str, int] = field(default_factory=dict)
    """Offsets already computed in this run, by prefix."""


def text_of(value: Any) -> str:
    """A primitive as the .NET tool prints it (``True``/``False`` for booleans)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _is_over_age_threshold(match: re.Match[str], at: date) -> bool:
    # DateTimeUtility.IndicateAgeOverThreshold, with the evaluation date as an input.
    year = int(match.group(_YEAR))
    month = int(match.group(_MONTH)) if match.group(_MONTH) else 1
    day = int(match.group(_DAY)) if match.group(_DAY) else 1
    age = at.year - year - (1 if (at.month, at.day) < (month, day) else 0)
    return age > _AGE_THRESHOLD


def _is_date_like(node: Element) -> bool:
    return node.type in {"date", "dateTime", "instant"}


def _redact_date(node: Element, ctx: OperationContext) -> str:
    value = text_of(node.value)
    if ctx.parameters.partial_dates:
        grammar = _DATE if node.type == "date" else _DATE_TIME
        match = grammar.search(value)
        if match:
            node.set_value(None if _is_over_age_threshold(match, ctx.at) else match.group(_YEAR))
    else:
        node.set_value(None)
    return REDACT


def _redact_postal_code(node: Element, ctx: OperationContext) -> str:
    value = text_of(node.value)
    if not ctx.parameters.partial_zip_codes:
        node.set_value(None)
        return REDACT
    if any(value.startswith(prefix) for prefix in ctx.parameters.restricted_zip_prefixes):
        node.set_value(re.sub(r"\d", "0", value))
    elif len(value) >= _ZIP_PREFIX_DIGITS:
        head, tail = value[:_ZIP_PREFIX_DIGITS], value[_ZIP_PREFIX_DIGITS:]
        node.set_value(head + re.sub(r"\d", "0", tail))
    return ABSTRACT


def redact(node: Element, ctx: OperationContext) -> str | None:
    """``redact``: remove the value, or keep what the ``enablePartial*`` switches allow."""
    if node.value is None or text_of(node.value) == "":
        return None
    if _is_date_like(node):
        return _redact_date(node, ctx)
    if node.type == "decimal" and node.parent is not None and node.parent.type == "Age":
        try:
            over = float(node.value) > _AGE_THRESHOLD
        except (TypeError, ValueError) as exc:
            raise OperationFailed(f"age {node.value!r} is not a number") from exc
        if over or not ctx.parameters.partial_ages:
            node.set_value(None)
        return REDACT
    if node.name == "postalCode":
        return _redact_postal_code(node, ctx)
    node.set_value(None)
    return REDACT


def _shift_days(node: Element, ctx: OperationContext) -> int:
    if ctx.parameters.date_shift_fixed_offset_days is not None:
        return ctx.parameters.date_shift_fixed_offset_days
    # Without a file or folder prefix, upstream takes the id of the *root* node: the
    # resource itself, or the Bundle that carries it (DateTimeUtility.TryGetResourceId).
    prefix = ctx.date_shift_prefix
    if not prefix:
        root = node.root()
        ident = root.obj.get("id") if root.obj is not None else None
        prefix = ident if isinstance(ident, str) else ""
    days = ctx.shift_days.get(prefix)
    if days is None:
        offset = 0
        for byte in (prefix + ctx.parameters.date_shift_key).encode():
            offset = (offset * _DATE_SHIFT_SEED + byte) % (2 * _DATE_SHIFT_RANGE + 1)
        days = ctx.shift_days[prefix] = offset - _DATE_SHIFT_RANGE
    return days


def _shifted(match: re.Match[str], days: int) -> str:
    day = date(int(match.group(_YEAR)), int(match.group(_MONTH)), int(match.group(_DAY)))
    return (day + timedelta(days=days)).isoformat()


def date_shift(node: Element, ctx: OperationContext) -> str | None:
    """``dateShift``: move full dates by the key's offset, zero the time; else redact."""
    if node.value is None or text_of(node.value) == "" or not _is_date_like(node):
        return None
    value = text_of(node.value)
    grammar = _DATE if node.type == "date" else _DATE_TIME
    match = grammar.search(value)
    if match is None or not match.group(_DAY) or _is_over_age_threshold(match, ctx.at):
        return _redact_date(node, ctx)
    days = _shift_days(node, ctx)
    new_date = _shifted(match, days)
    time_part = match.group(_TIME_PART) if node.type != "date" else None
    if time_part:
        clock = _TIME.search(time_part)
        if clock:
            time_part = time_part.replace(clock.group(0), re.sub(r"\d", "0", clock.group(0)))
        node.set_value(new_date + time_part)
    else:
        node.set_value(new_date)
    return PERTURB


def _hash(key: str, value: str) -> str:
    # CryptoHashUtility.ComputeHmacSHA256Hash: lower-case hex of HMAC-SHA256 (RFC 2104).
    return hmac.digest(key.encode(), value.encode(), hashlib.sha256).hex()


def transform_reference(reference: str, transform: Callable[[str], str]) -> str:
    """Apply ``transform`` to the id part of a reference (ReferenceUtility.TransformReferenceId)."""
    if reference.startswith("#"):
        return "#" + transform(reference[1:])
    # The three patterns exclude each other; try the likely one first.
    if reference.startswith("urn:uuid:"):
        patterns = (_UUID_REFERENCE,)
    elif reference.startswith("urn:oid:"):
        patterns = (_OID_REFERENCE,)
    else:
        patterns = (_LITERAL_REFERENCE,)
    for pattern in patterns:
        match = pattern.match(reference)
        if match:
            prefix, suffix = match.group("prefix"), match.group("suffix") or ""
            return prefix + transform(match.group("id")) + suffix
    return transform(reference)


def crypto_hash(node: Element, ctx: OperationContext) -> str | None:
    """``cryptoHash``: HMAC-SHA256 hex; only the id part of a ``Reference.reference``."""
    if node.value is None or text_of(node.value) == "":
        return None
    key = ctx.parameters.crypto_hash_key
    value = text_of(node.value)
    if node.name == "reference" and node.parent is not None and node.parent.type == "Reference":
        node.set_value(transform_reference(value, lambda ident: _hash(key, ident)))
    else:
        node.set_value(_hash(key, value))
    return CRYPTOHASH


def encrypt(node: Element, ctx: OperationContext) -> str | None:
    """``encrypt``: AES-CBC with PKCS #7 padding, random IV first, Base64 (EncryptUtility)."""
    if node.value is None or text_of(node.value) == "":
        return None
    key = ctx.parameters.encrypt_key.encode()
    iv = ctx.rng.randbytes(_AES_IV_BYTES)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(text_of(node.value).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(padded) + encryptor.finalize()
    node.set_value(base64.b64encode(iv + sealed).decode("ascii"))
    return ENCRYPT


def perturb(node: Element, ctx: OperationContext, setting: Perturbation) -> str | None:
    """``perturb``: uniform noise on a number or a quantity's value, then rounding."""
    if node.type in _NUMBER_TYPES:
        target: Element | None = node
    elif node.type in _QUANTITY_TYPES:
        found = node.children_named("value")
        target = found[0] if found else None
    else:
        target = None
    if target is None or target.value is None or target in ctx.visited:
        return None
    try:
        original = Decimal(text_of(target.value))
    except InvalidOperation as exc:
        raise OperationFailed(f"{target.value!r} is not a number") from exc
    round_to = 0 if target.type in _INTEGER_TYPES else setting.round_to
    span = float(original) * setting.span if setting.proportional else setting.span
    noise = Decimal(repr(ctx.rng.uniform(-span / 2, span / 2)))
    result = (original + noise).quantize(Decimal(1).scaleb(-round_to), rounding=ROUND_HALF_EVEN)
    if target.type == "positiveInt" and result <= 0:
        result = Decimal(1)
    if target.type == "unsignedInt" and result < 0:
        result = Decimal(0)
    target.set_value(int(result) if round_to == 0 else float(result))
    ctx.visited.update(node.descendants())
    return PERTURB


def _scalar(results: list[Any], text: str) -> Any:
    if not results:
        return None
    item = results[0]
    if text.strip().startswith("@"):
        return text.strip()[1:]  # a date/time literal stands for itself (FHIRPath N1 §4.1)
    if isinstance(item, bool | int | float | str):
        return item
    if isinstance(item, Decimal):
        return float(item)
    return str(item)


def generalize(node: Element, ctx: OperationContext, setting: Generalization) -> str | None:
    """``generalize``: the first case whose condition holds gives the new value."""
    if node.value is None:
        return None
    for condition, outcome, text in setting.cases:
        try:
            holds = ctx.paths.evaluate_value(condition, node.value, node.type) == [True]
            if holds:
                node.set_value(
                    _scalar(ctx.paths.evaluate_value(outcome, node.value, node.type), text)
                )
                return GENERALIZE
        except Exception as exc:  # fhirpathpy raises plain exceptions (type mismatches...)
            raise OperationFailed(f"generalize case failed on {node.location()}: {exc}") from exc
    if setting.other_values == "redact":
        node.set_value(None)
    return GENERALIZE


def is_primitive_type(node: Element) -> bool:
    """True when the element's FHIR type is a primitive type."""
    return node.type in PRIMITIVE_TYPES


class CryptoHashReference:
    """The custom method ``cryptoHashReference``: ``cryptoHash`` of the id part only.

    Upstream hashes the id part of ``Reference.reference`` values but the whole of any
    other value, so a hashed ``Bundle.entry.fullUrl`` (``urn:uuid:<id>``) would no longer
    match the references to it. Applied to ``fullUrl``, this keeps entries linked.
    """

    def __call__(self, node: Element, _rule: object, context: OperationContext) -> str | None:
        """Hash the id part of ``node``'s value (ReferenceUtility.TransformReferenceId)."""
        if node.value is None or text_of(node.value) == "":
            return None
        key = context.parameters.crypto_hash_key
        node.set_value(transform_reference(text_of(node.value), lambda ident: _hash(key, ident)))
        return CRYPTOHASH
