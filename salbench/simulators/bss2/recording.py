"""Recording of spikes and analog traces (v, gsyn/isyn) into neo via pyNN.recording."""

from __future__ import annotations

import numpy as np
from pyNN import recording

from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def _record(self, variable, new_ids, sampling_interval=None):
        if not new_ids:
            return
        nodes = np.array(sorted(int(i) for i in new_ids), dtype=np.int64)
        state = simulator.state
        if variable.name == "spikes":
            state.set_spike_recording(nodes, True)
            return
        interval = sampling_interval or self.sampling_interval
        every = int(round(interval / state.dt))
        if every < 1 or abs(every * state.dt - interval) > 1e-9:
            raise ValueError(f"bss2: sampling_interval {interval} ms must be a multiple of "
                             f"the time step {state.dt} ms")
        self.sampling_interval = every * state.dt
        state.add_analog_recording(state.node_neuron[nodes], variable.name, every)

    def _get_spiketimes(self, ids, clear=False):
        state = simulator.state
        ids = np.array([int(i) for i in ids], dtype=np.int64)
        nodes, steps = state.recorded_spikes()
        mask = np.isin(nodes, ids)
        start_step = int(round(float(self._recording_start_time.rescale("ms").magnitude)
                               / state.dt))
        mask &= steps >= start_step
        id_array = nodes[mask]
        times = steps[mask].astype(float) * state.dt
        order = np.lexsort((times, id_array))
        if clear:
            state._clear_recordings(ids)
        return id_array[order], times[order]

    def _get_all_signals(self, variable, ids, clear=False):
        state = simulator.state
        code = {"v": 0, "gsyn_exc": 1, "isyn_exc": 1, "gsyn_inh": 2, "isyn_inh": 2}
        keys = [(int(state.node_neuron[int(i)]), code[variable.name]) for i in ids]
        columns = []
        for key in keys:
            chunks = state.analog_data.get(key, [])
            columns.append(np.concatenate(chunks) if chunks else np.zeros(0))
        n = max((len(c) for c in columns), default=0)
        data = np.full((n, len(columns)), np.nan)
        for k, column in enumerate(columns):
            if len(column):
                data[n - len(column):, k] = column       # later-recorded columns start later
        if clear:
            for key in keys:
                state.analog_data[key] = []
                state.analog_first_step[key] = None
        return data, None

    def _local_count(self, variable, filter_ids=None):
        state = simulator.state
        ids = sorted(int(i) for i in self.filter_recorded(variable, filter_ids))
        nodes, steps = state.recorded_spikes()
        start_step = int(round(float(self._recording_start_time.rescale("ms").magnitude)
                               / state.dt))
        nodes = nodes[steps >= start_step]
        counts = np.bincount(nodes, minlength=state.id_counter) if nodes.size else None
        return {i: int(counts[i]) if counts is not None else 0 for i in ids}

    def _clear_simulator(self):
        simulator.state._clear_recordings(self.population.all_cells.astype(np.int64))

    def _reset(self):
        simulator.state.remove_recordings(self.population.all_cells.astype(np.int64))
