"""Composition roots: one per party, plus the local launcher and the demo corridor."""
