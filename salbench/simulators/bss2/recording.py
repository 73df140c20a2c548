"""Recording of spikes and analog traces (v, gsyn/isyn) into neo via pyNN.recording.

Clearing follows PyNN's semantics (``pyNN.recording.Recorder.get``, ``pyNN.nest``):
``get_data(clear=True)`` returns every requested variable of the segment, and then PyNN's
``Recorder.clear`` discards everything recorded so far, for all variables.  PyNN reads the
variables in the order of a set (which depends on PYTHONHASHSEED and object addresses) and
passes ``clear`` to each read, so here every variable is read first and cleared after all
reads (``_get_current_segment``), and a read with ``clear`` clears only its own variable.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import neo
import numpy as np
from numpy.typing import NDArray
from pyNN import recording
from pyNN.recording import Variable

from . import simulator
from .kernel.chip import _VAR_CODE

#: PyNN's recordable state variables -> the chip's
_CHIP_VARIABLE = {"v": "v", "gsyn_exc": "ge", "isyn_exc": "ge", "gsyn_inh": "gi",
                  "isyn_inh": "gi"}


class Recorder(recording.Recorder):
    _simulator = simulator
    sampling_interval: float     # set by PyNN's Recorder.__init__ (ms)

    def _get_current_segment(self, filter_ids: Collection[int] | None = None,
                             variables: str | Collection[Variable] = "all",
                             clear: bool = False) -> neo.Segment:
        """PyNN's segment of the data since the last clearing, every variable read before
        any is cleared (with ``clear``: the variables read, of the cells read)."""
        segment = super()._get_current_segment(filter_ids=filter_ids, variables=variables,
                                               clear=False)
        if clear:
            read = set(self.recorded)
            if variables != "all":
                read &= set(variables)
            for variable in read:
                self._clear_variable(variable, sorted(self.filter_recorded(variable,
                                                                           filter_ids)))
        return segment

    def _clear_variable(self, variable: Variable, ids: Iterable[int]) -> None:
        """Forget the recorded data of one variable of the cells ``ids`` (only that one)."""
        chip = simulator.state.chip
        nodes = np.array([int(i) for i in ids], dtype=np.int64)
        if variable.name == "spikes":
            chip.clear_spikes(nodes)
            chip.forget_pending_spikes(nodes)
            return
        for slot in chip.neuron_slots(nodes):
            chip.clear_trace(slot, _CHIP_VARIABLE[variable.name])

    def _record(self, variable: Variable, new_ids: Collection[simulator.ID],
                sampling_interval: float | None = None) -> None:
        if not new_ids:
            return
        nodes = np.array(sorted(int(i) for i in new_ids), dtype=np.int64)
        state = simulator.state
        chip = state.chip
        if variable.name == "spikes":
            chip.record_spikes(nodes, True)
            return
        interval = sampling_interval or self.sampling_interval
        every = int(round(interval / state.dt))
        if every < 1 or abs(every * state.dt - interval) > 1e-9:
            raise ValueError(f"bss2: sampling_interval {interval} ms must be a multiple of "
                             f"the time step {state.dt} ms")
        self.sampling_interval = every * state.dt
        chip.record_analog(chip.neuron_slots(nodes), _CHIP_VARIABLE[variable.name], every)

    def _get_spiketimes(self, ids: Sequence[simulator.ID], clear: bool = False
                        ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        state = simulator.state
        id_nodes = np.array([int(i) for i in ids], dtype=np.int64)
        nodes, steps = _spikes_until_now(state.chip)
        mask = np.isin(nodes, id_nodes)
        start_step = int(round(float(self._recording_start_time.rescale("ms").magnitude)
                               / state.dt))
        mask &= steps >= start_step
        id_array = nodes[mask]
        times = steps[mask].astype(float) * state.dt
        order = np.lexsort((times, id_array))
        if clear:
            state.chip.clear_spikes(id_nodes)   # the spikes only, not the cells' traces
            state.chip.forget_pending_spikes(id_nodes)
        return id_array[order], times[order]

    def _get_all_signals(self, variable: Variable, ids: Sequence[simulator.ID],
                         clear: bool = False) -> tuple[NDArray[np.float64], None]:
        chip = simulator.state.chip
        var = _CHIP_VARIABLE[variable.name]
        slots = chip.neuron_slots(np.array([int(i) for i in ids], dtype=np.int64))
        columns = [_with_final_sample(chip, int(slot), var) for slot in slots]
        n = max((len(c) for c in columns), default=0)
        data = np.full((n, len(columns)), np.nan)
        for k, column in enumerate(columns):
            if len(column):
                data[n - len(column):, k] = column       # later-recorded columns start later
        if clear:
            self._clear_variable(variable, ids)
        return data, None

    def _local_count(self, variable: Variable, filter_ids: Collection[int] | None = None
                     ) -> dict[int, int]:
        state = simulator.state
        ids = sorted(int(i) for i in self.filter_recorded(variable, filter_ids))
        nodes, steps = _spikes_until_now(state.chip)
        start_step = int(round(float(self._recording_start_time.rescale("ms").magnitude)
                               / state.dt))
        nodes = nodes[steps >= start_step]
        counts = np.bincount(nodes, minlength=state.chip.n_nodes) if nodes.size else None
        return {i: int(counts[i]) if counts is not None else 0 for i in ids}

    def _clear_simulator(self) -> None:
        nodes = self.population.all_cells.astype(np.int64)
        simulator.state.chip.clear_recorded(nodes)
        simulator.state.chip.forget_pending_spikes(nodes)

    def _reset(self) -> None:
        simulator.state.chip.stop_recording(self.population.all_cells.astype(np.int64))


def _spikes_until_now(chip: Any) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The recorded spikes and (PyNN's spike trains include t_stop, as pyNN.nest's on the
    grid) those of the last step, stamped with the current time, which the chip records when
    the next run starts: (node array, step array)."""
    nodes, steps = chip.recorded_spikes()
    pending_nodes, pending_steps = chip.pending_spikes()
    if not pending_nodes.size:
        return nodes, steps
    return np.concatenate([nodes, pending_nodes]), np.concatenate([steps, pending_steps])


def _with_final_sample(chip: Any, slot: int, var: str) -> np.ndarray:
    """A neuron's recorded samples, and (PyNN's signals include t_stop, as pyNN.nest's) the
    state at the current time when a sample falls on it: the chip records the state at the
    start of each sampled step, so that sample is the first of the next run."""
    samples = chip.trace(slot, var)
    every = chip.rec_every or 1
    if samples.size and chip.step % every == 0 and (slot, _VAR_CODE[var]) in \
            chip.analog_columns:
        samples = np.append(samples, getattr(chip, var)[slot])
    return samples
