"""SAL as a plasticity mechanism of the simulators themselves (online, at event times).

``sal_synapse(sim, **parameters)`` returns a synapse type of the PyNN backend module ``sim``
(pyNN.nest, pyNN.neuron or salbench.simulators.bss2) for ``sim.Projection(...,
synapse_type=...)``. Parameters: see :class:`SALSynapseParams`. On NEST call it (or
``install(sim)``) after ``sim.setup()`` and before creating populations: NEST loads the
compiled SAL module only into an empty network (native-sal.md).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from salbench.plasticity.nest_build import use_pynn_extensions
from salbench.plasticity.params import SALSynapseParams

# a plain PyNN script that imports this package before pyNN.nest then loads PyNN's NEST
# extension built by `salbench prepare` instead of running cmake at import (native-sal.md);
# cheap (no NEST import), and nothing happens where no build exists
use_pynn_extensions()

__all__ = ["SALSynapseParams", "install", "sal_synapse", "set_eta"]

#: PyNN backend module -> the salbench.plasticity submodule that implements SAL on it
_IMPLEMENTATIONS = {
    "pyNN.nest": "salbench.plasticity.nest",
    "pyNN.neuron": "salbench.plasticity.neuron",
    "salbench.simulators.bss2": "salbench.plasticity.bss2",
}


def _implementation(sim: ModuleType) -> Any:
    name = getattr(sim, "__name__", "")
    if name not in _IMPLEMENTATIONS:
        raise ValueError(f"no SAL synapse for PyNN backend {name!r}: use "
                         f"{', '.join(_IMPLEMENTATIONS)}")
    return importlib.import_module(_IMPLEMENTATIONS[name])


def sal_synapse(sim: ModuleType, **parameters: Any) -> Any:
    """A SAL synapse type of the PyNN backend `sim`."""
    return _implementation(sim).sal_synapse(sim, **parameters)


def install(sim: ModuleType) -> None:
    """Make the SAL synapse available in `sim` now (NEST: load the module into the kernel,
    and again after every later sim.setup()); a no-op where nothing needs loading."""
    impl = _implementation(sim)
    if hasattr(impl, "install_after_setup"):
        impl.install_after_setup(sim)
    elif hasattr(impl, "load_mechanism"):
        impl.load_mechanism()


def set_eta(projection: Any, eta: float) -> None:
    """Change the learning rate of a SAL projection (weight units per unit of K): a synapse
    parameter on NEST and NEURON, the processor rule's on bss2."""
    rule = getattr(projection.synapse_type, "plasticity_rule", None)
    if rule is not None:
        rule.eta = float(eta)
        return
    module = type(projection).__module__  # e.g. pyNN.neuron.projections
    for backend, implementation in _IMPLEMENTATIONS.items():
        if module.startswith(backend + "."):
            impl = importlib.import_module(implementation)
            # NEURON's SALExpSyn holds one eta per post cell, not one per synapse
            if hasattr(impl, "set_eta") and impl.set_eta(projection, float(eta)):
                return
    projection.set(eta=float(eta))
