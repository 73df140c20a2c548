"""PyNN's simulator state of the bss2 emulation: the PyNN bookkeeping over one kernel Chip.

Every cell (neuron or spike source) is a kernel *node*; a cell's ID is its node number.  The
chip (kernel/chip.py) owns every array of the network (parameters, synapses, sensors, state,
recorded data); this state holds what PyNN needs besides: the populations, projections and
recorders created, the time step and delays, the run segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from pyNN import common

from .hardware import HardwareConfig, HardwareLimitError
from .kernel import Chip

if TYPE_CHECKING:
    from .populations import Population
    from .projections import Projection

name = "bss2"


class ID(int, common.IDMixin):
    """Cell identifier; its integer value is the node index of the cell."""

    def __init__(self, n: int) -> None:
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """The emulated chip (``chip``) and PyNN's view of the network placed on it."""

    def __init__(self) -> None:
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay = 0.1
        self.config = HardwareConfig()
        self.rng_seed = 12345
        self.segment_counter = -1
        self.clear()

    # ------------------------------------------------------------------ set-up and clearing --
    def configure(self, config: HardwareConfig, rng_seed: int) -> None:
        self.config = config
        self.rng_seed = int(rng_seed)
        self.clear()

    def clear(self) -> None:
        """Forget the whole network (called by setup()): a new chip."""
        self.recorders: set[Any] = set()
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        # (population, variables, file) appended by PyNN's record(..., to_file=...)
        self.write_on_end: list[tuple[Any, Any, Any]] = []
        self.chip = Chip(self.config, self.dt, self.rng_seed)
        self.reset()

    def reset(self) -> None:
        """Return to t = 0 with the initial values (network and frozen mismatch are kept)."""
        self.running = False
        self.t_start = 0
        self.segment_counter += 1
        self.chip.reset()

    # ------------------------------------------------------------- the chip's time, sizes --
    @property
    def step(self) -> int:
        return self.chip.step

    @step.setter
    def step(self, value: int) -> None:
        self.chip.step = int(value)

    @property
    def t(self) -> float:
        return self.step * self.dt

    @t.setter
    def t(self, value: float) -> None:
        self.step = int(round(value / self.dt))

    @property
    def n_neurons(self) -> int:
        return self.chip.n_neurons

    @property
    def id_counter(self) -> int:
        return self.chip.n_nodes

    # emulated hardware time (runs, per-run and per-update overheads), emulator wall time
    @property
    def hardware_time_s(self) -> float:
        return self.chip.hardware_time_s

    @property
    def wall_time_s(self) -> float:
        return self.chip.wall_time_s

    @property
    def n_runs(self) -> int:
        return self.chip.n_runs

    @property
    def n_updates(self) -> int:
        return self.chip.n_updates

    # ------------------------------------------------------------------------------------ run --
    def run(self, simtime: float) -> None:
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float) -> None:
        n_steps = int(round((tstop - self.t) / self.dt))
        self.running = True
        if n_steps <= 0:
            return
        self.chip.run(n_steps)


def check_delay(delay: ArrayLike, chip_delay: float, label: str) -> None:
    """Only the chip's one delay exists (every synapse has it)."""
    values = np.atleast_1d(np.asarray(delay, dtype=float))
    values = values[~np.isnan(values)]
    if values.size and np.any(np.abs(values - chip_delay) > 1e-9):
        bad = values[np.argmax(np.abs(values - chip_delay))]
        raise HardwareLimitError(
            f"bss2: delay {bad:g} ms in {label!r} is not supported: the chip has no "
            f"configurable synaptic delays (every synapse has {chip_delay:g} ms, the "
            "profile's synaptic_delay_ms or one time step); omit the delay argument.")


state = State()
