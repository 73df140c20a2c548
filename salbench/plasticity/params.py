"""The parameters of SAL as a simulator's own synapse type, shared by every backend.

SAL (design.md 1.1): each nearest-neighbour pair of a pre and a post spike changes the weight
by -eta·a_causal·K(Δt) when the pre spike comes first (Δt = t_post - t_pre > 0) and by
+eta·a_acausal·K(-Δt) when the post spike comes first, at the simulation's own event times,
and the weight is clipped to [w_min, w_max]. K(s) = exp(-s / tau) for the exponential window.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    NonNegativeFloat,
    PositiveFloat,
    ValidationError,
    field_validator,
    model_validator,
)

#: windows the native synapses implement (the triangular one is the epoch rule's only)
NATIVE_WINDOWS = ("exponential",)


def _check_per_connection(name: str, value: Any, nonnegative: bool) -> Any:
    """Scalars and arrays are checked here; PyNN random distributions and callables (PyNN's
    other per-connection forms) are passed through to PyNN, which evaluates them."""
    if isinstance(value, int | float | np.ndarray | list | tuple):
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite")
        if nonnegative and np.any(arr < 0):
            raise ValueError(f"{name} must be >= 0")
        return float(arr) if arr.ndim == 0 else arr
    return value


class SALSynapseParams(BaseModel):
    """One SAL synapse type's parameters, in PyNN units (weight in µS for conductance cells,
    times in ms). ``weight``, ``a_causal`` and ``a_acausal`` may be per connection: a scalar,
    an array in the shape PyNN accepts for its connector, or a PyNN random distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    weight: Any = 0.0
    #: None: the simulator's minimum delay (PyNN's default)
    delay: PositiveFloat | None = None
    #: the window's time constant
    tau: PositiveFloat = 10.0
    #: weight units per unit of K
    eta: NonNegativeFloat = 0.001
    a_causal: Any = 1.0
    a_acausal: Any = 1.0
    w_min: float = -1.0
    w_max: float = 1.0
    window: Literal["exponential"] = "exponential"

    @field_validator("weight")
    @classmethod
    def _weight(cls, v: Any) -> Any:
        return _check_per_connection("weight", v, nonnegative=False)

    @field_validator("a_causal", "a_acausal")
    @classmethod
    def _amplitude(cls, v: Any, info: Any) -> Any:
        return _check_per_connection(info.field_name, v, nonnegative=True)

    @model_validator(mode="after")
    def _bounds(self) -> SALSynapseParams:
        if not self.w_min <= self.w_max:
            raise ValueError(f"w_min ({self.w_min}) must be <= w_max ({self.w_max})")
        return self

    def pynn_parameters(self) -> dict[str, Any]:
        """The values a PyNN synapse type takes (window is implied by the model)."""
        out = self.model_dump(exclude={"window"})
        if out["delay"] is None:
            del out["delay"]
        return out


def parse(**parameters: Any) -> SALSynapseParams:
    """SALSynapseParams from keyword arguments; a one-line ValueError naming every unsupported
    parameter or value (pydantic's own error spans several lines per field)."""
    known = sorted(SALSynapseParams.model_fields)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ValueError(f"sal_synapse: unsupported parameter(s) {', '.join(map(repr, unknown))};"
                         f" supported: {', '.join(known)}")
    window = parameters.get("window", "exponential")
    if window not in NATIVE_WINDOWS:
        raise ValueError(f"sal_synapse: window={window!r} is not supported by the simulators' "
                         f"native SAL synapses; supported: {', '.join(NATIVE_WINDOWS)}")
    try:
        return SALSynapseParams(**parameters)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            name = str(e["loc"][0]) if e["loc"] else "parameters"
            problems.append(f"{name}={parameters.get(name, '?')!r}: {e['msg']}")
        problems_text = "; ".join(problems)
        raise ValueError(f"sal_synapse: unsupported value(s): {problems_text}") from None
