"""Fakes: a clock tests move by hand, and local HTTP servers that behave like the platforms."""
