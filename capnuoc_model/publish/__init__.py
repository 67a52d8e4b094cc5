"""Publishing: the documents' tables, charts and narrative, what notebooks show, rendering (offline or
Quarto) and the two documents, the plan (``build_report``) and the evaluation (``build_evaluation``).

Imports every layer below. The report notebooks import only from here.
"""
from capnuoc_model import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "load_report_inputs": "report_inputs", "ReportInputs": "report_inputs",
    "build_report": "report", "build_evaluation": "eval_build",
    # modules the notebooks call into
    "notebook_output": "notebook_output", "report_tables": "report_tables", "charts": "charts",
    "narrative": "narrative", "eval_report": "eval_report", "eval_charts": "eval_charts",
})
