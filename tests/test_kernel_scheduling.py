"""Kernels.run starts the jobs in the order asked (the longest chapters first) and reports in the jobs' own order."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capnuoc_model.publish import notebook_kernels, report

from .conftest import examples


@settings(max_examples=examples(30), deadline=None)
@given(st.integers(min_value=1, max_value=6).flatmap(lambda n: st.permutations(list(range(n)))))
def test_one_worker_starts_the_jobs_in_the_order_asked_and_returns_them_in_their_own(order):
    started: list[int] = []
    lock = threading.Lock()

    def job(i):
        def run(kernel):
            with lock:
                started.append(i)
            return i * 10
        return run

    with notebook_kernels.Kernels(1) as kernels:  # no job asks its kernel for anything: none is started
        results = kernels.run([job(i) for i in range(len(order))], start_order=list(order))
    assert started == list(order)
    assert results == [i * 10 for i in range(len(order))]


def test_the_failure_reported_is_the_first_in_the_jobs_order():
    def fail(message):
        def run(kernel):
            raise RuntimeError(message)
        return run

    with notebook_kernels.Kernels(1) as kernels:
        with pytest.raises(RuntimeError, match="chapter 1"):  # chapter 2 failed first, chapter 1 comes first
            kernels.run([lambda k: None, fail("chapter 1"), fail("chapter 2")], start_order=[2, 1, 0])


def test_a_start_order_that_is_no_order_of_the_jobs_is_refused():
    with notebook_kernels.Kernels(1) as kernels, pytest.raises(ValueError):
        kernels.run([lambda k: None, lambda k: None], start_order=[0, 0])


def test_the_longest_chapter_by_its_code_comes_first(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    short, long, text = tmp_path / "a.ipynb", tmp_path / "b.ipynb", tmp_path / "c.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), short)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1\n" * 50), new_markdown_cell("chữ " * 500)]), long)
    nbformat.write(new_notebook(cells=[new_markdown_cell("chữ " * 900)]), text)
    assert sorted([short, long, text], key=lambda p: -report.code_size(p)) == [long, short, text]
    assert report.code_size(tmp_path / "missing.ipynb") == 0


def test_kernels_start_early_only_when_a_chapter_was_never_executed(tmp_path, monkeypatch):
    from capnuoc_model.data import io
    from capnuoc_model.publish import render

    cache = tmp_path / "cache"
    assert report._never_executed(None, cache)  # nothing executed yet: the chapters will run
    (cache / "executed").mkdir(parents=True)
    chapters = [io.resolve(n) for n in render.read_book(io.REPO_ROOT / report.QUARTO_FILE, None).notebooks()]
    for chapter in chapters:  # an executed copy of every chapter, of any key: the exact check decides later
        (cache / "executed" / f"{chapter.stem}-0123456789abcdef01234567.ipynb").write_text("{}", encoding="utf-8")
    assert not report._never_executed(None, cache)
    (cache / "executed" / f"{chapters[-1].stem}-0123456789abcdef01234567.ipynb").unlink()
    assert report._never_executed(None, cache) == report.has_code(chapters[-1])
    broken = tmp_path / "_quarto.yml"
    broken.write_text("book: [", encoding="utf-8")
    monkeypatch.setattr(report, "QUARTO_FILE", str(broken))
    assert not report._never_executed(None, tmp_path / "empty")  # unclear: no head start, the usual order reports it
    broken.write_text("book:\n  title: Thử\n  chapters:\n    - notebooks/khong_co.ipynb\n", encoding="utf-8")
    assert not report._never_executed(None, tmp_path / "empty")  # a missing chapter: reported before any kernel starts
