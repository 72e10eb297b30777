"""The personal-information protection impact assessment (PIPIA), built from a flow's facts.

PIPL art. 55(4) requires an assessment before personal information is provided abroad and
art. 56 says what it covers; the Standard Contract Measures art. 5 list six items for the
national contract, the GBA contract keeps a simplified subset (RULES.md §1.7). This module
turns the facts both regulators decided on, and both packs' decisions, into that report:
one structured :class:`PipiaReport`, rendered as HTML (Jinja2) and PDF (fpdf2).

Pure: time comes in as ``generated_at``; nothing is read from the environment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import jinja2
from fpdf import FPDF

from corridor.compliance.engine import evaluate
from corridor.compliance.facts import Facts
from corridor.compliance.models import Decision
from corridor.compliance.pack import PackSet
from corridor.crypto.canonical import canonical_json
from corridor.crypto.hashing import sha256_hex

Assessment = Literal["satisfied", "attention", "blocking"]
Variant = Literal["national-sc", "gba-sc", "security-assessment", "certification", "exempt"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("corridor.compliance", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_RETENTION_YEARS = 3  # PIPL art. 56: keep the report and records at least three years
_VARIANT_TITLES: dict[Variant, str] = {
    "national-sc": "National standard contract (SCM art. 5: six items)",
    "gba-sc": "GBA standard contract (simplified: items 1 to 3; not filed)",
    "security-assessment": "Security assessment (self-assessment before declaring)",
    "certification": "Certification (Certification Measures)",
    "exempt": "Exempt route (CBDF arts. 3 to 6): assessment still required by PIPL art. 55",
}


@dataclass(frozen=True)
class PipiaSection:
    """One item of the assessment, with what the facts say and how it stands."""

    number: int
    title: str
    source: str
    findings: tuple[str, ...]
    assessment: Assessment


@dataclass(frozen=True)
class PipiaReport:
    """A PIPIA for one transfer; ``digest`` identifies its content."""

    transfer: str
    generated_at: str
    variant: Variant
    variant_title: str
    origin: str
    destination: str
    facts_digest: str
    decisions: tuple[dict[str, Any], ...]
    sections: tuple[PipiaSection, ...]
    retention_years: int = _RETENTION_YEARS
    conclusion: str = ""
    digest: str = field(default="")

    def to_json(self) -> dict[str, Any]:
        """JSON form (the digest covers everything but itself)."""
        return asdict(self)


def _variant(facts: Facts, export: Decision | None) -> Variant:
    mechanism = export.mechanism if export is not None else "NONE"
    if mechanism == "GBA_SC" or facts.mechanism == "gba_sc":
        return "gba-sc"
    if mechanism == "SECURITY_ASSESSMENT" or facts.mechanism == "cn_security_assessment":
        return "security-assessment"
    if mechanism == "CN_CERTIFICATION" or facts.mechanism == "cn_certification":
        return "certification"
    if mechanism.startswith("EXEMPT") or mechanism == "NONE":
        return "exempt"
    return "national-sc"


def _purpose_section(facts: Facts) -> PipiaSection:
    findings = [f"Legal basis: {facts.legal_basis.replace('_', ' ')} (PIPL art. 13)."]
    consents = ", ".join(facts.consents) or "none recorded"
    findings.append(f"Consents recorded: {consents}.")
    findings.append(
        "Art. 39 notice given." if facts.notice_given else "Art. 39 notice not (yet) given."
    )
    findings.append(
        "Purpose is the original or a directly related one."
        if facts.hk_purpose_directly_related
        else "Purpose is new relative to collection: prescribed consent needed in Hong Kong."
    )
    if facts.emergency:
        findings.append("Emergency to protect life or health (CBDF art. 5(3)).")
    blocking = facts.legal_basis == "consent" and "cn_separate_cross_border" not in facts.consents
    attention = not facts.notice_given or not facts.hk_purpose_directly_related
    return PipiaSection(
        1,
        "Lawfulness, legitimacy and necessity of purpose, scope and method",
        "PIPL art. 56(1); SCM art. 5(1)",
        tuple(findings),
        "blocking"
        if blocking and facts.origin == "CN"
        else ("attention" if attention else "satisfied"),
    )


def _data_section(facts: Facts) -> PipiaSection:
    categories = [
        label
        for flag, label in (
            (facts.has_pi and not facts.anonymised, "personal information"),
            (facts.has_sensitive_pi, "sensitive personal information"),
            (facts.has_health, "medical and health information (sensitive, PIPL art. 28)"),
            (facts.minors_under_14, "information of children under 14"),
            (facts.hgr_info, "human genetic resources information"),
            (facts.important_data, "notified important data"),
        )
        if flag
    ]
    findings = [f"Categories: {', '.join(categories) or 'no personal information'}."]
    findings.append(
        f"Individuals exported this calendar year, this transfer included: "
        f"{facts.ytd_general_individuals} in all, {facts.ytd_sensitive_individuals} with "
        "sensitive information (CBDF arts. 5(4), 7, 8)."
    )
    if facts.anonymised:
        findings.append("The data is irreversibly anonymised (PIPL art. 73(4)).")
    blocking = facts.important_data or (facts.hgr_info and not facts.hgr_filing_done)
    return PipiaSection(
        2,
        "Quantity, scope, categories and sensitivity; risks of the export",
        "PIPL art. 56(2); SCM art. 5(2)",
        tuple(findings),
        "blocking"
        if blocking
        else ("attention" if facts.has_health or facts.has_sensitive_pi else "satisfied"),
    )


def _recipient_section(facts: Facts) -> PipiaSection:
    findings = [
        f"Export mechanism in place: {facts.mechanism}.",
        (
            "Corridor technical measures: record encrypted end to end (AES-256-GCM, HPKE), "
            "processed only in attested enclave code, every step signed evidence on a "
            "verifiable log that both regulators witness."
        ),
    ]
    if facts.onward_transfer_outside_gba:
        findings.append("The recipient intends an onward transfer outside the GBA.")
    if facts.storage_abroad_by_handler:
        findings.append("The handler stores the data on servers abroad.")
    if facts.hk_uses_data_processor:
        findings.append("A data processor is engaged (PDPO DPP2(3), DPP4(2) contract).")
    blocking = facts.storage_abroad_by_handler and facts.has_health
    blocking = blocking or (facts.mechanism == "gba_sc" and facts.onward_transfer_outside_gba)
    return PipiaSection(
        3,
        "Recipient's undertakings, management and technical measures, capability",
        "SCM art. 5(3); PIPL art. 38 para. 3",
        tuple(findings),
        "blocking" if blocking else "satisfied",
    )


def _risk_section(facts: Facts) -> PipiaSection:
    findings = [
        (
            "Tampering and leakage: ciphertext only at the data center; keys released only "
            "after attestation, consent and both regulators' permits are checked."
        ),
        (
            "Individuals' rights: the patient reads every evidence entry about his transfer "
            "in the portal and can revoke, which stops further key releases and access."
        ),
    ]
    if facts.material_change_since_filing:
        findings.append("A material change since filing: the assessment must be redone.")
    return PipiaSection(
        4,
        "Risks of tampering, destruction, leakage, loss or misuse; channels for rights",
        "SCM art. 5(4)",
        tuple(findings),
        "blocking" if facts.material_change_since_filing else "satisfied",
    )


def _destination_section(facts: Facts, imported: Decision | None) -> PipiaSection:
    if imported is None:
        findings = [f"No policy pack covers {facts.destination}; counsel to assess its law."]
        return PipiaSection(
            5,
            "Effect of the destination's personal-information law on the contract",
            "SCM art. 5(5)",
            tuple(findings),
            "attention",
        )
    findings = [
        (
            f"Destination pack {imported.pack} {imported.pack_version} as importing side: "
            f"{imported.decision} ({imported.mechanism})."
        ),
        *(f"Applies: {citation}." for citation in imported.citations),
    ]
    return PipiaSection(
        5,
        "Effect of the destination's personal-information law on the contract",
        "SCM art. 5(5)",
        tuple(findings),
        "satisfied" if imported.is_permit else "blocking",
    )


def build_pipia(
    *,
    facts: Facts,
    packs: PackSet,
    transfer: str,
    generated_at: datetime,
) -> PipiaReport:
    """Assess ``facts`` under the origin's and destination's packs, as on ``generated_at``."""
    day = generated_at.date()
    origin_pack = packs.governing(facts.origin)
    destination_pack = packs.governing(facts.destination)
    exported = None if origin_pack is None else evaluate(origin_pack, facts, as_of=day)
    imported = (
        None
        if destination_pack is None
        else evaluate(destination_pack, facts, as_of=day, role="import")
    )
    variant = _variant(facts, exported)
    sections = [
        _purpose_section(facts),
        _data_section(facts),
        _recipient_section(facts),
        _risk_section(facts),
    ]
    # The GBA contract's simplified assessment leaves out the destination-law item.
    if variant != "gba-sc":
        sections.append(_destination_section(facts, imported))
    decisions = tuple(d.to_json() for d in (exported, imported) if d is not None)
    blocked = any(s.assessment == "blocking" for s in sections) or any(
        d["decision"] == "DENY" for d in decisions
    )
    conclusion = (
        "Do not transfer: resolve the blocking items and re-assess."
        if blocked
        else "The transfer may proceed with the obligations listed; keep this report "
        f"and the processing records for at least {_RETENTION_YEARS} years (PIPL art. 56)."
    )
    report = PipiaReport(
        transfer=transfer,
        generated_at=generated_at.isoformat(timespec="seconds"),
        variant=variant,
        variant_title=_VARIANT_TITLES[variant],
        origin=facts.origin,
        destination=facts.destination,
        facts_digest="sha256:" + sha256_hex(canonical_json(facts.model_dump(mode="json"))),
        decisions=decisions,
        sections=tuple(sections),
        conclusion=conclusion,
    )
    body = report.to_json()
    body.pop("digest")
    return replace(report, digest="sha256:" + sha256_hex(canonical_json(body)))


def render_pipia_html(report: PipiaReport) -> str:
    """The report as a self-contained HTML page (no external assets)."""
    return _TEMPLATES.get_template("pipia.html.j2").render(report=report)


def _latin1(text: str) -> str:
    """PDF core fonts are Latin-1; keep the text readable where it is not."""
    replaced = (
        text.replace("\u2013", "-")
        .replace("\u2014", "-")
        .replace("\u2019", "'")
        .replace("\u00a7", "s.")
    )
    return replaced.encode("latin-1", "replace").decode("latin-1")


def render_pipia_pdf(report: PipiaReport) -> bytes:
    """The report as a PDF (fpdf2, core fonts, reproducible for the same report)."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.fromisoformat(report.generated_at))
    pdf.set_title(_latin1(f"PIPIA for transfer {report.transfer}"))
    pdf.set_subject("Personal information protection impact assessment (PIPL arts. 55-56)")
    pdf.set_creator("Corridor")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: int = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line("Personal information protection impact assessment", size=16, style="B", height=8)
    line(f"Transfer {report.transfer}: {report.origin} to {report.destination}", size=11)
    line(f"Variant: {report.variant_title}")
    line(f"Generated {report.generated_at}; facts {report.facts_digest}")
    line(f"Report digest {report.digest}")
    pdf.ln(3)
    for decision in report.decisions:
        line(
            f"{decision['pack']} {decision['pack_version']} ({decision['role']}): "
            f"{decision['decision']}, mechanism {decision['mechanism']}",
            style="B",
        )
        if decision["obligations"]:
            line("Obligations: " + ", ".join(decision["obligations"]), size=9)
        line("Pack digest " + decision["pack_digest"], size=8)
    for section in report.sections:
        pdf.ln(3)
        line(f"{section.number}. {section.title}", size=12, style="B", height=6)
        line(f"Source: {section.source}. Assessment: {section.assessment}.", size=9)
        for finding in section.findings:
            line(f"- {finding}")
    pdf.ln(3)
    line("Conclusion", size=12, style="B", height=6)
    line(report.conclusion)
    return bytes(pdf.output())
