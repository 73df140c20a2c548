"""The parameters of SAL as a simulator's own synapse type, shared by every backend.

SAL (design.md 1.1): each nearest-neighbour pair of a pre and a post spike changes the weight
by -eta·a_causal·K(Δt) when the pre spike comes first (Δt = t_post - t_pre > 0) and by
+eta·a_acausal·K(-Δt) when the post spike comes first, at the simulation's own event times,
and the weight is clipped to [w_min, w_max]. K(s) = exp(-s / tau) for the exponential window.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, NonNegativeFloat, PositiveFloat


class SALSynapseParams(BaseModel):
    """One SAL synapse type's parameters, in PyNN units (weight in µS for conductance cells,
    times in ms). Amplitudes may be given per connection by the backend's own means (PyNN
    random distributions or arrays); the model holds the scalar defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = 0.0
    delay: PositiveFloat = 1.0
    #: the window's time constant
    tau: PositiveFloat = 10.0
    #: weight units per unit of K
    eta: NonNegativeFloat = 0.001
    a_causal: NonNegativeFloat = 1.0
    a_acausal: NonNegativeFloat = 1.0
    w_min: float = -1.0
    w_max: float = 1.0
    window: Literal["exponential"] = "exponential"
