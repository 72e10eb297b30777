"""The PIPIA is built from the flow's facts and both packs' decisions, as HTML and PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from corridor.compliance import Facts
from corridor.compliance.pipia import build_pipia, render_pipia_html, render_pipia_pdf

_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
_NATIONAL = Facts(
    has_sensitive_pi=True,
    has_health=True,
    consents=["cn_separate_cross_border", "cn_separate_sensitive"],
    ytd_sensitive_individuals=800,
    ytd_general_individuals=800,
    mechanism="cn_sc",
    sc_filed=True,
)


def test_a_national_contract_assessment_covers_the_destination_law_item(packs):
    report = build_pipia(facts=_NATIONAL, packs=packs, transfer="transfer-0001", generated_at=_AT)
    assert report.variant == "national-sc"
    assert [s.number for s in report.sections] == [1, 2, 3, 4, 5]
    assert [d["pack"] for d in report.decisions] == ["CN", "HK"]
    assert report.decisions[0]["mechanism"] == "CN_SC"
    assert "may proceed" in report.conclusion
    assert report.digest.startswith("sha256:")


def test_the_gba_contract_uses_the_simplified_assessment(packs):
    facts = _NATIONAL.model_copy(
        update={
            "mechanism": "gba_sc",
            "gba_sc_filed": True,
            "exporter_in_mainland_gba": True,
            "recipient_in_hk": True,
        }
    )
    report = build_pipia(facts=facts, packs=packs, transfer="transfer-0001", generated_at=_AT)
    assert report.variant == "gba-sc"
    assert [s.number for s in report.sections] == [1, 2, 3, 4]


def test_blocking_items_say_do_not_transfer(packs):
    facts = _NATIONAL.model_copy(update={"material_change_since_filing": True})
    report = build_pipia(facts=facts, packs=packs, transfer="transfer-0001", generated_at=_AT)
    assert report.sections[3].assessment == "blocking"
    assert report.conclusion.startswith("Do not transfer")


def test_the_html_and_pdf_carry_the_same_report(packs):
    report = build_pipia(facts=_NATIONAL, packs=packs, transfer="transfer-0001", generated_at=_AT)
    html = render_pipia_html(report)
    assert "<h2>5. Effect of the destination" in html
    assert report.digest in html
    pdf = render_pipia_pdf(report)
    assert pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "transfer-0001" in text
    assert "Effect of the destination" in text
    assert report.digest in text.replace("\n", "")
    assert render_pipia_pdf(report) == pdf  # reproducible for the same report
