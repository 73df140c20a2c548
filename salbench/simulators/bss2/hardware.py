"""The BrainScaleS-2-style hardware model: a typed, validated configuration and limit checks.

Every number of the hardware model is a field of :class:`HardwareConfig`; the TOML profiles in
``backends/bss2*.toml`` hold them in their ``[settings]`` table.  The dataclass defaults equal
the calibrated ``bss2`` profile.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = [
    "HardwareConfig",
    "HardwareLimitError",
    "load_profile",
    "profile_path",
    "ADAPTER_KEYS",
]


#: keys of a profile's [settings] read by salbench's adapter (salbench.backends.bss2), not by
#: the hardware model; load_profile skips them so one TOML serves both
ADAPTER_KEYS = frozenset({"profile", "timestep_ms", "unit", "vary_chip"})


class HardwareLimitError(ValueError):
    """A network or parameter exceeds what the emulated chip can represent."""


@dataclass(frozen=True)
class HardwareConfig:
    """All numbers of the hardware model.  Units are in the field names."""

    # --- time -------------------------------------------------------------------------------
    acceleration: float = 1000.0          # biological time / hardware time
    run_overhead_s: float = 0.02          # per run() call (configuration, trigger, read-out)
    update_overhead_s: float = 0.0005     # per weight write or sensor read of one projection
    # --- size limits ------------------------------------------------------------------------
    max_neurons: int = 512                # neurons per chip
    max_fan_in: int = 256                 # synapse rows per neuron (distinct source x sign)
    # --- synapses ---------------------------------------------------------------------------
    weight_bits: int = 6                  # integer weight 0 .. 2**bits - 1, sign per projection
    weight_lsb_uS: float = 0.0005         # conductance of one weight step (IF_cond_exp)
    weight_lsb_nA: float = 0.02           # current of one weight step (IF_curr_exp)
    quantise_weights: bool = True         # round PyNN weights to the integer grid
    # how the plasticity processor rounds the weights it writes (Projection.set_weight_matrix):
    # "nearest", or "stochastic" (up with probability = the fraction, so updates smaller than
    # one step survive on average); static PyNN weights are always rounded to nearest
    processor_rounding: str = "stochastic"
    synapse_gain_spread: float = 0.05     # relative std of the frozen per-synapse gain
    # --- neuron fixed-pattern noise (frozen per neuron circuit, residual after calibration) --
    fpn_v_rest_mV: float = 0.6            # absolute std
    fpn_v_thresh_mV: float = 0.6
    fpn_v_reset_mV: float = 0.6
    fpn_e_rev_mV: float = 0.6
    fpn_tau_m_rel: float = 0.03           # relative std
    fpn_tau_syn_rel: float = 0.03
    fpn_tau_refrac_rel: float = 0.03
    fpn_cm_rel: float = 0.015
    fpn_clip_sigma: float = 3.0           # draws are truncated at this many standard deviations
    # --- temporal noise -----------------------------------------------------------------------
    # white noise added to every neuron's v, amp * sqrt(h) * N(0, 1) per step h: the chip's
    # small intrinsic temporal noise, the same for all neurons.  Per-cell extra noise (e.g. the
    # equivalent of NEST's white noise_generator current) comes from noise.set_membrane_noise
    # and adds in quadrature.  A real BrainScaleS-2 has no user-settable per-neuron white-noise
    # current generator (as far as is publicly known: only a constant offset current per neuron
    # and on-chip Poisson background spike sources; sampling uses those or spiking noise
    # networks), so such per-cell fast current noise is an emulator-only idealisation.
    membrane_noise_mV_per_sqrt_ms: float = 0.1
    # --- correlation sensors ------------------------------------------------------------------
    sensor_tau_ms: float | str = "tau_refrac"   # a number, or "tau_refrac" of the post neuron
    sensor_amp_spread: float = 0.05       # relative std of the per-synapse sensor amplitude
    sensor_tau_spread: float = 0.05       # relative std of the per-synapse sensor time constant
    # --- ADC ----------------------------------------------------------------------------------
    adc_enabled: bool = True              # False: sensors are read exactly (no ADC)
    adc_bits: int = 8
    adc_codes_per_unit: float = 6.0       # nominal gain: codes per unit of exp(-dt/tau) sum
    adc_offset_codes: float = 8.0         # nominal offset (subtracted when converting back)
    adc_offset_spread_codes: float = 1.5  # frozen per-synapse offset deviation (std, codes)
    adc_gain_spread: float = 0.03         # frozen per-synapse relative gain deviation (std)
    adc_read_noise_codes: float = 0.7     # temporal read noise (std, codes)
    # --- identity of the emulated chip --------------------------------------------------------
    chip_seed: int = 20250301             # seeds all frozen (fixed-pattern) draws

    # ------------------------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None = None, **overrides: Any
                      ) -> HardwareConfig:
        """Build a validated config from a ``[settings]`` mapping (plus keyword overrides)."""
        values = dict(settings or {})
        values.update(overrides)
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"bss2: unknown hardware setting(s) {unknown}; "
                             f"valid settings are {sorted(known)}")
        kwargs = {name: _coerce(name, value, known[name].type) for name, value in values.items()}
        config = cls(**kwargs)
        config.validate()
        return config

    def replace(self, **changes: Any) -> HardwareConfig:
        """Return a validated copy with some settings changed."""
        return HardwareConfig.from_settings({**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> None:
        """Raise ValueError naming the first invalid setting."""
        positive = ["acceleration", "weight_lsb_uS", "weight_lsb_nA", "adc_codes_per_unit",
                    "fpn_clip_sigma"]
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"bss2: setting {name} must be > 0, got {getattr(self, name)}")
        non_negative = [f.name for f in fields(self)
                        if f.name.startswith(("fpn_", "adc_", "sensor_", "synapse_"))
                        and f.name not in ("sensor_tau_ms", "adc_enabled", "adc_bits")]
        non_negative += ["run_overhead_s", "update_overhead_s", "membrane_noise_mV_per_sqrt_ms"]
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"bss2: setting {name} must be >= 0, got {getattr(self, name)}")
        for name, low, high in [("max_neurons", 1, 1 << 20), ("max_fan_in", 1, 1 << 20),
                                ("weight_bits", 1, 16), ("adc_bits", 1, 16)]:
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"bss2: setting {name} must be in [{low}, {high}], got {value}")
        if self.processor_rounding not in ("nearest", "stochastic"):
            raise ValueError("bss2: setting processor_rounding must be 'nearest' or "
                             f"'stochastic', got {self.processor_rounding!r}")
        if isinstance(self.sensor_tau_ms, str):
            if self.sensor_tau_ms != "tau_refrac":
                raise ValueError("bss2: setting sensor_tau_ms must be a number (ms) or "
                                 f"'tau_refrac', got {self.sensor_tau_ms!r}")
        elif not self.sensor_tau_ms > 0:
            raise ValueError(f"bss2: setting sensor_tau_ms must be > 0, got {self.sensor_tau_ms}")
        for name in ("synapse_gain_spread", "fpn_tau_m_rel", "fpn_tau_syn_rel",
                     "fpn_tau_refrac_rel", "fpn_cm_rel", "sensor_amp_spread",
                     "sensor_tau_spread", "adc_gain_spread"):
            if getattr(self, name) * self.fpn_clip_sigma >= 1.0:
                raise ValueError(f"bss2: relative spread {name}={getattr(self, name)} times "
                                 f"fpn_clip_sigma={self.fpn_clip_sigma} must be < 1 "
                                 "(parameters would change sign)")

    # --- derived quantities ---------------------------------------------------------------------
    @property
    def max_weight_code(self) -> int:
        return (1 << self.weight_bits) - 1

    @property
    def max_adc_code(self) -> int:
        return (1 << self.adc_bits) - 1

    def weight_lsb(self, conductance_based: bool) -> float:
        return self.weight_lsb_uS if conductance_based else self.weight_lsb_nA

    def hardware_seconds(self, bio_ms: float) -> float:
        """Emulated chip time for ``bio_ms`` of biological time (without overheads)."""
        return bio_ms / 1000.0 / self.acceleration

    # --- limit checks ---------------------------------------------------------------------------
    def check_neuron_count(self, n_total: int) -> None:
        if n_total > self.max_neurons:
            raise HardwareLimitError(
                f"bss2: {n_total} neurons exceed the chip limit of max_neurons="
                f"{self.max_neurons}; use fewer neurons (spike sources do not count).")

    def check_fan_in(self, rows: int, label: str) -> None:
        if rows > self.max_fan_in:
            raise HardwareLimitError(
                f"bss2: a neuron of {label!r} needs {rows} synapse rows, more than the fan-in "
                f"limit max_fan_in={self.max_fan_in}; reduce the number of inputs per neuron.")

    def weight_codes(self, weights, conductance_based: bool, label: str):
        """Map PyNN weights (uS or nA; sign already checked) to integer codes 0..max."""
        import numpy as np

        lsb = self.weight_lsb(conductance_based)
        unit = "uS" if conductance_based else "nA"
        magnitude = np.abs(np.asarray(weights, dtype=float))
        codes = np.rint(magnitude / lsb)
        if codes.size and codes.max() > self.max_weight_code:
            worst = magnitude.max()
            raise HardwareLimitError(
                f"bss2: weight {worst:g} {unit} in {label!r} exceeds the {self.weight_bits}-bit "
                f"range (max {self.max_weight_code} x weight_lsb_{unit}={lsb:g} = "
                f"{self.max_weight_code * lsb:g} {unit}); scale weights down or raise "
                f"weight_lsb_{unit}.")
        return codes.astype(np.int64)


def _coerce(name: str, value: Any, annotation: Any) -> Any:
    kind = str(annotation)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"bss2: setting {name} must be true/false, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(f"bss2: setting {name} must be an integer, got {value!r}")
        return int(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"bss2: setting {name} must be a number, got {value!r}")
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"bss2: setting {name} must be a number or string, got {value!r}")
    return float(value)


def _profile_dirs() -> list[Path]:
    here = Path(__file__).resolve()
    package = here.parents[2]                      # salbench/
    return [package.parent / "backends", package / "_catalogue" / "backends"]


def profile_path(name: str) -> Path:
    """Path of a backend profile given its name (``bss2-ideal``) or a path to a TOML file."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    for directory in _profile_dirs():
        path = directory / f"{name}.toml"
        if path.exists():
            return path
    raise FileNotFoundError(f"bss2: no backend profile {name!r} in "
                            f"{[str(d) for d in _profile_dirs()]}")


def load_profile(name: str = "bss2", **overrides: Any) -> HardwareConfig:
    """Read a profile's ``[settings]`` table (by name or path) into a validated config."""
    path = profile_path(name)
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    backend = data.get("backend", {})
    if backend.get("adapter", "bss2") != "bss2":
        raise ValueError(f"bss2: profile {path} is for adapter {backend.get('adapter')!r}")
    settings = {k: v for k, v in data.get("settings", {}).items() if k not in ADAPTER_KEYS}
    return HardwareConfig.from_settings(settings, **overrides)
