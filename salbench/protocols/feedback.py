"""The `feedback` scenario: SAL aligns feedback weights B to the forward pathway W (paper
Figs 6-7, design.md 1.3).

The layered network, its index bookkeeping and the SAL phase on B live in
salbench.protocols.layered (shared with the `task` scenario): B -> Wᵀ because the acausal lobe
of B's synapse is the causal lobe of W's.

Variants (`feedback`): "sal" (B learns), "fixed" (feedback alignment: B stays random) and
"oracle" (backprop: B = Wᵀ at every epoch). `w_drift` lets W random-walk to show that SAL
tracks a moving target.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt

from salbench.margins import Margin
from salbench.protocols.alignment import (
    alignment_angle_deg,
    probe_errors,
    sign_concordance,
    time_to_reach,
    weight_correlation,
)
from salbench.protocols.base import (
    NetworkFactory,
    RunResult,
    ScenarioProtocol,
    check_finite,
)
from salbench.protocols.layered import (
    ALIGNMENT_MARGINS,
    Layers,
    SALPhaseParams,
    SpikingFeedback,
    eta_schedule,
    layer_alignment,
)

__all__ = ["ALIGNED_DEG", "FeedbackParams", "FeedbackProtocol", "Layers"]

#: the acceptance threshold of the scenario (design.md 1.3): "aligned" means below 20°
ALIGNED_DEG = 20.0


class FeedbackParams(SALPhaseParams):
    #: layer sizes, bottom first (the paper's Fig. 7: one 50 -> 50 layer pair)
    sizes: tuple[PositiveInt, ...] = Field((30, 30, 10), min_length=2)
    epochs: PositiveInt = 150
    epoch_ms: PositiveFloat = 1000.0
    #: W and B entries ~ U(±init_scale·√(3/fan_in)); 1 gives the paper's U(±√(3/50)) at 50
    init_scale: PositiveFloat = 1.0
    #: "sal": B learns by SAL; "fixed": feedback alignment; "oracle": B = Wᵀ (backprop)
    feedback: Literal["sal", "fixed", "oracle"] = "sal"
    #: W random-walk step per epoch, as a fraction of the initial entry std of W
    w_drift: NonNegativeFloat = 0.0


class FeedbackProtocol(ScenarioProtocol):
    name = "feedback"
    description = "Layers of sampling units: SAL aligns the feedback weights B to Wᵀ"
    Params = FeedbackParams
    main_metric = "angle_deg"
    # B is signed: online SAL on B needs synapses whose weight may change sign
    online_weights_signed = True
    margins = {
        **ALIGNMENT_MARGINS,
        "w_moved_deg": Margin(value=3.0, why="as angle_deg (0 when W is fixed)"),
        "correlation": Margin(value=0.03, why="as gradient_alignment, for a correlation"),
        "sign_concordance": Margin(value=0.03, why="3 % of the synapses with the wrong sign"),
        "time_to_20deg_ms": Margin(value=0.25, relative=True, why=(
            "a threshold crossing time: a quarter, against the 2-3x that rates change it")),
    }
    profiles = {
        "quick": {},
        "paper": {"sizes": (50, 50), "epochs": 100},
    }

    params: FeedbackParams

    def biological_time_ms(self) -> float:
        return self.params.epochs * self.params.epoch_ms

    def _streams(self) -> dict[str, np.random.Generator]:
        """Independent streams per purpose, so that the variants of one seed start from the same
        W and B (paired comparisons) whatever else they draw."""
        names = ("init", "plasticity", "drift")
        return {name: np.random.default_rng([self.seed, i]) for i, name in enumerate(names)}

    def initial_weights(self, layers: Layers, rng: np.random.Generator) -> np.ndarray:
        """W and B blocks ~ U(±init_scale·√(3/fan_in)) (unit variance · init_scale² / fan_in)."""
        p = self.params
        weights = np.zeros((layers.n, layers.n))
        for k in layers.pairs:
            for block in (layers.w_block(k), layers.b_block(k)):
                fan_in = block[1].stop - block[1].start
                bound = min(p.init_scale * math.sqrt(3.0 / fan_in), p.clip)
                shape = (block[0].stop - block[0].start, fan_in)
                weights[block] = rng.uniform(-bound, bound, size=shape)
        return weights

    def planned_network(self) -> tuple[int, int]:
        return Layers(self.params.sizes).planned_network()

    def run(self, backend: NetworkFactory) -> RunResult:
        p = self.params
        layers = Layers(p.sizes)
        streams = self._streams()
        weights = self.initial_weights(layers, streams["init"])
        w_std = [float(np.std(weights[layers.w_block(k)])) for k in layers.pairs]
        w0 = weights.copy()
        if p.feedback == "oracle":
            weights = layers.with_oracle(weights)
        probes = [probe_errors(layers.sizes[k + 1], p.n_probes, p.probe_seed) for k in layers.pairs]
        sal = SpikingFeedback(backend, layers, weights, p, streams["plasticity"], self.timer,
                              learns=p.feedback == "sal")
        result = RunResult()
        result.notes["learning_path"] = sal.learning_path
        self._record(result, layers, 0.0, weights, w0, probes, rates=None)
        for epoch in range(1, p.epochs + 1):
            sal.start_epoch(p.epoch_ms, self.eta_at(epoch))
            spikes = sal.run(p.epoch_ms)
            if p.feedback == "sal":
                weights = sal.learn(spikes, p.epoch_ms, self.eta_at(epoch), write=False)
            with self.timer.phase("learn"):
                if p.w_drift > 0:
                    weights = self._drift(layers, weights, w_std, streams["drift"])
                if p.feedback == "oracle":
                    weights = layers.with_oracle(weights)
                check_finite(weights)
            if (p.feedback == "sal" and sal.online is None) or p.w_drift > 0:
                weights = sal.write(weights)
            rates = np.array([len(s) for s in spikes]) / (p.epoch_ms / 1000.0)
            self._record(result, layers, epoch * p.epoch_ms, weights, w0, probes, rates)
        self._finish(result, layers)
        return result

    def eta_at(self, epoch: int) -> float:
        """SAL's learning rate in epoch `epoch` (1-based)."""
        return eta_schedule(self.params.eta, self.params.eta_decay_epochs, epoch)

    def _oracle(self, layers: Layers, weights: np.ndarray) -> np.ndarray:
        """Backprop's feedback: every B block set to the transpose of its W block."""
        return layers.with_oracle(weights)

    def _drift(self, layers: Layers, weights: np.ndarray, w_std: list[float],
               rng: np.random.Generator) -> np.ndarray:
        """One random-walk step of every W block (a moving target for SAL)."""
        weights = weights.copy()
        p = self.params
        for k in layers.pairs:
            block = layers.w_block(k)
            step = rng.normal(0.0, p.w_drift * w_std[k], size=weights[block].shape)
            weights[block] = np.clip(weights[block] + step, -p.clip, p.clip)
        return weights

    @staticmethod
    def _record(result: RunResult, layers: Layers, t_ms: float, weights: np.ndarray,
                w0: np.ndarray, probes: list[np.ndarray], rates: np.ndarray | None) -> None:
        per: dict[str, list[float]] = {"angle_deg": [], "gradient_alignment": [],
                                       "correlation": [], "sign_concordance": [],
                                       "w_moved_deg": []}
        values: dict[str, float] = {}
        for k in layers.pairs:
            W, B = weights[layers.w_block(k)], weights[layers.b_block(k)]
            angle, ga = layer_alignment(W, B, probes[k])
            per["angle_deg"].append(angle)
            per["gradient_alignment"].append(ga)
            per["correlation"].append(weight_correlation(W, B))
            per["sign_concordance"].append(sign_concordance(W, B))
            # how far the target has moved: the angle between W now and W at the start
            per["w_moved_deg"].append(alignment_angle_deg(w0[layers.w_block(k)].T, W))
            values[f"angle_deg_l{k}"] = per["angle_deg"][-1]
            values[f"gradient_alignment_l{k}"] = per["gradient_alignment"][-1]
        for key, vals in per.items():
            values[key] = float(np.mean(vals))
        if rates is None:
            values["rate_hz"] = math.nan
            for i in range(len(layers.sizes)):
                values[f"rate_hz_layer{i}"] = math.nan
        else:
            values["rate_hz"] = float(np.mean(rates))
            for i, s in enumerate(layers.slices):
                values[f"rate_hz_layer{i}"] = float(np.mean(rates[s]))
        result.record(t_ms=t_ms, **values)

    def _finish(self, result: RunResult, layers: Layers) -> None:
        s = result.series
        p = self.params
        t = np.asarray(s["t_ms"])
        angle = np.asarray(s["angle_deg"])
        # the last tenth of the run (at least one epoch) smooths the SAL noise floor
        tail = max(1, len(angle) // 10)
        rate = float(np.nanmean(s["rate_hz"]))
        result.final = {
            "angle_deg": float(angle[-1]),
            "angle_deg_start": float(angle[0]),
            "angle_deg_tail": float(np.mean(angle[-tail:])),
            "gradient_alignment": s["gradient_alignment"][-1],
            "gradient_alignment_start": s["gradient_alignment"][0],
            "correlation": s["correlation"][-1],
            "sign_concordance": s["sign_concordance"][-1],
            "w_moved_deg": s["w_moved_deg"][-1],
            "time_to_20deg_ms": time_to_reach(t, angle, ALIGNED_DEG),
            "rate_hz": rate,
        }
        for k in layers.pairs:
            result.final[f"angle_deg_l{k}"] = s[f"angle_deg_l{k}"][-1]
        # SAL needs the sampling regime (design.md section 4): keep the regime with the run
        p_on = rate * p.tau_ref_ms / 1000
        result.notes["regime"] = "saturated" if p_on > 0.9 else "sampling"
        result.notes["feedback"] = p.feedback
        result.notes["sizes"] = list(p.sizes)
