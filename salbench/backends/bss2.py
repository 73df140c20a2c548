"""The BrainScaleS-2-style emulation (salbench.simulators.bss2) as a salbench backend.

The network is the generic PyNN realisation, with the chip's own paths where it has them:
SAL reads the per-synapse correlation sensors through the ADC (`read_correlations`), weights
are written as 6-bit integers and read back rounded (`quantises_weights`), spikes and
weights move as whole matrices. A profile's `[settings]` holds the adapter's own keys; the
hardware model's numbers live apart, in `[settings.hardware]` (see
salbench/simulators/bss2/hardware.py):

    [settings]
    profile = "bss2"          # name recorded in provenance
    timestep_ms = 0.1         # emulator grid
    vary_chip = false         # true: every seed is a different chip (frozen mismatch drawn
                              # from the seed) instead of the profile's one chip_seed
    [settings.hardware]       # every number of the emulated chip (HardwareConfig's fields)
    max_fan_in = 256
    [settings.unit]           # LIF realisation defaults for this hardware; a scenario's own
    v_reset = -53.0           # params.unit values win

To change a hardware number, write a profile that extends a shipped one
(`[backend] extends = "bss2"` and only the keys that differ, see salbench.catalogue).
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import numpy as np

from salbench.backends.base import missing_module, simulator_seed
from salbench.backends.pynn import PyNNBackend
from salbench.realisation.network import PyNNSamplingNetwork, trains_by_unit
from salbench.spec.network import NetworkSpec
from salbench.timing import PhaseTimer
from salbench.versions import package_version

#: the adapter's keys of a profile's [settings]
ADAPTER_KEYS = ("profile", "timestep_ms", "unit", "vary_chip")
#: the [settings] table holding the hardware model's numbers
HARDWARE_TABLE = "hardware"
#: the hardware model's defaults for the size limits, used by the cheap preflight only
#: (importing the emulator costs seconds); the shipped profiles set both explicitly
_DEFAULT_LIMITS = {"max_neurons": 512, "max_fan_in": 256}
#: synapse rows per sampling unit besides the recurrent ones: its private excitatory and
#: inhibitory on-chip Poisson background source (one row each; the emulator counts them)
BACKGROUND_ROWS = 2


def hardware_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The part of a profile's settings that configures the emulated chip."""
    return dict(settings.get(HARDWARE_TABLE, {}))


def rows_per_unit(fan_in: int) -> int:
    """Synapse rows a sampling unit with `fan_in` recurrent inputs occupies: every input
    is realised in an excitatory and an inhibitory row group (the sign is fixed per row),
    plus the background rows."""
    return 2 * fan_in + BACKGROUND_ROWS


class Bss2SamplingNetwork(PyNNSamplingNetwork):
    """A sampling network on the emulated chip, learning through its sensors."""

    #: write_weights() must continue from the rounded weights the chip holds
    quantises_weights: ClassVar[bool] = True

    def __init__(self, host: Any, spec: NetworkSpec, *args: Any, **kwargs: Any) -> None:
        super().__init__(host, spec, *args, **kwargs)
        self._first_node = int(np.asarray(self.cells.all_cells, dtype=np.int64)[0])
        #: per read_correlations() call: (readings, clipped) over both row groups
        self.adc_log: list[tuple[int, int]] = []

    # -- sensors -------------------------------------------------------------------------
    def read_correlations(self) -> tuple[np.ndarray, np.ndarray]:
        """(causal, acausal) [post, pre] since the last read, in units of the exact
        nearest-neighbour sum of exp(-dt/tau_ref); NaN where no synapse exists.

        Every abstract synapse is two chip synapses (excitatory and inhibitory row) that see
        the same spikes through sensors with their own mismatch and ADC noise; the plasticity
        processor reads both and averages, as the chip's software would, which halves the
        variance of the independent read noise.
        """
        with self.timer.phase("readout"):
            exc = self.recurrent["excitatory"].read_correlations()
            inh = self.recurrent["inhibitory"].read_correlations()
        reads = [self.recurrent[k].last_adc_read for k in ("excitatory", "inhibitory")]
        self.adc_log.append((sum(r.readings for r in reads if r is not None),
                             sum(r.clipped for r in reads if r is not None)))
        return 0.5 * (exc[0] + inh[0]), 0.5 * (exc[1] + inh[1])

    def adc_counts(self) -> dict[str, float]:
        """Sensor readings of the recurrent synapses through the ADC, and how many clipped
        (totals over this network's reads)."""
        total = {"adc_readings": 0, "adc_clipped": 0}
        for prj in self.recurrent.values():
            total["adc_readings"] += prj.adc.readings
            total["adc_clipped"] += prj.adc.clipped
        readings = total["adc_readings"]
        return {**total, "adc_clipped_fraction": total["adc_clipped"] / readings
                if readings else 0.0}

    # -- weights -------------------------------------------------------------------------
    def set_weights(self, weights: np.ndarray) -> None:
        try:
            super().set_weights(weights)
        except self.sim.HardwareLimitError as err:
            raise self.sim.HardwareLimitError(self._range_message(weights, err)) from None

    def _range_message(self, weights: np.ndarray, err: Exception) -> str:
        """Restate a weight-range error in the protocol's abstract units."""
        if "bit range" not in str(err):
            return str(err)
        config = self.sim.simulator.state.config
        exc, inh = self.translation.conductances(np.where(self.spec.mask, weights, 0.0))
        excitatory = exc.max() >= inh.max()
        uS = exc if excitatory else inh
        post, pre = np.unravel_index(int(np.argmax(uS)), uS.shape)
        per_unit = (self.translation.exc_uS_per_unit if excitatory
                    else self.translation.inh_uS_per_unit)
        top = config.max_weight_code * config.weight_lsb_uS
        return (f"bss2: weight {weights[post, pre]:.4g} (abstract, synapse {pre} -> {post}) "
                f"exceeds the chip's {config.weight_bits}-bit range: max "
                f"{config.max_weight_code} x weight_lsb_uS={config.weight_lsb_uS:g} = {top:g} uS"
                f" = {top / per_unit:.4g} abstract units at {per_unit:.4g} uS per unit; lower "
                "the weights (or eta) or raise weight_lsb_uS")

    def write_weights(self, projection: Any, values_uS: np.ndarray) -> None:
        projection.set_weight_matrix(values_uS)

    def read_weights(self, projection: Any) -> np.ndarray:
        return projection.get_weight_matrix()

    # -- spikes --------------------------------------------------------------------------
    def read_spikes(self) -> list[np.ndarray]:
        # the emulator's merged (node, step) record: no neo objects per epoch
        chip = self.sim.simulator.state.chip
        nodes, steps = chip.recorded_spikes()
        index = nodes - self._first_node
        keep = (index >= 0) & (index < self.spec.n_units)
        index, times = index[keep], steps[keep] * chip.dt
        chip.clear_recorded()  # only the sampling units record on this chip
        return trains_by_unit(index, times, self.spec.n_units)


class Bss2Backend(PyNNBackend):
    #: its SAL synapse type (salbench.plasticity) realises plasticity = "online"
    online_sal = True
    name = "bss2"
    description = "BrainScaleS-2-style analog hardware emulation (salbench.simulators.bss2)"
    requires = ("pyNN", "numba")
    pynn_module = "salbench.simulators.bss2"
    simulator_dists = ("numba",)
    network_class = Bss2SamplingNetwork

    @classmethod
    def unavailable_reason(cls, settings: dict[str, Any] | None = None) -> str | None:
        return missing_module(cls.requires)  # the emulator ships with salbench

    @classmethod
    def check_settings(cls, settings: dict[str, Any]) -> str | None:
        """Adapter keys in [settings], the hardware model's in [settings.hardware]: a key in
        the wrong place or unknown, or a bad hardware number, is named (imports the hardware
        model, and with it the emulator: run and calibrate only)."""
        from salbench.simulators.bss2.hardware import HardwareConfig

        unknown = sorted(set(settings) - {*ADAPTER_KEYS, HARDWARE_TABLE})
        if unknown and unknown[0] in HardwareConfig.model_fields:
            return (f"hardware setting '{unknown[0]}' belongs in [settings.{HARDWARE_TABLE}], "
                    "not [settings]")
        if unknown:
            return (f"unknown setting '{unknown[0]}' in [settings]; the bss2 adapter reads "
                    f"{list(ADAPTER_KEYS)} and the [settings.{HARDWARE_TABLE}] table")
        hardware = settings.get(HARDWARE_TABLE, {})
        if not isinstance(hardware, dict):
            return f"settings.{HARDWARE_TABLE} must be a table ([settings.{HARDWARE_TABLE}])"
        try:
            HardwareConfig.from_settings(hardware, where=f"[settings.{HARDWARE_TABLE}]")
        except ValueError as err:
            return str(err).removeprefix("bss2: ")
        return None

    @classmethod
    def preflight(cls, settings: dict[str, Any], units: int, fan_in: int) -> str | None:
        hardware = hardware_settings(settings)
        max_neurons = int(hardware.get("max_neurons", _DEFAULT_LIMITS["max_neurons"]))
        max_fan_in = int(hardware.get("max_fan_in", _DEFAULT_LIMITS["max_fan_in"]))
        if units > max_neurons:
            return (f"{units} sampling units exceed the bss2 chip limit max_neurons="
                    f"{max_neurons} (background Poisson sources are on-chip sources and do "
                    "not count); use a smaller network")
        rows = rows_per_unit(fan_in)
        if rows > max_fan_in:
            return (f"a unit with {fan_in} inputs needs {rows} synapse rows (2 x {fan_in} "
                    f"excitatory+inhibitory + {BACKGROUND_ROWS} background), more than the "
                    f"bss2 fan-in limit max_fan_in={max_fan_in}; at most "
                    f"{(max_fan_in - BACKGROUND_ROWS) // 2} inputs per unit")
        return None

    def __init__(self, settings: dict[str, Any] | None = None,
                 timer: PhaseTimer | None = None) -> None:
        super().__init__(settings, timer)
        self._banked = {"hardware_time_s": 0.0, "wall_time_s": 0.0, "n_runs": 0,
                        "n_updates": 0, "adc_readings": 0, "adc_clipped": 0,
                        "adc_clipped_high": 0, "adc_clipped_low": 0,
                        "processor_executions": 0}
        self._live = False  # the emulator's state holds a network not yet banked

    @property
    def module_name(self) -> str:
        return self.pynn_module  # type: ignore[return-value]

    @property
    def profile_name(self) -> str:
        return str(self.settings.get("profile", "bss2"))

    def setup(self, seed: int) -> None:
        with self.timer.phase("import"):
            self.sim = importlib.import_module(self.module_name)
        with self.timer.phase("build"):
            self._bank()
            self._sim_seed = simulator_seed(seed)
            chip = None
            if self.settings.get("vary_chip", False):
                chip = simulator_seed(seed, "chip")
            self.sim.setup(timestep=self.timestep_ms, min_delay="auto",
                           settings=hardware_settings(self.settings),
                           rng_seed=self._sim_seed, chip_seed=chip,
                           substitute_delays=False)   # benchmarks: the strict delay rule
            self._live = True

    @property
    def delay_ms(self) -> float:
        # the chip's one delay: the profile's synaptic_delay_ms, at least one time step
        from salbench.simulators.bss2.hardware import HardwareConfig

        config = HardwareConfig.from_settings(hardware_settings(self.settings))
        return config.delay_steps(self.timestep_ms) * self.timestep_ms

    def current_noise(self, cells: Any, std_nA: float, dt_ms: float) -> list[Any]:
        """The chip has no current sources; the emulator's per-cell temporal membrane noise
        stands in for the white current (same free-membrane process at h = dt; an
        emulator-only idealisation, salbench.simulators.bss2.noise)."""
        def per_cell(name: str) -> np.ndarray:  # get() gives a scalar where homogeneous
            return np.broadcast_to(np.asarray(cells.get(name), dtype=float), (cells.size,))

        amp = [self.sim.white_current_noise_mV_per_sqrt_ms(std_nA, dt_ms, c, t, self.timestep_ms)
               for c, t in zip(per_cell("cm"), per_cell("tau_m"), strict=True)]
        self.sim.set_membrane_noise(cells, amp)
        return []

    def _bank(self) -> None:
        """Keep the counters of the network about to be discarded (setup clears them)."""
        if self._live:
            state = self.sim.simulator.state
            for key in self._banked:
                self._banked[key] += getattr(state, key)
            self._live = False

    def counters(self) -> dict[str, float]:
        """Hardware time, emulator wall time, runs and host accesses of every network built
        so far by this backend (protocols may rebuild)."""
        out = dict(self._banked)
        if self._live:
            state = self.sim.simulator.state
            for key in out:
                out[key] += getattr(state, key)
        return out

    def end(self) -> None:
        if getattr(self, "sim", None) is not None:
            self._bank()
            self.sim.end()

    def versions(self) -> dict[str, str]:
        return {"PyNN": package_version("PyNN"), "numba": package_version("numba"),
                "salbench (bss2 emulator)": package_version("salbench")}

    def extra_provenance(self) -> dict[str, Any]:
        config = self.sim.simulator.state.config if getattr(self, "sim", None) else None
        counters = self.counters()
        return {
            "pynn_module": self.module_name,
            "profile": self.profile_name,
            "simulator_seed": getattr(self, "_sim_seed", None),
            "chip_seed": config.chip_seed if config else None,
            "timestep_ms": self.timestep_ms,
            "delay_ms": self.delay_ms,
            "delay_semantics": ("one delay for every synapse (hardware synaptic_delay_ms; 0: "
                                "none, a spike acts from the next time step)"),
            # delays the emulator ran with the chip's instead (substitute_delays; none here)
            "delay_substitutions": (list(self.sim.simulator.state.delay_substitutions)
                                    if getattr(self, "sim", None) else []),
            "hardware_time_s": round(counters["hardware_time_s"], 6),
            "emulator_wall_time_s": round(counters["wall_time_s"], 6),
            "hardware_runs": counters["n_runs"],
            "hardware_updates": counters["n_updates"],
            # correlation-sensor readings through the 8-bit ADC, and those that saturated
            # (a clipped reading loses what the sensor held beyond full scale)
            "adc_readings": counters["adc_readings"],
            "adc_clipped": counters["adc_clipped"],
            "adc_clipped_high": counters["adc_clipped_high"],
            "adc_clipped_low": counters["adc_clipped_low"],
            "adc_clipped_fraction": (round(counters["adc_clipped"] / counters["adc_readings"], 6)
                                     if counters["adc_readings"] else 0.0),
            "processor_executions": counters["processor_executions"],
            "hardware": config.as_dict() if config else None,
            "unit_defaults": dict(self.settings.get("unit", {})),
            "unit": self.resolved_unit(),
            "calibration": self.calibration_used(),
        }
