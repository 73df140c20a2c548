"""The contract between the runner and a simulator adapter."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from salbench.spec.network import NetworkSpec, SamplingNetwork
from salbench.timing import PhaseTimer


def simulator_seed(seed: int, stream: str = "simulator") -> int:
    """A simulator seed in [1, 2**31 - 1] derived from the run's seed (NEST rejects 0;
    distinct streams keep the simulator's and the protocol's randomness independent)."""
    state = np.random.SeedSequence([seed, sum(map(ord, stream))]).generate_state(1)[0]
    return int(state % (2**31 - 2)) + 1


def missing_module(modules: tuple[str, ...]) -> str | None:
    """Why the first missing python module makes a backend unusable, or None."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return f"python module '{module}' is not installed"
    return None


class BackendUnavailable(RuntimeError):
    """The simulator this backend needs is not installed here."""


class Backend(ABC):
    """One simulator. Subclass it (or `PyNNBackend`) and declare an entry point in the
    `salbench.backends` group; salbench needs no other change.

    `settings` come from a backend profile TOML (`backends/NAME.toml`, table `[settings]`).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    #: python modules that must be importable for the backend to be usable
    requires: ClassVar[tuple[str, ...]] = ()
    #: one word for reports: "pynn" simulators or the "abstract" reference model
    kind: ClassVar[str] = "pynn"
    #: True if the networks it builds run SAL themselves (spec.network.OnlinePlasticity),
    #: which scenarios with plasticity = "online" need
    online_sal: ClassVar[bool] = False
    #: True if its online SAL weights may change sign (not on conductance synapses)
    online_sal_signed: ClassVar[bool] = False

    def __init__(
        self, settings: dict[str, Any] | None = None, timer: PhaseTimer | None = None
    ) -> None:
        self.settings = dict(settings or {})
        self.timer = timer or PhaseTimer()

    @classmethod
    def unavailable_reason(cls, settings: dict[str, Any] | None = None) -> str | None:
        """None when usable here with these profile settings, otherwise why not (cheap: does
        not import the simulator)."""
        return missing_module(cls.requires)

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> str:
        """One-off work before the first run (compiling simulator extensions); returns what
        was done, in a few words. Called by `salbench prepare`."""
        return "nothing to prepare"

    @classmethod
    def preflight(cls, settings: dict[str, Any], units: int, fan_in: int) -> str | None:
        """None if a network of `units` with at most `fan_in` inputs per unit fits this
        backend, otherwise one line naming the limit and the fix (checked before any run)."""
        return None

    @classmethod
    def check_settings(cls, settings: dict[str, Any]) -> str | None:
        """None if this adapter accepts a profile's `settings`, otherwise one line naming the
        bad setting and the fix. Checked once before the backend is used (run, calibrate), so
        it may import the adapter's own configuration model."""
        return None

    @abstractmethod
    def setup(self, seed: int) -> None:
        """Import and initialise the simulator with `seed` (timed as 'import')."""

    @abstractmethod
    def build(self, spec: NetworkSpec) -> SamplingNetwork:
        """Realise `spec` (timed as 'build')."""

    def end(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing
        """Release the simulator."""

    def reset(self, seed: int) -> None:
        """Start a fresh network (protocols that build more than one network call this)."""
        self.end()
        self.setup(seed)

    def versions(self) -> dict[str, str]:
        """Versions of the simulator stack, for provenance."""
        return {}

    def extra_provenance(self) -> dict[str, Any]:
        """Anything else a run should record (time step, delays, hardware time...)."""
        return {}
