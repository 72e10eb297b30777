"""Enclave program for tests: the real transfer job with a small stand-in for corridor.records.

The simulated backend executes this file in the enclave process, exactly as measured.
"""

import json

from corridor.enclave.program import process_transfer
from corridor.errors import InvalidInput

_DIRECT_IDENTIFIERS = ("name", "telecom", "address", "identifier")


class FakeRecords:
    def parse_bundle(self, data):
        try:
            bundle = json.loads(data)
        except ValueError as exc:
            raise InvalidInput("not JSON") from exc
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise InvalidInput("not a FHIR Bundle")
        return bundle

    def parse_scope(self, value):
        return frozenset(value["resource_types"])

    def extract_consented(self, bundle, scope):
        entries = [e for e in bundle.get("entry", []) if e["resource"]["resourceType"] in scope]
        return {**bundle, "entry": entries}

    def prepare_for_recipient(self, bundle, _profile):
        masked = 0
        for entry in bundle.get("entry", []):
            resource = entry["resource"]
            if resource["resourceType"] == "Patient":
                for key in _DIRECT_IDENTIFIERS:
                    if key in resource:
                        del resource[key]
                        masked += 1
        return bundle, masked, "sha256:" + "0f" * 32


def run(job, runtime):
    return process_transfer(job, runtime=runtime, records=FakeRecords())
