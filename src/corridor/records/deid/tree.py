"""A typed element tree over live FHIR JSON: what de-identification rules match and change.

Pure. The Microsoft FHIR anonymizer works on Firely ``ElementNode`` trees: every element
has a name, a FHIR type (``InstanceType``), a value when it is a primitive, and children.
:class:`Element` is the same view over the parsed JSON itself: a node remembers the JSON
object that holds it (``holder``), its property name (``key``) and its position in a JSON
array (``index``), so reading or writing a value reads or writes the JSON. FHIRPath
expressions (:mod:`corridor.records.deid.paths`) then always see the current data.

Types come from the R4 model that ships with ``fhirpathpy`` (``path2Type``,
``choiceTypePaths``, ``pathsDefinedElsewhere``), the same tables it uses for ``ofType``.
A primitive's JSON split (``"birthDate"`` plus ``"_birthDate"``, FHIR R4 §2.6.2.7) is one
element whose children (``id``, ``extension``) live in the underscore object.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import fhirpathpy.models

_R4 = fhirpathpy.models.models["r4"]
_PATH_TO_TYPE: dict[str, str] = _R4["path2Type"]
_CHOICE_TYPES: dict[str, list[str]] = _R4["choiceTypePaths"]
_DEFINED_ELSEWHERE: dict[str, str] = _R4["pathsDefinedElsewhere"]
_TYPE_TO_PARENT: dict[str, str] = _R4["type2Parent"]

# FHIR R4 primitive types (http://hl7.org/fhir/R4/datatypes.html#primitive).
PRIMITIVE_TYPES = frozenset(
    {
        "base64Binary",
        "boolean",
        "canonical",
        "code",
        "date",
        "dateTime",
        "decimal",
        "id",
        "instant",
        "integer",
        "markdown",
        "oid",
        "positiveInt",
        "string",
        "time",
        "unsignedInt",
        "uri",
        "url",
        "uuid",
        "xhtml",
    }
)
_BACKBONE = "BackboneElement"
# Every resource type of R4: the model's types whose ancestry reaches Resource.
RESOURCE_TYPES = frozenset(
    name
    for name in _TYPE_TO_PARENT
    if name not in {"Resource", "DomainResource"}
    and _TYPE_TO_PARENT.get(name) in {"Resource", "DomainResource"}
)
_LEAF: list[Any] = []  # never appended to: see _add_children
_NO_TABLE: dict[str, list[Any]] = {}
_NO_NESTED: list[Any] = []
_SEGMENT = re.compile(r"^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$")


@functools.cache
def child_type(
    parent_type_path: str, key: str, *, parent_is_resource: bool
) -> tuple[str, str, str]:
    """``(name, type, type path)`` of JSON property ``key`` under an element.

    The type path is what FHIRPath navigates from: the data type's name for complex data
    types (``Address``), the element path for backbone elements (``Patient.contact``).
    A choice element (``valueQuantity``) is named without its type suffix (``value``).
    """
    if key in {"extension", "modifierExtension"}:
        return key, "Extension", "Extension"
    # The model also lists expanded choice paths (Observation.valueQuantity): look for a
    # choice first, so the element is named "value" as FHIRPath names it.
    choice = _choice(parent_type_path, key)
    if choice is not None:
        return choice
    path = f"{parent_type_path}.{key}"
    path = _DEFINED_ELSEWHERE.get(path, path)
    found = _PATH_TO_TYPE.get(path)
    if found == "System.String":
        # Resource.id has type id, Extension.url uri, and Element.id string (FHIR R4 §2.24).
        system = ("id" if parent_is_resource else "string") if key == "id" else "string"
        return key, ("uri" if key == "url" else system), "string"
    if found is None or found in {_BACKBONE, "Element"}:
        # Backbone elements have no entry; anything else unknown is treated the same way.
        return key, _BACKBONE, path
    return key, found, found


def _choice(parent_type_path: str, key: str) -> tuple[str, str, str] | None:
    for cut in range(1, len(key)):
        if not key[cut].isupper():
            continue
        base = f"{parent_type_path}.{key[:cut]}"
        base = _DEFINED_ELSEWHERE.get(base, base)
        suffix = key[cut:]
        if suffix in _CHOICE_TYPES.get(base, ()):
            lowered = suffix[0].lower() + suffix[1:]
            kind = lowered if lowered in PRIMITIVE_TYPES else suffix
            return key[:cut], kind, kind
    return None


class Element:
    """One FHIR element of a resource, bound to its place in the JSON.

    Identity matters: the engine remembers visited elements by object, as the Microsoft
    tool remembers visited ``ElementNode`` objects.
    """

    __slots__ = (
        "by_name",
        "by_type",
        "children",
        "holder",
        "index",
        "is_resource",
        "key",
        "name",
        "nested",
        "obj",
        "parent",
        "type",
        "type_path",
    )

    def __init__(  # noqa: PLR0917  # built for every element: positional is faster
        self,
        name: str,
        type_: str,
        type_path: str,
        parent: Element | None,
        holder: dict[str, Any] | None,
        key: str,
        index: int | None,
        obj: dict[str, Any] | None,
        is_resource: bool = False,
        /,
    ) -> None:
        self.name = name
        self.type = type_
        self.type_path = type_path
        self.parent = parent
        self.holder = holder
        self.key = key
        self.index = index
        self.obj = obj
        self.is_resource = is_resource
        # Leaves share one empty list until they get children (_add_children replaces it).
        self.children: list[Element] = _LEAF
        # For resources: their elements by type and by name, not entering nested
        # resources (upstream's per-resource node cache), and the nested resources.
        # Other elements never hold any, so they share empty ones.
        self.by_type: dict[str, list[Element]] = {} if is_resource else _NO_TABLE
        self.by_name: dict[str, list[Element]] = {} if is_resource else _NO_TABLE
        self.nested: list[Element] = [] if is_resource else _NO_NESTED

    def __repr__(self) -> str:
        return f"Element({self.location()!r}, {self.type})"

    # --- values -----------------------------------------------------------------------
    @property
    def is_primitive(self) -> bool:
        """True for a primitive element (its value is a JSON scalar, or absent)."""
        return self.obj is None

    @property
    def value(self) -> Any:
        """The primitive value (``None`` when absent or for complex elements)."""
        if self.obj is not None or self.holder is None:
            return None
        raw = self.holder.get(self.key)
        if self.index is None:
            return raw
        return raw[self.index] if isinstance(raw, list) and self.index < len(raw) else None

    def set_value(self, value: Any) -> None:
        """Write the primitive value back into the JSON (``None`` removes it at the end)."""
        if self.obj is not None or self.holder is None:
            return
        if self.index is None:
            self.holder[self.key] = value
            return
        raw = self.holder.get(self.key)
        if not isinstance(raw, list):
            raw = []
            self.holder[self.key] = raw
        while len(raw) <= self.index:
            raw.append(None)
        raw[self.index] = value

    @property
    def extension_holder(self) -> dict[str, Any] | None:
        """A primitive's ``_name`` object (its ``id`` and ``extension``), if any."""
        if self.obj is not None or self.holder is None:
            return None
        raw = self.holder.get("_" + self.key)
        if self.index is not None:
            raw = raw[self.index] if isinstance(raw, list) and self.index < len(raw) else None
        return raw if isinstance(raw, dict) else None

    def data(self) -> Any:
        """What FHIRPath sees for this element: the JSON object, or the primitive value."""
        return self.obj if self.obj is not None else self.value

    # --- structure --------------------------------------------------------------------
    def segment(self) -> str:
        """This element's step in a FHIRPath location (``given[1]``, ``birthDate``)."""
        return self.name if self.index is None else f"{self.name}[{self.index}]"

    def location(self, root: Element | None = None) -> str:
        """``Patient.name[0].given[1]``: the path from ``root`` (default: the tree's root)."""
        steps: list[str] = []
        node: Element | None = self
        while node is not None and node is not root and node.parent is not None:
            steps.append(node.segment())
            node = node.parent
        top = node.type if node is not None else self.type
        return ".".join([top, *reversed(steps)])

    def root(self) -> Element:
        """The top of the tree (the resource or bundle being de-identified)."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def children_named(self, name: str) -> list[Element]:
        """Children with FHIR element name ``name``."""
        return [child for child in self.children if child.name == name]

    def child_at(self, name: str, index: int | None) -> Element | None:
        """The child ``name`` (at ``index`` in its JSON array), if present."""
        for child in self.children:
            if child.name == name and child.index == index:
                return child
        return None

    def descendants(self) -> Iterator[Element]:
        """Every element below this one, depth first, entering nested resources too."""
        for child in self.children:
            yield child
            yield from child.descendants()

    def resolve(self, location: str) -> Element | None:
        """The element a FHIRPath location names, walking from this element."""
        steps = location.split(".")
        node: Element | None = self
        for step in steps[1:]:
            match = _SEGMENT.match(step)
            if node is None or match is None:
                return None
            index = int(match.group(2)) if match.group(2) is not None else None
            node = node.child_at(match.group(1), index)
        return node

    def remove(self) -> None:
        """Take this element out of the JSON (array slots become ``None`` until pruning)."""
        if self.holder is None or self.parent is None:
            return
        if self.obj is None:
            self.set_value(None)
            underscore = "_" + self.key
            if self.index is None:
                self.holder.pop(underscore, None)
            elif isinstance(self.holder.get(underscore), list):
                items = self.holder[underscore]
                if self.index < len(items):
                    items[self.index] = None
        elif self.index is None:
            self.holder.pop(self.key, None)
        else:
            self.holder[self.key][self.index] = None
        self.parent.children = [c for c in self.parent.children if c is not self]

    def rebuild(self) -> None:
        """Re-read this element's children from its JSON after a structural change."""
        self.children = []
        owner = self if self.is_resource else _owner(self)
        if self.obj is not None:
            _add_children(self, self.obj, owner)
        else:
            extension = self.extension_holder
            if extension is not None:
                _add_children(self, extension, owner, primitive_owner=True)


def build_tree(resource: dict[str, Any]) -> Element:
    """The element tree of a resource (a Bundle's entries become resource elements in it)."""
    kind = str(resource.get("resourceType", ""))
    root = Element(kind, kind, kind, None, None, "", None, resource, True)  # noqa: FBT003
    _add_children(root, resource, root)
    return root


def _owner(node: Element) -> Element:
    current = node.parent
    while current is not None and not current.is_resource:
        current = current.parent
    return current if current is not None else node


_TYPE_CACHE: dict[tuple[str, bool], dict[str, tuple[str, str, str]]] = {}
# Children of a primitive: its id (a string) and its extensions.
_PRIMITIVE_CHILDREN = {
    "extension": ("extension", "Extension", "Extension"),
    "id": ("id", "string", "string"),
}


def _child_types(parent: Element, primitive_owner: bool) -> dict[str, tuple[str, str, str]]:
    """The memo of ``child_type`` results for this parent's kind (filled as keys appear)."""
    if primitive_owner:
        return _PRIMITIVE_CHILDREN
    cache_key = (parent.type_path, parent.is_resource)
    found = _TYPE_CACHE.get(cache_key)
    if found is None:
        found = _TYPE_CACHE[cache_key] = {}
    return found


def _add_children(  # noqa: C901, PLR0912, PLR0915  # the engine's hot loop, kept in one piece
    node: Element, obj: dict[str, Any], owner: Element, *, primitive_owner: bool = False
) -> None:
    """Read ``obj``'s properties as ``node``'s children, registering them with ``owner``.

    Every element of every input passes through here, so it is written for speed:
    one function, local names, no per-element helper calls.
    """
    children = node.children
    if children is _LEAF:
        children = node.children = []
    by_type, by_name, nested = owner.by_type, owner.by_name, owner.nested
    known = _child_types(node, primitive_owner)
    for key, value in obj.items():
        if key == "resourceType":
            continue
        if key[0] == "_":
            if key[1:] in obj:
                continue  # read together with its value
            key = key[1:]  # noqa: PLW2901  # a primitive with extensions but no value
            value = [None] * len(value) if isinstance(value, list) else None  # noqa: PLW2901
        types = known.get(key)
        if types is None:
            types = known[key] = (
                (key, "string", "string")
                if primitive_owner
                else child_type(node.type_path, key, parent_is_resource=node.is_resource)
            )
        name, kind, type_path = types
        if type(value) is list:
            pairs: Any = enumerate(value)
        else:
            pairs = ((None, value),)
        for index, item in pairs:
            if type(item) is dict:
                resource_type = item.get("resourceType")
                if type(resource_type) is str:
                    child = Element(
                        name,
                        resource_type,
                        resource_type,
                        node,
                        obj,
                        key,
                        index,
                        item,
                        True,  # noqa: FBT003
                    )
                    nested.append(child)
                    _add_children(child, item, child)
                else:
                    child = Element(name, kind, type_path, node, obj, key, index, item)
                    _add_children(child, item, owner)
            elif item is None and not _has_extension(obj, key, index):
                continue
            elif type(item) is list:
                continue  # nested arrays are not FHIR JSON
            else:
                child = Element(name, kind, type_path, node, obj, key, index, None)
                if "_" + key in obj:
                    extension = child.extension_holder
                    if extension is not None:
                        _add_children(child, extension, owner, primitive_owner=True)
            children.append(child)
            found = by_type.get(child.type)
            if found is None:
                by_type[child.type] = [child]
            else:
                found.append(child)
            found = by_name.get(name)
            if found is None:
                by_name[name] = [child]
            else:
                found.append(child)


def release_tree(root: Element) -> None:
    """Cut every element's link to its parent, so the tree is freed without the collector.

    Every element is in its resource's table by type (nested resources too), so walking
    the tables reaches them all.
    """
    pending = [root]
    while pending:
        resource = pending.pop()
        resource.parent = None
        for group in resource.by_type.values():
            for node in group:
                node.parent = None
        pending.extend(resource.nested)


def _has_extension(obj: dict[str, Any], key: str, index: int | None) -> bool:
    raw = obj.get("_" + key)
    if raw is None:
        return False
    if index is None:
        return isinstance(raw, dict)
    return isinstance(raw, list) and index < len(raw) and isinstance(raw[index], dict)


def prune(obj: dict[str, Any]) -> None:
    """Drop what de-identification emptied, as ``RemoveNullChildren`` does upstream.

    An element with no value and no children goes; a primitive array keeps its values and
    its ``_name`` extension array aligned (FHIR R4 §2.6.2.7).
    """
    paired: list[str] = []
    for key, value in list(obj.items()):
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float:
            continue  # a present primitive value: nothing to prune (the common case)
        if key[0] == "_":
            paired.append(key[1:])
        elif "_" + key not in obj:
            _prune_plain(obj, key)
    for name in paired:
        value, extension = obj.get(name), obj.get("_" + name)
        if isinstance(value, list) or isinstance(extension, list):
            _prune_array(obj, name, value, extension)
            continue
        _store(obj, name, _pruned(value))
        _store(obj, "_" + name, _pruned(extension))


def _prune_plain(obj: dict[str, Any], key: str) -> None:
    """Prune one property that has no ``_name`` twin (the common, fast case)."""
    value = obj[key]
    kind = type(value)
    if value is None:
        del obj[key]
    elif kind is dict:
        prune(value)
        if not value:
            del obj[key]
    elif kind is list:
        kept = [item for item in map(_pruned, value) if item is not None]
        if not kept:
            del obj[key]
        elif len(kept) != len(value):
            obj[key] = kept


def _prune_array(obj: dict[str, Any], name: str, value: Any, extension: Any) -> None:
    values = value if isinstance(value, list) else []
    extensions = extension if isinstance(extension, list) else []
    kept_values: list[Any] = []
    kept_extensions: list[Any] = []
    for position in range(max(len(values), len(extensions))):
        item = _pruned(values[position]) if position < len(values) else None
        ext = _pruned(extensions[position]) if position < len(extensions) else None
        if item is None and ext is None:
            continue
        kept_values.append(item)
        kept_extensions.append(ext)
    _store(obj, name, kept_values if any(v is not None for v in kept_values) else None)
    _store(
        obj, "_" + name, kept_extensions if any(e is not None for e in kept_extensions) else None
    )


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        prune(value)
        if not value:
            return None
    return value


def _store(obj: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        obj.pop(key, None)
    else:
        obj[key] = value
