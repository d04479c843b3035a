"""Package metadata: one version, a LICENSE and py.typed in the wheel, ``backprop --version``."""

import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

import autograd_core
from viz.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_core", "nn", "viz")


def test_version_has_one_source_of_truth():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text
    assert '\nversion = "' not in text  # no second, hand-kept version in [project]
    assert 'version = {attr = "autograd_core.__version__"}' in text
    assert autograd_core.__version__.count(".") == 2
    assert f"## {autograd_core.__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_license_and_typing_markers_exist():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    for pkg in PACKAGES:
        assert (ROOT / pkg / "py.typed").is_file()


def test_backprop_version_prints_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"backprop (autograd-core) {autograd_core.__version__}"


def test_the_wheel_carries_license_py_typed_and_the_version(tmp_path):
    """Build the wheel from a copy of the sources (offline: the venv's setuptools) and list it."""
    pytest.importorskip("setuptools", minversion="77")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "wheel"
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    (wheel,) = out.glob("*.whl")
    assert wheel.name.startswith(f"autograd_core-{autograd_core.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    for pkg in PACKAGES:
        assert f"{pkg}/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"\nVersion: {autograd_core.__version__}\n" in text
    assert "\nLicense-Expression: MIT\n" in text
