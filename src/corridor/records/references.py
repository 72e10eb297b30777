"""Find and resolve FHIR references inside a bundle (FHIR R4 §2.36.4, "Resolving references").

Pure. A reference may be a ``urn:uuid:`` fullUrl, a relative ``Type/id``, an absolute URL
ending in ``Type/id``, a conditional ``Type?identifier=system|value`` (Synthea's newer
bundles use these for providers they do not include) or a ``#contained`` fragment.
Whatever resolves to an entry of the bundle is returned; the rest is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

ResourceKey = tuple[str, str]
"""``(resourceType, id)`` of a resource."""

_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def resource_key(resource: dict[str, Any]) -> ResourceKey | None:
    """The ``(type, id)`` of ``resource`` or ``None`` when it has no id."""
    kind, ident = resource.get("resourceType"), resource.get("id")
    if isinstance(kind, str) and isinstance(ident, str):
        return (kind, ident)
    return None


def entry_key(full_url: str | None, resource: dict[str, Any]) -> ResourceKey | None:
    """The key of a bundle entry: its resource key, else its fullUrl as the id."""
    key = resource_key(resource)
    if key is None and full_url and isinstance(resource.get("resourceType"), str):
        return (resource["resourceType"], full_url)
    return key


def references_in(value: Any) -> Iterator[str]:
    """Every ``Reference.reference`` string inside ``value``, skipping contained resources."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            elif key != "contained":
                yield from references_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from references_in(item)


def literal_target(reference: str) -> ResourceKey | None:
    """``(type, id)`` named by a relative or absolute literal reference, else ``None``."""
    if "?" in reference or reference.startswith(("#", "urn:")):
        return None
    match = _TYPE_ID.search(reference)
    return (match.group(1), match.group(2)) if match else None


def _identifier_pairs(resource: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for identifier in resource.get("identifier", []) or []:
        if isinstance(identifier, dict):
            yield (str(identifier.get("system", "")), str(identifier.get("value", "")))


@dataclass
class ReferenceIndex:
    """Lookup tables from fullUrls, ``Type/id`` and identifiers to resource keys."""

    by_full_url: dict[str, ResourceKey] = field(default_factory=dict)
    keys: set[ResourceKey] = field(default_factory=set)
    by_identifier: dict[tuple[str, str, str], ResourceKey] = field(default_factory=dict)

    @classmethod
    def of_entries(cls, entries: Iterable[tuple[str | None, dict[str, Any]]]) -> ReferenceIndex:
        """Index ``(fullUrl, resource)`` pairs."""
        index = cls()
        for full_url, resource in entries:
            index.add(full_url, resource)
        return index

    def add(self, full_url: str | None, resource: dict[str, Any]) -> None:
        """Index one resource under its fullUrl, its ``Type/id`` and its identifiers."""
        key = entry_key(full_url, resource)
        if key is None:
            return
        self.keys.add(key)
        if full_url:
            self.by_full_url[full_url] = key
        for system, value in _identifier_pairs(resource):
            self.by_identifier.setdefault((key[0], system, value), key)

    def resolve(self, reference: str) -> ResourceKey | None:
        """The key ``reference`` points to inside the indexed resources, or ``None``."""
        if reference.startswith("#"):
            return None
        if reference in self.by_full_url:
            return self.by_full_url[reference]
        if "?" in reference:
            return self._resolve_conditional(reference)
        key = literal_target(reference)
        return key if key is not None and key in self.keys else None

    def _resolve_conditional(self, reference: str) -> ResourceKey | None:
        kind, _, query = reference.partition("?")
        for token in parse_qs(query).get("identifier", []):
            system, sep, value = token.partition("|")
            if not sep:
                system, value = "", token
            found = self.by_identifier.get((kind, system, value))
            if found is not None:
                return found
            if not sep:
                # "identifier=value" matches any system (FHIR R4 §3.1.1.4.9 token search).
                for (k, _system, v), key in self.by_identifier.items():
                    if k == kind and v == value:
                        return key
        return None


def bundle_entries(bundle: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """``(fullUrl, resource)`` for every entry of ``bundle`` that has a resource."""
    pairs: list[tuple[str | None, dict[str, Any]]] = []
    for entry in bundle.get("entry", []) or []:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            full_url = entry.get("fullUrl")
            pairs.append((full_url if isinstance(full_url, str) else None, entry["resource"]))
    return pairs
