"""Build NEST extension modules against the nest-simulator wheel: salbench's SAL synapse and
PyNN's own `pynn_extensions`, once per source, into the salbench cache.

Why this is not a plain `cmake`/NESTML run (native-sal.md, "NEST: a SAL synapse built with
NESTML 9 against the NEST wheel"): the wheel's `nest-config` and `nest.build_info["prefix"]`
name paths of the machine that built the wheel (a temporary prefix, a devtoolset g++). We
write a replacement `nest-config` that points at the wheel's headers, /usr/bin/g++ and a
writable prefix of our own. Two more facts from there: the wheel's headers need boost, ltdl
and GSL headers (`apt-get install libboost-dev libgsl-dev libltdl-dev`), and the wheel uses
the old libstdc++ string ABI, so modules must be compiled with -D_GLIBCXX_USE_CXX11_ABI=0
(else `nest.Install` fails with a misleading "file not found"). Nothing is linked: NEST's
symbols resolve at load time from `nestkernel_api.so`, which PyNEST loads RTLD_GLOBAL.

Layout, under $SALBENCH_CACHE/nest (default ~/.cache/salbench/nest):
  sal/<key>/salbench_sal_module.so      key = hash(model sources, NEST version and path, flags)
  pynn/<key>/lib/nest/pynn_extensions.so  key = hash(PyNN's extension sources, NEST, flags)
Each build happens in a temporary folder beside its target and is renamed into place
(atomic), so concurrent `salbench prepare`s and runs never see half a build.

Nothing here imports NEST: building must not load a kernel into a process that may want
NEURON, and `use_pynn_extensions` must run before the first `import pyNN.nest`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from salbench.cache import cache_dir

#: salbench's NEST model sources (C++); their hash keys the cached module
MODEL_DIR = Path(__file__).parent / "models"
MODEL_SOURCE = MODEL_DIR / "salbench_sal_synapse.cpp"
MODULE_NAME = "salbench_sal_module"
SYNAPSE_MODEL = "salbench_sal_synapse"
#: the same with a_causal and a_acausal per model (common properties), not per synapse
SYNAPSE_MODEL_HOM = "salbench_sal_synapse_hom"
#: native-sal.md workaround 1 and 3: the flags the wheel's own build used, old string ABI
#: (also the replacement nest-config's, with which PyNN builds its extension)
CXXFLAGS = ("-O2", "-std=c++20", "-fPIC", "-fopenmp", "-D_GLIBCXX_USE_CXX11_ABI=0")
#: and for salbench's module: hidden visibility, so the synapse's small functions are called
#: directly or inlined rather than through the PLT (the module exports only its `_LTX_module`
#: entry point, marked in the source; PyNN's extension, built with CXXFLAGS alone, must
#: export its own), and NDEBUG for the asserts of NEST's inline accessors the synapse calls
#: at every spike
MODULE_FLAGS = (*CXXFLAGS, "-fvisibility=hidden", "-fvisibility-inlines-hidden", "-DNDEBUG")
#: what the wheel's headers include (native-sal.md workaround 2), as Debian packages
APT_HEADERS = ("libboost-dev", "libgsl-dev", "libltdl-dev")


def cache_root() -> Path:
    return cache_dir("nest")


def nest_package_dir() -> Path:
    spec = find_spec("nest")
    if spec is None or spec.origin is None:
        raise RuntimeError("NEST is not installed: `pip install nest-simulator` (salbench[nest])")
    return Path(spec.origin).parent


def _key(flags: tuple[str, ...], *parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part + b"\0")
    digest.update(metadata.version("nest-simulator").encode() + b"\0")
    digest.update(str(nest_package_dir()).encode() + b"\0")
    digest.update(" ".join(flags).encode())
    return digest.hexdigest()[:16]


def sal_module_key() -> str:
    """Hash of the SAL model sources, the NEST version and install, and the flags."""
    return _key(MODULE_FLAGS, *(p.name.encode() + b"\0" + p.read_bytes()
                                for p in sorted(MODEL_DIR.iterdir()) if p.is_file()))


def _pynn_extension_source() -> Path:
    spec = find_spec("pyNN")
    if spec is None or spec.origin is None:
        raise RuntimeError("PyNN is not installed: `pip install PyNN` (salbench[nest])")
    return Path(spec.origin).parent / "nest" / "extensions"


def pynn_extension_key() -> str:
    src = _pynn_extension_source()
    return _key(CXXFLAGS, *(p.name.encode() + b"\0" + p.read_bytes()
                            for p in sorted(src.iterdir()) if p.is_file()),
                metadata.version("PyNN").encode())


def sal_module_path() -> Path:
    """Where the compiled SAL module lives (whether built yet or not)."""
    return cache_root() / "sal" / sal_module_key() / f"{MODULE_NAME}.so"


def pynn_extension_dir() -> Path:
    """The folder holding pynn_extensions.so (whether built yet or not)."""
    return cache_root() / "pynn" / pynn_extension_key() / "lib" / "nest"


def _check_headers() -> None:
    """RuntimeError naming the apt packages when the wheel's headers cannot be compiled."""
    missing = [h for h in ("/usr/include/boost/version.hpp", "/usr/include/gsl/gsl_rng.h",
                           "/usr/include/ltdl.h") if not Path(h).exists()]
    if missing:
        raise RuntimeError(
            f"cannot compile NEST modules: {', '.join(missing)} missing; the nest-simulator "
            f"wheel's headers need `apt-get install {' '.join(APT_HEADERS)}`")
    if shutil.which("g++") is None:
        raise RuntimeError("cannot compile NEST modules: g++ not found (`apt-get install g++`)")


def write_nest_config(folder: Path, prefix: Path) -> Path:
    """A replacement `nest-config` in `folder` (native-sal.md workaround 1)."""
    include = nest_package_dir() / "include" / "nest"
    answers = {
        "--includes": f"-I{include}",
        "--compiler": "/usr/bin/g++",
        "--cflags": " ".join(CXXFLAGS),
        "--libs": "",
        "--prefix": str(prefix),
        "--exec-prefix": str(prefix),
        "--libdir": "lib",
        "--datadir": "share",
        "--docdir": "share/doc",
        "--static-libraries": "OFF",
        "--version": metadata.version("nest-simulator"),
    }
    cases = "\n".join(f'    {flag}) echo "{value}" ;;' for flag, value in answers.items())
    script = folder / "nest-config"
    script.write_text(f'#!/bin/sh\n# written by salbench (nest_build.py)\ncase "$1" in\n{cases}\n'
                      '    *) echo "" ;;\nesac\n')
    script.chmod(0o755)
    return script


def _atomic_build(target: Path, build: Callable[[Path], None], is_built: Callable[[Path], bool]
                  ) -> Path:
    """Run `build(tmp)` in a fresh folder beside `target`, then rename it into place."""
    if is_built(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        tmp.chmod(0o755)
        build(tmp)
        if not is_built(tmp):
            raise RuntimeError(f"build in {tmp} produced nothing")
        try:
            os.rename(tmp, target)
        except OSError:
            if not is_built(target):  # else another process won the race: use its build
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        # the fix last: `salbench prepare` reports a failure by its last line
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{tail}\n{what} failed: "
                           f"check g++ and `apt-get install {' '.join(APT_HEADERS)}`")


def build_sal_module() -> Path:
    """Compile salbench's SAL synapse module once (cached) and return the .so path."""
    folder = sal_module_path().parent
    _check_headers()

    def build(tmp: Path) -> None:
        for src in MODEL_DIR.iterdir():
            if src.is_file():
                shutil.copy2(src, tmp / src.name)  # the cache entry shows what it was built from
        include = nest_package_dir() / "include" / "nest"
        _run(["g++", *MODULE_FLAGS, "-shared", f"-I{include}", MODEL_SOURCE.name,
              "-o", f"{MODULE_NAME}.so"], tmp, "compiling the SAL NEST module")

    _atomic_build(folder, build, lambda f: (f / f"{MODULE_NAME}.so").is_file())
    return folder / f"{MODULE_NAME}.so"


def build_pynn_extensions() -> Path:
    """Build PyNN's own NEST extension module with the replacement nest-config (cached);
    return the folder to put on NEST's module search path (see use_pynn_extensions)."""
    root = pynn_extension_dir().parents[1]
    _check_headers()
    if shutil.which("cmake") is None or shutil.which("make") is None:
        raise RuntimeError("building PyNN's NEST extensions needs cmake and make "
                           "(`apt-get install cmake make`)")

    def build(tmp: Path) -> None:
        config = write_nest_config(tmp, prefix=tmp)
        work = tmp / "build"
        work.mkdir()
        _run(["cmake", f"-Dwith-nest={config}", str(_pynn_extension_source())], work,
             "cmake for PyNN's NEST extensions")
        _run(["make", "-j2"], work, "building PyNN's NEST extensions")
        _run(["make", "install"], work, "installing PyNN's NEST extensions")
        shutil.rmtree(work)
        # the prefix was the temporary folder: nothing in the installed .so refers to it

    _atomic_build(root, build, lambda f: (f / "lib" / "nest" / "pynn_extensions.so").is_file())
    return pynn_extension_dir()


def use_pynn_extensions() -> bool:
    """Let a later `import pyNN.nest` find PyNN's extension module built by `salbench prepare`,
    instead of running (and failing) cmake on every fresh import. NEST loads modules by name
    through libltdl, which searches $LTDL_LIBRARY_PATH at load time. True if a build exists.
    Must run before pyNN.nest is first imported; harmless afterwards."""
    try:
        folder = pynn_extension_dir()
    except (RuntimeError, metadata.PackageNotFoundError):
        return False
    if not (folder / "pynn_extensions.so").is_file():
        return False
    paths = [p for p in os.environ.get("LTDL_LIBRARY_PATH", "").split(os.pathsep) if p]
    if str(folder) not in paths:
        os.environ["LTDL_LIBRARY_PATH"] = os.pathsep.join([str(folder), *paths])
    return True


_INSTALLS = 0


def installs() -> int:
    """How many times this process installed the SAL module: a new count, a new kernel."""
    return _INSTALLS


def install_sal_module(nest: Any) -> None:
    """Load the SAL synapse into the running NEST kernel unless it is there already.

    NEST loads modules only into an empty network, and pyNN.nest's setup() resets the kernel,
    which unloads them (native-sal.md): so this must run after every setup() and before the
    first Population (see salbench.plasticity.nest.install_after_setup). Builds the module
    first if `salbench prepare` has not (about 10 s)."""
    if SYNAPSE_MODEL in nest.synapse_models:
        return
    path = build_sal_module()
    if nest.GetKernelStatus("network_size") > 0:
        raise RuntimeError(
            "NEST can load salbench's SAL synapse only before any neuron exists: call "
            "salbench.plasticity.sal_synapse(sim, ...) (or salbench.plasticity.install(sim)) "
            "right after sim.setup(), before creating populations")
    nest.Install(str(path))
    global _INSTALLS
    _INSTALLS += 1
    if SYNAPSE_MODEL not in nest.synapse_models:
        raise RuntimeError(f"{path} was installed but defines no {SYNAPSE_MODEL}")
