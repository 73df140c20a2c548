"""The results store: one record per run, plain data, SQLite by default."""

from salbench.store.sqlite import RunRecord, Store, StoreError

__all__ = ["RunRecord", "Store", "StoreError"]
