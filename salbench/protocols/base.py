"""What every scenario protocol provides, and what it gets from the runner."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from salbench.margins import Margin
from salbench.spec.network import NetworkSpec, OnlinePlasticity, SamplingNetwork
from salbench.timing import PhaseTimer


class Params(BaseModel):
    """Base of every protocol's parameter model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# inside ScenarioProtocol the class attribute `Params` shadows the base model's name
_Params = Params


class NetworkFactory(Protocol):
    """The one thing a protocol needs from a backend: turn a spec into a running network."""

    def build(self, spec: NetworkSpec) -> SamplingNetwork: ...


@dataclass
class RunResult:
    """Everything a protocol measured. `series` holds one list per metric over `t_ms`."""

    series: dict[str, list[float]] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    diverged: bool = False

    def record(self, **values: float) -> None:
        for key, value in values.items():
            self.series.setdefault(key, []).append(float(value))


class OnlineUnsupported(RuntimeError):
    """plasticity = "online" on a network (or with a rule) that has no online SAL."""


def check_online_rule(window: str, pairing: str) -> None:
    """Online SAL is one rule: the exponential window with nearest-neighbour pairing."""
    if window != "exponential" or pairing != "nearest":
        raise OnlineUnsupported("online SAL is the exponential window with nearest pairing: "
                                "set window = 'exponential', pairing = 'nearest'")


def check_online(net: SamplingNetwork) -> None:
    """Refuse a network built without online SAL (its backend has none)."""
    if not isinstance(net, OnlinePlasticity):
        raise OnlineUnsupported(f"{type(net).__name__} has no online SAL: use "
                                "plasticity = 'epoch' on this backend")


class Diverged(RuntimeError):
    """Raised by a protocol when weights become NaN or infinite."""


def check_finite(weights: np.ndarray, what: str = "weights") -> None:
    if not np.all(np.isfinite(weights)):
        raise Diverged(f"{what} became NaN or infinite")


class ScenarioProtocol(ABC):
    """A scenario: a parameter model, built-in profiles and a training loop.

    Subclasses are registered under the `salbench.scenarios` entry point group.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[Params]]
    #: metric plotted against time in reports, and the one summarised in overviews
    main_metric: ClassVar[str]
    #: profile name -> parameter overrides, used when no catalogue TOML is given
    profiles: ClassVar[dict[str, dict[str, Any]]] = {}
    #: equivalence margin per final metric (name or glob; salbench.margins): how far apart
    #: two backends may be and still count as equivalent. A metric without one can be found
    #: different, never equivalent. Scenario TOML [margins] and --set margins.X override.
    margins: ClassVar[dict[str, Margin]] = {}

    def __init__(self, params: _Params, seed: int, timer: PhaseTimer | None = None) -> None:
        self.params = params
        self.seed = seed
        self.timer = timer or PhaseTimer()
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def run(self, backend: NetworkFactory) -> RunResult:
        """Build the network(s) on `backend`, train, and return the metrics."""

    def biological_time_ms(self) -> float:
        """Total simulated biological time, for real-time factors."""
        return math.nan

    #: True if the weights online SAL learns may change sign (a signed feedback pathway)
    online_weights_signed: ClassVar[bool] = False

    def needs_online_sal(self) -> bool:
        """True if this run needs the backend's online SAL (plasticity = "online")."""
        return getattr(self.params, "plasticity", "epoch") == "online"

    def planned_network(self) -> tuple[int, int] | None:
        """(units, largest fan-in) of the largest network this run will build, so backends
        with hard limits (hardware) can refuse a cell before anything runs; None if unknown."""
        return None
