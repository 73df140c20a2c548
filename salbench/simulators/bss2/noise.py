"""Per-cell temporal membrane noise of the emulator, and its equivalent of a white noise current.

salbench drives LIF sampling units either with Poisson conductance background or with a fast
white *current* noise (on NEST: ``noise_generator`` / PyNN's ``NoisyCurrentSource``: a current
held constant for ``dt`` and redrawn every ``dt`` as an independent N(0, std^2) value, one
independent stream per cell).  The emulator has no current sources; it realises such noise with
its temporal membrane-noise source instead, which adds ``amp * sqrt(h) * N(0, 1)`` to v at the
end of every step of length h (after the leak and synaptic update of that step, see
``kernel.engine.advance``).  :func:`set_membrane_noise` gives a population (or single cells) an
extra amplitude ``amp``, independent of the chip's own ``membrane_noise_mV_per_sqrt_ms`` (the
two add in quadrature); :func:`white_current_noise_mV_per_sqrt_ms` converts a current noise to
it.

Real BrainScaleS-2 has no such source (as far as is publicly documented): its neurons have a
small intrinsic temporal noise, a per-neuron *constant* current (``constant_current_i_offset``
of ``HXNeuron``) and on-chip pseudo-random background spike generators
(``SpikeSourcePoissonOnChip``), but no user-settable per-neuron white-noise current generator;
stochastic sampling on the chip uses Poisson background sources or spiking noise networks.  A
per-cell fast current noise is therefore an emulator-only idealisation, meant for comparing the
emulator with NEST under the same (idealised) noise model.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import simulator

if TYPE_CHECKING:
    from .populations import Assembly, Population, PopulationView

__all__ = ["set_membrane_noise", "get_membrane_noise", "white_current_noise_mV_per_sqrt_ms"]

_PARAM = "mV_per_sqrt_ms"


def white_current_noise_mV_per_sqrt_ms(std_nA: float, dt_ms: float, cm_nF: float,
                                       tau_m_ms: float | None = None,
                                       h_ms: float | None = None) -> float:
    """Membrane-noise amplitude (mV/sqrt(ms)) equivalent to a held white noise current.

    The current (std ``std_nA``, redrawn every ``dt_ms``, NEST's ``noise_generator``) moves v,
    before leak, by ``std * dt / cm`` per draw, so its diffusion coefficient is
    ``std^2 * dt / cm^2`` (mV^2/ms) and the amplitude per sqrt(ms) is ``std * sqrt(dt) / cm``.
    That is what this returns without ``tau_m_ms``: the white-noise limit, right for
    ``dt << tau_m`` at any emulator step h.

    It is not exact when dt is not small against tau_m, because the emulator adds its noise to
    v *after* the leak propagator of the step (``kernel.engine.advance``): per step of length h,
    v gets ``p * (v - v_rest) + amp * sqrt(h) * N(0, 1)`` with ``p = exp(-h/tau_m)`` (exact for
    IF_curr_exp, RK4 to ~(h/tau_m)^5 for IF_cond_exp), i.e. an increment of std
    ``amp * sqrt(h)`` that does not leak within its step, while a current held over the step
    through the leaky membrane gives exactly ``std * (tau_m/cm) * (1 - exp(-h/tau_m))``.  With
    the plain conversion (``amp * sqrt(h) = std * h / cm``) the std of v is too large by
    ``(h/tau_m) / (1 - exp(-h/tau_m))``: 5.1 % at tau_m = 1 ms, h = dt = 0.1 ms.

    Given ``tau_m_ms``, the amplitude is chosen so that the emulator's stationary free-membrane
    variance at step ``h_ms`` (default: ``dt_ms``) equals that of the held current,
    ``std^2 (tau_m/cm)^2 (1-p)^2 / (1-p^2)`` with ``p = exp(-dt/tau_m)``.  For ``h == dt``
    (the intended use) this is ``amp * sqrt(h) = std * (tau_m/cm) * (1 - exp(-h/tau_m))`` and
    the emulated v is the *same* AR(1) process as v under the held current (same propagator,
    same increment variance), so all free-membrane statistics agree, not just the variance.
    For ``h < dt`` the emulator's noise is white where the real current is correlated over dt;
    the variance still matches, the autocorrelation at lags below dt does not (negligible for
    ``dt << tau_m``).  Either way tau_m and cm are the nominal values: with fixed-pattern noise
    on, a cell's effective tau_m/cm differ slightly, and the amplitude is not rescaled for that.

    BrainScaleS-2 itself has no per-neuron white-noise current generator (see the module
    docstring): this noise is an emulator-only idealisation.
    """
    std = _check_scalar("std_nA", std_nA, allow_zero=True)
    dt = _check_scalar("dt_ms", dt_ms)
    cm = _check_scalar("cm_nF", cm_nF)
    if tau_m_ms is None:
        return std * math.sqrt(dt) / cm
    tau = _check_scalar("tau_m_ms", tau_m_ms)
    h = dt if h_ms is None else _check_scalar("h_ms", h_ms)
    p = math.exp(-dt / tau)
    var_v = (std * tau / cm) ** 2 * (1.0 - p) / (1.0 + p)     # = ... (1-p)^2 / (1-p^2)
    p_h = math.exp(-h / tau)
    return math.sqrt(var_v * (1.0 - p_h * p_h) / h)


def set_membrane_noise(population: Population | PopulationView | Assembly,
                       mV_per_sqrt_ms: ArrayLike) -> None:
    """Give cells an extra temporal membrane noise of ``mV_per_sqrt_ms`` (scalar or per cell).

    Each cell gets its own independent draws from the run's noise stream (the engine rng seeded
    by ``setup(rng_seed=...)``), so runs are reproducible.  The extra noise is independent of
    the chip's ``membrane_noise_mV_per_sqrt_ms``: the per-step amplitude of a cell is
    ``sqrt(chip^2 + extra^2) * sqrt(h)``.  The value is stored on the chip like a cell
    parameter, so it survives ``reset()`` and every rebuild of the engine's records;
    ``setup()`` forgets it with the network.  0 removes it.  Use
    :func:`white_current_noise_mV_per_sqrt_ms` to express a white noise current this way.
    ``population`` may be a Population, a PopulationView or an Assembly of neurons.
    """
    slots = _neuron_slots(population)
    size = slots.size
    values = np.asarray(mV_per_sqrt_ms, dtype=float)
    if values.ndim > 1 or (values.ndim == 1 and values.size != size):
        raise ValueError(f"bss2: set_membrane_noise: {_PARAM} must be a scalar or one value per "
                         f"cell ({size}), got shape {values.shape}")
    values = np.broadcast_to(values, (size,))
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise ValueError(f"bss2: set_membrane_noise: {_PARAM} must be finite and >= 0, got "
                         f"{values[np.argmax(bad)]!r}")
    simulator.state.chip.set_membrane_noise(slots, values)


def get_membrane_noise(population: Population | PopulationView | Assembly) -> np.ndarray:
    """The extra membrane noise (mV/sqrt(ms)) of each cell set by :func:`set_membrane_noise`."""
    return simulator.state.chip.membrane_noise(_neuron_slots(population))


# ----------------------------------------------------------------------------------------------
def _check_scalar(name: str, value: float, allow_zero: bool = False) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"bss2: {name} must be finite and {bound}, got {value!r}")
    return value


def _neuron_slots(population: Population | PopulationView | Assembly) -> np.ndarray:
    """The chip slots of every cell of a Population, PopulationView or Assembly of neurons."""
    from .populations import Assembly, Population, PopulationView

    if isinstance(population, Assembly):
        parts = [_neuron_slots(pop) for pop in population.populations]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
    if isinstance(population, PopulationView):
        root = population.grandparent
    elif isinstance(population, Population):
        root = population
    else:
        raise TypeError(f"bss2: set_membrane_noise needs a bss2 Population, PopulationView or "
                        f"Assembly, got {type(population).__name__}")
    if root.celltype.engine_kind != "neuron":
        raise ValueError(f"bss2: membrane noise needs neurons; {root.label or 'population'!r} "
                         f"holds {type(root.celltype).__name__} spike sources")
    return np.asarray(population.chip_slots, dtype=np.int64)
