"""The deploy package: what ``python -m devtools.package`` builds is complete, scoped, lean and importable.

The package is built once per session (``chalice package`` twice, with PyPI for the
manylinux wheels, then slimmed and compiled); then the SAM template is checked for the
table, the schedules, per-function settings and the policy, and passes cfn-lint; and
``deployment.zip`` is unpacked and used in a clean interpreter that sees nothing but
the standard library and the unpacked folder, as on Lambda (less boto3, which nothing
may need at import time), and may write no bytecode, as on Lambda's read-only folder:
``app`` and every handler import from the compiled bytecode, a cohort is matched with
the stripped numpy and scipy, and dates are written in every language with the
remaining Babel data.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.storage.table import TTL_ATTRIBUTE
from devtools.package import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    REPO_ROOT,
    TABLE_ENV_VAR,
    TABLE_RESOURCE,
    UNZIPPED_BUDGET_BYTES,
    PackageResult,
    PackagingFailed,
    build_package,
    check_python,
    requirement_names,
    resources_of_type,
    stage_policy,
    supported_languages,
    template_policy,
)
from devtools.slim import kept_babel_locales

# Fails to import the same way from a plain `pip install scipy==1.16.3`: it imports a name from itself.
BROKEN_UPSTREAM = {"scipy.linalg._matfuncs_sqrtm_triu"}

# cfn-lint findings accepted in the merged template, each with the reason. Empty: it passes clean.
CFN_LINT_IGNORED: dict[str, str] = {}


def _scheduled() -> dict[str, str]:
    """Every job of chalicelib.jobs.JOBS, with the name chalice gives its function resource."""
    from chalicelib.jobs import JOBS

    return {name: "".join(part.capitalize() for part in name.split("-")) for name in JOBS}


SCHEDULED = _scheduled()


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[PackageResult, float]:
    folder = tmp_path_factory.mktemp("package")
    started = time.monotonic()
    result = build_package("prod", folder / "out", merge_path=folder / "merge.json")
    return result, time.monotonic() - started


@pytest.fixture(scope="session")
def template(package: tuple[PackageResult, float]) -> dict[str, Any]:
    return package[0].template


@pytest.fixture(scope="session")
def unpacked(package: tuple[PackageResult, float], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    assert not any(folder.iterdir())
    with zipfile.ZipFile(package[0].out / "deployment.zip") as archive:
        archive.extractall(folder)
    return folder


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_policy_files_are_the_generated_ones(stage: str) -> None:
    stored = json.loads((REPO_ROOT / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8"))

    assert stored == stage_policy(stage)
    table_statement = stored["Statement"][0]
    assert table_statement["Resource"] == [
        f"arn:aws:dynamodb:*:*:table/mentorflow-{stage}",
        f"arn:aws:dynamodb:*:*:table/mentorflow-{stage}/index/*",
    ]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_config_uses_its_policy_file(stage: str) -> None:
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"][stage]

    assert config["autogen_policy"] is False
    assert config["iam_policy_file"] == f"policy-{stage}.json"


@pytest.mark.slow
@pytest.mark.integration
def test_template_declares_the_table_with_both_indexes_ttl_and_pitr(template: dict[str, Any]) -> None:
    table = template["Resources"][TABLE_RESOURCE]
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain"
    assert {index["IndexName"] for index in properties["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    assert properties["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize(("job", "resource"), sorted(SCHEDULED.items()))
def test_jobs_are_scheduled_functions(template: dict[str, Any], job: str, resource: str) -> None:
    from chalicelib.jobs import JOBS

    function = template["Resources"][resource]
    events = list(function["Properties"]["Events"].values())

    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Handler"] == f"chalicelib.jobs.{job.replace('-', '_')}"
    assert [event["Type"] for event in events] == ["Schedule"]
    assert events[0]["Properties"]["Schedule"] == JOBS[job].schedule.expression()


@pytest.mark.slow
@pytest.mark.integration
def test_the_scheduled_functions_are_exactly_the_jobs_of_the_table(template: dict[str, Any]) -> None:
    scheduled = {
        name
        for name in resources_of_type(template, "AWS::Serverless::Function")
        if any(e["Type"] == "Schedule" for e in template["Resources"][name]["Properties"].get("Events", {}).values())
    }

    assert scheduled == set(SCHEDULED.values())


@pytest.mark.slow
@pytest.mark.integration
def test_every_function_reads_the_table_name_from_the_template(template: dict[str, Any]) -> None:
    functions = resources_of_type(template, "AWS::Serverless::Function")

    assert {"APIHandler", *SCHEDULED.values()} <= set(functions)
    for name in functions:
        variables = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables[TABLE_ENV_VAR] == {"Ref": TABLE_RESOURCE}, name


@pytest.mark.slow
@pytest.mark.integration
def test_every_role_has_only_the_scoped_policy(template: dict[str, Any]) -> None:
    roles = resources_of_type(template, "AWS::IAM::Role")

    assert roles
    for name in roles:
        policies = template["Resources"][name]["Properties"]["Policies"]
        assert [p["PolicyDocument"] for p in policies] == [template_policy()], name
        for statement in policies[0]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any(action.endswith("*") for action in statement["Action"])
            if any(action.startswith("dynamodb:") for action in statement["Action"]):
                assert "*" not in statement["Resource"]
                assert {"Fn::GetAtt": [TABLE_RESOURCE, "Arn"]} in statement["Resource"]
    serialised = json.dumps(template)
    assert '"dynamodb:*"' not in serialised


@pytest.mark.slow
@pytest.mark.integration
def test_every_runtime_requirement_is_in_the_zip(package: tuple[PackageResult, float]) -> None:
    result = package[0]

    assert result.missing == [], (
        f"chalice left out {result.missing}: no wheel for the Lambda runtime's glibc.\n{result.chalice_output}"
    )


@pytest.mark.slow
@pytest.mark.integration
def test_unzipped_size_is_under_the_lambda_limit(package: tuple[PackageResult, float], record_property: Any) -> None:
    size = package[0].unzipped_bytes
    record_property("unzipped_bytes", size)
    print(f"deployment.zip unzipped: {size / 1024 / 1024:.1f} MB")

    assert size < LAMBDA_UNZIPPED_LIMIT_BYTES
    assert size < UNZIPPED_BUDGET_BYTES



def run_in_package(unpacked: Path, probe: str, *args: str) -> Any:
    """Run ``probe`` on the unpacked package alone, as Lambda would, and return the JSON of its last line."""
    header = f"import sys\nsys.path.insert(0, {str(unpacked)!r})\n"
    # -I: no PYTHON* variables, no user site; -S: no site-packages; -B and PYTHONDONTWRITEBYTECODE: like
    # Lambda's read-only folder, nothing is cached, so only the bytecode in the zip can spare compiling.
    env = {"PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", TABLE_ENV_VAR: "mentorflow-test"}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", header + probe, *args],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.integration
def test_app_and_every_handler_import_from_the_unpacked_zip_alone(
    unpacked: Path, template: dict[str, Any]
) -> None:
    # GIVEN every handler the template names
    handlers = sorted(
        template["Resources"][name]["Properties"]["Handler"]
        for name in resources_of_type(template, "AWS::Serverless::Function")
    )
    probe = (
        "import importlib, json, os\n"
        "import app\n"
        "for handler in json.loads(sys.argv[1]):\n"
        "    module, _, name = handler.rpartition('.')\n"
        "    assert callable(getattr(importlib.import_module(module), name)), handler\n"
        "root = sys.path[0]\n"
        "ours = [m for m in list(sys.modules.values()) if (getattr(m, '__file__', None) or '').startswith(root)]\n"
        "uncached = [m.__name__ for m in ours if m.__file__.endswith('.py')\n"
        "            and not os.path.exists(importlib.util.cache_from_source(m.__file__))]\n"
        "print(json.dumps({'path': sys.path, 'boto3': 'boto3' in sys.modules, 'modules': len(ours),\n"
        "                  'uncached': uncached, 'dont_write': sys.dont_write_bytecode}))\n"
    )

    # WHEN app and each handler are imported from the unpacked zip, with no bytecode written
    seen = run_in_package(unpacked, probe, json.dumps(handlers))

    # THEN they import, from nothing but the zip, and every module they load has its bytecode there
    assert not any("site-packages" in entry for entry in seen["path"])
    assert seen["boto3"] is False
    assert seen["dont_write"] is True
    assert seen["modules"] > 50
    assert seen["uncached"] == []


@pytest.mark.slow
@pytest.mark.integration
def test_every_module_in_the_zip_has_unchecked_hash_bytecode_for_the_runtime(
    package: tuple[PackageResult, float],
) -> None:
    # GIVEN the zip's files
    with zipfile.ZipFile(package[0].out / "deployment.zip") as archive:
        names = set(archive.namelist())
        sources = sorted(name for name in names if name.endswith(".py"))
        expected = {name: importlib.util.cache_from_source(name) for name in sources}
        missing = [name for name, cached in expected.items() if cached not in names]
        headers = {archive.read(cached)[:8] for cached in expected.values() if cached in names}
        stray = [name for name in names if name.endswith(".pyc") and ".cpython-311." not in name]

    # THEN each source has a cpython-311 .pyc, checked by hash never (flags 0b01), so file times do not matter
    assert sys.implementation.cache_tag == "cpython-311"
    assert len(sources) > 1000
    assert missing == []
    assert stray == []
    assert headers == {importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little")}


@pytest.mark.slow
@pytest.mark.integration
def test_what_the_runtime_never_reads_is_not_in_the_zip(package: tuple[PackageResult, float]) -> None:
    with zipfile.ZipFile(package[0].out / "deployment.zip") as archive:
        names = archive.namelist()
    dependency_files = [n for n in names if not n.startswith(("chalicelib/", "app.py"))]

    assert {n for n in dependency_files if "/tests/" in n} == {
        "numpy/_core/tests/_natype.py",
        "numpy/_core/tests/__pycache__/_natype.cpython-311.pyc",
    }
    assert not [n for n in dependency_files if n.endswith((".pyi", ".pxd", ".h", ".c", ".a"))]
    assert not [n for n in names if n.endswith(("/RECORD", "/INSTALLER", "/direct_url.json"))]
    locales = {Path(n).stem for n in names if n.startswith("babel/locale-data/") and n.endswith(".dat")}
    assert {"root", "en", "en_001", "sr", "sr_Latn", "lt", "sl", "da"} <= locales
    assert not {"de", "fr", "ja", "zh"} & locales


@pytest.mark.slow
@pytest.mark.integration
def test_or_tools_is_in_the_zip_with_its_min_cost_flow_alone_and_without_the_dependencies_it_never_imports(
    package: tuple[PackageResult, float],
) -> None:
    # GIVEN the zip's files
    with zipfile.ZipFile(package[0].out / "deployment.zip") as archive:
        names = archive.namelist()

    # WHEN those of OR-tools and of the distributions only it requires are picked out
    ortools = {"/".join(n.split("/")[:2]) for n in names if n.startswith("ortools/") and "__pycache__" not in n}
    tops = {n.split("/", 1)[0] for n in names}
    distributions = {top.removesuffix(".dist-info").rsplit("-", 1)[0].lower() for top in tops if ".dist-info" in top}

    # THEN OR-tools keeps its graph package and the one library its extension modules link, and the rest is gone
    assert ortools == {"ortools/__init__.py", "ortools/graph", "ortools/.libs"}
    assert {n for n in names if n.startswith("ortools/.libs/")} == {"ortools/.libs/libortools.so.9"}
    assert "ortools/graph/python/min_cost_flow.cpython-311-x86_64-linux-gnu.so" in names
    assert not [n for n in names if n.startswith("ortools/") and n.endswith("_pb2.py")]
    assert not {"pandas", "absl", "immutabledict", "pybind11_abseil"} & tops
    assert not [n for n in names if n.startswith(("google/protobuf/", "google/_upb/"))]
    assert not {"pandas", "protobuf", "absl_py", "immutabledict"} & distributions
    assert "ortools" in distributions


@pytest.mark.slow
@pytest.mark.integration
def test_installed_distributions_are_still_found_by_importlib_metadata(unpacked: Path) -> None:
    # GIVEN the runtime requirements WHEN importlib.metadata looks them up in the unpacked package
    probe = (
        "import importlib.metadata as md, json\n"
        "versions = {name: md.version(name) for name in json.loads(sys.argv[1])}\n"
        "plugins = [ep.name for ep in md.entry_points(group='pydantic')]\n"
        "print(json.dumps({'versions': versions, 'plugins': plugins}))\n"
    )
    names = requirement_names(REPO_ROOT / "requirements.txt")

    found = run_in_package(unpacked, probe, json.dumps(names))

    # THEN each has its pinned version, and pydantic's plugin lookup works
    pinned = dict(
        line.split("#")[0].strip().split("==")
        for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line.split("#")[0]
    )
    assert found["versions"] == pinned
    assert found["plugins"] == []


@pytest.mark.slow
@pytest.mark.integration
def test_a_cohort_is_matched_by_every_solver_from_the_unpacked_package(unpacked: Path) -> None:
    # GIVEN six mentees and three mentors taking two each, in the unpacked package
    probe = (
        "import json\n"
        "from chalicelib.domain.matching import MatchingPolicy, MenteeProfile, MentorProfile, match_cohort\n"
        "mentees = [MenteeProfile(participant_id=f'mentee-{i}', display_name=None, email=f'mentee-{i}@example.org',\n"
        "                         languages=('sr', 'en'), tags=('Leadership',)) for i in range(6)]\n"
        "mentors = [MentorProfile(participant_id=f'mentor-{i}', display_name=None, email=f'mentor-{i}@example.org',\n"
        "                         languages=('en',), tags=('leadership',), capacity=2) for i in range(3)]\n"
        "pairs = {solver: len(match_cohort(mentees, mentors, MatchingPolicy(solver=solver)).pairs)\n"
        "         for solver in ('exact', 'sparse', 'stable')}\n"
        "import numpy, scipy\n"
        "print(json.dumps({'pairs': pairs, 'numpy': numpy.__version__, 'scipy': scipy.__version__}))\n"
    )

    # WHEN each solver matches them
    result = run_in_package(unpacked, probe)

    # THEN everyone is matched, with the pinned numpy and scipy
    assert result["pairs"] == {"exact": 6, "sparse": 6, "stable": 6}
    assert (result["numpy"], result["scipy"]) == ("2.2.6", "1.16.3")


@pytest.mark.slow
@pytest.mark.integration
def test_a_min_cost_flow_is_solved_optimally_by_or_tools_from_the_unpacked_package(unpacked: Path) -> None:
    # GIVEN three mentees with one unit each for two mentors of two places each, over priced candidate edges:
    # mentee 1 costs 1 with A and 4 with B, mentee 2 costs 2 and 3, mentee 3 costs 1 and 5; A and B drain to a sink
    # (nodes: mentees 1 to 3, A 4, B 5, the sink 6)
    probe = (
        "import json, numpy as np\n"
        "from ortools.graph.python.min_cost_flow import SimpleMinCostFlow\n"
        "flow = SimpleMinCostFlow()\n"
        "tails = np.array([1, 1, 2, 2, 3, 3, 4, 5], dtype=np.int32)\n"
        "heads = np.array([4, 5, 4, 5, 4, 5, 6, 6], dtype=np.int32)\n"
        "capacities = np.array([1, 1, 1, 1, 1, 1, 2, 2], dtype=np.int64)\n"
        "costs = np.array([1, 4, 2, 3, 1, 5, 0, 0], dtype=np.int64)\n"
        "arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)\n"
        "flow.set_nodes_supplies(np.array([1, 2, 3, 6], dtype=np.int32), np.array([1, 1, 1, -3], dtype=np.int64))\n"
        "status = flow.solve()\n"
        "import ortools\n"
        "maps = open('/proc/self/maps').read()\n"
        "print(json.dumps({'optimal': status == flow.OPTIMAL, 'cost': flow.optimal_cost(),\n"
        "                  'flows': flow.flows(arcs).tolist(), 'version': ortools.__version__,\n"
        "                  'library': sys.path[0] + '/ortools/.libs/libortools.so.9' in maps,\n"
        "                  'unused': sorted(m for m in ('pandas', 'google.protobuf', 'absl', 'immutabledict')\n"
        "                                   if m in sys.modules)}))\n"
    )

    # WHEN OR-tools' min-cost flow solves it from the unpacked package alone
    result = run_in_package(unpacked, probe)

    # THEN mentee 2, the cheapest to move, goes to B and the others to A, for a cost of 5, with the zip's library
    assert result["optimal"] is True
    assert result["flows"] == [1, 0, 0, 1, 1, 0, 2, 1]
    assert result["cost"] == 5
    assert result["version"] == "9.11.4210"
    assert result["library"] is True
    assert result["unused"] == []


@pytest.mark.slow
@pytest.mark.integration
def test_every_scipy_subpackage_and_compiled_module_left_in_the_zip_loads(unpacked: Path) -> None:
    # GIVEN every scipy subpackage and every extension module of the dependencies left after stripping
    probe = (
        "import importlib, json, pathlib\n"
        "root = pathlib.Path(sys.path[0])\n"
        "names = sorted(f'scipy.{p.parent.name}' for p in root.glob('scipy/*/__init__.py'))\n"
        "for so in root.rglob('*.cpython-311-*.so'):\n"
        "    parts = so.relative_to(root).parts\n"
        "    if parts[0] not in ('chalicelib',):\n"
        "        names.append('.'.join([*parts[:-1], so.name.split('.')[0]]))\n"
        "failed = {}\n"
        "for name in names:\n"
        "    try:\n"
        "        # The parent first, as a program would: some extension modules need it initialised.\n"
        "        importlib.import_module(name.rpartition('.')[0] or name)\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed[name] = repr(exc)[:300]\n"
        "print(json.dumps({'count': len(names), 'failed': failed}))\n"
    )

    # WHEN each is imported from the unpacked package
    result = run_in_package(unpacked, probe)

    # THEN all load
    assert result["count"] > 50
    assert set(result["failed"]) <= BROKEN_UPSTREAM, result["failed"]


@pytest.mark.slow
@pytest.mark.integration
def test_dates_are_written_in_every_supported_language_from_the_unpacked_package(unpacked: Path) -> None:
    from chalicelib.notify.templates import format_local_datetime, format_long_date

    # GIVEN a date and a time, and how the full Babel writes them in each language a message can be in
    day = date(2026, 9, 1)
    moment = datetime(2026, 9, 1, 16, 30, tzinfo=UTC)
    languages = sorted(supported_languages())
    expected_dates = {language: format_long_date(day, language) for language in languages}
    expected_times = {language: format_local_datetime(moment, language, "UTC") for language in languages}
    probe = (
        "import json, datetime\n"
        "from chalicelib.notify.templates import format_long_date, format_local_datetime\n"
        "day = datetime.date(2026, 9, 1)\n"
        "moment = datetime.datetime(2026, 9, 1, 16, 30, tzinfo=datetime.timezone.utc)\n"
        "langs = json.loads(sys.argv[1])\n"
        "dates = {lang: format_long_date(day, lang) for lang in langs}\n"
        "times = {lang: format_local_datetime(moment, lang, 'UTC') for lang in langs}\n"
        "print(json.dumps({'dates': dates, 'times': times}))\n"
    )

    # WHEN the unpacked package writes it with its trimmed locale data
    written = run_in_package(unpacked, probe, json.dumps(languages))

    # THEN it is written the same, Serbian in Latin script
    assert languages == ["da", "en", "lt", "sl", "sr"]
    assert written["dates"] == expected_dates
    assert written["times"] == expected_times
    assert written["dates"]["sr"] == "1. septembar 2026."


def test_babel_keeps_the_supported_languages_and_what_they_inherit_from() -> None:
    # GIVEN CLDR locales, one whose parent is named explicitly
    available = ["root", "en", "en_001", "en_GB", "de", "de_AT", "sr", "sr_Latn", "sr_Latn_ME", "es_419", "pt_AO"]
    parents = {"en_GB": "en_001", "sr_Latn": "root", "pt_AO": "pt_PT"}

    # WHEN the locales of Serbian and English are kept
    kept = kept_babel_locales(available, ["sr", "en"], parents)

    # THEN each region and script stays with its parents; other languages go
    assert kept == {"root", "en", "en_001", "en_GB", "sr", "sr_Latn", "sr_Latn_ME"}


def test_packaging_refuses_another_python_than_the_runtimes() -> None:
    with pytest.raises(PackagingFailed, match=r"needs Python 3\.11"):
        check_python((3, 12))
    check_python((3, 11))


@pytest.mark.slow
@pytest.mark.integration
def test_the_matching_job_gets_more_memory_and_time_than_the_other_functions(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    matching_jobs = ("RunScheduledMatching", "RunQueuedMatching")
    for name in matching_jobs:
        matching = resources[name]["Properties"]
        assert (matching["MemorySize"], matching["Timeout"]) == (3008, 900), name
    for name in resources_of_type(template, "AWS::Serverless::Function"):
        if name not in matching_jobs:
            properties = resources[name]["Properties"]
            assert properties["MemorySize"] < 3008, name
            assert properties["Timeout"] <= 60, name


@pytest.mark.slow
@pytest.mark.integration
def test_a_mistyped_route_answers_a_json_404_in_the_deployed_api(template: dict[str, Any]) -> None:
    missing = template["Resources"]["MissingRouteGatewayResponse"]["Properties"]
    assert (missing["ResponseType"], missing["StatusCode"]) == ("MISSING_AUTHENTICATION_TOKEN", "404")


def test_the_merged_template_passes_cfn_lint(package: tuple[PackageResult, float]) -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint is not None, "cfn-lint is pinned in requirements-dev.txt"
    ignored = [arg for check in CFN_LINT_IGNORED for arg in ("--ignore-checks", check)]

    result = subprocess.run(
        [cfn_lint, "--format", "parseable", *ignored, "--", str(package[0].out / "sam.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
