"""Kernels that execute a document's chapters with papermill, each kept for the next chapter.

A new kernel per chapter costs about 2 s to start and 2-3 s to import pandas, altair and the model
again, more than most chapters take to run. :class:`Kernels` runs the chapters on a few worker threads
(one per core); each worker starts one kernel and executes its chapters in it one after another, with
papermill as before (parameters injected, the executed notebook written with its outputs).

Before each chapter the kernel is reset to the state of a new kernel that has imported the modules:
:data:`RESET_CODE` empties the user's namespace and the output history, sets the execution count back
to 1, returns to the working folder, restores the warnings filters and pandas' display options, and calls
:func:`capnuoc_model.publish.notebook_output.reset` (caption numbering, chart ids, the unit space).
What stays is only what was imported. So a chapter's outputs do not depend on which chapters ran before
it in the same kernel; ``tests/test_notebook_kernels.py`` runs chapters in new kernels and in one shared
kernel and compares their outputs. The objects that outlive a reset (and the warming imports) are frozen
(``gc.freeze``, :data:`FREEZE_CODE`), so that the garbage collector does not walk them again in every chapter.
The kernel's client is kept as well (:class:`Kernel`).

A kernel that died, or failed in any other way than a cell's error, is replaced by a new one for the next
chapter; the chapter it failed in is reported (:class:`KernelError` when the reset itself failed).
``Kernels`` is a context manager: on leaving it every kernel is shut down. One ``Kernels`` can serve several
documents (``capnuoc report all`` runs the plan's and the evaluation's chapters in the same kernels).
:meth:`Kernels.start` can start the kernels and import the libraries while the caller still computes what
the chapters read (the projection run).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Callable

KERNEL = "python3"
# what papermill and nbclient start a chapter's kernel with: a quiet log, the history in memory
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]

# Run in the kernel, silently and outside its history, before each chapter. Keeps sys.modules (the point of
# reusing the kernel) and nothing a chapter made: see the module docstring.
CAPTURE_CODE = ("__import__('IPython').get_ipython()._capnuoc_initial = "
                "(__import__('os').getcwd(), list(__import__('warnings').filters))")
RESET_CODE = """
def _capnuoc_reset():
    import gc, os, sys, warnings
    ip = get_ipython()
    cwd, filters = ip._capnuoc_initial
    ip.reset(new_session=False)
    ip.execution_count = 1
    os.chdir(cwd)
    warnings.filters[:] = filters
    if "pandas" in sys.modules:
        sys.modules["pandas"].reset_option("display")  # "all" would check the plotting backend (matplotlib)
    output = sys.modules.get("capnuoc_model.publish.notebook_output")
    if output is not None:
        output.reset()
    gc.collect()  # what the chapter left in reference cycles (ip.reset collects before it empties the namespace)
    gc.freeze()
_capnuoc_reset()
"""
# Run after the warming imports. What exists then (the imported modules: pandas, altair's schema classes, ...)
# moves to the collector's permanent generation, as RESET_CODE does after each chapter: the collections a
# chapter triggers, and the one ip.reset makes, then go through the chapter's own objects only (a reset took
# 0,2 s, and a chapter's own code up to a third longer, walking every imported object again). Nothing else changes.
FREEZE_CODE = "__import__('gc').freeze()"


class Kernel:
    """One kernel of a worker thread and its client: started by the first chapter that runs in it (or by :meth:`warm`),
    reset before each later one.

    The client (its channels to the kernel) is kept too: a new client waits for the kernel to answer and then for its
    output channel to fall quiet, about 0,2 s per chapter. Every message a chapter's client reads is matched to the
    request that caused it, so what an earlier chapter left unread is passed over."""

    def __init__(self, kernel_name: str = KERNEL):
        self.kernel_name = kernel_name
        self.manager = None
        self.client = None  # the kept client (jupyter_client's AsyncKernelClient) with its channels open
        self.fresh = True

    def prepare(self):
        """The kernel manager for the next chapter: this kernel, or a new one (unstarted: the chapter's client starts
        it) when there is none or it died. ``fresh`` tells which."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.manager is not None and not (self.manager.has_kernel and run_sync(self.manager.is_alive)()):
            self.shutdown()
        if self.manager is None:
            self.manager = AsyncKernelManager(kernel_name=self.kernel_name)
        self.fresh = not self.manager.has_kernel
        return self.manager

    def keep(self, client) -> None:
        """Keep the client a chapter used (nbclient's, with its channels open) for the next chapter."""
        if client is not None and client is not self.client:
            self._stop_client()
            self.client = client

    def warm(self, code: str, cwd: str | None = None) -> None:
        """Start the kernel now, note its new state (:data:`CAPTURE_CODE`) and run ``code`` (imports) silently, so that
        its first chapter need not wait; the chapter then resets it like any kept kernel. On any failure the kernel is
        dropped and the first chapter starts a new one, as without warming."""
        from jupyter_core.utils import run_sync

        manager = self.prepare()
        if not self.fresh:
            return
        try:
            run_sync(manager.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, **({"cwd": cwd} if cwd else {}))
            client = manager.client()
            self.keep(client)
            client.start_channels()
            run_sync(client.wait_for_ready)(timeout=60)
            client.allow_stdin = False  # as nbclient sets it on the clients it starts
            for step in (CAPTURE_CODE, code, FREEZE_CODE):
                msg_id = client.execute(step, silent=True, store_history=False)
                while True:
                    reply = run_sync(client.get_shell_msg)(timeout=300)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
                if reply["content"]["status"] != "ok":
                    raise KernelError(reply["content"].get("evalue", ""))
            self.fresh = False
        except Exception:  # noqa: BLE001 - warming is only a head start
            self.shutdown()

    def _stop_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.stop_channels()
            except Exception:  # noqa: BLE001 - closing channels of a kernel that is gone
                pass

    def shutdown(self) -> None:
        """Stop the kernel at once: it holds nothing to save (its history is in memory, the chapters wrote their
        notebooks), and a polite shutdown request waits for the kernel to wind down: 0,1 s to 2,6 s measured on a
        busy machine, against 0,1 s for stopping it."""
        from jupyter_core.utils import run_sync

        self._stop_client()
        manager, self.manager = self.manager, None
        if manager is not None and manager.has_kernel:
            try:
                run_sync(manager.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - the kernel is gone already: nothing left to stop
                pass


class KernelError(RuntimeError):
    """The kernel could not be set up or reset for a chapter."""


def _engine():
    """The papermill engine that executes a chapter in a :class:`Kernel` (registered once as "capnuoc-kernels")."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class ResettingClient(PapermillNotebookClient):
        def papermill_execute_cells(self):
            # a new kernel: note its working folder and warnings filters; a kept one: back to them (module docstring)
            code = CAPTURE_CODE if self.capnuoc_kernel.fresh else RESET_CODE
            reply = self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False))
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise KernelError(f"{content.get('ename', '')}: {content.get('evalue', '')}".strip(": "))
            super().papermill_execute_cells()

    class KernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, capnuoc_kernel=None, **kwargs):
            from papermill.engines import logger

            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = ResettingClient(nb_man, km=capnuoc_kernel.prepare(), **merge_kwargs(
                kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file))
            client.capnuoc_kernel = capnuoc_kernel
            if not capnuoc_kernel.fresh and capnuoc_kernel.client is not None:
                client.kc = capnuoc_kernel.client  # nbclient starts a client only when it has none
            try:
                nb = client.execute()
            except BaseException:  # a kernel that failed mid-chapter is not trusted with the next one
                capnuoc_kernel.keep(client.kc)  # so that shutting it down closes the client's channels too
                capnuoc_kernel.shutdown()
                raise
            capnuoc_kernel.keep(client.kc)
            return nb

    if "capnuoc-kernels" not in papermill_engines._engines:
        papermill_engines.register("capnuoc-kernels", KernelEngine)
    return "capnuoc-kernels"


def engine_name() -> str:
    return _engine()


class Kernels:
    """Worker threads, one :class:`Kernel` each; :meth:`run` executes jobs ``job(kernel)`` on them."""

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._jobs: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "Kernels":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, warm: str | None = None, cwd: str | None = None) -> None:
        """Start every worker now; with ``warm`` (code, e.g. imports) each first starts its kernel and runs it
        (:meth:`Kernel.warm`), while the caller goes on (computing what the chapters read). Once started, no-op."""
        self._add_workers(self.workers, warm, cwd)

    def _add_workers(self, count: int, warm: str | None = None, cwd: str | None = None) -> None:
        while len(self._threads) < count:
            thread = threading.Thread(target=self._work, args=(warm, cwd), name=f"capnuoc-kernel-{len(self._threads) + 1}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self, warm: str | None = None, cwd: str | None = None) -> None:
        kernel = Kernel()
        try:
            if warm:
                kernel.warm(warm, cwd)
            while True:
                item = self._jobs.get()
                if item is None:
                    return
                job, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(job(kernel))
                except BaseException as error:  # handed to the caller of run()
                    future.set_exception(error)
        finally:
            kernel.shutdown()

    def run(self, jobs: list[Callable[[Kernel], object]], start_order: list[int] | None = None) -> list[object]:
        """Run every job, at most ``workers`` at once; the results in order, or the first failure (in job order).

        ``start_order``: the jobs' indices in the order they are started (the longest first keeps every worker busy
        to the end); by default the jobs' own order."""
        self._add_workers(min(self.workers, len(jobs)))
        futures: list[Future] = [Future() for _ in jobs]
        order = list(range(len(jobs))) if start_order is None else list(start_order)
        if sorted(order) != list(range(len(jobs))):
            raise ValueError(f"start_order {order} is not an order of {len(jobs)} jobs")
        for i in order:
            self._jobs.put((jobs[i], futures[i]))
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()  # the jobs not started yet
            raise

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []


__all__ = ["Kernels", "Kernel", "KernelError", "RESET_CODE", "CAPTURE_CODE", "FREEZE_CODE", "engine_name", "KERNEL", "KERNEL_ARGUMENTS"]
