"""SAL as a plasticity mechanism of the simulators themselves (online, at event times).

``sal_synapse(sim, **parameters)`` returns a synapse type of the PyNN backend module ``sim``
(pyNN.nest, pyNN.neuron or salbench.simulators.bss2) for ``sim.Projection(...,
synapse_type=...)``. Parameters: see :class:`SALSynapseParams`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from salbench.plasticity.params import SALSynapseParams

__all__ = ["SALSynapseParams", "sal_synapse"]


def sal_synapse(sim: ModuleType, **parameters: Any) -> Any:
    """A SAL synapse type of the PyNN backend `sim`."""
    name = getattr(sim, "__name__", "")
    if name == "pyNN.nest":
        from salbench.plasticity.nest import sal_synapse as make
    elif name == "pyNN.neuron":
        from salbench.plasticity.neuron import sal_synapse as make
    elif name == "salbench.simulators.bss2":
        from salbench.plasticity.bss2 import sal_synapse as make
    else:
        raise ValueError(f"no SAL synapse for PyNN backend {name!r}: use pyNN.nest, "
                         "pyNN.neuron or salbench.simulators.bss2")
    return make(sim, **parameters)
