"""A `SamplingNetwork` made of PyNN populations and projections.

Works with any PyNN backend module, through the backend that owns it (`SimulatorHost`).
Backend adapters may pass faster spike read-out and weight write functions; the public PyNN
calls here are the fallback for every backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from salbench.realisation.cells import sampling_cells
from salbench.realisation.host import SimulatorHost
from salbench.spec.network import NetworkSpec, OnlineSAL
from salbench.spec.translation import LinearTranslation
from salbench.spec.units import LIFUnitParams
from salbench.timing import PhaseTimer

if TYPE_CHECKING:
    from salbench.realisation.calibration import CalibratedTranslation


def translation_for(host: SimulatorHost, unit: LIFUnitParams,
                    tau_ref_ms: float) -> LinearTranslation | CalibratedTranslation:
    """The translation of abstract units the unit settings ask for (calibrated: from the
    on-disk cache, measured first on `host`'s backend if missing or stale)."""
    if unit.translation == "linear":
        return LinearTranslation(unit)
    # imported here: the calibration's scipy.optimize costs start-up in every run process
    from salbench.realisation.calibration import CalibratedTranslation, get_calibration

    return CalibratedTranslation(get_calibration(host, unit, tau_ref_ms), unit)


def trains_by_unit(index: np.ndarray, times: np.ndarray, n_units: int) -> list[np.ndarray]:
    """Per-unit sorted spike trains from flat (unit index, time) records, as simulators'
    recorders deliver them; for adapters' fast spike read-out."""
    order = np.lexsort((times, index))
    index, times = index[order], times[order]
    bounds = np.searchsorted(index, np.arange(n_units + 1))
    return [times[bounds[i]:bounds[i + 1]] for i in range(n_units)]


class PyNNSamplingNetwork:
    """Sampling units with their private background noise and recurrent synapses on the mask.

    Every existing synapse is realised twice, once in an excitatory and once in an inhibitory
    projection, so that an abstract weight may change sign during learning; the unused one
    holds 0.

    With `spec.online_sal`, the plastic synapses are instead one excitatory projection of the
    simulator's own SAL synapse type (salbench.plasticity.sal_synapse), learning at the
    simulation's event times. A conductance synapse cannot change sign, so online SAL here
    needs w_min >= 0; abstract weights, eta and bounds become conductances with the
    translation's excitatory gain (a linear map, so SAL in µS is SAL in abstract units).
    """

    #: whether connect() takes the initial weights (NEST, NEURON); False: the synapses are
    #: made with weight 0 and the initial weights written through set_weights (bss2: its
    #: weight-range errors and quantisation live there)
    weights_at_connect: ClassVar[bool] = False

    def __init__(self, host: SimulatorHost, spec: NetworkSpec, timer: PhaseTimer) -> None:
        self.sim = host.sim
        self.spec = spec
        self.timer = timer
        self.unit = spec.unit
        # every projection has the backend's one delay; the calibration is measured on the
        # same simulator, time step and delay
        self.delay_ms = host.delay_ms
        # the SAL synapse type first: NEST loads its module only into an empty network
        online: Any = self._online_synapse(spec.online_sal, host) if spec.online_sal else None
        self.translation = translation_for(host, self.unit, spec.tau_ref_ms)
        self._t = 0.0
        self._carry: list[np.ndarray] | None = None  # spikes recorded past the last interval
        sim = self.sim
        u = self.unit
        # started near p = 0.5 (v_thresh), whatever the biases
        self.cells, self.background = sampling_cells(
            host, u, spec.tau_ref_ms, self.translation.v_rest(spec.biases), v_init=u.v_thresh)
        plastic = np.zeros_like(spec.mask, dtype=bool)
        if spec.online_sal is not None:
            plastic = spec.mask & np.broadcast_to(spec.online_sal.plastic, spec.mask.shape)
        self._plastic = plastic
        # with `weights_at_connect` the initial weights go into the connect calls themselves
        # (a separate write after the build would cost as much again on NEST at N = 1000);
        # otherwise the synapses start at 0 and set_weights() writes them, as a protocol would
        w = np.where(spec.mask, spec.weights, 0.0).astype(float)
        if not self.weights_at_connect:
            w = np.zeros_like(w)
        self._weights = w.copy()
        static = spec.mask & ~plastic
        self._pairs = np.nonzero(static)
        # each static synapse in both projections (its weight may change sign), or with
        # spec.signs_fixed only in its sign's: half the synapses (N = 1000 all-to-all: 1M
        # instead of 2M NetCons on NEURON, about 5 s of its build)
        self._signs: np.ndarray | None = None
        if spec.signs_fixed:
            self._signs = np.where(spec.weights < 0, -1.0, 1.0)
        exc, inh = self.translation.conductances(np.where(plastic, 0.0, w))
        self.recurrent = {}
        for receptor, values, sign in (("excitatory", exc, 1.0), ("inhibitory", inh, -1.0)):
            post, pre = np.nonzero(static if self._signs is None
                                   else static & (self._signs == sign))
            self.recurrent[receptor] = self.connect(pre, post, values[post, pre],
                                                    sim.StaticSynapse(), receptor)
        self.plastic: Any = None
        if spec.online_sal is not None:
            g = self.translation.exc_uS_per_unit
            online_post, online_pre = np.nonzero(plastic)
            online_exc, _ = self.translation.conductances(np.where(plastic, w, 0.0))
            self.plastic = self.connect(
                online_pre, online_post, online_exc[online_post, online_pre],
                online(self._sal_parameters(spec.online_sal, g)), "excitatory")
        if not self.weights_at_connect:
            self.set_weights(spec.weights)
        self.cells.record("spikes")

    # -- the SamplingNetwork interface -------------------------------------------------
    @property
    def t_ms(self) -> float:
        return self._t

    def run(self, duration_ms: float) -> list[np.ndarray]:
        with self.timer.phase("simulate"):
            self.sim.run(duration_ms)
        t0, self._t = self._t, self._t + duration_ms
        with self.timer.phase("readout"):
            spikes = self.read_spikes()
            # pyNN.nest simulates one min_delay ahead of the requested time: spikes past the
            # interval are already recorded (and cleared from the recorder), so keep them
            # for the next interval instead of dropping them
            if self._carry is not None:
                spikes = [np.concatenate([c, s])
                          for c, s in zip(self._carry, spikes, strict=True)]
            self._carry = [s[s >= self._t] for s in spikes]
        return [s[(s >= t0) & (s < self._t)] for s in spikes]

    def set_weights(self, weights: np.ndarray) -> None:
        w = np.where(self.spec.mask, weights, 0.0)
        if self._signs is not None and np.any(w * self._signs < 0):
            raise ValueError("a weight changed sign in a network built with signs_fixed "
                             "(each synapse exists only for its initial sign)")
        self._weights = w.copy()
        exc, inh = self.translation.conductances(np.where(self._plastic, 0.0, w))
        self.write_weights(self.recurrent["excitatory"], exc)
        self.write_weights(self.recurrent["inhibitory"], inh)
        if self.plastic is not None:
            online_exc, _ = self.translation.conductances(np.where(self._plastic, w, 0.0))
            self.write_weights(self.plastic, online_exc)

    def get_weights(self) -> np.ndarray:
        exc = self.read_weights(self.recurrent["excitatory"])
        inh = self.read_weights(self.recurrent["inhibitory"])
        if self.plastic is not None:
            exc = np.where(self._plastic, self.read_weights(self.plastic), exc)
        return self.translation.weights(exc, inh)

    # -- online SAL (spec.network.OnlinePlasticity) -------------------------------------
    def learn_online(self, sal: OnlineSAL) -> None:
        """New online-SAL parameters (a protocol's learning-rate schedule) for the plastic
        projection; the weights and the synapses' pairing state stay."""
        if self.plastic is None:
            raise RuntimeError("this network was built without online SAL (spec.online_sal)")
        from salbench.plasticity import set_eta

        set_eta(self.plastic, sal.eta * self.translation.exc_uS_per_unit)

    @staticmethod
    def _online_synapse(sal: OnlineSAL, host: SimulatorHost) -> Any:
        """A factory of the simulator's SAL synapse type for these rule parameters."""
        from salbench.plasticity import install, sal_synapse

        if sal.w_min < 0:
            raise ValueError("online SAL on LIF units needs w_min >= 0: a conductance synapse "
                             "cannot change sign; use plasticity = 'epoch' for signed weights")
        for name, value in (("a_causal", sal.a_causal), ("a_acausal", sal.a_acausal)):
            if np.ndim(value) and np.ptp(np.asarray(value)[sal.plastic]) > 0:
                raise ValueError(f"online SAL on LIF units takes one {name} for all synapses")
        sim = host.sim
        install(sim)
        return lambda params: sal_synapse(sim, **params)

    def _sal_parameters(self, sal: OnlineSAL, g: float) -> dict[str, Any]:
        """sal_synapse's parameters in µS: abstract eta and bounds times the excitatory gain."""
        def first(value: np.ndarray | float) -> float:
            arr = np.asarray(value, dtype=float)
            return float(arr[sal.plastic][0]) if arr.ndim else float(arr)

        params: dict[str, Any] = {
            "weight": 0.0, "delay": self.delay_ms, "tau": sal.tau_ms, "eta": sal.eta * g,
            "a_causal": first(sal.a_causal), "a_acausal": first(sal.a_acausal),
            "w_min": sal.w_min * g}
        if np.isfinite(sal.w_max):
            params["w_max"] = sal.w_max * g
        elif self.sim.__name__ != "salbench.simulators.bss2":
            params["w_max"] = 1e9  # no upper bound (the hardware's is its 6-bit range)
        return params

    def set_biases(self, biases: np.ndarray) -> None:
        self.cells.set(v_rest=self.translation.v_rest(np.asarray(biases, dtype=float)))

    # -- build and I/O paths; backend adapters override these with faster native ones --
    def connect(self, pre: np.ndarray, post: np.ndarray, weights_uS: np.ndarray,
                synapse_type: Any, receptor_type: str) -> Any:
        """A projection of the cells onto themselves with the synapses pre[k] -> post[k]
        (population indices) and initial weights weights_uS[k]; every other synapse parameter
        comes from `synapse_type`."""
        return self.sim.Projection(self.cells, self.cells,
                                   self.connector(pre, post, weights_uS),
                                   synapse_type, receptor_type=receptor_type)

    def connector(self, pre: np.ndarray, post: np.ndarray, weights_uS: np.ndarray) -> Any:
        """The PyNN connector `connect` uses: PyNN's FromListConnector here, one tuple per
        synapse; adapters return faster ones."""
        connections = [(int(i), int(j), float(v), self.delay_ms)
                       for i, j, v in zip(pre, post, weights_uS, strict=True)]
        return self.sim.FromListConnector(connections, column_names=["weight", "delay"])

    def read_spikes(self) -> list[np.ndarray]:
        segment = self.cells.get_data("spikes", clear=True).segments[-1]
        trains = sorted(segment.spiketrains, key=lambda st: st.annotations["source_index"])
        return [np.asarray(st.magnitude, dtype=float) for st in trains]

    def write_weights(self, projection: Any, values_uS: np.ndarray) -> None:
        """values_uS is [post, pre]; PyNN's matrix convention is [pre, post]."""
        projection.set(weight=values_uS.T)

    def read_weights(self, projection: Any) -> np.ndarray:
        values = projection.get("weight", format="array", gather=True)  # [pre, post], NaN = none
        return np.nan_to_num(np.asarray(values, dtype=float).T)


