"""The notebooks in examples/ (jupytext percent scripts) run from top to bottom in a real kernel,
so they never rot: every cell executes and the notebooks' own asserts hold."""

import shutil
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))


def test_the_five_journeys_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_one_neuron", "02_micrograd_demo", "03_xor_error_surface", "04_digits", "05_custom_op"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="the notebooks draw graphs with Graphviz's dot")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    notebook = jupytext.read(path)
    assert notebook.cells and notebook.cells[0].cell_type == "markdown"
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    if "GraphView(" in path.read_text():
        shown = [o for o in outputs if o.output_type == "execute_result" and "image/svg+xml" in o.get("data", {})]
        assert shown, "the GraphView cell shows a picture"
