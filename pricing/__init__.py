"""Competitive pricing monitor and margin optimizer for OEM aftermarket parts."""

__version__ = "0.1.0"
