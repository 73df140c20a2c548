"""Population, PopulationView and Assembly of the bss2 emulation."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from collections.abc import Sequence as AbcSequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from pyNN import common, errors
from pyNN.models import BaseCellType
from pyNN.parameters import LazyArray, ParameterSpace, Sequence, simplify

from . import simulator
from .recording import Recorder

_STATE_TARGET = {"v": "v", "gsyn_exc": "ge", "isyn_exc": "ge", "gsyn_inh": "gi",
                 "isyn_inh": "gi"}


def _check_celltype(celltype: BaseCellType) -> str:
    kind = getattr(celltype, "engine_kind", None)
    if kind is None:
        raise NotImplementedError(
            f"bss2: cell type {type(celltype).__name__} is not supported; use IF_cond_exp, "
            "IF_curr_exp, SpikeSourcePoisson or SpikeSourceArray from this module.")
    return kind


def _check_parameters(celltype: BaseCellType, params: Mapping[str, Any]) -> None:
    for name in ("cm", "tau_m", "tau_syn_E", "tau_syn_I"):
        if name in params and np.any(np.asarray(params[name], dtype=float) <= 0):
            raise errors.InvalidParameterValueError(f"bss2: {name} must be > 0")
    if "tau_refrac" in params and np.any(np.asarray(params["tau_refrac"], float) < 0):
        raise errors.InvalidParameterValueError("bss2: tau_refrac must be >= 0")
    if "rate" in params and np.any(np.asarray(params["rate"], float) < 0):
        raise errors.InvalidParameterValueError("bss2: rate must be >= 0")
    if "spike_times" in params:
        _check_spike_times(params["spike_times"])


def _check_spike_times(sequences: Any) -> None:
    """PyNN's rule (increasing times, as pyNN.nest checks), and a warning, once per setup(),
    when a time is off the time grid: the chip delivers it at the nearest step."""
    dt = simulator.state.dt
    for seq in np.atleast_1d(np.asarray(sequences, dtype=object)).ravel():
        times = _times(seq)
        if np.any(np.diff(times) < 0):
            raise errors.InvalidParameterValueError(
                "Spike times given to SpikeSourceArray must be in increasing order")
        steps = np.rint(times / dt)
        off = np.abs(steps * dt - times) > 1e-9
        if np.any(off) and not simulator.state.spike_time_warned:
            simulator.state.spike_time_warned = True
            first = times[off][0]
            warnings.warn(
                f"bss2: SpikeSourceArray spike time {first:g} ms is not on the {dt:g} ms "
                f"time grid; the chip delivers it at {steps[off][0] * dt:g} ms (the nearest "
                "step; spikes are on the grid, spike_precision='on_grid').", UserWarning,
                stacklevel=2)


class Assembly(common.Assembly):
    _simulator = simulator


class _NativeAccess:
    """Shared parameter access for Population and PopulationView: the values live on the
    chip, the root Population translates."""

    # provided by PyNN's BasePopulation, which the classes using this mix-in derive from
    celltype: BaseCellType
    size: int

    def _get_parameters(self, *names: str) -> ParameterSpace:
        celltype = self.celltype
        if any(name in celltype.computed_parameters() for name in names):
            native_names = celltype.get_native_names()
        else:
            native_names = celltype.get_native_names(*names)
        return celltype.reverse_translate(self._get_native_parameters(*native_names))

    def _root_and_index(self) -> tuple[Population, np.ndarray]:
        raise NotImplementedError

    @property
    def chip_slots(self) -> np.ndarray:
        """The chip's neuron slots (circuits) of these cells, -1 for spike sources."""
        root, index = self._root_and_index()
        return root._slots[index]

    def _get_native_parameters(self, *names: str) -> ParameterSpace:
        root, index = self._root_and_index()
        values = {name: simplify(value)
                  for name, value in root._read_native(names, index).items()}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space: ParameterSpace) -> None:
        root, index = self._root_and_index()
        parameter_space.evaluate(simplify=False)
        values = parameter_space.as_dict()
        _check_parameters(self.celltype, values)
        root._write_native(values, index)


class PopulationView(_NativeAccess, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    @property
    def initial_values(self) -> dict[str, np.ndarray]:
        """Initial values of the cells in this view (a snapshot; write with initialize())."""
        root = self.grandparent
        return root._read_initial(self._root_index)

    @property
    def _root_index(self) -> np.ndarray:
        return np.asarray(self.index_in_grandparent(np.arange(self.size)), dtype=np.int64)

    def _root_and_index(self) -> tuple[Population, np.ndarray]:
        return self.grandparent, self._root_index

    def _set_initial_value_array(self, variable: str, initial_values: LazyArray) -> None:
        root = self.grandparent
        root._store_initial(variable, initial_values.evaluate(simplify=False), self._root_index)

    def _get_view(self, selector: slice | AbcSequence[int] | np.ndarray,
                  label: str | None = None) -> PopulationView:
        return PopulationView(self, selector, label)


class Population(_NativeAccess, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self) -> None:
        kind = _check_celltype(self.celltype)
        parameter_space = self.celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        params = parameter_space.as_dict()
        _check_parameters(self.celltype, params)
        chip = simulator.state.chip
        if kind == "neuron":
            self._nodes, self._slots = chip.create_neurons(
                self.size, params, conductance_based=bool(self.celltype.conductance_based))
        elif kind == "poisson":
            self._nodes = chip.create_poisson_sources(params["rate"], params["start"],
                                                      params["duration"])
        else:
            self._nodes = chip.create_spike_arrays([_times(seq)
                                                    for seq in params["spike_times"]])
        if kind != "neuron":
            self._slots = np.full(self.size, -1, np.int64)
        simulator.state.populations.append(self)
        self.all_cells = np.array([simulator.ID(int(n)) for n in self._nodes],
                                  dtype=simulator.ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = np.ones(self.size, dtype=bool)

    def _root_and_index(self) -> tuple[Population, np.ndarray]:
        return self, np.arange(self.size)

    def _get_view(self, selector: slice | AbcSequence[int] | np.ndarray,
                  label: str | None = None) -> PopulationView:
        return PopulationView(self, selector, label)

    # ------------------------------------------------ translation to and from the chip --
    def _read_native(self, names: AbcSequence[str], index: np.ndarray) -> dict[str, np.ndarray]:
        """Native parameter values of the cells ``index`` (one value per cell)."""
        chip = simulator.state.chip
        kind = self.celltype.engine_kind
        if kind == "neuron":
            return chip.neuron_params(self._slots[index], *names)
        if kind == "poisson":
            return chip.poisson_params(self._nodes[index], *names)
        sequences = np.empty(len(index), dtype=object)
        for k, times in enumerate(chip.spike_times(self._nodes[index])):
            sequences[k] = Sequence(times)
        return {name: sequences for name in names}

    def _write_native(self, values: Mapping[str, Any], index: np.ndarray) -> None:
        chip = simulator.state.chip
        kind = self.celltype.engine_kind
        if kind == "neuron":
            chip.set_neuron_params(self._slots[index], **values)
        elif kind == "poisson":
            chip.set_poisson_params(self._nodes[index], **values)
        elif "spike_times" in values:
            times = [_times(seq) for seq in np.broadcast_to(
                np.asarray(values["spike_times"], dtype=object), (len(index),))]
            chip.set_spike_times(self._nodes[index], times)

    def _set_initial_value_array(self, variable: str, initial_values: LazyArray) -> None:
        self._store_initial(variable, initial_values.evaluate(simplify=False),
                            np.arange(self.size))

    def _store_initial(self, variable: str, values: ArrayLike, index: np.ndarray) -> None:
        if variable not in _STATE_TARGET:
            raise errors.InvalidParameterValueError(
                f"bss2: cannot initialize {variable!r}; valid: v, gsyn_exc/gsyn_inh "
                "(IF_cond_exp), isyn_exc/isyn_inh (IF_curr_exp)")
        if self.celltype.engine_kind != "neuron":
            return
        values = np.broadcast_to(np.asarray(values, dtype=float), (len(index),))
        simulator.state.chip.initialize(self._slots[index], _STATE_TARGET[variable], values)

    def _read_initial(self, index: np.ndarray) -> dict[str, np.ndarray]:
        if self.celltype.engine_kind != "neuron":
            return {}
        chip = simulator.state.chip
        return {name: chip.initial_values(self._slots[index], _STATE_TARGET[name])
                for name in self.initial_values}


def _times(seq: Sequence | ArrayLike) -> np.ndarray:
    """Spike times (ms) of a PyNN Sequence (or an array-like)."""
    return np.asarray(getattr(seq, "value", seq), dtype=float).ravel()
