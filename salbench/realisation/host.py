"""What the realisation needs from the backend that owns a PyNN simulator.

The backend adapter sets the simulator up (seeding, time step, delays, its own fixes) and knows
what it can do that PyNN does not say: a per-cell current-noise source, and which of its
settings change a neuron (the identity of a calibration). The realisation builds units and
calibrates them through this interface only, so a calibration is measured on exactly the
simulator the runs use.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Protocol


class SimulatorHost(Protocol):
    """A set-up PyNN simulator and the backend that owns it (`PyNNBackend` implements it)."""

    @property
    def name(self) -> str:
        """The backend's name (for cache file names and messages); read-only, so the backend's
        class attribute satisfies it."""
    #: the PyNN backend module, set up
    sim: ModuleType

    @property
    def timestep_ms(self) -> float: ...

    @property
    def delay_ms(self) -> float:
        """The synaptic delay of every projection."""

    def current_noise(self, cells: Any, std_nA: float, dt_ms: float) -> list[Any]:
        """Give every cell of `cells` its own white current noise (redrawn every dt_ms from
        N(0, std_nA²)), seeded from the run's seed; returns what must be kept alive. Raises
        ValueError when this simulator has no such source."""

    def calibration_identity(self) -> dict[str, Any]:
        """Everything about this backend that changes a sampling unit (simulator versions,
        settings): part of a calibration's cache key."""

    def relaunch_request(self) -> dict[str, Any]:
        """How a fresh process rebuilds this backend: {"target": "module:Class",
        "settings": {...}}."""
