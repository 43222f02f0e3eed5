"""1. Cold start: import the handler module and serve its first event, in fresh processes.

Each sample is a new Python process with the layer and the function's directory on
PYTHONPATH (as Lambda lays them out under /opt/python and /var/task) and the environment
pointing at the bench's moto server. The interpreter sees only the packages Lambda would:
the python3.13 runtime's boto3 (with what it needs) and SharedLayer's requirements (with
theirs), not the rest of the development venv (see `lambda_python`). The baseline process imports boto3 and creates one
DynamoDB client. Samples of every kind are interleaved round by round, so a noisy moment
on this shared machine hits all kinds alike; the ratio is of medians.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Section, info, judged, median, ms, ratio

CHILD = Path(__file__).with_name("cold_child.py")


@dataclass
class Kind:
    label: str
    function: str  # template logical id ("" for the baseline)
    module: str  # handler module ("baseline" for the baseline)
    code_dir: str  # functions/<dir>
    event: Path | None
    bar: float | None  # max ratio to the baseline; None = information only
    # Each sample's own event (a report for a new period each time), else `event` for all.
    event_for: Callable[[int], Path] | None = None
    # The label of a baseline making the same AWS clients as this function, shown beside the bar.
    same_clients: str = ""
    # "shipped": the layer with the bytecode its build compiles; "source": the layer without any
    # (what a build without python3.13 ships). Both read-only, no cache written or read elsewhere.
    layer: str = "shipped"

    @property
    def is_baseline(self) -> bool:
        return self.module == "baseline" or self.module.startswith("clients:")

    def event_of(self, sample: int) -> Path | None:
        return self.event_for(sample) if self.event_for else self.event


def _filled_api_event(ctx: Any, directory: Path, name: str) -> Path | None:
    """events/<name> with the seeded sail's id and a crew member's token filled in."""
    template = ctx.root / "events" / name
    if not template.exists():
        return None
    text = template.read_text(encoding="utf-8")
    text = text.replace("SAIL_ID", ctx.seeded.page_sail).replace("TOKEN", ctx.seeded.tokens["crew"])
    target = directory / name
    target.write_text(text, encoding="utf-8")
    return target


def _report_events(ctx: Any, directory: Path) -> tuple[Path | None, Callable[[int], Path] | None]:
    """events/report_cfo.json, for a new period in every sample: a scheduled run is the first
    of its period and builds, renders and sends (a repeat would only find it sent)."""
    base = ctx.root / "events" / "report_cfo.json"
    if not base.exists():
        return None, None
    event = json.loads(base.read_text(encoding="utf-8"))

    def event_for(sample: int) -> Path:
        target = directory / f"report_{sample}.json"
        target.write_text(json.dumps({**event, "period": f"{2040 + sample // 50}-W{sample % 50 + 1:02d}"}))
        return target

    return base, event_for


# Baselines making the clients a function makes (information, for judging the bars otherwise).
API_CLIENTS = "baseline with ApiFunction's clients: DynamoDB, Secrets Manager"
REPORT_CLIENTS = "baseline with ReportFunction's clients: DynamoDB, S3, SES, Cost Explorer, SES v2"


def kinds(ctx: Any, directory: Path) -> list[Kind]:
    events = ctx.root / "events"
    report_event, report_event_for = _report_events(ctx, directory)
    return [
        Kind("baseline: import boto3 + one DynamoDB client", "", "baseline", "", None, None),
        Kind(API_CLIENTS, "", "clients:dynamodb,secretsmanager", "", None, None),
        Kind(REPORT_CLIENTS, "", "clients:dynamodb,s3,ses,ce,sesv2", "", None, None),
        Kind("ApiFunction, GET /api/health", "ApiFunction", "api_handler", "api", events / "api_health.json", None),
        Kind(
            "ApiFunction, GET /api/sails/{id} (crew)",
            "ApiFunction",
            "api_handler",
            "api",
            _filled_api_event(ctx, directory, "api_sail_page.json"),
            1.3,
            same_clients=API_CLIENTS,
        ),
        Kind(
            "ApiFunction, GET /api/sails/{id} (crew), source only",
            "ApiFunction",
            "api_handler",
            "api",
            _filled_api_event(ctx, directory, "api_sail_page.json"),
            None,
            layer="source",
        ),
        Kind(
            "ApiFunction, GET /api/sails (crew; a query: the validated table)",
            "ApiFunction",
            "api_handler",
            "api",
            _filled_api_event(ctx, directory, "api_sail_list.json"),
            None,
        ),
        Kind(
            "NudgeFunction, hourly run", "NudgeFunction", "nudge_handler", "nudges", events / "nudge_hourly.json", 1.3
        ),
        Kind(
            "NudgeFunction, hourly run, source only",
            "NudgeFunction",
            "nudge_handler",
            "nudges",
            events / "nudge_hourly.json",
            None,
            layer="source",
        ),
        Kind(
            "ReportFunction, CFO report for a new period (its bar: section 5, schedule to last sent)",
            "ReportFunction",
            "report_handler",
            "reports",
            report_event,
            None,
            report_event_for,
            same_clients=REPORT_CLIENTS,
        ),
        Kind(
            "ReportFunction, same event again (already sent: skipped)",
            "ReportFunction",
            "report_handler",
            "reports",
            report_event,
            None,
        ),
    ]


# What Lambda's python3.13 runtime itself provides besides the standard library.
RUNTIME_PACKAGES = ("boto3",)


def layer_requirements(root: Path) -> list[str]:
    """The distributions layers/shared/requirements.txt pins (what `sam build` puts in the layer)."""
    from packaging.requirements import Requirement

    lines = (root / "layers" / "shared" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line.split("#")[0]).name for line in lines if line.split("#")[0].strip()]


def distribution_closure(names: list[str]) -> set[str]:
    """The named distributions and everything they require (no extras), as installed in this venv."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: set[str] = set()
    pending = list(names)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        found.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def _tops(name: str) -> tuple[Path, list[str]]:
    """Where a distribution is installed and its top-level names (packages, modules, dist-info)."""
    distribution = importlib.metadata.distribution(name)
    installed = Path(str(distribution.locate_file("")))
    tops = {Path(str(file)).parts[0] for file in distribution.files or [] if not str(file).startswith("..")}
    return installed, sorted(top for top in tops if top != "__pycache__")


def lambda_python(root: Path, scratch: Path) -> Path:
    """An interpreter whose site-packages holds only what Lambda's python3.13 runtime provides:
    boto3 with its dependencies (symlinks into this venv; the runtime's own copy is compiled).
    Development-only packages (cryptography, which PyJWT imports whenever it is installed,
    moto, pytest...) stay out, as they are out of Lambda; the baseline runs in it too. The
    layer (`lambda_layer`) and the function's directory come from PYTHONPATH, as /opt/python
    and /var/task do."""
    home = scratch / "lambda-python"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(home)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(home), "platbase": str(home)}))
    for name in sorted(distribution_closure(list(RUNTIME_PACKAGES))):
        installed, tops = _tops(name)
        for top in tops:
            if not (site / top).exists():
                (site / top).symlink_to(installed / top)
    return home / "bin" / "python"


_NO_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc")


def lambda_layer(root: Path, scratch: Path, variant: str) -> Path:
    """The layer as Lambda mounts it at /opt/python: copies (not links) of the layer's
    requirements and of `quarterdeck`, with the bytecode the build ships ("shipped": compiled
    in unchecked-hash mode, by this interpreter, since the bench runs here on it; in AWS the
    build uses python3.13) or none ("source"), then made read-only like /opt. The function's
    code is copied beside it: ApiFunction's with its bytecode when shipped (functions/api/Makefile
    compiles it), the others' without, as their zips have none."""
    layer = scratch / f"layer-{variant}" / "python"
    layer.mkdir(parents=True)
    runtime = distribution_closure(list(RUNTIME_PACKAGES))
    for name in sorted(distribution_closure(layer_requirements(root)) - runtime):
        installed, tops = _tops(name)
        for top in tops:
            source, target = installed / top, layer / top
            if target.exists() or not source.exists():
                continue
            if source.is_dir():
                shutil.copytree(source, target, ignore=_NO_CACHES)
            else:
                shutil.copy2(source, target)
    shutil.copytree(root / "layers" / "shared" / "quarterdeck", layer / "quarterdeck", ignore=_NO_CACHES)
    functions = scratch / f"layer-{variant}" / "functions"
    shutil.copytree(root / "functions", functions, ignore=_NO_CACHES)
    # The email and report templates compiled to Python, as the layer build does (layers/shared/Makefile).
    subprocess.run(
        [sys.executable, "-m", "quarterdeck.template_precompile"],
        cwd=layer,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(layer)},
        check=True,
        capture_output=True,
    )
    if variant == "shipped":
        subprocess.run(
            [
                sys.executable,
                "-m",
                "compileall",
                "-qq",
                "-j",
                "0",
                "--invalidation-mode",
                "unchecked-hash",
                str(layer),
                str(functions / "api"),
            ],
            check=False,
            capture_output=True,
        )
    for directory, _, files in os.walk(layer.parent):  # read-only, as /opt is
        for file in files:
            os.chmod(Path(directory) / file, 0o444)
        os.chmod(directory, 0o555)  # noqa: S103 - read and traverse only: the point is that nothing is writable
    return layer


def child_environment(ctx: Any, kind: Kind, scratch: Path) -> dict[str, str]:
    from local.environment import local_environment

    mounted = scratch / f"layer-{kind.layer}"
    paths = [str(mounted / "python")]
    if kind.code_dir:
        paths.append(str(mounted / "functions" / kind.code_dir))
    env = {
        # Lambda writes no bytecode under /opt or /var/task (read-only) and keeps none between
        # cold starts: what the layer ships is all there is.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(paths),
        # No developer config or credentials: the child sees only what the stack gives it.
        "AWS_CONFIG_FILE": str(scratch / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-credentials"),
        **local_environment(ctx.moto_url, ctx.app_url),
    }
    return env


def sample(
    kind: Kind, env: dict[str, str], number: int, *, importtime: bool = False, python: Path | None = None
) -> dict[str, Any]:
    interpreter = str(python or sys.executable)
    command = [interpreter, *(["-X", "importtime"] if importtime else []), str(CHILD), kind.module]
    event = kind.event_of(number)
    if event is not None:
        command.append(str(event))
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    if importtime:
        return {"imports_ms": imports_by_package(done.stderr)}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            result["wall_s"] = wall
            return result
    raise RuntimeError(f"{kind.label}: no result (exit {done.returncode}):\n{done.stderr[-3000:]}")


GROUPS = {
    "boto3": "boto3+botocore",
    "botocore": "boto3+botocore",
    "s3transfer": "boto3+botocore",
    "urllib3": "boto3+botocore",
    "jmespath": "boto3+botocore",
    "dateutil": "boto3+botocore",
    "aws_lambda_powertools": "powertools",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "annotated_types": "pydantic",
    "typing_inspection": "pydantic",
    "typing_extensions": "pydantic",
    "jinja2": "jinja2",
    "markupsafe": "jinja2",
    "jwt": "jwt",
    "astral": "astral",
    "quarterdeck": "quarterdeck",
}


def imports_by_package(stderr: str) -> dict[str, float]:
    """Self time of every import (`python -X importtime`), summed by package group, in ms.
    The app's own handler modules count as `quarterdeck`; the standard library as `stdlib`."""
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = line.removeprefix("import time:").split("|")
        if len(fields) < 3 or not fields[0].strip().isdigit():
            continue
        top = fields[2].strip().split(".")[0]
        app = top.startswith(("api_", "nudge_", "report_"))
        group = "quarterdeck" if app else GROUPS.get(top, "stdlib+other")
        totals[group] = totals.get(group, 0.0) + int(fields[0]) / 1000
    return {k: round(v, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def _top(breakdown: dict[str, dict[str, float]], kind: Kind) -> str:
    found = breakdown.get(kind.label) or {}
    return ", ".join(f"{name} {value:.0f} ms" for name, value in list(found.items())[:5]) or "?"


def available(ctx: Any, kind: Kind) -> str | None:
    """Why this kind cannot be measured yet, or None."""
    if kind.is_baseline:
        return None
    handler = ctx.root / "functions" / kind.code_dir / f"{kind.module}.py"
    if not handler.exists():
        return f"functions/{kind.code_dir}/{kind.module}.py does not exist yet"
    if kind.event is None or not kind.event.exists():
        return "no sample event in events/ for it"
    return None


def run(ctx: Any) -> Section:
    section = Section("1. Cold start (median of fresh processes, ÷ baseline)")
    runs = max(15, int(ctx.args.cold_runs))
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch_name:
        scratch = Path(scratch_name)
        python = lambda_python(ctx.root, scratch)
        for variant in ("shipped", "source"):
            lambda_layer(ctx.root, scratch, variant)
        all_kinds = kinds(ctx, scratch)
        missing = {k.label: available(ctx, k) for k in all_kinds}
        measured = [k for k in all_kinds if missing[k.label] is None]
        envs = {k.label: child_environment(ctx, k, scratch) for k in measured}
        samples: dict[str, list[dict[str, Any]]] = {k.label: [] for k in measured}
        failures: dict[str, str] = {}
        numbers = itertools.count()
        breakdown: dict[str, dict[str, float]] = {}
        for k in measured:  # one untimed round: file cache, bytecode caches; where the imports go
            try:
                sample(k, envs[k.label], next(numbers), python=python)
                breakdown[k.label] = sample(k, envs[k.label], next(numbers), importtime=True, python=python)[
                    "imports_ms"
                ]
            except RuntimeError as error:
                failures[k.label] = str(error)
        for round_number in range(runs):
            for k in measured:
                # Kinds without a bar (information only) are sampled every other round.
                if k.label not in failures and (k.bar or k.is_baseline or round_number % 2 == 0):
                    samples[k.label].append(sample(k, envs[k.label], next(numbers), python=python))

    base = median([s["total_s"] for s in samples[all_kinds[0].label]])
    section.data["runs"] = runs
    section.data["baseline_median_s"] = base
    section.data["imports_ms_by_package"] = breakdown
    section.add(info(all_kinds[0].label, ms(base), f"{runs} processes; imports: {_top(breakdown, all_kinds[0])}", base))
    for k in all_kinds[1:]:
        bar = f"≤ {k.bar:.1f}x" if k.bar else ""
        if missing[k.label] or k.label in failures:
            why = missing[k.label] or failures[k.label].splitlines()[0]
            section.data[k.label] = {"missing": why}
            if k.bar:
                section.add(judged(k.label, None, "missing", bar, None, why))
            else:
                section.add(info(k.label, "missing", why))
            continue
        got = samples[k.label]
        total = median([s["total_s"] for s in got])
        imported = median([s["import_s"] for s in got])
        first = median([s["first_s"] for s in got])
        value = total / base
        own = median([s["total_s"] - s.get("aws_s", 0.0) for s in got])
        statuses = sorted({s["status"] for s in got})
        loaded = got[-1]["loaded"]
        section.data[k.label] = {
            "median_total_s": total,
            "median_import_s": imported,
            "median_first_event_s": first,
            "median_wall_s": median([s["wall_s"] for s in got]),
            "ratio": value,
            "median_outside_aws_calls_s": own,
            "ratio_outside_aws_calls": own / base,
            "statuses": statuses,
            "loaded_after_first_event": loaded,
            "samples_total_s": [round(s["total_s"], 4) for s in got],
        }
        measured_text = f"{ratio(value)} ({ms(total)}: import {ms(imported)} + first {ms(first)}; n={len(got)})"
        note = (
            f"answered {','.join(statuses)}; without the time in AWS calls (the emulator's answers) "
            f"{ratio(own / base)}; loaded: {', '.join(loaded) or 'none of the heavy modules'}; "
            f"imports: {_top(breakdown, k)}"
        )
        if samples.get(k.same_clients):
            same = median([s["total_s"] for s in samples[k.same_clients]])
            section.data[k.label]["ratio_to_same_clients"] = total / same
            note += f"; ÷ the {k.same_clients.split(':')[0]} {ratio(total / same)}"
        if k.bar:
            section.add(judged(k.label, value, measured_text, bar, value <= k.bar, note))
        else:
            section.add(info(k.label, measured_text, note, value))
    section.notes.append(
        "Each function runs as Lambda runs it: the layer copied and read-only, no bytecode written or read "
        "from anywhere else. 'As shipped' has the .pyc the layer build compiles (unchecked-hash; here by the "
        "bench's Python 3.11, in AWS by python3.13); 'source only' has none, as a build without python3.13 ships."
    )
    section.notes.append(
        "Every process (baseline included) runs in an interpreter that sees only the runtime's boto3 and "
        "the layer's requirements, with their dependencies, as in Lambda: no development-only package."
    )
    return section
