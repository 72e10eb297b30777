"""Languages of the pages: gettext catalogues for zh-Hans, zh-Hant and en, and the choice.

The catalogues are the ``.po`` files under ``locale/`` (Babel layout). They are compiled
to gettext's binary form in memory when a node starts, so no ``.mo`` is ever committed or
stale. The language comes from the visitor's switch (a cookie) or else from the browser's
``Accept-Language`` (RFC 9110 §12.5.4), mapped onto the three scripts we ship.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")
"""BCP 47 tags of the shipped languages, in the order the switch shows them."""
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}
_LOCALE_DIR = Path(__file__).with_name("locale")
# Regions that write Traditional Chinese (CLDR likely subtags: zh-TW, zh-HK, zh-MO → Hant).
_HANT_REGIONS = frozenset({"tw", "hk", "mo"})


def _catalogue_dir(language: str) -> str:
    return language.replace("-", "_")


def match_language(tag: str) -> str | None:
    """The shipped language for one BCP 47 tag, or None when none fits."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    if not parts or not parts[0]:
        return None
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    subtags = set(parts[1:])
    if "hant" in subtags or subtags & _HANT_REGIONS:
        return "zh-Hant"
    return "zh-Hans"


def negotiate_language(accept_language: str | None, chosen: str | None = None) -> str:
    """The language to render in: the visitor's explicit choice, else the best browser match."""
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = match_language(tag)
        if language is not None and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English is the source language)."""
    path = _LOCALE_DIR / _catalogue_dir(language) / "LC_MESSAGES" / "messages.po"
    if language not in LANGUAGES or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=_catalogue_dir(language))
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def babel_locale(language: str) -> Locale:
    """The CLDR locale used to format dates and numbers in ``language``."""
    return Locale.parse(_catalogue_dir(language))


@dataclass(frozen=True)
class Translator:
    """Translate messages into one language; what templates call as ``_``."""

    language: str

    def __call__(self, message: str, **values: Any) -> str:
        """The translation of ``message``, with ``%(name)s`` placeholders filled in."""
        text = translations(self.language).gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, count: int, **values: Any) -> str:
        """The plural form for ``count`` (``%(count)s`` is always available)."""
        text = translations(self.language).ngettext(singular, plural, count)
        return text % {"count": count, **values}


def mark(message: str) -> str:
    """Mark a message in Python code for extraction; it is translated where it is shown."""
    return message
