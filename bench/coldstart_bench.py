"""Cold start: how long ``import app`` takes in a fresh interpreter, against the libraries it cannot do without.

``python -m bench.coldstart_bench [--runs 5] [--build] [--out bench/results/coldstart.json]``

Every timing is a fresh subprocess timing its own imports (interpreter start-up left
out), and each figure is the median of ``--runs``:

* in the repository's virtualenv, ``import app`` against ``import chalice, boto3,
  pydantic``, each with cached bytecode (a private ``PYTHONPYCACHEPREFIX``, filled by one
  run first) and without (a fresh, empty prefix per run and ``-B``: everything imported,
  the standard library included, is compiled from source), and the ratio of the two
  imports; whether ``import app`` loaded numpy or scipy;
* from the last ``make package`` (``build/package/deployment.zip``; ``--build`` builds
  it first): its unzipped size, and ``import app`` from the unpacked zip alone, as on
  Lambda: with the bytecode it ships, and with that bytecode removed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "coldstart.json"
DEFAULT_PACKAGE = ROOT / "build" / "package" / "deployment.zip"
APP = "app"
BASELINE = "chalice, boto3, pydantic"
TARGET_RATIO = 1.5
MB = 1024 * 1024

# Times the imports alone and says which heavy libraries they pulled in.
_PROBE = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
started = time.perf_counter()
import {modules}
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "numpy": "numpy" in sys.modules, "scipy": "scipy" in sys.modules}}))
"""

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "MENTORFLOW_TABLE_NAME": "mentorflow-bench",
    "LANG": "C.UTF-8",
}


def _environment(pycache_prefix: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(_ENV)
    if pycache_prefix is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache_prefix)
    return env


def time_import(modules: str, flags: list[str], env: Mapping[str, str], cwd: Path) -> dict[str, Any]:
    """One fresh interpreter importing ``modules``: its import seconds and whether numpy/scipy came along."""
    result = subprocess.run(
        [sys.executable, *flags, "-c", _PROBE.format(modules=modules)],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"import {modules} failed:\n{result.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def median_seconds(samples: list[dict[str, Any]]) -> float:
    return round(statistics.median(sample["seconds"] for sample in samples), 4)


def bench_virtualenv(modules: str, runs: int, scratch: Path) -> dict[str, Any]:
    """``modules`` imported in the repository's virtualenv, with and without cached bytecode."""
    cached_prefix = scratch / f"cached-{modules.replace(', ', '-')}"
    time_import(modules, [], _environment(cached_prefix), ROOT)  # fills the cache
    cached = [time_import(modules, [], _environment(cached_prefix), ROOT) for _ in range(runs)]
    uncached = []
    for run in range(runs):
        empty = scratch / f"empty-{modules.replace(', ', '-')}-{run}"
        uncached.append(time_import(modules, ["-B"], _environment(empty), ROOT))
    return {
        "with_bytecode_s": median_seconds(cached),
        "without_bytecode_s": median_seconds(uncached),
        "numpy_imported": cached[-1]["numpy"],
        "scipy_imported": cached[-1]["scipy"],
    }


def bench_package(zip_path: Path, runs: int, scratch: Path) -> dict[str, Any]:
    """``import app`` from the unpacked zip alone, with and without its bytecode.

    ``-I -S``: nothing but the standard library and the folder; ``-B``: nothing cached, as on Lambda's read-only folder.
    """
    with zipfile.ZipFile(zip_path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
        shipped = scratch / "package"
        archive.extractall(shipped)
    bare = scratch / "package-without-bytecode"
    shutil.copytree(shipped, bare, ignore=shutil.ignore_patterns("__pycache__"))
    flags = ["-I", "-S", "-B"]
    env = _environment(None)
    with_bytecode = [time_import(APP, flags, env, shipped) for _ in range(runs)]
    without_bytecode = [time_import(APP, flags, env, bare) for _ in range(runs)]
    return {
        "zip": str(zip_path),
        "unzipped_bytes": unzipped,
        "unzipped_mb": round(unzipped / MB, 1),
        "app_with_bytecode_s": median_seconds(with_bytecode),
        "app_without_bytecode_s": median_seconds(without_bytecode),
    }


def build(zip_path: Path) -> None:
    from devtools.package import build_package, report

    result = build_package("prod", zip_path.parent)
    if report(result) != 0:
        raise RuntimeError("make package failed; see above")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per figure (the median is kept)")
    parser.add_argument("--build", action="store_true", help="build the package first (as make package does)")
    parser.add_argument("--package", type=Path, default=DEFAULT_PACKAGE, help="deployment.zip to measure")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.build:
        build(args.package)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mentorflow-coldstart-") as folder:
        scratch = Path(folder)
        app = bench_virtualenv(APP, args.runs, scratch)
        baseline = bench_virtualenv(BASELINE, args.runs, scratch)
        package = bench_package(args.package, args.runs, scratch) if args.package.exists() else None
    ratio_with = round(app["with_bytecode_s"] / baseline["with_bytecode_s"], 2)
    ratio_without = round(app["without_bytecode_s"] / baseline["without_bytecode_s"], 2)
    result = {
        "runs": args.runs,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "import_app": app,
        "import_baseline": {"modules": BASELINE, **baseline},
        "ratio_with_bytecode": ratio_with,
        "ratio_without_bytecode": ratio_without,
        "target_ratio_with_bytecode": TARGET_RATIO,
        "package": package,
    }

    print(f"cold start: median of {args.runs} fresh interpreters, import time only")
    print(f"  {'':34} {'with bytecode':>14} {'without':>10}")
    print(f"  {'import app':34} {app['with_bytecode_s']:>12.2f} s {app['without_bytecode_s']:>8.2f} s")
    base_with, base_without = baseline["with_bytecode_s"], baseline["without_bytecode_s"]
    print(f"  {'import ' + BASELINE:34} {base_with:>12.2f} s {base_without:>8.2f} s")
    verdict = "within" if ratio_with <= TARGET_RATIO else "over"
    print(f"  ratio app/baseline: {ratio_with}x with bytecode ({verdict} {TARGET_RATIO}x), {ratio_without}x without")
    print(f"  import app loaded numpy: {app['numpy_imported']}, scipy: {app['scipy_imported']}")
    if package is None:
        print(f"  no {args.package}: run make package (or pass --build) for the package figures")
    else:
        print(
            f"  package: {package['unzipped_mb']} MB unzipped; import app from it alone "
            f"{package['app_with_bytecode_s']:.2f} s with its bytecode, "
            f"{package['app_without_bytecode_s']:.2f} s without"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"  written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
