"""Projection of the bss2 emulation: 6-bit signed-per-projection synapses with sensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from pyNN import common
from pyNN.connectors import Connector
from pyNN.models import BaseSynapseType
from pyNN.parameters import LazyArray, ParameterSpace
from pyNN.space import Space
from pyNN.standardmodels.synapses import StaticSynapse as _BaseStaticSynapse

from . import simulator
from .hardware import HardwareLimitError
from .kernel.processor import AdcCounts, AdcRead, PlasticityProgram, SynapseAccess
from .plastic import PlasticSynapse
from .standardmodels import StaticSynapse

if TYPE_CHECKING:
    from .populations import Assembly, Population, PopulationView


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population: Population | PopulationView | Assembly,
                 postsynaptic_population: Population | PopulationView | Assembly,
                 connector: Connector, synapse_type: BaseSynapseType | None = None,
                 source: str | None = None, receptor_type: str | None = None,
                 space: Space | None = None, label: str | None = None) -> None:
        space = Space() if space is None else space
        if synapse_type is not None and not isinstance(synapse_type, (_BaseStaticSynapse,
                                                                      PlasticSynapse)):
            raise NotImplementedError(
                f"bss2: {type(synapse_type).__name__} is not supported; the chip has "
                "StaticSynapse and PlasticSynapse(plasticity_rule=...), whose rule the "
                "chip's plasticity processor runs during the run (sim.PlasticityRule, "
                "sim.Timer; SAL: salbench.plasticity.sal_synapse(sim, ...)). Hosts may also "
                "read the sensors (Projection.read_correlations()) and write weights "
                "(Projection.set_integer_weights()) between runs.")
        if source is not None:
            raise NotImplementedError("bss2: the 'source' argument of Projection is not "
                                      "supported (point neurons only).")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space, label)
        state = simulator.state
        self._config = state.config
        self._label_text = self.label or f"projection {len(state.projections)}"
        self._conductance = bool(self.post.conductance_based)
        self._receptor_code = 0 if self.receptor_type == "excitatory" else 1
        if self.receptor_type not in ("excitatory", "inhibitory"):
            raise NotImplementedError(f"bss2: receptor_type {self.receptor_type!r} is not "
                                      "supported; use 'excitatory' or 'inhibitory'.")
        self._sign = -1.0 if (self._receptor_code == 1 and not self._conductance) else 1.0
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray,
                                 dict[str, np.ndarray]]] = []
        self.plasticity_rule = (synapse_type.plasticity_rule
                                if isinstance(synapse_type, PlasticSynapse) else None)
        #: the chip's processor program running the rule on this projection's synapses
        self.program: PlasticityProgram | None = None
        self._rule_params: dict[str, np.ndarray] = {}
        #: this projection's sensor readings through the ADC and how many clipped (host
        #: reads and its plasticity processor's); ``last_adc_read``: the latest host read
        self.adc = AdcCounts()
        self.last_adc_read: AdcRead | None = None
        connector.connect(self)
        self._finalise()
        state.projections.append(self)

    # ------------------------------------------------------------------------- construction --
    def __len__(self) -> int:
        return int(self._pre_idx.size) if hasattr(self, "_pre_idx") else 0

    def _convergent_connect(self, presynaptic_indices: ArrayLike,
                            postsynaptic_index: int | np.integer,
                            location_selector: Any = None,
                            **connection_parameters: Any) -> None:
        if location_selector is not None:
            raise NotImplementedError("bss2: multicompartment models are not supported.")
        pre = np.atleast_1d(np.asarray(presynaptic_indices, dtype=np.int64))
        n = pre.size
        weight = np.broadcast_to(np.asarray(connection_parameters.get("weight", 0.0),
                                            dtype=float), (n,))
        delay = connection_parameters.get("delay", simulator.state.min_delay)
        simulator.check_delay(delay, simulator.state.min_delay, self._label_text)
        rule_names = self._rule_parameter_names()
        extra = set(connection_parameters) - {"weight", "delay", *rule_names}
        if extra:
            raise NotImplementedError(f"bss2: synapse parameters {sorted(extra)} are not "
                                      "supported (StaticSynapse has weight and delay).")
        rule_values = {name: np.array(np.broadcast_to(np.asarray(
            connection_parameters[name], dtype=float), (n,))) for name in rule_names}
        self._chunks.append((pre, np.full(n, int(postsynaptic_index), np.int64),
                             weight.copy(), rule_values))

    def _finalise(self) -> None:
        """Place the connections gathered by the connector on the chip."""
        if self._chunks:
            self._pre_idx = np.concatenate([c[0] for c in self._chunks])
            self._post_idx = np.concatenate([c[1] for c in self._chunks])
            weights = np.concatenate([c[2] for c in self._chunks])
        else:
            self._pre_idx = np.zeros(0, np.int64)
            self._post_idx = np.zeros(0, np.int64)
            weights = np.zeros(0)
        self._rule_params = {name: (np.concatenate([c[3][name] for c in self._chunks])
                                    if self._chunks else np.zeros(0))
                             for name in self._rule_parameter_names()}
        del self._chunks
        chip = simulator.state.chip
        pre_nodes = np.asarray(self.pre.all_cells, dtype=np.int64)[self._pre_idx]
        post_nodes = np.asarray(self.post.all_cells, dtype=np.int64)[self._post_idx]
        held = self._chip_weights(weights)
        self._syn = chip.connect(pre_nodes, chip.neuron_slots(post_nodes), held,
                                 self.receptor_type, label=self.label or "projection")
        rule = self.plasticity_rule
        if rule is not None:
            rule.check_projection(self)
            self.program = PlasticityProgram(
                kernel=self._run_rule, timer=rule.timer, syn_ids=self._syn,
                lsb=self._config.weight_lsb(self._conductance), sign=self._sign,
                params=self._rule_params, label=self._label_text, adc=self.adc)
            chip.add_program(self.program)
            rule._attach(self)

    def _rule_parameter_names(self) -> list[str]:
        synapse_type = self.synapse_type
        return synapse_type.rule_parameter_names if isinstance(synapse_type,
                                                               PlasticSynapse) else []

    def _run_rule(self, access: SynapseAccess) -> None:
        assert self.plasticity_rule is not None
        self.plasticity_rule._execute(self, access)

    # ------------------------------------------------------------- the chip's view of it --
    @property
    def label_text(self) -> str:
        """The projection's label, or the name the chip gives it in messages."""
        return self._label_text

    @property
    def conductance_based(self) -> bool:
        return self._conductance

    @property
    def weight_sign(self) -> float:
        """+1, or -1 for an inhibitory projection onto current-based cells (PyNN's sign)."""
        return self._sign

    @property
    def weight_range(self) -> tuple[float, float]:
        """The PyNN weights the chip can hold on this projection (signed, uS or nA)."""
        top = self._config.max_weight_code * self._config.weight_lsb(self._conductance)
        return (0.0, top) if self._sign > 0 else (-top, 0.0)

    def sensor_tau_ms(self) -> np.ndarray:
        """The nominal time constant of each synapse's correlation sensors (ms)."""
        return simulator.state.chip.sensor_tau(self._syn)

    # ------------------------------------------------------------------------------ weights --
    def _chip_weights(self, weights: ArrayLike) -> np.ndarray:
        """The weights the chip holds for PyNN weights: checked against the sign of the row
        group and the weight range, quantised unless quantisation is off."""
        weights = np.asarray(weights, dtype=float)
        if np.any(np.isnan(weights)):
            raise ValueError(f"bss2: NaN weight for an existing synapse in {self._label_text!r}")
        if np.any(self._sign * weights < 0):
            kind = "negative" if self._sign > 0 else "positive"
            raise HardwareLimitError(
                f"bss2: {kind} weight in {self._label_text!r}: the sign is fixed per "
                f"projection by its receptor_type ({self.receptor_type} row group); use a "
                "separate projection for the other sign.")
        codes = self._config.weight_codes(weights, self._conductance, self._label_text)
        if self._config.quantise_weights:
            return self._sign * codes * self._config.weight_lsb(self._conductance)
        return weights.copy()

    def _set_weight_values(self, weights: ArrayLike) -> None:
        simulator.state.chip.set_weights(self._syn, self._chip_weights(weights))

    def _weight_values(self) -> np.ndarray:
        """The weights as the chip holds them (quantised unless quantisation is off)."""
        return simulator.state.chip.weights(self._syn)

    def _codes(self) -> np.ndarray:
        """The integer weights (for unquantised weights: the nearest integer)."""
        return self._config.weight_codes(self._weight_values(), self._conductance,
                                         self._label_text)

    def _get_attributes_as_list(self, names: Sequence[str]) -> list[tuple[Any, ...]]:
        columns = [self._attribute(name) for name in names]
        return list(zip(*[c.tolist() for c in columns], strict=True))

    def _get_attributes_as_arrays(self, names: Sequence[str], multiple_synapses: str = "sum"
                                  ) -> list[np.ndarray]:
        result = []
        for name in names:
            name = name[:-1] if name in ("weights", "delays") else name
            values = self._attribute(name)
            out = np.full((self.pre.size, self.post.size), np.nan)
            if multiple_synapses == "sum" and name == "weight":
                out[self._pre_idx, self._post_idx] = 0.0
                np.add.at(out, (self._pre_idx, self._post_idx), values)
            elif multiple_synapses in ("first", "min"):
                order = np.arange(len(self))[::-1] if multiple_synapses == "first" else \
                    np.argsort(-values, kind="stable")
                out[self._pre_idx[order], self._post_idx[order]] = values[order]
            elif multiple_synapses == "max":
                order = np.argsort(values, kind="stable")
                out[self._pre_idx[order], self._post_idx[order]] = values[order]
            else:
                out[self._pre_idx, self._post_idx] = values
            result.append(out)
        return result

    def _attribute(self, name: str) -> np.ndarray:
        if name == "presynaptic_index":
            return self._pre_idx.copy()
        if name == "postsynaptic_index":
            return self._post_idx.copy()
        if name == "weight":
            return self._weight_values()
        if name == "delay":
            return np.full(len(self), simulator.state.min_delay)
        if name in self._rule_params:
            return self._rule_params[name].copy()
        raise NotImplementedError(f"bss2: synapse attribute {name!r} does not exist on the chip")

    def _set_attributes(self, parameter_space: ParameterSpace) -> None:
        for name, value in parameter_space.items():
            if name == "delay":
                simulator.check_delay(value.evaluate(simplify=True), simulator.state.min_delay,
                                      self._label_text)
                continue
            if name != "weight" and name not in self._rule_params:
                raise NotImplementedError(f"bss2: cannot set synapse attribute {name!r}")
            evaluated = value.evaluate(simplify=True)
            arr = np.asarray(evaluated, dtype=float)
            if arr.ndim == 0:
                new = np.full(len(self), float(arr))
            else:
                new = arr[self._pre_idx, self._post_idx]
            if name == "weight":
                self._set_weight_values(new)
            else:        # the program holds this array: change it in place
                self._rule_params[name][:] = new
        simulator.state.chip.count_update()

    def _set_initial_value_array(self, variable: str, initial_value: LazyArray) -> None:
        raise NotImplementedError("bss2: static synapses have no state variables to initialize")

    # --------------------------------------------------------- fast matrix access (host) --
    def set_weight_matrix(self, values: ArrayLike) -> None:
        """Write PyNN weights given as an (n_post, n_pre) array in one call (entries without
        a synapse are ignored); the same checks as ``set(weight=...)``, rounded the way the
        plasticity processor rounds (setting ``processor_rounding``)."""
        values = np.asarray(values, dtype=float)
        if values.shape != (self.post.size, self.pre.size):
            raise ValueError(f"bss2: set_weight_matrix expects shape (n_post, n_pre) = "
                             f"{(self.post.size, self.pre.size)}, got {values.shape}")
        chosen = values[self._post_idx, self._pre_idx]
        cfg = self._config
        chip = simulator.state.chip
        if cfg.quantise_weights and cfg.processor_rounding == "stochastic":
            chosen = chip.stochastic_round(chosen, cfg.weight_lsb(self._conductance))
        self._set_weight_values(chosen)
        chip.count_update()

    def get_weight_matrix(self) -> np.ndarray:
        """The weights as the chip holds them, (n_post, n_pre), 0 where no synapse exists
        (summed over multiple synapses of a pair)."""
        out = np.zeros((self.post.size, self.pre.size))
        np.add.at(out, (self._post_idx, self._pre_idx), self._weight_values())
        return out

    # ------------------------------------------------------------ the plasticity processor --
    def get_integer_weights(self) -> np.ndarray:
        """Integer weights (0..63) as an (n_post, n_pre) array; -1 where no synapse exists."""
        out = np.full((self.post.size, self.pre.size), -1, dtype=np.int64)
        out[self._post_idx, self._pre_idx] = self._codes()
        return out

    def set_integer_weights(self, codes: ArrayLike) -> None:
        """Write integer weights given as an (n_post, n_pre) array (entries without a synapse
        are ignored).  Values outside 0..2**weight_bits-1 raise HardwareLimitError."""
        codes = np.asarray(codes)
        if codes.shape != (self.post.size, self.pre.size):
            raise ValueError(f"bss2: set_integer_weights expects shape (n_post, n_pre) = "
                             f"{(self.post.size, self.pre.size)}, got {codes.shape}")
        values = codes[self._post_idx, self._pre_idx]
        if not np.all(np.isfinite(values)) or np.any(values != np.rint(values)):
            raise ValueError("bss2: set_integer_weights needs integer values")
        top = self._config.max_weight_code
        if values.size and (values.min() < 0 or values.max() > top):
            raise HardwareLimitError(
                f"bss2: integer weight outside 0..{top} in {self._label_text!r}: the chip has "
                f"{self._config.weight_bits}-bit weights; clip or rescale before writing.")
        lsb = self._config.weight_lsb(self._conductance)
        chip = simulator.state.chip
        chip.set_weights(self._syn, self._sign * values.astype(np.int64) * lsb)
        chip.count_update()

    def read_correlations(self, reset: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Read the causal and acausal correlation sensors through the ADC.

        Returns ``(causal, acausal)``, each an (n_post, n_pre) array in the units of the exact
        nearest-neighbour sum of exp(-|dt|/tau) (codes converted back with the nominal ADC gain
        and offset); NaN where no synapse exists, summed over multiple synapses of a pair.
        With ``reset`` the sensors are cleared afterwards.
        """
        chip = simulator.state.chip
        out = []
        read = chip.read_sensors(self._syn, reset=reset, counts=self.adc)
        self.last_adc_read = chip.last_adc_read
        for values in read:
            matrix = np.full((self.post.size, self.pre.size), np.nan)
            matrix[self._post_idx, self._pre_idx] = 0.0
            np.add.at(matrix, (self._post_idx, self._pre_idx), values)
            out.append(matrix)
        chip.count_update()
        return out[0], out[1]
