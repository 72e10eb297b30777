"""Corridor: trusted cross-border data circulation between two jurisdictions."""

__version__ = "0.1.0"
__all__ = ["__version__"]
