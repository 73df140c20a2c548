"""SAL on NEURON: salbench's NMODL weight adjuster `StdwaSAL` as a PyNN synapse type.

The mechanism (models/nmodl/stdwa_sal.mod) is compiled with the wheel's nrnivmodl by
`salbench prepare` (or on first use) into the salbench cache, as salbench's noise mechanism
is (salbench.nmodl), and loaded once per process.
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


def _synapse_class() -> type:
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from pyNN.neuron.standardmodels.synapses import BaseSynapse
    from pyNN.standardmodels import StandardSynapseType, build_translations

    class SALSynapse(BaseSynapse, StandardSynapseType):  # type: ignore[misc]
        """SAL, online, nearest-neighbour pairing, exponential window (salbench)."""

        default_parameters = {"weight": 0.0, "delay": None, "tau": 10.0, "eta": 0.001,
                              "a_causal": 1.0, "a_acausal": 1.0, "w_min": -1.0, "w_max": 1.0,
                              # PyNN's weight-adjuster wiring reads it: 1 = the whole delay
                              # is dendritic, as on NEST
                              "dendritic_delay_fraction": 1.0}
        translations = build_translations(
            ("weight", "weight"),
            ("delay", "delay"),
            ("tau", "tau"),
            ("eta", "eta"),
            ("a_causal", "a_causal"),
            ("a_acausal", "a_acausal"),
            ("w_min", "w_min"),
            ("w_max", "w_max"),
            ("dendritic_delay_fraction", "dendritic_delay_fraction"),
        )
        model = MECHANISM
        postsynaptic_variable = "spikes"

    _CLASS = SALSynapse
    return _CLASS


def sal_synapse(sim: ModuleType, **parameters: Any) -> Any:
    """A SAL synapse type for pyNN.neuron (see salbench.plasticity.sal_synapse)."""
    params = parse(**parameters)
    load_mechanism()
    return _synapse_class()(**params.pynn_parameters())
