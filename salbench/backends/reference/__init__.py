"""The paper's abstract model as a backend (engine + adapter)."""

from salbench.backends.reference.backend import ReferenceBackend

__all__ = ["ReferenceBackend"]
