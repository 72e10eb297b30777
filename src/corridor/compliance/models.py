"""Compliance decisions as pure values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["PERMIT", "PERMIT_WITH_OBLIGATIONS", "DENY"]
Role = Literal["export", "import"]


@dataclass(frozen=True)
class Decision:
    """One pack's answer for one transfer (RULES.md §4.2)."""

    decision: Verdict
    mechanism: str
    pack: str
    pack_version: str
    pack_digest: str
    role: Role
    obligations: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    review_required: bool = False

    @property
    def is_permit(self) -> bool:
        """PERMIT or PERMIT_WITH_OBLIGATIONS."""
        return self.decision != "DENY"

    def to_json(self) -> dict[str, Any]:
        """JSON object form (lists for tuples)."""
        return {
            "decision": self.decision,
            "mechanism": self.mechanism,
            "pack": self.pack,
            "pack_version": self.pack_version,
            "pack_digest": self.pack_digest,
            "role": self.role,
            "obligations": list(self.obligations),
            "rule_ids": list(self.rule_ids),
            "citations": list(self.citations),
            "reasons": list(self.reasons),
            "review_required": self.review_required,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Decision:
        """Inverse of :meth:`to_json`."""
        return cls(
            decision=value["decision"],
            mechanism=str(value["mechanism"]),
            pack=str(value["pack"]),
            pack_version=str(value["pack_version"]),
            pack_digest=str(value["pack_digest"]),
            role=value["role"],
            obligations=tuple(value.get("obligations", ())),
            rule_ids=tuple(value.get("rule_ids", ())),
            citations=tuple(value.get("citations", ())),
            reasons=tuple(value.get("reasons", ())),
            review_required=bool(value.get("review_required", False)),
        )


@dataclass
class _Trace:
    """Accumulates what fired while a pack is evaluated."""

    rule_ids: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    obligations: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def fire(self, rule_id: str, citation: str, reason: str = "") -> None:
        self.rule_ids.append(rule_id)
        self.citations.append(citation)
        if reason:
            self.reasons.append(reason)

    def oblige(self, *codes: str) -> None:
        for code in codes:
            if code not in self.obligations:
                self.obligations.append(code)
