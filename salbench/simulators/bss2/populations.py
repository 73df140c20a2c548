"""Population, PopulationView and Assembly of the bss2 emulation."""

from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify

from . import simulator
from .recording import Recorder

_STATE_TARGET = {"v": "v", "gsyn_exc": "ge", "isyn_exc": "ge", "gsyn_inh": "gi",
                 "isyn_inh": "gi"}


def _check_celltype(celltype) -> str:
    kind = getattr(celltype, "engine_kind", None)
    if kind is None:
        raise NotImplementedError(
            f"bss2: cell type {type(celltype).__name__} is not supported; use IF_cond_exp, "
            "IF_curr_exp, SpikeSourcePoisson or SpikeSourceArray from this module.")
    return kind


def _check_parameters(celltype, params: dict) -> None:
    for name in ("cm", "tau_m", "tau_syn_E", "tau_syn_I"):
        if name in params and np.any(np.asarray(params[name], dtype=float) <= 0):
            raise errors.InvalidParameterValueError(f"bss2: {name} must be > 0")
    if "tau_refrac" in params and np.any(np.asarray(params["tau_refrac"], float) < 0):
        raise errors.InvalidParameterValueError("bss2: tau_refrac must be >= 0")
    if "rate" in params and np.any(np.asarray(params["rate"], float) < 0):
        raise errors.InvalidParameterValueError("bss2: rate must be >= 0")


class Assembly(common.Assembly):
    _simulator = simulator


class _NativeAccess:
    """Shared parameter access for Population and PopulationView."""

    def _get_parameters(self, *names):
        celltype = self.celltype
        if any(name in celltype.computed_parameters() for name in names):
            native_names = celltype.get_native_names()
        else:
            native_names = celltype.get_native_names(*names)
        return celltype.reverse_translate(self._get_native_parameters(*native_names))


class PopulationView(_NativeAccess, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    @property
    def initial_values(self):
        """Initial values of the cells in this view (a snapshot; write with initialize())."""
        root = self.grandparent
        idx = self._root_index
        return {name: values[idx] for name, values in root._initial.items()}

    @property
    def _root_index(self) -> np.ndarray:
        return np.asarray(self.index_in_grandparent(np.arange(self.size)), dtype=np.int64)

    def _get_native_parameters(self, *names):
        root = self.grandparent
        idx = self._root_index
        values = {name: simplify(np.asarray(root._parameters[name])[idx]) for name in names}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        root = self.grandparent
        idx = self._root_index
        parameter_space.evaluate(simplify=False)
        values = parameter_space.as_dict()
        _check_parameters(self.celltype, values)
        for name, value in values.items():
            root._parameters[name][idx] = value
        root._parameters_changed()

    def _set_initial_value_array(self, variable, initial_values):
        root = self.grandparent
        root._store_initial(variable, initial_values.evaluate(simplify=False), self._root_index)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_NativeAccess, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        kind = _check_celltype(self.celltype)
        self._nodes = simulator.state.add_population(self, kind)
        self.all_cells = np.array([simulator.ID(int(n)) for n in self._nodes],
                                  dtype=simulator.ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = np.ones(self.size, dtype=bool)
        self._slots = simulator.state.node_neuron[self._nodes]
        parameter_space = self.celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        self._parameters = parameter_space.as_dict()
        _check_parameters(self.celltype, self._parameters)
        self._initial = {}
        # extra temporal membrane noise per cell (mV/sqrt(ms)), see noise.set_membrane_noise
        self._membrane_noise = np.zeros(self.size)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_native_parameters(self, *names):
        values = {name: simplify(self._parameters[name]) for name in names}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        values = parameter_space.as_dict()
        _check_parameters(self.celltype, values)
        for name, value in values.items():
            self._parameters[name] = value
        self._parameters_changed()

    def _parameters_changed(self):
        simulator.state.mark_dirty()

    def _set_initial_value_array(self, variable, initial_values):
        self._store_initial(variable, initial_values.evaluate(simplify=False),
                            np.arange(self.size))

    def _store_initial(self, variable, values, index):
        if variable not in _STATE_TARGET:
            raise errors.InvalidParameterValueError(
                f"bss2: cannot initialize {variable!r}; valid: v, gsyn_exc/gsyn_inh "
                "(IF_cond_exp), isyn_exc/isyn_inh (IF_curr_exp)")
        if self.celltype.engine_kind != "neuron":
            return
        stored = self._initial.setdefault(variable, np.zeros(self.size))
        stored[index] = np.broadcast_to(np.asarray(values, dtype=float), (len(index),))
        target = getattr(simulator.state, _STATE_TARGET[variable])
        target[self._slots[index]] = stored[index]

    def _apply_initial_values(self):
        for variable, values in self._initial.items():
            getattr(simulator.state, _STATE_TARGET[variable])[self._slots] = values
