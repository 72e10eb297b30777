"""``substitute``: replace an element with a configured value, keeping earlier rules' work.

Pure. Upstream's ``SubstituteProcessor``: children are matched to the replacement's by
name and position; a child an earlier rule already handled stays as it is (and uses up
its replacement slot); a child that only *contains* such work is emptied around it; the
rest is replaced or removed, and surplus replacement values are added. Afterwards the
whole fragment counts as visited, so later rules leave it alone.
"""

from __future__ import annotations

import copy
from typing import Any

from corridor.records.deid.operations import SUBSTITUTE, OperationContext, OperationFailed
from corridor.records.deid.tree import Element, child_type, prune

_DUMMY = None  # an empty replacement: no value, no children


def substitute(node: Element, replace_with: Any, ctx: OperationContext) -> str:
    """Substitute ``node`` with ``replace_with`` (a primitive value or a JSON object)."""
    if node.is_primitive:
        if isinstance(replace_with, dict | list):
            raise OperationFailed(f"{node.location()} is a primitive; replaceWith must be a value")
        replacement: Any = replace_with
    else:
        replacement = {} if replace_with is None else replace_with
        if not isinstance(replacement, dict):
            raise OperationFailed(
                f"{node.location()} is a {node.type}; replaceWith must be an object"
            )
    keep: set[Element] = set()
    _collect_keep(node, ctx.visited, keep)
    before = [node, *node.descendants()]
    _substitute(node, replacement, ctx.visited, keep)
    if node.obj is not None:
        prune(node.obj)
    node.rebuild()
    # MarkSubstitutedFragmentAsVisited; the replaced elements count too, so tables built
    # before the substitution never reach them.
    ctx.visited.update(before)
    ctx.visited.update(node.descendants())
    return SUBSTITUTE


def _collect_keep(node: Element, visited: set[Element], keep: set[Element]) -> bool:
    # GenerateKeepNodeSetForSubstitution: an element with visited work inside is kept.
    should_keep = False
    for child in node.children:
        should_keep |= _collect_keep(child, visited, keep)
    if should_keep or node in visited:
        keep.add(node)
        return True
    return False


def _substitute(node: Element, replacement: Any, visited: set[Element], keep: set[Element]) -> None:
    # SubstituteProcessor.SubstituteNode, step by step.
    if node in visited:
        return
    if node.is_primitive:
        _empty_around_kept(node.children, visited, keep)
        node.set_value(None if isinstance(replacement, dict) else replacement)
        return
    groups = _replacement_children(node, replacement if isinstance(replacement, dict) else {})
    for name, targets in groups.items():
        position = 0
        for child in node.children_named(name):
            if child in visited:
                position += 1  # kept as it is, and it uses up its replacement slot
            elif position < len(targets):
                _substitute(child, targets[position][1], visited, keep)
                position += 1
            else:
                _empty_around_kept([child], visited, keep)
        for key, value, in_array in targets[position:]:
            _append(node, key, value, in_array=in_array)
    _empty_around_kept([c for c in node.children if c.name not in groups], visited, keep)


def _empty_around_kept(children: list[Element], visited: set[Element], keep: set[Element]) -> None:
    """Children with no replacement: kept if visited, emptied around visited work, else gone."""
    for child in list(children):
        if child in visited:
            continue
        if child in keep:
            _substitute(child, _DUMMY, visited, keep)
        else:
            child.remove()


def _replacement_children(
    node: Element, replacement: dict[str, Any]
) -> dict[str, list[tuple[str, Any, bool]]]:
    groups: dict[str, list[tuple[str, Any, bool]]] = {}
    for key, value in replacement.items():
        if key.startswith("_") or key == "resourceType":
            continue
        name = child_type(node.type_path, key, parent_is_resource=node.is_resource)[0]
        items = value if isinstance(value, list) else [value]
        groups.setdefault(name, []).extend((key, item, isinstance(value, list)) for item in items)
    return groups


def _append(node: Element, key: str, value: Any, *, in_array: bool) -> None:
    assert node.obj is not None
    existing = node.obj.get(key)
    item = copy.deepcopy(value)
    if isinstance(existing, list):
        existing.append(item)
    elif existing is None:
        node.obj[key] = [item] if in_array else item
    else:
        node.obj[key] = [existing, item]
