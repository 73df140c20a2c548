"""Per-cell, independent, seeded white-noise current for NEURON (salbench's own NMODL).

A LIF sampling unit driven by fast current noise instead of Poisson background needs, on
NEURON, what NEST's `noise_generator` gives every target: a current redrawn every `dt_ms` as an
independent N(mean, std^2) value, independent from cell to cell. pyNN.neuron's
`NoisyCurrentSource` cannot do it: it pre-generates one vector from numpy's global RNG and plays
it into every cell (identical noise in all of them, and memory that grows with the run).

`SalbenchWhiteNoise` (mechanisms/salbench_white_noise.mod) is one point process per cell,
drawing from its own Random123 stream through NMODL's `RANDOM` construct (NEURON >= 9). Its ids
are (seed, cell index, a salbench tag + stream), so the noise is a pure function of the seed,
the cell's position in its population and the time step: independent across cells,
reproducible per seed, and replayed from the start by every `finitialize()` (so by
`sim.reset()`).

The mechanism is compiled once per source and NEURON install into
$SALBENCH_CACHE/nrnmech/<hash> (default ~/.cache/salbench), by `salbench prepare` or on first use.
This module imports NEURON only in `load_mechanisms` and `inject_white_noise`, so compiling
does not pull NEURON into a process that may want NEST.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from salbench import nmodl

#: the folder whose .mod files are compiled
MECHANISM_DIR = Path(__file__).parent / "mechanisms"
#: the point process defined by salbench_white_noise.mod
MECHANISM = "SalbenchWhiteNoise"
#: third Random123 id: keeps salbench's streams apart from any other user of (seed, index)
STREAM_TAG = 0x5A1B0000
#: tolerance on dt_ms / timestep being an integer (time steps such as 0.1 are not exact)
_RATIO_TOLERANCE = 1e-9


def mechanisms_key(source: Path = MECHANISM_DIR) -> str:
    """The cache key of `source`'s build (default: the noise mechanism; calibrations on
    NEURON depend on it)."""
    return nmodl.mechanisms_key(source)


def compile_mechanisms(source: Path = MECHANISM_DIR) -> Path:
    """Compile `source` (default: the noise mechanism) once into the cache (salbench.nmodl)."""
    return nmodl.compile_mechanisms(source)


def load_mechanisms() -> None:
    """Compile if needed and load `SalbenchWhiteNoise` into this process's NEURON.

    Harmless when repeated: NEURON refuses a second definition of a mechanism name (even from
    another folder, e.g. one auto-loaded from ./x86_64), so an existing definition is kept.
    """
    import neuron
    from neuron import h

    if hasattr(h, MECHANISM):
        return
    folder = compile_mechanisms()
    if not neuron.load_mechanisms(str(folder), warn_if_already_loaded=False):
        raise RuntimeError(f"NEURON found no compiled mechanisms in {folder}; delete the folder "
                           "and call compile_mechanisms() again")
    if not hasattr(h, MECHANISM):
        raise RuntimeError(f"{folder} was loaded but does not define {MECHANISM}")


def noise_steps(dt_ms: float, timestep_ms: float) -> int:
    """How many time steps one noise value lasts; ValueError unless dt_ms is a positive
    multiple of the time step (NEST's noise_generator has the same rule)."""
    ratio = dt_ms / timestep_ms
    steps = round(ratio)
    if not dt_ms > 0 or steps < 1 or abs(ratio - steps) > _RATIO_TOLERANCE * ratio:
        raise ValueError(f"white-noise dt_ms={dt_ms!r} must be a positive multiple of the "
                         f"simulation time step {timestep_ms!r} ms")
    return steps


def inject_white_noise(sim: Any, cells: Any, std_nA: float, dt_ms: float, seed: int,
                       mean_nA: float = 0.0, *, stream: int = 0) -> list:
    """Give every cell of `cells` its own white-noise current and return the point processes.

    `sim` is `pyNN.neuron` after `sim.setup()`, `cells` a Population (or view) of single-
    compartment cells (IF_cond_exp and relatives). Cell k of the population draws from the
    Random123 stream (seed, k, STREAM_TAG + stream): independent of every other cell and
    reproducible per seed. `stream` tells apart several noisy populations of one run, whose
    indices would otherwise coincide (same seed, same k -> same noise).

    The caller must keep the returned objects alive: a point process without a Python
    reference is deleted by NEURON, and its current with it. The noise restarts from its
    beginning at every `finitialize()` (PyNN's `sim.reset()`); for new noise after a reset,
    point `source.rng.set_ids` at other ids. Fixed-step integration only (pyNN.neuron's
    default).
    """
    from neuron import h

    noise_steps(float(dt_ms), float(sim.state.dt))
    if not std_nA >= 0:
        raise ValueError(f"white-noise std_nA must be >= 0, got {std_nA!r}")
    load_mechanisms()
    ids = _stream_ids(seed, stream)
    sources = []
    for index, cell_id in zip(_population_indices(cells), cells, strict=True):
        # pyNN.neuron's standard cells are one Section; (0.5) is their only segment
        source = h.SalbenchWhiteNoise(cell_id._cell(0.5))
        source.mean = float(mean_nA)
        source.std = float(std_nA)
        source.dt_noise = float(dt_ms)
        source.rng.set_ids(ids[0], index, ids[1])
        sources.append(source)
    return sources


def _stream_ids(seed: int, stream: int) -> tuple[int, int]:
    # Random123 ids are uint32: refuse what would silently wrap onto another seed's noise
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"white-noise seed must be in [0, 2**32), got {seed!r}")
    if not 0 <= int(stream) < 2**16:
        raise ValueError(f"white-noise stream must be in [0, 2**16), got {stream!r}")
    return int(seed), STREAM_TAG + int(stream)


def _population_indices(cells: Any) -> list[int]:
    """The index in its parent population of every cell of `cells` on this process, in the
    order `iter(cells)` gives them (a view's cells keep their population's streams)."""
    parent = getattr(cells, "grandparent", None) or cells
    return [int(parent.id_to_index(cell_id)) for cell_id in cells]
