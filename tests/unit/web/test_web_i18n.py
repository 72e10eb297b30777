"""Languages: Accept-Language negotiation and catalogues that are complete and current."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from corridor.web.i18n import LANGUAGES, Translator, match_language, negotiate_language

_WEB = Path(__file__).resolve().parents[3] / "src" / "corridor" / "web"
_PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("zh-HK,zh;q=0.9", "zh-Hant"),
        ("zh-TW", "zh-Hant"),
        ("zh-Hant-HK", "zh-Hant"),
        ("zh", "zh-Hans"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,en;q=0.5,zh-HK;q=0.8", "zh-Hant"),
        ("de-DE", "en"),
        ("", "en"),
        ("zh-CN;q=0, en", "en"),
    ],
)
def test_negotiates_the_browser_language_onto_the_three_shipped_ones(header, expected):
    assert negotiate_language(header) == expected


def test_the_visitors_switch_wins_over_the_browser():
    assert negotiate_language("en-US", "zh-Hant") == "zh-Hant"
    assert negotiate_language("en-US", "klingon") == "en"


def test_other_languages_match_nothing():
    assert match_language("ja-JP") is None


@cache
def _source_messages() -> frozenset[str]:
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    found = extract_from_dir(
        str(_WEB),
        method_map,
        options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"_": None, "mark": None},
    )
    return frozenset(
        message if isinstance(message, str) else message[0] for _, _, message, _, _ in found
    )


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant", "en"])
def test_each_catalogue_holds_exactly_the_messages_of_the_pages(language):
    with (_WEB / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    held = {message.id for message in catalogue if message.id}
    sources = _source_messages()
    assert sources - held == set(), "run scripts/web-catalogues"
    assert held - sources == set(), "run scripts/web-catalogues"


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_every_message_is_translated_with_the_same_placeholders(language):
    with (_WEB / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if not message.id:
            continue
        assert message.string, f"untranslated in {language}: {message.id!r}"
        assert sorted(_PLACEHOLDER.findall(message.string)) == sorted(
            _PLACEHOLDER.findall(str(message.id))
        ), message.id


def test_translations_compile_and_fill_placeholders():
    assert Translator("zh-Hans")("Sign in") == "登录"
    assert Translator("zh-Hant")("Sign in") == "登入"
    assert Translator("en")("Sign in") == "Sign in"
    assert "365" in Translator("zh-Hans")(
        "The receiving hospital may keep it for %(days)s days.", days=365
    )
    assert set(LANGUAGES) == {"zh-Hans", "zh-Hant", "en"}
