"""SAL on NEURON: salbench's NMODL weight adjuster `StdwaSAL` as a PyNN synapse type.

The mechanism (models/nmodl/stdwa_sal.mod) is compiled with the wheel's nrnivmodl by
`salbench prepare` (or on first use) into the salbench cache, as salbench's noise mechanism
is (salbench.nmodl), and loaded once per process.

Delays: SAL pairs the two cells' emission times (design.md 1.1), so the weight adjuster must
receive both spikes at their emission times; pyNN.neuron instead delays the pre -> adjuster
NetCon by d (1 - ddf) - 1e-9 and the post -> adjuster NetCon by d ddf
(dendritic_delay_fraction), which pairs t_pre with t_post + d (ddf = 1, NEST's STDP
convention) or shifts both. ddf = 0.5 would keep the pairs (both d/2) but leave the pre
1e-9 ms early, an error of 1e-9/tau in every K, and the weight would change at t_pre + d/2.
Instead `SALConnection` (the synapse type's connection_type, PyNN's own hook) sets both
NetCons' delays to 0 after PyNN wired them and keeps them there when the delay is set later:
the adjuster sees exact emission times, updates the weight at t_pre, and only the synapse's
NetCon (the PSP) carries the delay d.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from salbench.plasticity.params import parse

#: the NMODL sources of the SAL weight adjuster
NMODL_DIR = Path(__file__).parent / "models" / "nmodl"
MECHANISM = "StdwaSAL"

_CLASS: type | None = None


def compile_mechanism() -> Path:
    """Compile StdwaSAL once into the cache; the folder to load."""
    from salbench.nmodl import compile_mechanisms

    return compile_mechanisms(NMODL_DIR)


def load_mechanism() -> None:
    """Compile if needed and load StdwaSAL into this process's NEURON (idempotent)."""
    import neuron
    from neuron import h

    if hasattr(h, MECHANISM):
        return
    folder = compile_mechanism()
    if not neuron.load_mechanisms(str(folder), warn_if_already_loaded=False) or not hasattr(
            h, MECHANISM):
        raise RuntimeError(f"{folder} does not define {MECHANISM}; delete it and prepare again")


def _connection_class() -> type:
    """pyNN.neuron's plastic Connection with both weight-adjuster NetCons at delay 0."""
    from pyNN.neuron.simulator import Connection

    class SALConnection(Connection):  # type: ignore[misc]
        """The adjuster sees emission times; only the PSP (self.nc) is delayed."""

        def _setup_plasticity(self, synapse_type: Any, parameters: dict) -> None:
            # PyNN's wiring pops this; its value is moot, both delays are set to 0 below
            parameters["dendritic_delay_fraction"] = 1.0
            super()._setup_plasticity(synapse_type, parameters)
            self._zero_adjuster_delays()

        def _zero_adjuster_delays(self) -> None:
            # delay 0 (not PyNN's "minus 1e-9"): the weight is updated at t_pre, before the
            # PSP at t_pre + d uses it; simultaneous pre and post spikes may then arrive in
            # either order, which stdwa_sal.mod handles (ties within its eps)
            self.pre2wa.delay = 0.0
            self.post2wa.delay = 0.0

        def _set_delay(self, d: float) -> None:
            self.nc.delay = d
            self._zero_adjuster_delays()

        # the base class's property holds the base class's setter, so re-bind it
        delay = property(Connection._get_delay, _set_delay)

    return SALConnection


def _synapse_class() -> type:
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from pyNN.neuron.standardmodels.synapses import BaseSynapse
    from pyNN.standardmodels import StandardSynapseType, build_translations

    class SALSynapse(BaseSynapse, StandardSynapseType):  # type: ignore[misc]
        """SAL, online, nearest-neighbour pairing, exponential window (salbench)."""

        default_parameters = {"weight": 0.0, "delay": None, "tau": 10.0, "eta": 0.001,
                              "a_causal": 1.0, "a_acausal": 1.0, "w_min": -1.0, "w_max": 1.0}
        translations = build_translations(
            ("weight", "weight"),
            ("delay", "delay"),
            ("tau", "tau"),
            ("eta", "eta"),
            ("a_causal", "a_causal"),
            ("a_acausal", "a_acausal"),
            ("w_min", "w_min"),
            ("w_max", "w_max"),
        )
        model = MECHANISM
        postsynaptic_variable = "spikes"
        # pairing on emission times: see the module docstring
        connection_type = _connection_class()

    _CLASS = SALSynapse
    return _CLASS


def sal_synapse(sim: ModuleType, **parameters: Any) -> Any:
    """A SAL synapse type for pyNN.neuron (see salbench.plasticity.sal_synapse)."""
    params = parse(**parameters)
    load_mechanism()
    return _synapse_class()(**params.pynn_parameters())
