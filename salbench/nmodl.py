"""Compiling NMODL mechanisms for NEURON into salbench's cache, for any layer (the noise
current of salbench.backends.neuron_noise, the SAL weight adjuster of salbench.plasticity).

Each folder of .mod files gets its own cache entry, $SALBENCH_CACHE/nrnmech/<hash of the
sources, the NEURON version and its install location>; builds are atomic renames, so
concurrent processes never see half a build. NEURON itself is never imported here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from salbench.cache import cache_dir

#: Extra compiler flags for the mechanisms, passed as nrnivmodl's -incflags (they reach every
#: compile line, after nrnivmodl's own -O2). -fno-semantic-interposition lets the compiler
#: inline a mechanism's FUNCTIONs into its NET_RECEIVE: NMODL makes them global functions,
#: and in a shared library without this flag each call went through the PLT, with the
#: arguments spilled and reloaded around it, on every event.
COMPILE_FLAGS = "-fno-semantic-interposition"


def cache_root() -> Path:
    """Where compiled mechanisms live ($SALBENCH_CACHE, as for calibrations)."""
    return cache_dir("nrnmech")


def _neuron_prefix() -> Path:
    spec = find_spec("neuron")
    if spec is None or spec.origin is None:
        raise RuntimeError("NEURON is not installed: `pip install neuron` (>= 9, for RANDOM)")
    return Path(spec.origin).parent


def mechanisms_key(source: Path) -> str:
    """Hash of the .mod sources in `source`, COMPILE_FLAGS, the NEURON version and its install
    location: the compiled library links against that install's libnrniv (RUNPATH), so another
    venv gets its own."""
    digest = hashlib.sha256()
    for file in _sources(source):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    digest.update(COMPILE_FLAGS.encode() + b"\0")
    digest.update(metadata.version("neuron").encode() + b"\0")
    digest.update(str(_neuron_prefix()).encode())
    return digest.hexdigest()[:16]


def _sources(source: Path) -> list[Path]:
    """The .mod files of `source` and the .inc files they INCLUDE (nocmodl reads those from
    its working directory)."""
    return sorted([*source.glob("*.mod"), *source.glob("*.inc")])


def _is_built(folder: Path) -> bool:
    # nrnivmodl writes <arch>/libnrnmech.so (arch = x86_64, arm64, ...)
    return folder.is_dir() and any(folder.glob("*/libnrnmech.*"))


def _build_tools(env: dict[str, str]) -> str:
    """The nrnivmodl to run; RuntimeError naming the fix if it or the compiler is missing."""
    nrnivmodl = shutil.which("nrnivmodl", path=env["PATH"])
    if nrnivmodl is None:
        raise RuntimeError(
            "nrnivmodl not found (looked next to the running Python and on PATH): install the "
            "NEURON wheel into this environment (`pip install neuron`)")
    # nrnivmodl compiles C++ with $CXX, else the compiler Python was built with, and runs make
    cxx = env.get("CXX") or (sysconfig.get_config_var("CXX") or "c++").split()[0]
    missing = [tool for tool in (cxx, "make") if shutil.which(tool, path=env["PATH"]) is None]
    if missing:
        raise RuntimeError(
            f"cannot compile NEURON mechanisms: {' and '.join(missing)} not found. Install a C++ "
            "compiler and make (Debian/Ubuntu: `apt-get install g++ make`), or set CXX")
    return nrnivmodl


def compile_mechanisms(source: Path) -> Path:
    """Compile the .mod files of `source` once into the cache and return the folder to load.
    Each folder gets a cache entry of its own, so editing one never rebuilds another nor
    changes the noise mechanism's key, which calibrations depend on.

    Idempotent (an existing build is returned at once) and safe when several processes call
    it at the same time: each builds in its own temporary folder beside the target and renames
    it into place; rename is atomic, so a reader sees either nothing or a complete build, and
    a loser of the race drops its copy and uses the winner's.
    """
    root = cache_root()
    folder = root / mechanisms_key(source)
    if _is_built(folder):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # the wheel's nrnivmodl sits in the venv's bin/, which need not be on PATH (a venv's
    # Python run by its full path), and it calls further tools from there
    env["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent),
                                                env.get("PATH")]))
    nrnivmodl = _build_tools(env)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        # mkdtemp makes it private (0700); the cache entry it becomes is shared like any other
        build.chmod(0o755)
        # a self-contained copy: the cache entry then shows what it was built from
        sources = _sources(source)
        for file in sources:
            shutil.copy2(file, build / file.name)
        mods = [file for file in sources if file.suffix == ".mod"]
        proc = subprocess.run([nrnivmodl, "-incflags", COMPILE_FLAGS,
                               *(mod.name for mod in mods)], cwd=build, env=env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not _is_built(build):
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
            # the fix last: `salbench prepare` reports a failure by its last line
            raise RuntimeError(
                f"nrnivmodl failed (exit {proc.returncode}) on {source}:\n{tail}\n"
                "nrnivmodl failed: check that a C++ compiler and make work (Debian/Ubuntu: "
                "`apt-get install g++ make`) and that the neuron wheel is intact")
        try:
            os.rename(build, folder)
        except OSError:
            # another process finished first (the target exists and is not empty)
            if not _is_built(folder):
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return folder
