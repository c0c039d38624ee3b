"""coopkg: the coops4dev knowledge graph of the international cooperative movement."""

__version__ = "0.1.0"

__all__ = ["__version__"]
