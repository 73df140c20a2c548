"""The bss2 emulator's kernel: the emulated chip without PyNN.

:class:`Chip` owns the network's arrays (cells, parameters, synapses, sensors, state,
recorded data, random streams) and runs the numba engine (:mod:`.engine`) over the named
records of :mod:`.records`.  Nothing here imports PyNN; the PyNN backend
(``salbench.simulators.bss2``) is a thin shell over it, as ``pyNN.nest`` is over NEST.
"""

from .chip import (
    NEURON_PARAMETERS,
    POISSON_PARAMETERS,
    STATE_VARIABLES,
    Chip,
    NewData,
    truncated_normal,
)

__all__ = ["Chip", "NewData", "NEURON_PARAMETERS", "POISSON_PARAMETERS", "STATE_VARIABLES",
           "truncated_normal"]
