"""6. Size: the built layer and each function package, zipped as SAM zips them.

The build is `sam build` (the same command as `make build`) into a private build directory,
so a bench never races another `make build`/`make test` writing .aws-sam/build. Without
.tools/sam it falls back to `make build` itself; `--no-build` reuses .aws-sam/build.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.common import Section, info, judged

MB = 1_000_000  # decimal megabytes: stricter than MiB
LAYER_BAR = 15 * MB
FUNCTION_BAR = 1 * MB
ARTIFACTS = (("SharedLayer", LAYER_BAR), ("ApiFunction", FUNCTION_BAR), ("NudgeFunction", FUNCTION_BAR))
REPORT_FUNCTION = ("ReportFunction", FUNCTION_BAR)


def zipped_size(directory: Path) -> tuple[int, int, int]:
    """(zipped bytes, unzipped bytes, files) of a directory zipped with deflate, as SAM packages it."""
    buffer = io.BytesIO()
    raw = files = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
                raw += path.stat().st_size
                files += 1
    return buffer.tell(), raw, files


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(root: Path, args: Any) -> tuple[Path, str, Path | None]:
    """Build into a private directory; returns (build dir, how, temp dir to remove)."""
    existing = root / ".aws-sam" / "build"
    if getattr(args, "no_build", False):
        if not existing.is_dir():
            raise RuntimeError("--no-build, but .aws-sam/build does not exist: run `make build`")
        return existing, "reused .aws-sam/build (--no-build)", None
    sam = root / ".tools" / "sam" / "bin" / "sam"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    if sam.exists():
        temp = Path(tempfile.mkdtemp(prefix="bench-sam-"))
        command = [str(sam), "build", "--template-file", "template.yaml", "--build-dir", str(temp / "build")]
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            shutil.rmtree(temp, ignore_errors=True)
            raise RuntimeError(f"sam build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return temp / "build", "sam build --build-dir <temp> (same command as `make build`)", temp
    command = ["make", "build"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"make build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return existing, "make build", None


def run(ctx: Any) -> Section:
    section = Section("6. Size (zipped, deflate)")
    build_dir, how, temp = build(ctx.root, ctx.args)
    section.notes.append(f"build: {how}")
    try:
        for name, bar in (*ARTIFACTS, REPORT_FUNCTION):
            directory = build_dir / name
            if not directory.is_dir() or not any(p.is_file() for p in directory.rglob("*")):
                section.add(judged(f"{name} zipped", None, "missing (nothing built)", f"≤ {bar / MB:.0f} MB", None))
                section.data[name] = None
                continue
            zipped, raw, files = zipped_size(directory)
            section.data[name] = {"zipped_bytes": zipped, "unzipped_bytes": raw, "files": files}
            section.add(
                judged(
                    f"{name} zipped",
                    zipped,
                    f"{zipped / MB:.2f} MB ({raw / MB:.2f} MB unzipped, {files} files)",
                    f"≤ {bar / MB:.0f} MB",
                    zipped <= bar,
                )
            )
        layer = build_dir / "SharedLayer" / "python"
        if layer.is_dir():
            biggest = sorted(((tree_size(p), p.name) for p in layer.iterdir()), reverse=True)[:6]
            section.data["layer_biggest_unzipped"] = {n: s for s, n in biggest}
            section.add(info("layer's biggest (unzipped)", ", ".join(f"{n} {s / MB:.1f}" for s, n in biggest[:4])))
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return section
