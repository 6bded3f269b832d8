"""The command line, run as users run it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import datasets
from flows import io
from tests.cli_helpers import run_module

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("flows", *args)


def test_validate_bundled_default_case_exits_0() -> None:
    done = run("validate", str(datasets.get_path(datasets.DEFAULT_CASE)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


def test_validate_reports_errors_with_exit_1(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for file in (data_dir / "mini").iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    text = (folder / "flows.csv").read_text().replace("kt/yr", "kt", 1)
    (folder / "flows.csv").write_text(text)
    done = run("validate", str(folder))
    assert done.returncode == 1
    assert "flows.csv, layer flows, row 2, field unit: error E_UNIT_NOT_RATE" in done.stdout
    assert "Traceback" not in done.stderr


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gpkg"
    fake.write_text("not a database")
    done = run("validate", str(fake))
    assert done.returncode == 2
    assert "fake.gpkg" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("target", ["out.gpkg", "out.xlsx", "out.zip", "out_dir"])
def test_convert_between_formats(tmp_path: Path, data_dir: Path, target: str) -> None:
    done = run("convert", str(data_dir / "mini"), str(tmp_path / target))
    assert done.returncode == 0, done.stderr
    assert io.read_case(tmp_path / target).sites["site_id"].tolist() == [
        "power",
        "refinery",
        "board",
        "dh",
    ]


def test_template_command(tmp_path: Path) -> None:
    done = run("template", str(tmp_path / "t.xlsx"))
    assert done.returncode == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 1000
