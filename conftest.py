"""Doctests that need PyTorch: skipped, with the reason, when it is not installed.

``nn.torch_bridge``'s docstrings and ``Module.to_torch``'s are skipped without torch. The
README's "Taking a model to PyTorch" section is left out of the README's doctest (one test for
the whole file, which a skip would lose) and run by ``tests/test_torch_bridge.py`` instead,
which is skipped without torch.
"""

from __future__ import annotations

import importlib.util

import pytest

TORCH_SECTION = "## Taking a model to PyTorch"
NO_TORCH = "PyTorch is not installed: pip install 'autograd-core[torch]'"


def section_lines(text: str, header: str = TORCH_SECTION) -> range:
    """The 0-based line numbers of a README ``##`` section (empty when it is absent)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == header]
    if not starts:
        return range(0)
    end = next((i for i in range(starts[0] + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return range(starts[0], end)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    has_torch = importlib.util.find_spec("torch") is not None
    for item in items:
        if type(item).__name__ != "DoctestItem":
            continue
        if item.path.name == "README.md":
            skip = section_lines(item.path.read_text(encoding="utf-8"))
            item.dtest.examples = [e for e in item.dtest.examples if e.lineno not in skip]
        elif not has_torch and (item.path.name == "torch_bridge.py" or item.name.endswith(".to_torch")):
            item.add_marker(pytest.mark.skip(reason=NO_TORCH))
