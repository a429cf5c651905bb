"""Adapters translate between a platform and the core, both ways."""
