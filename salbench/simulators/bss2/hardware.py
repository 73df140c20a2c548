"""The BrainScaleS-2-style hardware model: a typed, validated configuration and limit checks.

Every number of the hardware model is a field of :class:`HardwareConfig` (a frozen pydantic
model: unknown keys and out-of-range values are refused when it is built); the TOML profiles
in ``backends/bss2*.toml`` hold them in their ``[settings.hardware]`` table, apart from the
adapter's keys directly under ``[settings]``.  The field defaults equal the calibrated ``bss2``
profile.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from salbench.catalogue import catalogue_dirs, catalogue_files, load_backend_profile

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "HardwareConfig",
    "HardwareLimitError",
    "load_profile",
    "profile_path",
]


#: a neuron or synapse-row count of the chip model
Count = Annotated[PositiveInt, Field(le=1 << 20)]
#: a resolution in bits (weights, ADC)
Bits = Annotated[PositiveInt, Field(le=16)]
#: the relative spreads, each bounded by 1 / fpn_clip_sigma (checked on the whole config)
RELATIVE_SPREADS = ("synapse_gain_spread", "fpn_tau_m_rel", "fpn_tau_syn_rel",
                    "fpn_tau_refrac_rel", "fpn_cm_rel", "sensor_amp_spread",
                    "sensor_tau_spread", "adc_gain_spread")


class HardwareLimitError(ValueError):
    """A network or parameter exceeds what the emulated chip can represent."""


class HardwareConfig(BaseModel):
    """All numbers of the hardware model.  Units are in the field names.

    Strict types: a number where a number is meant (an integer for counts and bits; TOML
    strings and booleans are refused), so a profile typo fails when the config is built.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # --- time -------------------------------------------------------------------------------
    acceleration: PositiveFloat = 1000.0      # biological time / hardware time
    run_overhead_s: NonNegativeFloat = 0.02   # per run() call (configuration, trigger, read-out)
    # per weight write or sensor read of one projection
    update_overhead_s: NonNegativeFloat = 0.0005
    # transmission delay of every synapse (one value for the whole chip).  0: the chip's own,
    # no delay line, a spike acts from the next time step.  A real BrainScaleS-2 chip has no
    # configurable delays; the ideal profile sets NEST's and NEURON's 1 ms, because the delay
    # decides where SAL settles on LIF units (README, "LIF sampling units")
    synaptic_delay_ms: NonNegativeFloat = 0.0
    # a PyNN delay (or setup(min_delay=...)) other than synaptic_delay_ms: False refuses it
    # (HardwareLimitError; salbench's benchmark profiles); True runs the script with the
    # chip's one delay instead, warns once per setup() and records the substitution in
    # ``state.delay_substitutions`` (setup(..., substitute_delays=True) sets it too)
    substitute_delays: bool = False
    # --- size limits ------------------------------------------------------------------------
    max_neurons: Count = 512                # neurons per chip
    max_fan_in: Count = 256                 # synapse rows per neuron (distinct source x sign)
    # --- synapses ---------------------------------------------------------------------------
    weight_bits: Bits = 6                   # integer weight 0 .. 2**bits - 1, sign per projection
    weight_lsb_uS: PositiveFloat = 0.0005   # conductance of one weight step (IF_cond_exp)
    weight_lsb_nA: PositiveFloat = 0.02     # current of one weight step (IF_curr_exp)
    quantise_weights: bool = True           # round PyNN weights to the integer grid
    # how the plasticity processor rounds the weights it writes (Projection.set_weight_matrix):
    # "nearest", or "stochastic" (up with probability = the fraction, so updates smaller than
    # one step survive on average); static PyNN weights are always rounded to nearest
    processor_rounding: Literal["nearest", "stochastic"] = "stochastic"
    synapse_gain_spread: NonNegativeFloat = 0.05  # relative std of the frozen per-synapse gain
    # --- neuron fixed-pattern noise (frozen per neuron circuit, residual after calibration) --
    fpn_v_rest_mV: NonNegativeFloat = 0.6         # absolute std
    fpn_v_thresh_mV: NonNegativeFloat = 0.6
    fpn_v_reset_mV: NonNegativeFloat = 0.6
    fpn_e_rev_mV: NonNegativeFloat = 0.6
    fpn_tau_m_rel: NonNegativeFloat = 0.03        # relative std
    fpn_tau_syn_rel: NonNegativeFloat = 0.03
    fpn_tau_refrac_rel: NonNegativeFloat = 0.03
    fpn_cm_rel: NonNegativeFloat = 0.015
    fpn_clip_sigma: PositiveFloat = 3.0   # draws are truncated at this many standard deviations
    # --- temporal noise -----------------------------------------------------------------------
    # white noise added to every neuron's v, amp * sqrt(h) * N(0, 1) per step h: the chip's
    # small intrinsic temporal noise, the same for all neurons.  Per-cell extra noise (e.g. the
    # equivalent of NEST's white noise_generator current) comes from noise.set_membrane_noise
    # and adds in quadrature.  A real BrainScaleS-2 has no user-settable per-neuron white-noise
    # current generator (as far as is publicly known: only a constant offset current per neuron
    # and on-chip Poisson background spike sources; sampling uses those or spiking noise
    # networks), so such per-cell fast current noise is an emulator-only idealisation.
    membrane_noise_mV_per_sqrt_ms: NonNegativeFloat = 0.1
    # --- correlation sensors ------------------------------------------------------------------
    # a number (ms), or "tau_refrac" of the post neuron
    sensor_tau_ms: PositiveFloat | Literal["tau_refrac"] = "tau_refrac"
    sensor_amp_spread: NonNegativeFloat = 0.05  # relative std of the per-synapse sensor amplitude
    # relative std of the per-synapse sensor time constant
    sensor_tau_spread: NonNegativeFloat = 0.05
    # --- ADC ----------------------------------------------------------------------------------
    adc_enabled: bool = True                      # False: sensors are read exactly (no ADC)
    adc_bits: Bits = 8
    adc_codes_per_unit: PositiveFloat = 6.0       # nominal gain: codes per unit of exp(-dt/tau) sum
    adc_offset_codes: NonNegativeFloat = 8.0      # nominal offset (subtracted when converting back)
    # frozen per-synapse offset deviation (std, codes)
    adc_offset_spread_codes: NonNegativeFloat = 1.5
    adc_gain_spread: NonNegativeFloat = 0.03      # frozen per-synapse relative gain deviation (std)
    adc_read_noise_codes: NonNegativeFloat = 0.7  # temporal read noise (std, codes)
    # --- identity of the emulated chip --------------------------------------------------------
    chip_seed: NonNegativeInt = 20250301          # seeds all frozen (fixed-pattern) draws

    @model_validator(mode="after")
    def _spreads_keep_signs(self) -> HardwareConfig:
        for name in RELATIVE_SPREADS:
            if getattr(self, name) * self.fpn_clip_sigma >= 1.0:
                raise ValueError(f"relative spread {name}={getattr(self, name)} times "
                                 f"fpn_clip_sigma={self.fpn_clip_sigma} must be < 1 "
                                 "(parameters would change sign)")
        return self

    # ------------------------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None = None, *, where: str = "",
                      **overrides: Any) -> HardwareConfig:
        """Build a validated config from a ``[settings.hardware]`` mapping (plus keyword
        overrides).

        Problems are one-line ValueErrors naming the setting (and ``where`` it came from,
        e.g. the profile file).
        """
        values = dict(settings or {})
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            raise ValueError(_one_line(err, where)) from None

    def replace(self, **changes: Any) -> HardwareConfig:
        """Return a validated copy with some settings changed (``model_copy(update=...)``
        would not validate them)."""
        return HardwareConfig.from_settings({**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()

    # --- derived quantities ---------------------------------------------------------------------
    @property
    def max_weight_code(self) -> int:
        return (1 << self.weight_bits) - 1

    @property
    def max_adc_code(self) -> int:
        return (1 << self.adc_bits) - 1

    def weight_lsb(self, conductance_based: bool) -> float:
        return self.weight_lsb_uS if conductance_based else self.weight_lsb_nA

    def delay_steps(self, dt: float) -> int:
        """The synaptic delay in time steps (at least one: a spike acts from the next step)."""
        steps = round(self.synaptic_delay_ms / dt)
        if abs(steps * dt - self.synaptic_delay_ms) > 1e-9:
            raise HardwareLimitError(
                f"bss2: synaptic_delay_ms={self.synaptic_delay_ms:g} is not a multiple of "
                f"the time step {dt:g} ms; use a multiple or change the time step")
        return max(1, steps)

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

    def weight_codes(self, weights: ArrayLike, conductance_based: bool, label: str
                     ) -> NDArray[np.int64]:
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


def _one_line(err: ValidationError, where: str) -> str:
    """The first problem of a ValidationError as one line naming the setting (and where it
    was given)."""
    place = f" in {where}" if where else ""
    first = err.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    if first["type"] == "extra_forbidden":
        known = sorted(HardwareConfig.model_fields)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"valid settings are {known}"
        return f"bss2: unknown hardware setting '{name}'{place}; {hint}"
    if not name:  # a check of the whole config (the model validator)
        text = first["msg"].removeprefix("Value error, ")
        return f"bss2: {text} ({where})" if where else f"bss2: {text}"
    # a union (sensor_tau_ms) reports one error per alternative
    msgs = [e["msg"] for e in err.errors() if e["loc"] and e["loc"][0] == name]
    said = " or ".join(m[0].lower() + m[1:] for m in dict.fromkeys(msgs))
    return f"bss2: setting {name}{place}: {said}, got {first.get('input')!r}"


def profile_path(name: str) -> Path:
    """Path of a backend profile given its name (``bss2-ideal``) or a path to a TOML file."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    found = catalogue_files("backends").get(name)
    if found is None:
        raise FileNotFoundError(f"bss2: no backend profile {name!r} in "
                                f"{[str(d) for d in catalogue_dirs('backends')]}")
    return found


def load_profile(name: str = "bss2", **overrides: Any) -> HardwareConfig:
    """A profile's ``[settings.hardware]`` table (by name or path, its ``extends`` chain
    resolved as for every salbench command) as a validated config, with keyword overrides."""
    path = profile_path(name)
    profile = load_backend_profile(path)
    if profile.adapter != "bss2":
        raise ValueError(f"bss2: profile {path} is for adapter {profile.adapter!r}")
    hardware = profile.settings.get("hardware", {})
    where = f"backend profile {path.name} [settings.hardware]"
    if not isinstance(hardware, dict):
        raise ValueError(f"bss2: {where} must be a table")
    config = HardwareConfig.from_settings(hardware, where=where)
    return config.replace(**overrides) if overrides else config
