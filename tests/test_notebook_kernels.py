"""Chapters executed in a kept kernel (publish.notebook_kernels) give what new kernels give.

A kernel kept from one chapter to the next must not let a chapter see anything an earlier chapter made:
names, the working folder, warnings filters, the execution count, caption numbering and chart ids. A kernel
that dies is replaced. Jobs report the first failure in their order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from capnuoc_model.publish import notebook_kernels, report

REPO = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _notebook(path: Path, *sources: str) -> Path:
    nb = new_notebook(cells=[new_code_cell("x = 0", metadata={"tags": ["parameters"]}), *map(new_code_cell, sources)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _outputs(path: Path) -> list:
    """Each code cell's outputs without timing metadata: what a document shows."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [[{k: v for k, v in out.items() if k != "metadata"} for out in cell.get("outputs", [])]
            for cell in nb["cells"] if cell["cell_type"] == "code"]


LEAKS = (
    "import os, warnings, tempfile\n"
    "from capnuoc_model.publish import notebook_output as show\n"
    "from capnuoc_model.data import fmt\n"
    "leak = 'made by the first chapter'\n"
    "warnings.simplefilter('error')\n"
    "os.chdir(tempfile.gettempdir())\n"
    "show.start_chapter(7)\n"
    "next(show._ids); next(show._ids)\n"
    "x + 1"
)
CHECKS = (
    "import os, warnings\n"
    "from capnuoc_model.publish import notebook_output as output\n"
    "from capnuoc_model.data import fmt\n"
    "print('leak' in globals(), os.getcwd(), ('error', None, Warning, None, 0) in warnings.filters,\n"
    "      (output._state.chapter, next(output._ids)), repr(fmt.UNIT_SPACE))\n"
    "x + 1"
)


def test_a_kept_kernel_gives_each_chapter_a_new_kernels_state(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", LEAKS)
    second = _notebook(tmp_path / "second.ipynb", CHECKS)
    report.execute_notebook(second, tmp_path / "fresh.ipynb", {"x": 1})
    with notebook_kernels.Kernels(1) as kernels:
        kernels.run([lambda kernel: report.execute_notebook(first, tmp_path / "a.ipynb", {"x": 1}, kernel),
                     lambda kernel: report.execute_notebook(second, tmp_path / "b.ipynb", {"x": 1}, kernel)])
    fresh, kept = _outputs(tmp_path / "fresh.ipynb"), _outputs(tmp_path / "b.ipynb")
    assert kept == fresh
    printed = "".join("".join(out.get("text", [])) for cell in kept for out in cell)
    assert printed == f"False {REPO} False (0, 1) ' '\n"  # nothing leaked
    results = [out for cell in kept for out in cell if out["output_type"] == "execute_result"]
    assert results and results[0]["execution_count"] == 3  # counted as in a new kernel


def test_a_kernel_that_dies_is_replaced(tmp_path):
    dies = _notebook(tmp_path / "dies.ipynb", "import os\nos._exit(1)")
    fine = _notebook(tmp_path / "fine.ipynb", "import os\nos.getpid()")
    with notebook_kernels.Kernels(1) as kernels:
        outcome = []

        def job(source, target):
            def run(kernel):
                try:
                    report.execute_notebook(source, target, {}, kernel)
                    outcome.append("ok")
                except report.ReportError as error:  # located, in Vietnamese
                    outcome.append(str(error))
            return run

        kernels.run([job(fine, tmp_path / "1.ipynb"), job(dies, tmp_path / "2.ipynb"), job(fine, tmp_path / "3.ipynb")])
    assert outcome[0] == "ok" and outcome[2] == "ok"
    assert "dies.ipynb: không chạy được vì nhân Python (kernel) dừng" in outcome[1]
    pids = [out["data"]["text/plain"] for name in ("1", "3") for cell in _outputs(tmp_path / f"{name}.ipynb")
            for out in cell if out["output_type"] == "execute_result"]
    assert len(pids) == 2 and pids[0] != pids[1]  # a new kernel after the one that died


def test_jobs_report_the_first_failure_in_their_order(tmp_path):
    def fails(message):
        def run(kernel):
            raise ValueError(message)
        return run

    with notebook_kernels.Kernels(2) as kernels:
        with pytest.raises(ValueError, match="first"):
            kernels.run([lambda kernel: "fine", fails("first"), fails("second")])
        assert kernels.run([lambda kernel: 1, lambda kernel: 2]) == [1, 2]  # still usable


def test_real_chapters_in_one_kernel_equal_new_kernels(tmp_path):
    """Two chapters of the plan, run one after the other in one kept (and warmed) kernel and each in a new kernel:
    the same outputs, charts' PNG bytes included."""
    parameters = {"scenario": "analysis/scenarios/baseline.yaml", "draws": 300, "seed": 11,
                  "cache_dir": str(tmp_path / "cache")}
    chapters = [REPO / "notebooks" / name for name in ("04_du_an.ipynb", "03_dinh_huong_giai_phap.ipynb")]
    for chapter in chapters:
        report.execute_notebook(chapter, tmp_path / f"fresh-{chapter.name}", parameters)
    with notebook_kernels.Kernels(1) as kernels:
        kernels.start(warm=report.WARM_CODE, cwd=str(REPO))  # started and warmed as capnuoc report does
        kernels.run([lambda kernel, c=c: report.execute_notebook(c, tmp_path / f"kept-{c.name}", parameters, kernel)
                     for c in chapters])
    charts = 0
    for chapter in chapters:
        fresh, kept = _outputs(tmp_path / f"fresh-{chapter.name}"), _outputs(tmp_path / f"kept-{chapter.name}")
        assert kept == fresh, chapter.name
        charts += sum("image/png" in out.get("data", {}) for cell in kept for out in cell)
    assert charts  # a chart's PNG was compared
    assert os.getcwd()  # the test process itself was not moved


def test_a_failed_reset_is_reported_and_the_kernel_replaced(tmp_path, monkeypatch):
    fine = _notebook(tmp_path / "fine.ipynb", "import os\nos.getpid()")
    monkeypatch.setattr(notebook_kernels, "RESET_CODE", "raise ValueError('không đặt lại được')")
    outcome = []

    def job(target):
        def run(kernel):
            try:
                report.execute_notebook(fine, target, {}, kernel)
                outcome.append("ok")
            except report.ReportError as error:
                outcome.append(str(error))
        return run

    with notebook_kernels.Kernels(1) as kernels:
        kernels.run([job(tmp_path / f"{i}.ipynb") for i in range(3)])
    assert outcome[0] == "ok" and outcome[2] == "ok"  # the third chapter has a new kernel: nothing to reset
    assert "fine.ipynb: không chạy được" in outcome[1] and "không đặt lại được" in outcome[1]
