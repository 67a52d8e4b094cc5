"""The steps Quarto runs as scripts (``report/quarto/*.py``): pre-render, the notebook filter and post-render.

Separate from :mod:`capnuoc_model.publish.quarto` because the pre-render step builds the documents'
chapters (:mod:`capnuoc_model.publish.report`, :mod:`capnuoc_model.publish.eval_build`), which themselves
render through Quarto: here above both, imports stay one way. They are imported when the step runs, so the
notebook filter, run once per chapter and format, stays light.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from capnuoc_model.data.messages import text
from capnuoc_model.publish.quarto import (
    EXECUTED_INDEX,
    GENERATED,
    QUARTO_FILE,
    REPO_ROOT,
    VEGA_HEADER,
    active_profile,
    ipynb_filter,
    post_render,
    source_key,
    write_vega_header,
)


def pre_render(root: Path = REPO_ROOT, environ=os.environ) -> int:
    """Quarto's pre-render script: execute the active document's chapters with papermill (cached).

    Writes the vegaEmbed header and, for the filter, an index from each source notebook's hash to its
    executed copy. The evaluation is rendered from the shipped example reports, as ``capnuoc report
    evaluation`` does.
    """
    from capnuoc_model.publish import eval_build, report

    quarto_yml = root / QUARTO_FILE
    profile = active_profile(quarto_yml, environ)
    write_vega_header(root / VEGA_HEADER)
    if profile == eval_build.DOCUMENT:
        result = _evaluation_chapters()
    else:
        result = report.build_report(document=profile, renderer=report.NOTEBOOKS_ONLY,
                                     step=lambda text: print(f"capnuoc: {text}", file=sys.stderr))
    index = {source_key(source.read_bytes()): str(executed) for source, executed in zip(result.chapters, result.executed)}
    target = root / GENERATED / EXECUTED_INDEX.format(profile=profile or "default")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(index, indent=1), encoding="utf-8")
    return 0


def _evaluation_chapters():
    """The evaluation's chapters executed for the shipped example reports (as `capnuoc report evaluation`)."""
    from capnuoc_model.publish import eval_build, report

    # actuals None: the data package's example (plan.yaml evaluation_example)
    return eval_build.build_evaluation(None, renderer=report.NOTEBOOKS_ONLY).rendered


def main(argv: list[str] | None = None) -> int:
    """Entry of the scripts in report/quarto/: ``pre-render``, ``ipynb-filter`` or ``post-render``."""
    argv = sys.argv[1:] if argv is None else argv
    what = argv[0] if argv else ""
    if what == "pre-render":
        from capnuoc_model.data.errors import CapnuocInputError
        from capnuoc_model.publish.report import ReportError

        try:
            return pre_render()
        except (ReportError, CapnuocInputError) as error:  # a located message, not a traceback, in Quarto's log
            print(text("quarto.pre_render_failed", error=error), file=sys.stderr)
            return 2 if isinstance(error, CapnuocInputError) else 1
    if what == "ipynb-filter":
        sys.stdout.buffer.write(ipynb_filter(sys.stdin.buffer.read()))
        return 0
    if what == "post-render":
        return post_render()
    print(text("quarto.unknown_step", what=what), file=sys.stderr)
    return 2


__all__ = ["pre_render", "main"]
