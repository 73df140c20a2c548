"""On-chip plasticity for PyNN scripts: a timer, a plasticity rule and a plastic synapse type.

The interface follows pynn-brainscales' (``Timer(start=..., period=..., num_periods=...)``, a
``PlasticityRule`` subclass holding the timer, a synapse type that takes the rule), with one
difference: the rule's kernel is a Python method, :meth:`PlasticityRule.kernel`, instead of
C++ code for the chip's processor.  The emulated processor runs it at every period of the
timer *during* ``sim.run()`` (kernel/processor.py has the exact timing semantics)::

    class Decay(sim.PlasticityRule):
        def kernel(self, access):                       # access: kernel.processor.SynapseAccess
            causal, acausal = access.read_correlations()  # through the ADC, clips counted
            access.write_weights(0.99 * access.weights())  # rounded to the 6-bit grid
            return {"weight": access.weights()}          # observables, see get_data()

    rule = Decay(timer=sim.Timer(start=0.0, period=10.0, num_periods=None))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.PlasticSynapse(plasticity_rule=rule, weight=0.01),
                         receptor_type="excitatory")

A rule may declare per-synapse parameters (``synapse_parameters``: name -> default); the
synapse type then takes them like PyNN parameters (a scalar, an array, a RandomDistribution),
connectors evaluate them per connection and the kernel gets them as ``access.params``.
One rule may serve several projections: each becomes one program of the processor (its
synapses share one sign and weight grid) with the rule's timer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from pyNN.standardmodels import StandardSynapseType, build_translations

from .kernel.processor import SynapseAccess, Timer
from .simulator import state

if TYPE_CHECKING:
    from .projections import Projection

__all__ = ["PlasticSynapse", "PlasticityRule", "Timer"]


class PlasticityRule:
    """Base class of on-chip plasticity rules: subclass it and override :meth:`kernel`.

    ``timer`` says when the processor runs the kernel; ``observables`` names what the kernel
    returns to be recorded at every execution (read with :meth:`get_data`).
    """

    #: per-synapse parameters of the rule (name -> default), set per connection
    synapse_parameters: ClassVar[dict[str, float]] = {}

    def __init__(self, timer: Timer, observables: Iterable[str] = ()) -> None:
        if not isinstance(timer, Timer):
            raise TypeError("bss2: a PlasticityRule needs a sim.Timer(start=..., period=..., "
                            "num_periods=...)")
        self.timer = timer
        self.observables = tuple(observables)
        self._projections: list[Projection] = []
        # one record per projection, in the order of _projections
        self._recorded: list[dict[str, list[Any]]] = []

    # -- what a subclass provides ---------------------------------------------------------
    def kernel(self, access: SynapseAccess) -> Mapping[str, ArrayLike] | None:
        """One execution on the synapses of one projection; may return observables."""
        return None

    def check_projection(self, projection: Projection) -> None:
        """Refuse a projection the rule cannot run on (ValueError naming the problem)."""

    # -- used by the projection and the processor -------------------------------------------
    def _attach(self, projection: Projection) -> None:
        self._projections.append(projection)
        self._recorded.append({"t_ms": []})

    def _execute(self, projection: Projection, access: SynapseAccess) -> None:
        observed = self.kernel(access) or {}
        if self.observables:
            record = self._record_of(projection)
            record["t_ms"].append(access.t_ms)
            for name in self.observables:
                if name not in observed:
                    raise KeyError(f"bss2: {type(self).__name__}.kernel did not return the "
                                   f"observable {name!r} it declared")
                record.setdefault(name, []).append(np.array(observed[name], dtype=float))

    @property
    def projections(self) -> list[Projection]:
        return list(self._projections)

    def get_data(self, projection: Projection | None = None) -> dict[str, np.ndarray]:
        """The recorded observables of one projection (the only one if not given):
        ``t_ms`` (executions) and each observable as an (executions, synapses) array, in
        the projection's connection order."""
        if projection is None:
            if len(self._projections) != 1:
                raise ValueError("bss2: this rule serves several projections; name one")
            projection = self._projections[0]
        record = self._record_of(projection)
        out = {"t_ms": np.asarray(record["t_ms"], dtype=float)}
        for name in self.observables:
            rows = record.get(name, [])
            out[name] = np.array(rows) if rows else np.zeros((0, len(projection)))
        return out

    def _record_of(self, projection: Projection) -> dict[str, list[Any]]:
        for prj, record in zip(self._projections, self._recorded, strict=True):
            if prj is projection:
                return record
        raise ValueError("bss2: the projection does not use this rule")

    def clear_data(self) -> None:
        for record in self._recorded:
            for key in record:
                record[key] = []


@cache
def _synapse_class(extra: tuple[tuple[str, float], ...]) -> type[PlasticSynapse]:
    """The plastic synapse type for a rule's per-synapse parameters (PyNN reads a synapse
    type's parameter names from its class)."""
    names = ("weight", "delay", *[name for name, _ in extra])
    return type("PlasticSynapse", (PlasticSynapse,), {
        "default_parameters": {"weight": 0.0, "delay": None, **dict(extra)},
        "translations": build_translations(*[(name, name) for name in names]),
        "__module__": __name__,
    })


class PlasticSynapse(StandardSynapseType):
    """A synapse whose weight the chip's plasticity processor changes with
    ``plasticity_rule``; parameters: ``weight``, ``delay`` and the rule's per-synapse ones."""

    default_parameters: ClassVar[dict[str, Any]] = {"weight": 0.0, "delay": None}
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def __new__(cls, plasticity_rule: PlasticityRule | None = None, **parameters: Any
                ) -> PlasticSynapse:
        if not isinstance(plasticity_rule, PlasticityRule):
            raise TypeError("bss2: PlasticSynapse needs plasticity_rule=<a sim.PlasticityRule>")
        extra = tuple(sorted(type(plasticity_rule).synapse_parameters.items()))
        return super().__new__(_synapse_class(extra))

    def __init__(self, plasticity_rule: PlasticityRule | None = None, **parameters: Any
                 ) -> None:
        unknown = sorted(set(parameters) - set(self.default_parameters))
        if unknown:
            raise ValueError(f"bss2: PlasticSynapse with {type(plasticity_rule).__name__} has "
                             f"no parameters {unknown}; it has "
                             f"{sorted(self.default_parameters)}")
        assert plasticity_rule is not None   # checked by __new__
        self.plasticity_rule = plasticity_rule
        super().__init__(**parameters)

    def _get_minimum_delay(self) -> float:
        return state.min_delay

    @property
    def rule_parameter_names(self) -> list[str]:
        return sorted(type(self.plasticity_rule).synapse_parameters)
