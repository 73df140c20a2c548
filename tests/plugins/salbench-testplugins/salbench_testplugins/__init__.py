"""Third-party salbench plugins used by the tests."""

from __future__ import annotations

import os
import signal
import time
from typing import Any, Literal

import numpy as np

from salbench.backends.pynn import PyNNBackend
from salbench.protocols.base import (
    NetworkFactory,
    Params,
    RunResult,
    ScenarioProtocol,
    check_finite,
)
from salbench.spec.network import NetworkSpec


class NestAlias(PyNNBackend):
    """pyNN.nest under another name: a backend salbench has never heard of."""

    name = "nestalias"
    description = "pyNN.nest wrapped by a third-party package"
    requires = ("pyNN", "nest")
    pynn_module = "pyNN.nest"
    simulator_dists = ("nest-simulator",)

    def seed_kwargs(self, seed: int) -> dict[str, Any]:
        return {"rng_seed": seed}


class FaultyParams(Params):
    fault: Literal["none", "raise", "signal", "hang", "diverge"] = "none"
    epochs: int = 3


class FaultyProtocol(ScenarioProtocol):
    """Runs two units for a few epochs, then fails the way it is told to."""

    name = "faulty"
    description = "Fault injection for runner tests"
    Params = FaultyParams
    main_metric = "w"
    profiles = {"quick": {}}

    def biological_time_ms(self) -> float:
        return 100.0 * self.params.epochs

    def run(self, backend: NetworkFactory) -> RunResult:
        weights = np.array([[0.0, 1.0], [1.0, 0.0]])
        net = backend.build(NetworkSpec(weights=weights, biases=np.zeros(2),
                                        mask=~np.eye(2, dtype=bool)))
        result = RunResult()
        for epoch in range(self.params.epochs):
            net.run(100.0)
            result.record(t_ms=100.0 * (epoch + 1), w=float(weights[0, 1]))
        fault = self.params.fault
        if fault == "raise":
            raise RuntimeError("injected failure")
        if fault == "signal":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "hang":
            time.sleep(3600)
        if fault == "diverge":
            weights[0, 1] = np.nan
            check_finite(weights)
        result.final = {"w": float(weights[0, 1])}
        return result
