"""NEURON through pyNN.neuron."""

from __future__ import annotations

from typing import Any

from salbench.backends.pynn import PyNNBackend


class NeuronBackend(PyNNBackend):
    name = "neuron"
    description = "NEURON (fixed step) through pyNN.neuron"
    requires = ("pyNN", "neuron")
    pynn_module = "pyNN.neuron"
    simulator_dists = ("neuron",)

    def seed_kwargs(self, seed: int) -> dict[str, Any]:
        # pyNN.neuron ignores rng_seed; its random streams are seeded from this base seed.
        return {"native_rng_baseseed": seed}
