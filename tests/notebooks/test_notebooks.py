"""The notebooks run top to bottom on the sample consultation (nbclient, the venv's python)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture
def venv_kernel(tmp_path, monkeypatch) -> str:
    """A "python3" kernel spec that runs this interpreter (the venv's), found first."""
    pytest.importorskip("ipykernel")
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (minyi venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return "python3"


def test_notebooks_are_stored_without_outputs():
    import nbformat

    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs not stripped"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["01-explore-consultation.ipynb", "02-adoption-statistics.ipynb"])
def test_notebook_runs(name, venv_kernel, tmp_path, sample_dir):
    import nbformat
    from nbclient import NotebookClient

    if not (sample_dir / "consultation.toml").is_file():
        pytest.skip("the sample consultation is not in samples/ebike")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = NotebookClient(nb, kernel_name=venv_kernel, timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The cells ran in this venv's python.
    assert nb.cells[-1].outputs[0]["text"].strip() == sys.executable
    assert any(o.get("data", {}).get("image/png") for o in outputs), "no chart was displayed"
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert ("有" in text or "采纳" in text) and "Traceback" not in text
