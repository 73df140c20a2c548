"""SAL on NEST: salbench's compiled `salbench_sal_synapse` as a PyNN synapse type.

The model (models/salbench_sal_synapse.cpp) is compiled by `salbench prepare` (or on first
use) into the salbench cache and loaded into the kernel whenever a SAL projection is made,
since pyNN.nest's setup() resets the kernel and unloads modules (native-sal.md).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from salbench.plasticity import nest_build
from salbench.plasticity.nest_build import SYNAPSE_MODEL, SYNAPSE_MODEL_HOM, install_sal_module
from salbench.plasticity.params import parse

_CLASS: type | None = None


def _synapse_class() -> type:
    """The PyNN standard synapse type, made once (pyNN.nest must be importable)."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import nest
    from pyNN.nest.conversion import make_sli_compatible
    from pyNN.nest.synapses import NESTSynapseMixin
    from pyNN.standardmodels import StandardSynapseType, build_translations

    class SALSynapse(StandardSynapseType, NESTSynapseMixin):  # type: ignore[misc]
        """SAL, online, nearest-neighbour pairing, exponential window (salbench)."""

        default_parameters = {"weight": 0.0, "delay": None, "tau": 10.0, "eta": 0.001,
                              "a_causal": 1.0, "a_acausal": 1.0, "w_min": -1.0, "w_max": 1.0}
        # weight, eta and the bounds are in weight units: PyNN's µS (nA) are NEST's nS (pA).
        # tau, eta, w_min and w_max are the common properties of the projection's model
        # (one value per projection, as for NEST's *_hom synapses), and so are a_causal and
        # a_acausal when the synapse type gives one value of each for all synapses
        # (salbench_sal_synapse_hom; per-synapse values make salbench_sal_synapse): PyNN's
        # Projection.get cannot read those (KeyError), nor Projection.set change them;
        # nest.GetDefaults(projection.nest_synapse_model) has them in NEST units, and
        # salbench.plasticity.set_eta changes eta.
        translations = build_translations(
            ("weight", "weight", 1000.0),
            ("delay", "delay"),
            ("tau", "tau"),
            ("eta", "eta", 1000.0),
            ("a_causal", "a_causal"),
            ("a_acausal", "a_acausal"),
            ("w_min", "w_min", 1000.0),
            ("w_max", "w_max", 1000.0),
        )
        nest_name = SYNAPSE_MODEL

        def _get_nest_synapse_model(self) -> str:
            """The model of this synapse type's projections, its parameters the model's
            defaults. tau, eta, w_min and w_max are the model's common properties (one set
            per model, kept out of each connection), so two synapse types must not share a
            model (pyNN.nest would set every type's defaults on the one `<model>_lbl`): the
            first type in a kernel takes salbench's model itself (it is labelled, as PyNN
            needs), each later one a copy. Not a copy for each: every model NEST knows costs
            every device at every step (see the model source)."""
            # called for every Projection: re-installs after a sim.setup() reset the kernel
            install_sal_module(nest)
            # amplitudes the same for every synapse: the model keeps them, not each of its
            # connections (32 bytes instead of 48, read and written at every spike)
            hom = all(self.native_parameters[k].is_homogeneous
                      for k in ("a_causal", "a_acausal"))
            name = _model_for(nest, SYNAPSE_MODEL_HOM if hom else SYNAPSE_MODEL, id(self))
            defaults = {}
            for key, value in self.native_parameters.items():
                if value.is_homogeneous:
                    value.shape = (1,)
                    defaults[key] = value.evaluate(simplify=True)
            nest.SetDefaults(name, make_sli_compatible(defaults))
            return name

    _CLASS = SALSynapse
    return _CLASS


#: which synapse type (its id) holds each of salbench's models itself, and in which kernel
#: (the count of installs of the module: NEST unloads it at each kernel reset, so a new
#: install is a new kernel)
_OWNER: dict[str, int] = {}


def _model_for(nest: Any, model: str, owner: int) -> str:
    """The NEST model of synapse type `owner` (an id), of salbench's `model`: that model for
    the first type that asks in this kernel, `<model>_<id>` (copied once per kernel) for any
    other."""
    if _OWNER.get("installs") != nest_build.installs():
        _OWNER.clear()
        _OWNER["installs"] = nest_build.installs()
    if _OWNER.setdefault(model, owner) == owner:
        return model
    name = f"{model}_{owner:x}"
    if name not in nest.synapse_models:
        nest.CopyModel(model, name)
    return name


def install_after_setup(sim: ModuleType) -> None:
    """Install the SAL module now and after every later `sim.setup()`.

    NEST accepts modules only while the network is empty, and pyNN.nest's setup() resets the
    kernel, unloading them (native-sal.md). Wrapping the module's `setup` (once) re-installs
    right after each reset, before user code can create a population."""
    import nest

    setup = sim.setup
    if not getattr(setup, "_salbench_installs", False):
        def setup_and_install(*args: Any, **kwargs: Any) -> Any:
            out = setup(*args, **kwargs)
            install_sal_module(nest)
            return out

        setup_and_install._salbench_installs = True  # type: ignore[attr-defined]
        setup_and_install.__doc__ = setup.__doc__
        setattr(sim, "setup", setup_and_install)  # noqa: B010 (mypy: a module attribute)
    install_sal_module(nest)


def set_eta(projection: Any, eta: float) -> bool:
    """eta of a SAL projection: a common property of its model copy (PyNN's Projection.set
    refuses to change a common property once set)."""
    import nest

    if projection.synapse_type.__class__ is not _CLASS:
        return False
    native = eta * 1000.0  # PyNN's µS are NEST's nS
    nest.SetDefaults(projection.nest_synapse_model, {"eta": native})
    projection._common_synapse_properties["eta"] = native
    return True


def sal_synapse(sim: ModuleType, **parameters: Any) -> Any:
    """A SAL synapse type for pyNN.nest (see salbench.plasticity.sal_synapse). Call it after
    sim.setup() and before creating populations the first time (NEST loads modules only
    into an empty network); later setup() calls re-install by themselves."""
    params = parse(**parameters)
    install_after_setup(sim)
    return _synapse_class()(**params.pynn_parameters())
