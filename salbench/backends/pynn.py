"""The generic adapter: any PyNN backend module, through PyNN's public API only.

A backend profile can use it for a simulator salbench has never heard of:

    [backend]
    adapter = "pynn"
    description = "Brian 2 through PyNN"
    [settings]
    pynn_module = "pyNN.brian2"
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any, ClassVar, cast

from salbench.backends.base import Backend, missing_module, simulator_seed
from salbench.realisation.network import PyNNSamplingNetwork
from salbench.spec.network import NetworkSpec
from salbench.spec.units import LIFUnitParams
from salbench.versions import package_version


class PyNNBackend(Backend):
    name = "pynn"
    description = "Any PyNN backend module (settings.pynn_module), public PyNN API only"
    requires: ClassVar[tuple[str, ...]] = ("pyNN",)
    #: the PyNN module; subclasses fix it, the generic adapter takes it from settings
    pynn_module: ClassVar[str | None] = None
    #: distributions whose versions identify the simulator
    simulator_dists: ClassVar[tuple[str, ...]] = ()
    network_class: ClassVar[type[PyNNSamplingNetwork]] = PyNNSamplingNetwork

    sim: ModuleType

    @classmethod
    def unavailable_reason(cls, settings: dict[str, Any] | None = None) -> str | None:
        module = (settings or {}).get("pynn_module", cls.pynn_module)
        if not module:
            return "the generic adapter needs a backend profile with settings.pynn_module"
        return missing_module((*cls.requires, module))

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> str:
        # importing the PyNN module builds what it needs (pyNN.neuron runs nrnivmodl on
        # PyNN's mechanisms the first time), so no timed run pays for it later
        module = settings.get("pynn_module", cls.pynn_module)
        # a usable backend has one (see unavailable_reason)
        importlib.import_module(cast(str, module))
        return f"imported {module}"

    @property
    def module_name(self) -> str:
        module = self.settings.get("pynn_module", self.pynn_module)
        if not module:
            raise ValueError("backend profile for adapter 'pynn' needs settings.pynn_module")
        return module

    @property
    def timestep_ms(self) -> float:
        return float(self.settings.get("timestep_ms", 0.1))

    @property
    def delay_ms(self) -> float:
        """Synaptic delay of every projection, pinned per backend profile and recorded: NEST
        exchanges spikes once per min_delay, so 1 ms instead of one 0.1 ms step makes it ~4x
        faster (measured here), and both lobes of SAL's window shift alike."""
        return float(self.settings.get("delay_ms", self.timestep_ms))

    def seed_kwargs(self, seed: int) -> dict[str, Any]:
        """How this simulator is seeded through `sim.setup` (PyNN's generic keyword)."""
        return {"rng_seed": seed}

    def setup(self, seed: int) -> None:
        with self.timer.phase("import"):
            self.sim = importlib.import_module(self.module_name)
        with self.timer.phase("build"):
            self._sim_seed = simulator_seed(seed)
            self.sim.setup(timestep=self.timestep_ms, min_delay=self.delay_ms,
                           **self.seed_kwargs(self._sim_seed))

    def unit_settings(self, unit: LIFUnitParams) -> LIFUnitParams:
        """A scenario's unit settings (those it sets) over the profile's LIF defaults for this
        backend (`[settings.unit]`, e.g. a hardware's v_reset)."""
        defaults = dict(self.settings.get("unit", {}))
        return LIFUnitParams(**{**defaults, **unit.model_dump(exclude_unset=True)})

    def build(self, spec: NetworkSpec) -> PyNNSamplingNetwork:
        spec = dataclasses.replace(spec, unit=self.unit_settings(spec.unit))
        self.check_unit(spec.unit)
        self._unit = spec.unit  # recorded with the run: noise model, translation, neuron
        with self.timer.phase("build"):
            self._net = self.network_class(self, spec, self.timer)
            return self._net

    def check_unit(self, unit: LIFUnitParams) -> None:
        """ValueError, in one line, for a unit this backend cannot realise: checked before a
        calibration would fail on it in a process of its own."""
        if unit.noise == "white" and type(self).current_noise is PyNNBackend.current_noise:
            raise ValueError(self._no_current_noise())

    # -- what the realisation asks of the simulator's owner (salbench.realisation.host) ----
    def current_noise(self, cells: Any, std_nA: float, dt_ms: float) -> list[Any]:
        """Independent white current noise per cell. PyNN's NoisyCurrentSource does not
        promise independence (pyNN.neuron plays one vector into every cell), so only
        adapters that know their simulator's source provide it."""
        raise ValueError(self._no_current_noise())

    def _no_current_noise(self) -> str:
        return (f"backend '{self.name}' ({self.module_name}) has no per-cell independent "
                "current-noise source; use unit.noise = \"poisson\"")

    def calibration_identity(self) -> dict[str, Any]:
        """The simulator stack and the profile settings (all of them, resolved along the
        profile's `extends` chain: bss2's [settings.hardware] numbers and the unit defaults
        included, since an adapter cannot tell which change a neuron)."""
        return {"adapter": self._target, "module": self.module_name,
                "versions": self.versions(), "settings": self.settings}

    def relaunch_request(self) -> dict[str, Any]:
        return {"target": self._target, "settings": self.settings}

    @property
    def _target(self) -> str:
        """This adapter class as "module:Class", importable in a fresh process."""
        return f"{type(self).__module__}:{type(self).__qualname__}"

    def end(self) -> None:
        if getattr(self, "sim", None) is not None:
            self.sim.end()

    def versions(self) -> dict[str, str]:
        out = {"PyNN": package_version("PyNN")}
        # the generic adapter names no distribution: settings.simulator_dist, else the PyNN
        # module's last part (pyNN.brian2 -> brian2), so an upgrade invalidates calibrations
        dists = self.simulator_dists or (
            str(self.settings.get("simulator_dist", self.module_name.rsplit(".", 1)[-1])),)
        out.update({dist: package_version(dist) for dist in dists})
        return out

    def extra_provenance(self) -> dict[str, Any]:
        return {
            "pynn_module": self.module_name,
            "simulator_seed": getattr(self, "_sim_seed", None),
            "timestep_ms": self.timestep_ms,
            "delay_ms": self.delay_ms,
            "delay_semantics": "every recurrent and background projection has delay_ms",
            "unit": self.resolved_unit(),
            "calibration": self.calibration_used(),
        }

    def calibration_used(self) -> dict[str, Any] | None:
        """Key and fit of the calibration behind the last network's translation (None for
        the linear translation), so a run can be tied to the cache entry it used."""
        net = getattr(self, "_net", None)
        cal = getattr(getattr(net, "translation", None), "cal", None)
        if cal is None:
            return None
        return {"key": cal.key, "v0_mV": cal.v0_mV, "alpha_mV": cal.alpha_mV,
                "exc_uS_per_unit": cal.exc_uS_per_unit, "inh_uS_per_unit": cal.inh_uS_per_unit}

    def resolved_unit(self) -> dict[str, Any] | None:
        """The LIF unit of the last network built (scenario settings over profile
        defaults), for provenance."""
        unit = getattr(self, "_unit", None)
        return unit.model_dump(mode="json") if unit is not None else None
