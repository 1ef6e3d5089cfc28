"""What the wheel ships: the product, its templates and static files, never the benchmark."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_the_product_and_no_benchmark_code(tmp_path) -> None:
    # Built from a copy: setuptools leaves build/ and *.egg-info beside the sources.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "*.egg-info"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        cwd=source,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("readinggroup-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"papers", "readinggroup"}
    assert "readinggroup/schedule/scheduling.py" in names
    assert "papers/importing.py" in names
    assert not [name for name in names if "bench" in name.lower()]
