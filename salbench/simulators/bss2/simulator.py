"""PyNN's simulator state of the bss2 emulation: the PyNN bookkeeping over one kernel Chip.

Every cell (neuron or spike source) is a kernel *node*; a cell's ID is its node number.  The
chip (kernel/chip.py) owns every array of the network (parameters, synapses, sensors, state,
recorded data); this state holds what PyNN needs besides: the populations, projections and
recorders created, the time step and delays, the run segment.
"""

from __future__ import annotations

import warnings
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
        # delays substituted by the chip's (substitute_delays): one entry per requested delay
        self.delay_substitutions: list[dict[str, Any]] = []
        self.spike_time_warned = False   # an off-grid SpikeSourceArray time was reported
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

    # sensor readings through the ADC (host and processor reads) and how many clipped
    @property
    def adc_readings(self) -> int:
        return self.chip.adc.readings

    @property
    def adc_clipped(self) -> int:
        return self.chip.adc.clipped

    @property
    def adc_clipped_high(self) -> int:
        return self.chip.adc.clipped_high

    @property
    def adc_clipped_low(self) -> int:
        return self.chip.adc.clipped_low

    @property
    def processor_executions(self) -> int:
        return self.chip.n_executions

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
    """Only the chip's one delay exists (every synapse has it): another delay is refused, or
    with ``substitute_delays`` replaced by it (warned once per setup, recorded)."""
    values = np.atleast_1d(np.asarray(delay, dtype=float))
    values = values[~np.isnan(values)]
    if values.size and np.any(np.abs(values - chip_delay) > 1e-9):
        bad = values[np.argmax(np.abs(values - chip_delay))]
        if state.config.substitute_delays:
            substitute_delay(float(bad), chip_delay, label)
            return
        raise HardwareLimitError(
            f"bss2: delay {bad:g} ms in {label!r} is not supported: the chip has no "
            f"configurable synaptic delays (every synapse has {chip_delay:g} ms, the "
            "profile's synaptic_delay_ms or one time step); omit the delay argument, or "
            "run with setup(..., substitute_delays=True) to use the chip's delay instead.")


def substitute_delay(requested: float, chip_delay: float, where: str) -> None:
    """Record that a requested delay runs as the chip's one delay (per place: the range of
    delays requested); warn at the first one after setup()."""
    for entry in state.delay_substitutions:
        if entry["where"] == where:
            entry["requested_min_ms"] = min(entry["requested_min_ms"], requested)
            entry["requested_max_ms"] = max(entry["requested_max_ms"], requested)
            return
    if not state.delay_substitutions:
        warnings.warn(
            f"bss2: delay {requested:g} ms ({where}) substituted by the chip's one synaptic "
            f"delay {chip_delay:g} ms for every synapse (substitute_delays=True); spike "
            "timing differs from a simulator with that delay.", UserWarning, stacklevel=3)
    state.delay_substitutions.append({"where": where, "requested_min_ms": requested,
                                      "requested_max_ms": requested, "used_ms": chip_delay})


state = State()
