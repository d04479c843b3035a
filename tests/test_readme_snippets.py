"""The README's plain ```python blocks (those without >>> prompts, so not doctested) run as written."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def plain_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if ">>>" not in b]


def test_there_is_a_plain_block():
    assert plain_blocks(), "the viz snippet is a plain block; if it became a doctest, drop this test"


@pytest.mark.skipif(shutil.which("dot") is None, reason="the viz snippet renders pictures with Graphviz's dot")
@pytest.mark.parametrize("block", plain_blocks(), ids=lambda b: b.strip().splitlines()[-1][:40])
def test_plain_block_runs_on_its_own(block, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(block, encoding="utf-8")
    # in its own folder: the snippets write their pictures into the current one
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
