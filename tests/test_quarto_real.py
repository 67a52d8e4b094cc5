"""Real Quarto (1.5 or later): plain `quarto render` in a fresh clone, and `capnuoc report --renderer quarto`.

These run only where Quarto is installed; elsewhere they are skipped with the reason shown in the
test summary (pytest -ra). What they check is the issue's list: every format renders with no error
and leaves git status clean, the same chapters, captions, numbering, labels and fonts as the offline
renderer, charts that draw with the network off, and a whole report within 1,5 x the offline time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from capnuoc_model.publish import render, report

from .conftest import REPO


def _real_quarto() -> str | None:
    found = render.find_quarto()
    if found is None:
        return None
    done = subprocess.run([found, "--version"], capture_output=True, text=True)
    return found if done.returncode == 0 and re.match(r"\d+\.\d+", done.stdout.strip()) else None


QUARTO = _real_quarto()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(QUARTO is None, reason="Quarto is not installed (no quarto on PATH and QUARTO_PATH unset): "
                                              "the real Quarto renders are not tested on this machine"),
]
DRAWS = 1000


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _git_status(folder: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=folder, capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("clone") / "capnuoc"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    return target


@pytest.mark.parametrize("profile, folder, name", [
    (None, "plan", "ke-hoach-cap-nuoc-2026"),
    ("evaluation", "evaluation", "danh-gia-ke-hoach-cap-nuoc-2026"),
])
def test_plain_quarto_render_in_a_fresh_clone(clone, profile, folder, name):
    env = dict(os.environ, QUARTO_PYTHON=sys.executable)
    env.pop("QUARTO_PROFILE", None)
    done = subprocess.run([QUARTO, "render", *(["--profile", profile] if profile else [])], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = clone / "output" / "quarto" / folder
    for produced in ("index.html", f"{name}.pdf", f"{name}.docx"):
        assert (out / produced).is_file(), produced
    assert _git_status(clone) == "", "quarto render left the clone dirty"
    text = _pdf_text(out / f"{name}.pdf")
    assert "Lời nói đầu" in text and "Mục lục" in text and "2026-01-01" not in text and "---" not in text
    assert re.search(r"Bảng 1(\.1)?\. ", text), "table captions are missing in typst"  # the plan counts through
    assert not re.search(r"\d+\.\d+\.\d+\s+1\. ", text), "sections numbered twice"
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(out / f"{name}.pdf")], capture_output=True, text=True).stdout
        assert "LiberationSerif" in fonts and "Libertinus" not in fonts and "DejaVu" not in fonts


@pytest.fixture(scope="module")
def timed(tmp_path_factory):
    """The plan by both renderers, cold (an empty cache each) and warm (a rerun): seconds and results."""
    base = tmp_path_factory.mktemp("timed")
    seconds, results = {}, {}
    for renderer in ("offline", "quarto"):
        for run in ("cold", "warm"):
            started = time.perf_counter()
            results[renderer, run] = report.build_report(draws=DRAWS, out=base / renderer, cache_dir=base / f"cache-{renderer}",
                                                         renderer=renderer)
            seconds[renderer, run] = time.perf_counter() - started
    print("report plan (s):", {f"{r}/{w}": round(s, 1) for (r, w), s in seconds.items()})
    return seconds, results


def test_report_with_quarto_within_one_and_a_half_times_offline(timed):
    seconds, results = timed
    assert results["quarto", "warm"].reused and results["offline", "warm"].reused
    for run in ("cold", "warm"):
        assert seconds["quarto", run] <= 1.5 * seconds["offline", run] + 0.5, (run, seconds)


def test_report_with_quarto_has_the_offline_content(timed):
    _, results = timed
    quarto_pdf, offline_pdf = (_pdf_text(results[r, "cold"].outputs["pdf"]) for r in ("quarto", "offline"))
    for needle in ("Lời nói đầu", "Mục lục", "Căn cứ xây dựng kế hoạch", "Biểu 01", "Bảng 1.", "Hình 1.", "Bảng A.1.", "87,4 %", "17,9 %",
                   "Phụ lục A. Dự báo 2025–2030", "Phụ lục C."):
        assert needle in offline_pdf and needle in quarto_pdf, needle
    offline_captions = set(re.findall(r"(?:Bảng|Hình) [\dA-C]+(?:\.\d+)?\.", offline_pdf))
    assert offline_captions == set(re.findall(r"(?:Bảng|Hình) [\dA-C]+(?:\.\d+)?\.", quarto_pdf))
    import docx

    document = docx.Document(str(results["quarto", "cold"].outputs["docx"]))
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert abs(document.sections[0].left_margin.mm - 30) < 1


def test_quarto_html_draws_every_chart_offline(timed, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    _, results = timed
    site = results["quarto", "cold"].folder
    pages = sorted(site.rglob("*.html"))
    total = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=[\"']https?:", html), page
        charts = len(re.findall(r'vegaEmbed\("#vis-', html))
        if not charts:
            continue
        total += charts
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=180)
        assert len(re.findall(r'<svg[^>]*class="marks"', done.stdout)) == charts, page
    assert total >= 8
