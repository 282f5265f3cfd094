"""Rewrite the ``deployment.zip`` that ``chalice package`` wrote: smaller, and with compiled bytecode.

Lambda's code folder is read-only, so Python cannot cache bytecode there: a zip
without ``.pyc`` files compiles every module it imports at every cold start. This
module unpacks the zip, drops what the runtime never reads, compiles everything
left with the running interpreter (which must be the runtime's minor version) in
``unchecked-hash`` mode, so the folder's file times do not matter, and zips it again.

What goes (only from the dependencies; ``app.py`` and ``chalicelib/`` stay as they are):

* test folders (``*/tests/``, but for the one file numpy imports from there), type
  stubs and build inputs (``.pyi``, ``.pxd``, ``.pyx``, C/C++/Fortran sources and
  headers, static libraries) and any bytecode already there (for other interpreters);
* scipy's subpackages that the matching engine never loads (``UNUSED_SCIPY_SUBPACKAGES``);
* OR-tools but for its min-cost flow: the Python packages of its other solvers
  (``UNUSED_ORTOOLS_SUBPACKAGES``), its generated protobuf modules (``*_pb2.py``) and
  ``pybind11_abseil``; ``ortools/graph`` and the one shared library in ``ortools/.libs``
  that every OR-tools extension module links stay;
* the distributions that only OR-tools requires and ``ortools.graph.python.min_cost_flow``
  never imports (``UNUSED_ORTOOLS_DEPENDENCIES``: pandas, protobuf, absl-py, immutabledict),
  with their ``.dist-info``;
* Babel's locale data for languages no message is written in: the languages of the
  templates in ``chalicelib/notify/texts`` stay, with every regional variant and the
  locales they inherit from (``root``);
* in ``*.dist-info``, all but METADATA (its headers, which ``importlib.metadata``
  reads for names and versions), ``entry_points.txt`` (pydantic looks up plugins
  there at import), ``top_level.txt`` and the licences. RECORD goes: it lists files
  and hashes that no longer match, and only installers read it;
* the symbol tables of the dependencies' extension modules (``strip
  --strip-unneeded``; the ``*.libs`` folders that auditwheel patched are left alone).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

OUR_CODE = ("app.py", "chalicelib")
# scipy subpackages that neither the matching engine's scipy.optimize.linear_sum_assignment and
# scipy.sparse.csgraph nor anything they import at load time use (traced with sys.modules).
# tests/integration/test_package.py imports every scipy subpackage left and runs a cohort.
UNUSED_SCIPY_SUBPACKAGES = frozenset(
    {"cluster", "datasets", "differentiate", "fftpack", "integrate", "interpolate"}
    | {"io", "misc", "ndimage", "odr", "signal", "stats"}
)
# OR-tools' Python packages other than ortools/graph, whose ortools.graph.python.min_cost_flow is all the matching
# engine loads (traced with sys.modules: ortools, ortools.graph, ortools.graph.python and it). Its extension module
# links ortools/.libs/libortools.so.9 alone (readelf -d), which holds protobuf, abseil and every solver statically.
# tests/integration/test_package.py checks that nothing else of ortools is left and solves a flow with it.
UNUSED_ORTOOLS_SUBPACKAGES = frozenset(
    {"algorithms", "bop", "constraint_solver", "glop", "gscip", "init", "linear_solver", "math_opt"}
    | {"packing", "pdlp", "sat", "scheduling", "service", "util"}
)
# Top-level packages of the ortools wheel besides ortools: only math_opt imports it.
UNUSED_ORTOOLS_TOP_LEVEL = frozenset({"pybind11_abseil"})
# Distributions that only ortools requires and min_cost_flow never imports (sys.modules after the import holds none
# of them), by normalised name, with the paths they install.
UNUSED_ORTOOLS_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "pandas": ("pandas",),
    "protobuf": ("google/protobuf", "google/_upb"),
    "absl_py": ("absl",),
    "immutabledict": ("immutabledict",),
}
# Test files that non-test code imports: numpy.testing, which scipy imports, reads pd_NA from here.
KEPT_FROM_TESTS = frozenset({"numpy/_core/tests/_natype.py"})
DROPPED_FOLDERS = frozenset({"tests", "__pycache__"})
DROPPED_SUFFIXES = frozenset(
    {".pyi", ".pxd", ".pxi", ".pyx", ".c", ".cc", ".cpp", ".h", ".hpp", ".f", ".f90", ".a", ".pyc"}
)
KEPT_IN_DIST_INFO = frozenset({"METADATA", "entry_points.txt", "top_level.txt"})
LICENCE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
BABEL_LOCALE_DATA = Path("babel") / "locale-data"
# Every file of the rewritten zip gets these times: with unchecked-hash bytecode nothing reads them.
ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16
_EXECUTABLE_MODE = 0o100755 << 16


class SlimmingFailed(Exception):
    """Compiling or stripping the unpacked package failed; the message says what."""


@dataclass
class SlimReport:
    before_bytes: int
    after_bytes: int = 0
    removed_bytes: Counter[str] = field(default_factory=Counter)
    compiled_files: int = 0
    stripped_modules: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)


def kept_babel_locales(available: Iterable[str], languages: Iterable[str], parents: dict[str, str]) -> set[str]:
    """The Babel locales to keep: those of ``languages`` (any script or region) and every locale they inherit from."""
    wanted = {language.replace("-", "_").split("_")[0].lower() for language in languages}
    available = set(available)
    kept = {"root"} | {name for name in available if name.split("_")[0].lower() in wanted}
    for name in list(kept):
        while name != "root":
            # Babel's own rule: an explicit parent from CLDR, else the identifier without its last part.
            name = parents.get(name) or ("_".join(name.split("_")[:-1]) or "root")
            kept.add(name)
    return kept & (available | {"root"})


def _is_our_code(relative: Path) -> bool:
    return relative.parts[0] in OUR_CODE


def _distribution(dist_info: str) -> str:
    """The normalised distribution name of a ``<name>-<version>.dist-info`` folder."""
    return re.sub(r"[-_.]+", "_", dist_info.removesuffix(".dist-info").rsplit("-", 1)[0]).lower()


def _unused_ortools_part(relative: Path) -> str | None:
    """Why a file of OR-tools or of one of its unused dependencies goes, or None when it stays."""
    parts = relative.parts
    if parts[0] == "ortools" and (
        (len(parts) > 2 and parts[1] in UNUSED_ORTOOLS_SUBPACKAGES) or relative.name.endswith("_pb2.py")
    ):
        return "unused ortools subpackages"
    if parts[0] in UNUSED_ORTOOLS_TOP_LEVEL:
        return "unused ortools subpackages"
    if parts[0].endswith(".dist-info") and _distribution(parts[0]) in UNUSED_ORTOOLS_DEPENDENCIES:
        return f"{_distribution(parts[0])} (unused ortools dependency)"
    path = relative.as_posix()
    for name, prefixes in UNUSED_ORTOOLS_DEPENDENCIES.items():
        if any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes):
            return f"{name} (unused ortools dependency)"
    return None


def _category(relative: Path) -> str | None:
    """Why a dependency file goes, or None when it stays."""
    if relative.as_posix() in KEPT_FROM_TESTS:
        return None
    if relative.parts[0] == "scipy" and len(relative.parts) > 2 and relative.parts[1] in UNUSED_SCIPY_SUBPACKAGES:
        return "unused scipy subpackages"
    unused_ortools_part = _unused_ortools_part(relative)
    if unused_ortools_part is not None:
        return unused_ortools_part
    if any(part in DROPPED_FOLDERS for part in relative.parts[:-1]):
        return "tests" if "tests" in relative.parts[:-1] else "old bytecode"
    if relative.suffix.lower() in DROPPED_SUFFIXES:
        return "old bytecode" if relative.suffix == ".pyc" else "stubs and sources"
    top = relative.parts[0]
    if top.endswith(".dist-info") and len(relative.parts) >= 2:
        inner = relative.parts[1]
        if inner in KEPT_IN_DIST_INFO or inner == "licenses" or inner.upper().startswith(LICENCE_PREFIXES):
            return None
        return "pip metadata"
    return None


def _trim_metadata(path: Path) -> None:
    """Keep METADATA's headers (name, version, requirements); the long description after them is the README."""
    text = path.read_text(encoding="utf-8", errors="replace")
    headers, _, _ = text.partition("\n\n")
    path.write_text(headers + "\n", encoding="utf-8")


def _remove(folder: Path, report: SlimReport, languages: Iterable[str], parents: dict[str, str]) -> None:
    locale_folder = folder / BABEL_LOCALE_DATA
    kept_locales: set[str] = set()
    if locale_folder.is_dir():
        names = [p.stem for p in locale_folder.glob("*.dat")]
        kept_locales = kept_babel_locales(names, languages, parents)
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(folder)
        if _is_our_code(relative):
            continue
        reason = _category(relative)
        if reason is None and path.parent == locale_folder and path.suffix == ".dat":
            reason = None if path.stem in kept_locales else "babel locales"
        if reason is not None:
            report.removed_bytes[reason] += path.stat().st_size
            path.unlink()
        elif relative.parts[0].endswith(".dist-info") and relative.name == "METADATA":
            before = path.stat().st_size
            _trim_metadata(path)
            report.removed_bytes["pip metadata"] += before - path.stat().st_size
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _strip(folder: Path, report: SlimReport) -> None:
    strip = shutil.which("strip")
    modules = [
        path
        for path in folder.rglob("*.cpython-*.so")
        if not _is_our_code(path.relative_to(folder))
        and not any(part.endswith(".libs") for part in path.relative_to(folder).parts)
    ]
    if strip is None or not modules:
        return
    before = sum(path.stat().st_size for path in modules)
    result = subprocess.run(  # noqa: S603
        [strip, "--strip-unneeded", *map(str, modules)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SlimmingFailed(f"strip failed: {result.stderr.strip()[-2000:]}")
    report.stripped_modules = len(modules)
    report.removed_bytes["symbol tables"] += before - sum(path.stat().st_size for path in modules)


def _compile(folder: Path, report: SlimReport) -> None:
    # -I: PYTHONPYCACHEPREFIX and the like would send the bytecode elsewhere.
    command = [sys.executable, "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    result = subprocess.run(  # noqa: S603
        [*command, str(folder)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SlimmingFailed(f"compileall failed: {(result.stdout + result.stderr).strip()[-2000:]}")
    tag = sys.implementation.cache_tag
    report.compiled_files = sum(1 for _ in folder.rglob(f"__pycache__/*.{tag}.pyc"))


def _write_zip(folder: Path, zip_path: Path, modes: dict[str, int]) -> None:
    partial = zip_path.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            # Lambda runs the code as another user than the one who built it: every file must be world-readable.
            info.external_attr = _EXECUTABLE_MODE if modes.get(name, 0) & (0o111 << 16) else _FILE_MODE
            archive.writestr(info, path.read_bytes())
    partial.replace(zip_path)


def folder_sizes(zip_path: Path) -> list[tuple[str, int]]:
    """Unzipped bytes per top-level entry, biggest first (``*.dist-info`` counted together)."""
    sizes: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            sizes["*.dist-info" if top.endswith(".dist-info") else top] += info.file_size
    return sizes.most_common()


def slim_zip(zip_path: Path, languages: Iterable[str], babel_parents: dict[str, str]) -> SlimReport:
    """Rewrite ``zip_path`` in place as described in the module docstring."""
    with tempfile.TemporaryDirectory(prefix="mentorflow-slim-") as scratch:
        folder = Path(scratch)
        with zipfile.ZipFile(zip_path) as archive:
            report = SlimReport(before_bytes=sum(info.file_size for info in archive.infolist()))
            modes = {info.filename: info.external_attr for info in archive.infolist()}
            archive.extractall(folder)
        _remove(folder, report, languages, babel_parents)
        _strip(folder, report)
        _compile(folder, report)
        _write_zip(folder, zip_path, modes)
    report.largest = folder_sizes(zip_path)
    report.after_bytes = sum(size for _, size in report.largest)
    return report
