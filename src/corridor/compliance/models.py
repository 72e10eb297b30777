"""Compliance decisions as pure values (RULES.md §4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["PERMIT", "PERMIT_WITH_OBLIGATIONS", "DENY"]
Role = Literal["export", "import"]
ROLES: tuple[Role, ...] = ("export", "import")

MECHANISMS = frozenset(
    {
        "NONE",
        "EXEMPT_ART4",
        "EXEMPT_ART5_1",
        "EXEMPT_ART5_2",
        "EXEMPT_ART5_3",
        "EXEMPT_ART5_4",
        "EXEMPT_ART6_FTZ",
        "SC_OR_CERT",
        "CN_SC",
        "CN_CERTIFICATION",
        "GBA_SC",
        "SECURITY_ASSESSMENT",
        "DPP3_ORIGINAL_PURPOSE",
        "PRESCRIBED_CONSENT",
        "EXEMPTION_PART8",
        "ADEQUACY",
        "EU_SCC",
        "EU_BCR",
        "DEROGATION_49_1_A",
        "DEROGATION_49_1_B",
        "DEROGATION_49_1_F",
        "NO_CHAPTER_V_BASIS",
        "ART9_CONDITION",
    }
)
"""The values of ``mechanism`` (RULES.md §4.2): relied on when permitted, required when denied."""


@dataclass(frozen=True)
class Decision:
    """One pack's answer for one transfer in one role (RULES.md §4.2)."""

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
    as_of: str = ""
    """The day the pack was applied for (ISO date), as RULES.md §6.3 asks."""

    @property
    def is_permit(self) -> bool:
        """PERMIT or PERMIT_WITH_OBLIGATIONS."""
        return self.decision != "DENY"

    def to_json(self) -> dict[str, Any]:
        """JSON object form (lists for tuples)."""
        return {
            "decision": self.decision,
            "mechanism": self.mechanism,
            "obligations": list(self.obligations),
            "rule_ids": list(self.rule_ids),
            "citations": list(self.citations),
            "pack": self.pack,
            "pack_version": self.pack_version,
            "pack_digest": self.pack_digest,
            "role": self.role,
            "reasons": list(self.reasons),
            "review_required": self.review_required,
            "as_of": self.as_of,
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
            as_of=str(value.get("as_of", "")),
        )
