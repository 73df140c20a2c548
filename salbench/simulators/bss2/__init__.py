"""BrainScaleS-2-style analog-hardware emulation as a PyNN backend module.

Use it like any PyNN backend::

    import salbench.simulators.bss2 as sim
    sim.setup(timestep=0.1, profile="bss2-ideal", rng_seed=1)

``setup`` keywords beyond PyNN's: ``profile`` (a name in ``backends/`` such as ``"bss2"``,
``"bss2-uncalibrated"``, ``"bss2-ideal"``, or a path to a TOML file; default: the calibrated
``bss2`` numbers, or the profile named by the environment variable ``SALBENCH_BSS2_PROFILE``),
``settings`` (a dict overriding single hardware settings: keys of a profile's
``[settings.hardware]``, e.g. ``{"synapse_gain_spread": 0.1}``), ``hardware`` (a
ready :class:`HardwareConfig`), ``rng_seed`` (temporal noise, Poisson sources, ADC read noise)
and ``chip_seed`` (the frozen fixed-pattern noise of the emulated chip).

On-chip plasticity during the run (the plasticity processor, kernel in Python/numpy):
``Timer(start=..., period=..., num_periods=...)``, a ``PlasticityRule`` subclass and
``PlasticSynapse(plasticity_rule=..., weight=...)``; SAL is
``salbench.plasticity.sal_synapse(sim, ...)``.  Sensor readings that clip in the 8-bit ADC
are counted: ``Projection.adc``, ``state.adc_clipped``.

Hardware time is exposed as ``sim.state.hardware_time_s`` (emulator wall time:
``sim.state.wall_time_s``).  Plasticity: ``Projection.read_correlations()``,
``Projection.get_integer_weights()``, ``Projection.set_integer_weights()``.  Per-cell temporal
membrane noise (the emulator's stand-in for a white noise current, which the chip lacks):
``set_membrane_noise(population, mV_per_sqrt_ms)`` with
``white_current_noise_mV_per_sqrt_ms(std_nA, dt_ms, cm_nF, tau_m_ms)``.

This module and its populations, projections, recording and simulator modules are a thin PyNN
shell, as ``pyNN.nest`` is over NEST: the emulated chip itself is
:class:`salbench.simulators.bss2.kernel.Chip` (no PyNN inside), which owns every array of the
network; ``sim.state.chip`` is the chip of the current network.
"""

from __future__ import annotations

import os
from typing import Any

from pyNN import common, errors, random, space  # noqa: F401
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_TIMESTEP  # noqa: F401
from pyNN.connectors import (  # noqa: F401
    AllToAllConnector,
    ArrayConnector,
    CloneConnector,
    CSAConnector,
    DisplacementDependentProbabilityConnector,
    DistanceDependentProbabilityConnector,
    FixedNumberPostConnector,
    FixedNumberPreConnector,
    FixedProbabilityConnector,
    FixedTotalNumberConnector,
    FromFileConnector,
    FromListConnector,
    IndexBasedProbabilityConnector,
    OneToOneConnector,
)
from pyNN.connectors import SmallWorldConnector as _PyNNSmallWorldConnector
from pyNN.network import Network  # noqa: F401
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import get_io
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from . import simulator
from .hardware import HardwareConfig, HardwareLimitError, load_profile  # noqa: F401
from .noise import (  # noqa: F401
    get_membrane_noise,
    set_membrane_noise,
    white_current_noise_mV_per_sqrt_ms,
)
from .plastic import PlasticityRule, PlasticSynapse, Timer  # noqa: F401
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .projections import Projection
from .simulator import state
from .standardmodels import (  # noqa: F401
    IF_cond_exp,
    IF_curr_exp,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
    unsupported,
)


class SmallWorldConnector(_PyNNSmallWorldConnector):
    """PyNN's SmallWorldConnector, which PyNN defines but implements for no backend: building
    a projection with it raises NotImplementedError (as on pyNN.nest), here with the way out."""

    def connect(self, projection: Any) -> None:
        raise NotImplementedError(
            "SmallWorldConnector is defined by PyNN but implemented for no backend (pyNN.nest "
            "raises NotImplementedError too); build the edge list yourself and use "
            "FromListConnector")


PROFILE_ENV = "SALBENCH_BSS2_PROFILE"   # profile used by setup() when none is given

_NO_STDP = ("the chip has no STDP synapse: its plasticity is the per-synapse correlation "
            "sensors, read by the on-chip plasticity processor during the run "
            "(PlasticSynapse(plasticity_rule=<a PlasticityRule with a Timer>); SAL: "
            "salbench.plasticity.sal_synapse(sim, ...)) or by the host between runs "
            "(Projection.read_correlations(), set_integer_weights(), set_weight_matrix())")
_ONLY_STATIC = "only StaticSynapse and PlasticSynapse exist on the chip"
_ONLY_LIF = "use IF_cond_exp or IF_curr_exp"
_NO_CURRENTS = "use i_offset (a constant current) or on-chip SpikeSourcePoisson background"
_NO_PSR = ("the chip's neurons have fixed exponential synapses; use IF_cond_exp or "
           "IF_curr_exp with receptor_type 'excitatory'/'inhibitory'")

STDPMechanism = unsupported("STDPMechanism", _NO_STDP)
SpikePairRule = unsupported("SpikePairRule", _NO_STDP)
Vogels2011Rule = unsupported("Vogels2011Rule", _NO_STDP)
AdditiveWeightDependence = unsupported("AdditiveWeightDependence", _NO_STDP)
MultiplicativeWeightDependence = unsupported("MultiplicativeWeightDependence", _NO_STDP)
AdditivePotentiationMultiplicativeDepression = unsupported(
    "AdditivePotentiationMultiplicativeDepression", _NO_STDP)
GutigWeightDependence = unsupported("GutigWeightDependence", _NO_STDP)
TsodyksMarkramSynapse = unsupported("TsodyksMarkramSynapse", _ONLY_STATIC)
StochasticTsodyksMarkramSynapse = unsupported("StochasticTsodyksMarkramSynapse", _ONLY_STATIC)
SimpleStochasticSynapse = unsupported("SimpleStochasticSynapse", _ONLY_STATIC)
MultiQuantalSynapse = unsupported("MultiQuantalSynapse", _ONLY_STATIC)
ElectricalSynapse = unsupported("ElectricalSynapse", _ONLY_STATIC)
PointNeuron = unsupported("PointNeuron", _ONLY_LIF)
LIF = unsupported("LIF", _ONLY_LIF)
AdExp = unsupported("AdExp", _ONLY_LIF)
GIF_cond_exp = unsupported("GIF_cond_exp", _ONLY_LIF)
IF_facets_hardware1 = unsupported("IF_facets_hardware1", _ONLY_LIF)
MultiCompartmentNeuron = unsupported("MultiCompartmentNeuron", "point neurons only; "
                                     + _ONLY_LIF)
CondExpPostSynapticResponse = unsupported("CondExpPostSynapticResponse", _NO_PSR)
CondAlphaPostSynapticResponse = unsupported("CondAlphaPostSynapticResponse", _NO_PSR)
CondBetaPostSynapticResponse = unsupported("CondBetaPostSynapticResponse", _NO_PSR)
CurrExpPostSynapticResponse = unsupported("CurrExpPostSynapticResponse", _NO_PSR)
ExpPSR = unsupported("ExpPSR", _NO_PSR)
AlphaPSR = unsupported("AlphaPSR", _NO_PSR)
BetaPSR = unsupported("BetaPSR", _NO_PSR)
SpikeSourcePoissonRefractory = unsupported(
    "SpikeSourcePoissonRefractory", "use SpikeSourcePoisson (no dead time) or SpikeSourceArray")
IF_curr_alpha = unsupported("IF_curr_alpha", _ONLY_LIF)
IF_cond_alpha = unsupported("IF_cond_alpha", _ONLY_LIF)
IF_curr_delta = unsupported("IF_curr_delta", _ONLY_LIF)
IF_cond_exp_gsfa_grr = unsupported("IF_cond_exp_gsfa_grr", _ONLY_LIF)
EIF_cond_exp_isfa_ista = unsupported("EIF_cond_exp_isfa_ista", _ONLY_LIF)
EIF_cond_alpha_isfa_ista = unsupported("EIF_cond_alpha_isfa_ista", _ONLY_LIF)
HH_cond_exp = unsupported("HH_cond_exp", _ONLY_LIF)
Izhikevich = unsupported("Izhikevich", _ONLY_LIF)
SpikeSourceGamma = unsupported("SpikeSourceGamma", "use SpikeSourcePoisson or SpikeSourceArray")
SpikeSourceInhGamma = unsupported("SpikeSourceInhGamma", "use SpikeSourceArray")
DCSource = unsupported("DCSource", _NO_CURRENTS)
ACSource = unsupported("ACSource", _NO_CURRENTS)
StepCurrentSource = unsupported("StepCurrentSource", _NO_CURRENTS)
NoisyCurrentSource = unsupported(
    "NoisyCurrentSource",
    "for white noise per cell use set_membrane_noise(population, "
    "white_current_noise_mV_per_sqrt_ms(stdev, dt, cm, tau_m)) (emulator only), or on-chip "
    "SpikeSourcePoisson background")


# ----------------------------------------------------------------------------- control ----
def setup(timestep: float = DEFAULT_TIMESTEP, min_delay: float | str = "auto",
          max_delay: float | None = None, *, profile: str | None = None,
          settings: dict[str, Any] | None = None, hardware: HardwareConfig | None = None,
          rng_seed: int | None = None, chip_seed: int | None = None,
          substitute_delays: bool | None = None, spike_precision: str = "on_grid",
          **extra_params: Any) -> int:
    """Initialise the emulated chip; returns the MPI rank (always 0).

    Delays: every synapse has the chip's one delay (the profile's ``synaptic_delay_ms``;
    the chip's own is one time step); ``min_delay`` and every synaptic delay must be
    ``"auto"``/omitted or equal to it, unless ``substitute_delays=True`` (or the hardware
    setting ``substitute_delays``): then other delays run with the chip's delay, with one
    warning per setup, and are listed in ``state.delay_substitutions``.  Spikes are on the
    time grid: ``spike_precision`` must be ``"on_grid"``.  Other keyword arguments of other
    backends are accepted and ignored.
    """
    if spike_precision != "on_grid":
        raise HardwareLimitError(
            f"bss2: spike_precision={spike_precision!r} is not supported: the chip's spikes "
            f"are on the time grid ({timestep} ms); use spike_precision='on_grid' "
            "(SpikeSourceArray times are then delivered at the nearest time step, with a "
            "warning) or a smaller timestep.")
    if hardware is not None:
        config = hardware if not settings else hardware.replace(**settings)
    elif profile is not None or os.environ.get(PROFILE_ENV):
        config = load_profile(profile or os.environ[PROFILE_ENV], **(settings or {}))
    else:
        config = HardwareConfig.from_settings(settings or {})
    if chip_seed is not None:
        config = config.replace(chip_seed=int(chip_seed))
    if substitute_delays is not None:
        config = config.replace(substitute_delays=bool(substitute_delays))
    delay = config.delay_steps(float(timestep)) * float(timestep)
    state.delay_substitutions = []
    state.spike_time_warned = False
    substitute = (min_delay != "auto" and min_delay is not None
                  and abs(float(min_delay) - delay) > 1e-9)
    if substitute and not config.substitute_delays:
        raise HardwareLimitError(
            f"bss2: min_delay={min_delay} ms is not supported: the chip has no configurable "
            f"delays (every synapse has {delay:g} ms, the profile's synaptic_delay_ms or one "
            f"time step = {timestep} ms); omit min_delay, or use "
            "setup(..., substitute_delays=True) to run with the chip's delay instead.")
    common.setup(timestep, delay, **extra_params)
    state.dt = float(timestep)
    state.min_delay = delay
    state.max_delay = delay
    state.segment_counter = -1
    state.configure(config, 12345 if rng_seed is None else int(rng_seed))
    if substitute:
        simulator.substitute_delay(float(min_delay), delay, "setup(min_delay=...)")
    return 0


def end(compatible_output: bool = True) -> None:
    """Write data requested with record(..., to_file=...) and clean up."""
    for population, variables, filename in state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)


def get_hardware_time() -> float:
    """Emulated hardware time in seconds (runs + per-run and per-update overheads)."""
    return state.hardware_time_s


# ------------------------------------------------------------------------ procedural API --
create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(simulator)


def record_v(source: Population | PopulationView | Assembly | simulator.ID,
             filename: str | None) -> None:
    return record(["v"], source, filename)


def record_gsyn(source: Population | PopulationView | Assembly | simulator.ID,
                filename: str | None) -> None:
    return record(["gsyn_exc", "gsyn_inh"], source, filename)


def list_standard_models() -> list[str]:
    """Names of the standard cell types this backend realises."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and obj is not StandardCellType]
