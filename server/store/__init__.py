"""Storage: the :class:`Store` interface and its backends (SQLite embedded, SQL Server)."""

from .interface import Store

__all__ = ["Store"]
