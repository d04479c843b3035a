"""Package metadata: one version, a LICENSE and py.typed in the wheel."""

import pathlib

import autograd_core

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_version_has_one_source_of_truth():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text
    assert '\nversion = "' not in text  # no second, hand-kept version in [project]
    assert 'version = {attr = "autograd_core.__version__"}' in text
    assert autograd_core.__version__.count(".") == 2


def test_license_and_typing_markers_exist():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    for pkg in ("autograd_core", "nn", "viz"):
        assert (ROOT / pkg / "py.typed").is_file()
    assert (ROOT / "CHANGELOG.md").is_file()
