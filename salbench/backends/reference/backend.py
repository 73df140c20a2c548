"""The `reference` backend: the paper's abstract discrete-time model, not a PyNN module.

It runs the same protocols as the PyNN backends through the same `SamplingNetwork`
interface, which keeps the protocol layer honest about not depending on PyNN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from salbench.backends.base import Backend, simulator_seed
from salbench.backends.reference.engine import DiscreteSamplingNetwork
from salbench.spec.network import NetworkSpec, OnlineSAL
from salbench.versions import package_version


class TimedDiscreteNetwork(DiscreteSamplingNetwork):
    """The engine, with its simulate time counted in the run's phase timer."""

    def __init__(self, *args: Any, timer: Any, mask: np.ndarray, **kwargs: Any) -> None:
        self._timer = timer
        self._mask = mask
        super().__init__(*args, **kwargs)

    def run(self, duration_ms: float) -> list[np.ndarray]:
        with self._timer.phase("simulate"):
            return super().run(duration_ms)

    def run_with_states(
        self, duration_ms: float, every_steps: int
    ) -> tuple[list[np.ndarray], np.ndarray]:
        with self._timer.phase("simulate"):
            return super().run_with_states(duration_ms, every_steps)

    def set_weights(self, weights: np.ndarray) -> None:
        super().set_weights(np.where(self._mask, weights, 0.0))

    def learn_online(self, sal: OnlineSAL) -> None:
        """Online SAL in the engine's time loop (engine._sal_spike), on existing synapses."""
        self.start_online_sal(eta=sal.eta, tau_ms=sal.tau_ms, plastic=sal.plastic & self._mask,
                              a_causal=sal.a_causal, a_acausal=sal.a_acausal,
                              w_min=sal.w_min, w_max=sal.w_max)


class ReferenceBackend(Backend):
    name = "reference"
    description = "The paper's abstract discrete-time sampling neuron (exact, numba)"
    kind = "abstract"
    online_sal = True
    online_sal_signed = True

    @property
    def steps_per_tau_ref(self) -> int:
        return int(self.settings.get("steps_per_tau_ref", 25))

    @property
    def timing(self) -> str:
        return str(self.settings.get("timing", "authors"))

    def setup(self, seed: int) -> None:
        self._seed = simulator_seed(seed)
        self._networks = 0

    def build(self, spec: NetworkSpec) -> TimedDiscreteNetwork:
        steps = spec.steps_per_tau_ref or self.steps_per_tau_ref
        self._steps = steps
        self._networks += 1  # a protocol building a second network gets a fresh stream
        with self.timer.phase("build"):
            net = TimedDiscreteNetwork(
                np.where(spec.mask, spec.weights, 0.0), spec.biases, timer=self.timer,
                mask=spec.mask, t_ref_steps=steps, dt_ms=spec.tau_ref_ms / steps,
                seed=self._seed + self._networks - 1, timing=self.timing,
            )
            if spec.online_sal is not None:
                net.learn_online(spec.online_sal)
            return net

    def versions(self) -> dict[str, str]:
        return {"numba": package_version("numba")}

    def extra_provenance(self) -> dict[str, Any]:
        return {"model": "discrete-time Buesing sampling neuron (paper's abstract model)",
                "timing": self.timing, "steps_per_tau_ref": getattr(self, "_steps", None),
                "simulator_seed": getattr(self, "_seed", None)}
