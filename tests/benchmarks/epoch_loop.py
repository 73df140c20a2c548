"""The learning epoch loop at scale: simulate -> read spikes -> SAL -> write weights.

Shared by the benchmark suite and runnable on its own to print the overhead ratios (learning
overhead = readout + rule + write, as a fraction of simulate time, measured in one run):

    python tests/benchmarks/epoch_loop.py --backend nest neuron --n 200 --epoch-ms 100 1000
    python tests/benchmarks/epoch_loop.py --backend nest-public --n 200 --epoch-ms 100

Instruction and cache-miss counts of one epoch (online SAL's cost, steady on a busy machine):

    valgrind --tool=callgrind --instr-atstart=no --cache-sim=yes --LL=33554432,16,64 \
        python tests/benchmarks/epoch_loop.py --callgrind online-inert --backend nest \
        --n 1000 --epoch-ms 50

(--LL: the machine's last-level cache, 32 MiB here; valgrind may guess another.)

Backends: nest, neuron (the adapters' fast paths), nest-public, neuron-public (the generic
adapter salbench.backends.pynn.PyNNBackend, PyNN's public API only).

Each network is built and run in a process of its own (`LoopProcess`): NEURON keeps every
network built in a process alive through PyNN's end() and setup() and simulates them all, so
a second network in the same process would be timed together with the first (as a run is,
each in its own child process, in `salbench run`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from salbench.backends.base import Backend
from salbench.rules.sal import SALRule
from salbench.spec.network import NetworkSpec, OnlineSAL, SamplingNetwork
from salbench.spec.units import LIFUnitParams
from salbench.timing import PhaseTimer

BACKENDS = ("nest", "neuron", "nest-public", "neuron-public")


class WallAndCpuTimer(PhaseTimer):
    """The runner's phase timer (wall time) that also sums this process's CPU time per phase:
    on a shared, busy machine the CPU-time split is the steadier measure."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: dict[str, float] = defaultdict(float)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        c0 = time.process_time()
        try:
            with super().phase(name):
                yield
        finally:
            self.cpu[name] += time.process_time() - c0


def all_to_all_spec(n: int, seed: int = 0) -> NetworkSpec:
    """n units, every pair connected both ways (no autapses), random signed weights."""
    rng = np.random.default_rng(seed)
    mask = ~np.eye(n, dtype=bool)
    # small weights keep a large network in the sampling regime (rates ~45 Hz at n = 200)
    weights = rng.normal(0.0, 2.0 / np.sqrt(n), (n, n)) * mask
    return NetworkSpec(weights=weights, biases=np.zeros(n), mask=mask, tau_ref_ms=10.0,
                       unit=LIFUnitParams(translation="linear"))


#: what a loop's epoch does: "epoch" the learning epoch on signed weights (above); for the
#: online benchmark, on non-negative weights (`excitatory_spec`): "static" simulate only,
#: "online" simulate with the simulator's own SAL synapses, "online-inert" the same at INERT
#: times the learning rate (every pair computed and written, the weights move by ~1e-9 of
#: their change: the activity, and so the simulator's work outside SAL, is the static
#: network's, spike for spike), "epoch+" the learning epoch with the weights clipped at 0
#: (online SAL's w_min); "stdp-nest-inert" (NEST only, a reference without a target) the
#: online-inert network with NEST's own nearest-neighbour STDP synapse in SAL's place
#: (`BuiltinSTDPNetwork`): what NEST's plasticity architecture costs here on its own terms
MODES = ("epoch", "static", "online", "online-inert", "epoch+", "stdp-nest-inert")
INERT = 1e-9


def excitatory_spec(n: int, seed: int = 0, online_eta: float | None = None) -> NetworkSpec:
    """n units all-to-all (no autapses), small random non-negative weights (online SAL on
    conductance synapses needs w_min = 0; small enough that the summed recurrent input,
    0.08 sqrt(n) abstract units at p = 1, keeps the units in the sampling regime; biases 0,
    offsetting it by -half the row sum left them silent at 0.1 Hz); with `online_eta`,
    online SAL on every synapse."""
    rng = np.random.default_rng(seed)
    mask = ~np.eye(n, dtype=bool)
    weights = np.abs(rng.normal(0.0, 0.1 / np.sqrt(n), (n, n))) * mask
    online = None
    if online_eta is not None:
        online = OnlineSAL(eta=online_eta, tau_ms=10.0, plastic=mask, w_min=0.0)
    return NetworkSpec(weights=weights, biases=np.zeros(n), mask=mask, signs_fixed=True,
                       tau_ref_ms=10.0, unit=LIFUnitParams(translation="linear"),
                       online_sal=online)


def make_backend(name: str, timer: PhaseTimer) -> Backend:
    if name == "nest":
        from salbench.backends.nest import NestBackend

        return NestBackend({}, timer)
    if name == "neuron":
        from salbench.backends.neuron import NeuronBackend

        return NeuronBackend({}, timer)
    if name in ("nest-public", "neuron-public"):
        from salbench.backends.pynn import PyNNBackend

        return PyNNBackend({"pynn_module": f"pyNN.{name.split('-')[0]}"}, timer)
    raise ValueError(f"unknown backend {name!r}; one of {BACKENDS}")


def builtin_stdp_network(base: type) -> type:
    """`base` (the NEST adapter's network) with NEST's stdp_nn_restr_synapse where online SAL
    would be: the same nearest-neighbour pairs read from the same post-cell history
    (ArchivingNode), on NEST's own terms (96 bytes a connection, labelled as pyNN.nest makes
    it, where SAL's is 32; the pairs shifted by the dendritic delay), additive (mu 0) and at
    INERT learning rates, so the network fires as the static one does. A reference for the
    SAL synapse's cost, not SAL."""

    class BuiltinSTDPNetwork(base):
        @staticmethod
        def _online_synapse(sal: OnlineSAL, host: Any) -> Any:
            synapse = host.sim.native_synapse_type("stdp_nn_restr_synapse")
            return lambda params: synapse(**params)

        def _sal_parameters(self, sal: OnlineSAL, g: float) -> dict[str, Any]:
            # lambda is NEST's learning rate in units of Wmax (nS here, PyNN's µS * 1000)
            return {"weight": 0.0, "delay": self.delay_ms, "tau_plus": sal.tau_ms,
                    "lambda": sal.eta, "alpha": 1.0, "mu_plus": 0.0, "mu_minus": 0.0,
                    "Wmax": 1000.0}

    return BuiltinSTDPNetwork


class EpochLoop:
    """A built network and SAL rule; `epoch()` runs one learning epoch, timed by phase."""

    def __init__(self, backend_name: str, n: int, epoch_ms: float, seed: int = 1,
                 mode: str = "epoch") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        self.mode = mode
        self.timer = WallAndCpuTimer()
        self.backend = make_backend(backend_name, self.timer)
        if mode == "stdp-nest-inert":
            if not backend_name.startswith("nest"):
                raise ValueError("mode 'stdp-nest-inert' is NEST's built-in synapse: NEST only")
            self.backend.network_class = builtin_stdp_network(type(self.backend).network_class)
        self.backend.setup(seed)
        # online SAL's eta matched to the epoch rule's 0.01 (OnlineSAL: eta_epoch * tau / T)
        eta = 0.01 * 10.0 / epoch_ms
        online_eta = {"online": eta, "online-inert": INERT * eta,
                      "stdp-nest-inert": INERT * eta}.get(mode)
        self.spec = (all_to_all_spec(n, seed) if mode == "epoch" else
                     excitatory_spec(n, seed, online_eta))
        self.net: SamplingNetwork = self.backend.build(self.spec)
        # the runner's "build" phase: sim.setup() and the network (s, wall and CPU)
        self.build_s = self.timer.totals.get("build", 0.0)
        self.build_cpu_s = self.timer.cpu.get("build", 0.0)
        self.rule = SALRule(eta=0.01, tau=self.spec.tau_ref_ms, mask=self.spec.mask)
        self.weights = self.spec.weights.copy()
        self.epoch_ms = epoch_ms
        self.spikes = 0

    def epoch(self, duration_ms: float | None = None) -> None:
        """One epoch of epoch_ms (or `duration_ms`: a short warm-up epoch)."""
        duration = self.epoch_ms if duration_ms is None else duration_ms
        spikes = self.net.run(duration)  # times "simulate" and "readout" itself
        self.spikes += sum(len(s) for s in spikes)
        if self.mode in ("static", "online", "online-inert", "stdp-nest-inert"):
            return
        with self.timer.phase("learn"):
            self.weights = self.weights + self.rule.update(spikes, duration)
            if self.mode == "epoch+":
                self.weights = np.maximum(self.weights, 0.0)
        with self.timer.phase("write"):
            self.net.set_weights(self.weights)

    def reset_timer(self) -> None:
        """Forget the build and warm-up (numba compilation of the rule) timings."""
        self.timer.totals.clear()
        self.timer.cpu.clear()
        self.spikes = 0

    def close(self) -> None:
        self.backend.end()


def _serve(conn: Connection, backend_name: str, n: int, epoch_ms: float,
           mode: str = "epoch") -> None:
    """The child's side of LoopProcess: build the loop, then answer commands until "close"."""
    loop: EpochLoop | None = None
    try:
        loop = EpochLoop(backend_name, n, epoch_ms, mode=mode)
        conn.send(("ok", None))
        while True:
            command = conn.recv()
            if command == "epoch":
                loop.epoch()
                conn.send(("ok", None))
            elif isinstance(command, tuple) and command[0] == "epoch":
                loop.epoch(command[1])
                conn.send(("ok", None))
            elif command == "reset":
                loop.reset_timer()
                conn.send(("ok", None))
            elif command == "result":
                conn.send(("ok", {"totals": dict(loop.timer.totals), "cpu": dict(loop.timer.cpu),
                                  "build_cpu_s": loop.build_cpu_s, "build_s": loop.build_s,
                                  "spikes": loop.spikes,
                                  "peak_mem_mb": resource.getrusage(
                                      resource.RUSAGE_SELF).ru_maxrss / 1024}))
            elif command == "close":
                break
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        if loop is not None:
            loop.close()
        conn.close()


class LoopProcess:
    """An EpochLoop built and run in a fresh (spawned) process; `epoch()` returns when the
    child's epoch is done, so timing the call times the epoch (plus a pipe round trip)."""

    def __init__(self, backend_name: str, n: int, epoch_ms: float, mode: str = "epoch") -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, backend_name, n, epoch_ms, mode),
                                 daemon=True)
        self._proc.start()
        child.close()
        try:
            self._call(None)  # the build's answer
        except BaseException:
            self.close()
            raise

    def _call(self, command: str | tuple[str, float] | None) -> Any:
        if command is not None:
            self._conn.send(command)
        try:
            status, value = self._conn.recv()
        except EOFError:
            self._proc.join(5)
            raise RuntimeError(
                f"epoch-loop process died (exit code {self._proc.exitcode})") from None
        if status == "error":
            raise RuntimeError(f"in the epoch-loop process:\n{value}")
        return value

    def epoch(self, duration_ms: float | None = None) -> None:
        self._call("epoch" if duration_ms is None else ("epoch", duration_ms))

    def reset_timer(self) -> None:
        self._call("reset")

    def result(self) -> dict[str, Any]:
        """The child's phase totals (wall, CPU: s, summed over epochs), spike count, peak MB."""
        return self._call("result")

    def close(self) -> None:
        try:
            if self._proc.is_alive():
                with suppress(OSError):  # the child may have ended on an error
                    self._conn.send("close")
                self._proc.join(60)
        finally:
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
            self._conn.close()


PHASES = ("simulate", "readout", "learn", "write")


def overhead_ratio(totals: dict[str, float]) -> float | None:
    """(readout + rule + write) / simulate."""
    simulate = totals.get("simulate", 0.0)
    overhead = totals.get("readout", 0.0) + totals.get("learn", 0.0) + totals.get("write", 0.0)
    return round(overhead / simulate, 4) if simulate else None


def measure(backend_name: str, n: int, epoch_ms: float, epochs: int = 3) -> dict[str, Any]:
    """Run 1 warm-up and `epochs` timed epochs; return the phase split and overhead ratio."""
    t0 = time.perf_counter()
    loop = LoopProcess(backend_name, n, epoch_ms)
    build_s = time.perf_counter() - t0  # includes the child's start-up and imports
    try:
        loop.epoch()
        loop.reset_timer()
        for _ in range(epochs):
            loop.epoch()
        result = loop.result()
    finally:
        loop.close()
    t, cpu = result["totals"], result["cpu"]
    return {
        "backend": backend_name, "n": n, "epoch_ms": epoch_ms, "epochs": epochs,
        "build_s": round(build_s, 3),
        **{k: round(t.get(k, 0.0) / epochs, 4) for k in PHASES},
        "overhead_ratio": overhead_ratio(t),
        **{f"{k}_cpu": round(cpu.get(k, 0.0) / epochs, 4) for k in PHASES},
        "overhead_ratio_cpu": overhead_ratio(cpu),
        "load_avg": round(os.getloadavg()[0], 2),
        "rate_hz": round(result["spikes"] / n / (epochs * epoch_ms / 1000.0), 1),
        "peak_mem_mb": round(result["peak_mem_mb"], 1),
    }


def callgrind_epoch(backend_name: str, mode: str, n: int, epoch_ms: float) -> None:
    """Build `mode`'s network here, warm up, and run one epoch with callgrind's
    instrumentation on (run under `valgrind --tool=callgrind --instr-atstart=no`): the
    instruction and cache-miss counts of one simulated epoch, the same from run to run,
    where CPU times on a shared machine vary by tens of percent."""
    import subprocess

    loop = EpochLoop(backend_name, n, epoch_ms, mode=mode)
    loop.epoch(20.0)
    toggle = ["callgrind_control", "--instr={}", str(os.getpid())]
    subprocess.run([a.format("on") for a in toggle], check=True, capture_output=True)
    loop.epoch()
    subprocess.run([a.format("off") for a in toggle], check=True, capture_output=True)
    print(f"{backend_name} {mode} N={n}: one {epoch_ms:g} ms epoch, {loop.spikes} spikes")
    os._exit(0)  # valgrind's end-of-run report, without NEST's or NEURON's teardown


def last_level_cache() -> str | None:
    """valgrind's --LL (size,ways,line bytes) of this machine's last-level cache, from sysfs
    (valgrind's own guess was 256 MiB direct-mapped on a 32 MiB 16-way L3), its set count
    rounded down to a power of two; None if unknown."""
    folder = Path("/sys/devices/system/cpu/cpu0/cache")
    levels = sorted(folder.glob("index*"), key=lambda d: int((d / "level").read_text()))
    if not levels:
        return None
    top = levels[-1]
    size = (top / "size").read_text().strip()  # e.g. "32768K"
    unit = {"K": 1024, "M": 1024 ** 2}.get(size[-1])
    if unit is None:
        return None
    ways = int((top / "ways_of_associativity").read_text())
    line = int((top / "coherency_line_size").read_text())
    # valgrind simulates only a power-of-two number of sets: a 480 MiB 16-way L3 (a VM here)
    # is simulated as the 256 MiB below it
    sets = int(size[:-1]) * unit // (ways * line)
    return f"{(1 << (sets.bit_length() - 1)) * ways * line},{ways},{line}"


def callgrind_counts(backend_name: str, mode: str, n: int, epoch_ms: float) -> dict[str, float]:
    """Run callgrind_epoch for `mode` under valgrind (a child process) and return its counts:
    instructions (Ir), first-level (L1m) and last-level (LLm) misses, and KCachegrind's
    cycle estimate CEst = Ir + 10 L1m + 100 LLm, which weighs the misses as the time they
    cost roughly (no branch simulation here)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--cache-sim=yes",
               f"--callgrind-out-file={out}"]
        ll = last_level_cache()
        if ll:
            cmd.append(f"--LL={ll}")
        cmd += [sys.executable, str(Path(__file__).resolve()), "--callgrind", mode,
                "--backend", backend_name, "--n", str(n), "--epoch-ms", str(epoch_ms)]
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if not out.is_file():
            raise RuntimeError(f"callgrind of {backend_name} {mode} failed:\n{proc.stderr[-2000:]}")
        events: list[str] = []
        totals: list[int] = []
        for line in out.read_text().splitlines():
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("totals:"):
                totals = [int(x) for x in line.split()[1:]]
    t = dict(zip(events, totals, strict=True))
    l1 = t["I1mr"] + t["D1mr"] + t["D1mw"]
    last = t["ILmr"] + t["DLmr"] + t["DLmw"]
    return {"Ir": t["Ir"], "L1m": l1, "LLm": last, "CEst": t["Ir"] + 10 * l1 + 100 * last}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", nargs="+", default=["nest", "neuron"], choices=BACKENDS)
    p.add_argument("--n", nargs="+", type=int, default=[200])
    p.add_argument("--epoch-ms", nargs="+", type=float, default=[100.0, 1000.0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--callgrind", metavar="MODE", choices=MODES,
                   help="one epoch of MODE's network (first --backend, --n, --epoch-ms) with "
                        "callgrind's instrumentation on; run under valgrind (see "
                        "callgrind_epoch)")
    args = p.parse_args(argv)
    if args.callgrind:
        callgrind_epoch(args.backend[0], args.callgrind, args.n[0], args.epoch_ms[0])
    if not args.json:
        print(f"{'backend':14} {'N':>5} {'epoch':>6} {'sim s':>8} {'read s':>8} {'rule s':>8} "
              f"{'write s':>8} {'overhead':>9} {'cpu ovh':>8} {'Hz':>6} {'build s':>8} "
              f"{'load':>5}")
    for name in args.backend:
        for n in args.n:
            for epoch_ms in args.epoch_ms:
                r = measure(name, n, epoch_ms, args.epochs)
                if args.json:
                    print(json.dumps(r), flush=True)
                else:
                    print(f"{name:14} {n:5d} {epoch_ms:6g} {r['simulate']:8.3f} "
                          f"{r['readout']:8.4f} {r['learn']:8.4f} {r['write']:8.4f} "
                          f"{100 * r['overhead_ratio']:8.1f}% "
                          f"{100 * r['overhead_ratio_cpu']:7.1f}% {r['rate_hz']:6.1f} "
                          f"{r['build_s']:8.1f} {r['load_avg']:5.1f}", flush=True)


if __name__ == "__main__":
    main()
