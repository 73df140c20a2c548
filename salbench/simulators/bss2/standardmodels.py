"""Standard cell and synapse types of the bss2 emulation (native names = PyNN names)."""

from __future__ import annotations

from typing import Any

from pyNN.standardmodels import build_translations, cells, synapses

from .simulator import state

__all__ = ["IF_cond_exp", "IF_curr_exp", "SpikeSourcePoisson", "SpikeSourceArray",
           "StaticSynapse", "unsupported"]


def _identity(*names: str) -> dict[str, dict[str, Any]]:
    return build_translations(*[(name, name) for name in names])


_LIF = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "i_offset",
        "v_reset", "v_thresh")


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = _identity(*_LIF, "e_rev_E", "e_rev_I")
    engine_kind = "neuron"


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity(*_LIF)
    engine_kind = "neuron"


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    """Poisson source realised by an on-chip background generator (drawn per time step)."""
    translations = _identity("rate", "start", "duration")
    engine_kind = "poisson"


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = (cells.SpikeSourceArray.__doc__ or "") + """
    On bss2 every spike time t >= 0, also t <= min_delay, is emitted at t (on the time grid)
    and acts on its targets from t + the synaptic delay.  pyNN.nest silently drops times below
    min_delay and refuses t = min_delay (NEST's BadProperty "spike time cannot be set to 0"):
    it emits through parrot neurons reached after min_delay (PyNN issue #503).
    """
    translations = _identity("spike_times")
    engine_kind = "array"


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity("weight", "delay")

    def _get_minimum_delay(self) -> float:
        return state.min_delay


def unsupported(name: str, hint: str = "") -> type:
    """A placeholder class whose instantiation raises a clear NotImplementedError."""
    message = f"bss2: {name} is not supported by the BrainScaleS-2 emulation"
    message += f"; {hint}" if hint else "."

    class Unsupported:
        __doc__ = message

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise NotImplementedError(message)

    Unsupported.__name__ = Unsupported.__qualname__ = name
    return Unsupported
