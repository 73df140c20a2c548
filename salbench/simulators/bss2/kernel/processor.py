"""The emulated chip's plasticity processor (PPU) and the ADC's accounting: no PyNN inside.

On BrainScaleS-2 an embedded processor runs user code *while the analog network runs*: at
times set by a timer it reads the correlation sensors of its synapses through the column ADC
(CADC), computes new weights and writes them back as 6-bit integers.  Here the processor's
program is a Python function (``kernel``) instead of the processor's C++, and the chip calls
it from inside its own time loop (:meth:`Chip.run` stops the engine at every due execution
and continues), so a PyNN ``run(T)`` with a period P executes the program T/P times.

Timing semantics (what :func:`execution_steps` and ``Chip.run`` implement):

* execution k of a program is due at step ``s_k = start_step + k * period_step``
  (k = 0 .. num_periods - 1, or without end for ``num_periods=None``), counted from the
  chip's step 0 (the last ``reset()``), so a run in chunks equals one long run;
* it runs *between* the events of stamp < s_k and those of stamp >= s_k: the sensors it reads
  hold every pair whose later spike has a stamp < s_k (since the previous read), and the
  weights it writes act on every spike with stamp >= s_k (a spike's weight is taken when it
  is sent; the chip's delay only shifts when its PSP starts);
* an execution due at the last step of a run (s_k = the run's end) runs at the end of that
  run, so that after ``run(T)`` the weights include the update at T;
* a program added after its first due steps have passed starts at the next due step.

Reads go through :meth:`Chip.read_sensors`, so the ADC's offset, gain mismatch, read noise
and saturation apply as for a host read, and clipped readings are counted (:class:`AdcCounts`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from .chip import Chip

__all__ = ["AdcCounts", "AdcRead", "PlasticityProgram", "SynapseAccess", "Timer",
           "execution_steps"]


class AdcRead(NamedTuple):
    """One read of a set of synapses' sensors: how many readings and how many clipped."""

    step: int               # the chip's step at the read
    readings: int           # causal + acausal readings (2 per synapse)
    clipped_causal: int     # causal readings at the ADC's range ends (code 0 or max)
    clipped_acausal: int

    @property
    def clipped(self) -> int:
        return self.clipped_causal + self.clipped_acausal


@dataclass
class AdcCounts:
    """Running totals of sensor readings through the ADC and of those that clipped.

    A reading *clips* when the digitised value falls outside the ADC's codes 0 .. 2**bits - 1
    (before the clip): it then reads as the range end and the sensor's value is lost.  Without
    the ADC (``adc_enabled = false``) nothing clips.
    """

    reads: int = 0          # read operations
    readings: int = 0       # single readings (one per synapse and lobe)
    clipped: int = 0
    clipped_high: int = 0   # above full scale (a sensor that integrated too long)
    clipped_low: int = 0    # below code 0 (negative offset plus read noise)

    def add(self, readings: int, high: int, low: int) -> None:
        self.reads += 1
        self.readings += readings
        self.clipped_high += high
        self.clipped_low += low
        self.clipped += high + low

    @property
    def clipped_fraction(self) -> float:
        return self.clipped / self.readings if self.readings else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"adc_reads": self.reads, "adc_readings": self.readings,
                "adc_clipped": self.clipped, "adc_clipped_high": self.clipped_high,
                "adc_clipped_low": self.clipped_low,
                "adc_clipped_fraction": round(self.clipped_fraction, 6)}


@dataclass(frozen=True)
class Timer:
    """When a program runs: at ``start`` + k * ``period`` (ms), k < ``num_periods``
    (``None``: every period until the next reset)."""

    start: float
    period: float
    num_periods: int | None

    def __post_init__(self) -> None:
        bad = []
        if not (math.isfinite(self.start) and self.start >= 0):
            bad.append(f"start={self.start!r} (ms, >= 0)")
        if not (math.isfinite(self.period) and self.period > 0):
            bad.append(f"period={self.period!r} (ms, > 0)")
        if self.num_periods is not None and (isinstance(self.num_periods, bool)
                                             or int(self.num_periods) != self.num_periods
                                             or self.num_periods < 0):
            bad.append(f"num_periods={self.num_periods!r} (an integer >= 0, or None)")
        if bad:
            raise ValueError(f"bss2 processor timer: unsupported {', '.join(bad)}")


def _grid(value: float, dt: float, name: str) -> int:
    steps = round(value / dt)
    if abs(steps * dt - value) > 1e-9 * max(1.0, abs(value)):
        raise ValueError(f"bss2 processor timer: {name}={value:g} ms is not a multiple of the "
                         f"time step {dt:g} ms (the processor runs on the chip's step grid)")
    return int(steps)


def execution_steps(timer: Timer, dt: float) -> tuple[int, int, int | None]:
    """(start_step, period_step, num_periods) of a timer on a grid of ``dt`` ms."""
    return (_grid(timer.start, dt, "start"), _grid(timer.period, dt, "period"),
            None if timer.num_periods is None else int(timer.num_periods))


#: a program's kernel: called with its :class:`SynapseAccess` at every execution
Kernel = Callable[["SynapseAccess"], None]


@dataclass
class PlasticityProgram:
    """One program of the processor: its kernel, timer, synapses and per-synapse parameters.

    ``lsb`` and ``sign`` describe the synapses' weight grid (all of one row group: one sign,
    one unit), ``lo``/``hi`` the weight range the program may write (PyNN units, signed).
    """

    kernel: Kernel
    timer: Timer
    syn_ids: np.ndarray
    lsb: float
    sign: float
    params: Mapping[str, np.ndarray] = field(default_factory=dict)
    label: str = "plasticity program"
    adc: AdcCounts = field(default_factory=AdcCounts)
    #: kernel's own persistent scratch (the processor's memory between executions)
    memory: dict[str, Any] = field(default_factory=dict)
    executions: int = 0
    # derived on the chip's grid (set when added to a chip)
    start_step: int = 0
    period_step: int = 1
    num_periods: int | None = None
    next_k: int = 0

    def due_step(self) -> int | None:
        """The step of the next execution, or None when the timer has run out."""
        if self.num_periods is not None and self.next_k >= self.num_periods:
            return None
        return self.start_step + self.next_k * self.period_step

    def skip_to(self, step: int) -> None:
        """Make the next execution the first one due at or after ``step``."""
        if step > self.start_step:
            self.next_k = max(self.next_k, -(-(step - self.start_step) // self.period_step))


class SynapseAccess:
    """What a kernel may do with its synapses at one execution (the processor's view).

    ``read_correlations`` reads (and by default clears) the sensors through the ADC;
    ``weights`` are the values the chip holds (PyNN units, signed: uS or nA);
    ``write_weights`` rounds to the chip's grid as the profile says (``quantise_weights``,
    ``processor_rounding``), keeps the weights in the 6-bit range and in [lo, hi], and writes.
    """

    def __init__(self, chip: Chip, program: PlasticityProgram) -> None:
        self._chip = chip
        self._program = program
        self.params = program.params
        self.memory = program.memory
        self.step = chip.step
        self.t_ms = chip.t
        self.execution = program.executions
        self.period_ms = program.period_step * chip.dt

    @property
    def n(self) -> int:
        return int(self._program.syn_ids.size)

    def read_correlations(self, reset: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(causal, acausal) per synapse since the last read, in units of the exact
        nearest-neighbour sum of exp(-dt/tau) (codes converted back with the nominal gain)."""
        return self._chip.read_sensors(self._program.syn_ids, reset=reset,
                                       counts=self._program.adc)

    def weights(self) -> np.ndarray:
        return self._chip.weights(self._program.syn_ids)

    @property
    def weight_range(self) -> tuple[float, float]:
        """The weights these synapses can hold (signed PyNN units: 0 .. max code steps)."""
        top = self._chip.config.max_weight_code * self._program.lsb
        return (0.0, top) if self._program.sign > 0 else (-top, 0.0)

    def write_weights(self, values: ArrayLike, lo: float | None = None,
                      hi: float | None = None) -> np.ndarray:
        """Round, bound and write; returns what the chip holds now."""
        held = self._chip.processor_weights(values, self._program.lsb, self._program.sign,
                                            lo, hi)
        self._chip.set_weights(self._program.syn_ids, held)
        return held
