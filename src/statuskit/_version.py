"""The statuskit version (kept in its own module so that reading it imports nothing)."""

__version__ = "0.1.0"
