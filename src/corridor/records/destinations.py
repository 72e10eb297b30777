"""Destination profiles: which de-identification a recipient gets, chosen by policy.

A profile is a configuration in the Microsoft FHIR anonymizer's language, shipped in
``profile_configs/`` and identified by the SHA-256 digest of its canonical JSON, which
the enclave writes into the processing manifest. Which profile applies is a policy over
the consent's purpose of use (HL7 v3 ActReason) and the route (exporting and importing
jurisdiction), first matching row wins:

* ``treatment``: care at the recipient (TREAT, ETREAT, COC, PATRQT) between mainland China
  and Hong Kong. The clinician needs to know who the patient is, so name, birth date and
  gender stay, and all clinical content stays. What identifies him to anyone else goes:
  national and other identifiers, phone and e-mail, address lines and postcodes, photos,
  mother's maiden name; record numbers and every resource id are pseudonymised with a
  key fresh for each transfer; free text is scanned for identifiers (:mod:`.deid.text`).
* ``research-safe-harbor``: research and public health (HRESCH, CLINTRCH, PUBHLTH), any
  route. Microsoft's HIPAA Safe Harbor sample (45 CFR §164.514(b)(2)), with three
  changes: dates are cut to the year instead of shifted, and dropped for ages over 89
  (§164.514(b)(2)(i)(C)); clinical codes and numeric results stay (they identify
  nobody and are what research needs); ``fullUrl`` ids are hashed like references.

A purpose or route with no row is refused: nothing leaves without a profile.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from corridor.records.deid.config import (
    AnonymizerConfig,
    MethodSettings,
    load_config,
    read_config_json,
)
from corridor.records.deid.entities import check_entities
from corridor.records.errors import UnknownProfile

TREATMENT = "treatment"
RESEARCH = "research-safe-harbor"
_TREATMENT_PURPOSES = frozenset({"TREAT", "ETREAT", "COC", "PATRQT"})
_RESEARCH_PURPOSES = frozenset({"HRESCH", "CLINTRCH", "PUBHLTH"})
_ANY = "*"
# Custom methods the profiles use beyond the Microsoft tool's eight (their setting keys).
CUSTOM_METHODS: dict[str, MethodSettings] = {
    "cryptoHashReference": MethodSettings(),
    "scrubText": MethodSettings(keys=frozenset({"entities"}), check=check_entities),
}


@dataclass(frozen=True)
class ProfileRoute:
    """One row of the profile policy."""

    purposes: frozenset[str]
    origin: str
    destination: str
    profile: str

    def matches(self, *, purpose: str, origin: str, destination: str) -> bool:
        """True when this row covers the purpose and route (``*`` is any jurisdiction)."""
        return (
            purpose in self.purposes
            and self.origin in {_ANY, origin}
            and self.destination in {_ANY, destination}
        )


PROFILE_POLICY: tuple[ProfileRoute, ...] = (
    ProfileRoute(_TREATMENT_PURPOSES, "CN", "HK", TREATMENT),
    ProfileRoute(_TREATMENT_PURPOSES, "HK", "CN", TREATMENT),
    ProfileRoute(_RESEARCH_PURPOSES, _ANY, _ANY, RESEARCH),
)
PROFILE_NAMES = frozenset({TREATMENT, RESEARCH})


@dataclass(frozen=True)
class DestinationProfile:
    """A named profile and its configuration."""

    name: str
    config: AnonymizerConfig

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` over the configuration's canonical JSON."""
        return self.config.digest


def select_profile(*, purpose: str, origin: str, destination: str) -> str:
    """The profile name the policy gives a purpose of use and route; refuse if none."""
    for route in PROFILE_POLICY:
        if route.matches(purpose=purpose, origin=origin, destination=destination):
            return route.profile
    raise UnknownProfile(
        f"no destination profile for purpose {purpose!r} from {origin!r} to {destination!r}"
    )


@functools.cache
def load_profile(name: str) -> DestinationProfile:
    """The shipped profile called ``name``; raises :class:`UnknownProfile`."""
    if name not in PROFILE_NAMES:
        raise UnknownProfile(
            f"unknown destination profile {name!r}; known: {sorted(PROFILE_NAMES)}"
        )
    data = resources.files("corridor.records").joinpath(f"profile_configs/{name}.json").read_bytes()
    return DestinationProfile(
        name=name, config=load_config(read_config_json(data), custom_methods=CUSTOM_METHODS)
    )
