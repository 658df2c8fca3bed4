"""Warm kernels: run report notebooks with papermill on kernels that have already imported
the libraries.

Starting a kernel and importing pandas, statsmodels, seaborn, geopandas and the package
takes most of a report's time (about 7.6 s of 10 s on a 2-core machine). A batch keeps a
pool of kernels per process that have run the report notebook's import lines once, and
runs every territory on one of them **with papermill** (through the engine
``evaluation-warm`` registered here: papermill still parameterises, executes and writes the
notebook). Before each run the kernel is put back in the state of a kernel that has just
run those imports:

* the user namespace is cleared and a new history session opened (IPython's
  ``reset(new_session=True)``), so the execution count starts again at 1;
* matplotlib's figures are closed and its settings restored, as are warning filters, pandas
  options, the working directory and the ``EVALUATION_*`` environment variables (the
  pseudonym key of the run among them);

so that nothing one territory computed can reach the next (``tests/test_warm.py`` renders
every bundled territory both ways, in shuffled orders, and compares the outputs). A kernel
whose run failed (dead kernel, timeout, error) is shut down and replaced, and so is a kernel
whose memory grows past ``memory_limit_mb``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from multiprocessing import util as mp_util
from pathlib import Path

import nbformat
import psutil
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

__all__ = ["WARM_ENGINE", "KernelPool", "WarmEngine", "kernel_pool", "shutdown_pools"]

log = logging.getLogger(__name__)

WARM_ENGINE = "evaluation-warm"
DEFAULT_MEMORY_LIMIT_MB = 3072
_STATE = "_evaluation_warm_state"  # module holding the snapshot, out of reach of %reset
_ENV_PREFIXES = ("EVALUATION_", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_SNAPSHOT = f"""
import os as _os, sys as _sys, types as _types, warnings as _warnings
import matplotlib as _mpl, pandas as _pd
_state = _types.ModuleType({_STATE!r})
_state.rc = _mpl.rcParams.copy()
_state.filters = list(_warnings.filters)
_sys.modules[{_STATE!r}] = _state
del _os, _sys, _types, _warnings, _mpl, _pd, _state
"""

_RESET = """
import os as _os, sys as _sys, warnings as _warnings
import matplotlib as _mpl, matplotlib.pyplot as _plt, pandas as _pd
_state = _sys.modules[{state!r}]
_plt.close("all")
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    _mpl.rcParams.update(_state.rc)
    _pd.reset_option("all")
_warnings.filters[:] = _state.filters
_warnings._filters_mutated()
_os.chdir({cwd!r})
for _k in [k for k in _os.environ if k.startswith({prefixes!r})]:
    del _os.environ[_k]
_os.environ.update({env!r})
get_ipython().reset(new_session=True)
__import__("gc").collect()
"""


class KernelRunError(RuntimeError):
    """Code sent to a pooled kernel outside a notebook (warm-up, reset) failed."""


def import_lines(notebook: Path | str) -> str:
    """The import lines (and ``%matplotlib`` magics) of a notebook's code cells, in order."""
    nb = nbformat.read(str(notebook), as_version=4)
    return "\n".join(line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines()
                     if line.startswith(("import ", "from ", "%matplotlib")))


def _execute(km: AsyncKernelManager, code: str, *, timeout: float) -> None:
    """Run ``code`` on the kernel of ``km``; raise :class:`KernelRunError` if it fails."""
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=timeout)
        reply = run_sync(kc.execute_interactive)(code, timeout=timeout, store_history=False,
                                                output_hook=lambda msg: None)
    finally:
        kc.stop_channels()
    content = reply["content"]
    if content.get("status") != "ok":
        raise KernelRunError(f"{content.get('ename')}: {content.get('evalue')}")


def _rss_mb(km: AsyncKernelManager) -> float | None:
    """Resident memory of the kernel process in MiB (None when it cannot be read)."""
    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    try:
        return psutil.Process(pid).memory_info().rss / 2**20 if pid else None
    except psutil.Error:
        return None


@dataclass
class KernelPool:
    """Warm kernels of one kernel spec, for the runs of one process.

    Parameters
    ----------
    kernel_name
        The Jupyter kernel spec (the project's ``evaluation`` kernel).
    warmup
        Code each new kernel runs once (the report notebook's import lines).
    memory_limit_mb
        A kernel whose resident memory exceeds this after a run is replaced.
    timeout
        Seconds allowed to start a kernel, warm it up or reset it.
    """

    kernel_name: str
    warmup: str
    memory_limit_mb: float = DEFAULT_MEMORY_LIMIT_MB
    timeout: float = 300
    started: int = 0  # kernels started over the pool's life (for tests and logs)
    _idle: list[AsyncKernelManager] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _start(self, cwd: str) -> AsyncKernelManager:
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        run_sync(km.start_kernel)(cwd=cwd)
        try:
            _execute(km, self.warmup + "\n" + _SNAPSHOT, timeout=self.timeout)
        except Exception:
            self._stop(km)
            raise
        self.started += 1
        return km

    def _stop(self, km: AsyncKernelManager) -> None:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception as exc:  # noqa: BLE001 - a kernel already gone is what we wanted
            log.debug("kernel shutdown: %s", exc)

    def acquire(self, *, cwd: str) -> AsyncKernelManager:
        """An idle warm kernel reset to a clean namespace (a new one when none is idle)."""
        with self._lock:
            km = self._idle.pop() if self._idle else None
        if km is not None and run_sync(km.is_alive)():
            try:
                self.reset(km, cwd=cwd)
                return km
            except Exception as exc:  # noqa: BLE001 - replaced below
                log.warning("warm kernel could not be reset (%s): replacing it", exc)
        if km is not None:
            self._stop(km)
        km = self._start(cwd)
        self.reset(km, cwd=cwd)
        return km

    def reset(self, km: AsyncKernelManager, *, cwd: str) -> None:
        """Put the kernel back in the state it had right after its warm-up."""
        env = {k: v for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)}
        _execute(km, _RESET.format(state=_STATE, cwd=cwd, env=env, prefixes=_ENV_PREFIXES), timeout=self.timeout)

    def release(self, km: AsyncKernelManager, *, healthy: bool) -> None:
        """Give a kernel back after a run; a failed or bloated one is shut down."""
        rss = _rss_mb(km) if healthy else None
        if not healthy or (rss is not None and rss > self.memory_limit_mb):
            if healthy:
                log.info("warm kernel uses %.0f MiB (limit %.0f): replacing it", rss, self.memory_limit_mb)
            self._stop(km)
            return
        with self._lock:
            self._idle.append(km)

    def shutdown(self) -> None:
        """Stop every idle kernel."""
        with self._lock:
            idle, self._idle = self._idle, []
        for km in idle:
            self._stop(km)


_POOLS: dict[tuple[str, str], KernelPool] = {}
_POOLS_LOCK = threading.Lock()


def kernel_pool(kernel_name: str, notebook: Path | str, *,
                memory_limit_mb: float = DEFAULT_MEMORY_LIMIT_MB) -> KernelPool:
    """The pool of this process for ``kernel_name``, warmed with ``notebook``'s imports."""
    warmup = import_lines(notebook)
    with _POOLS_LOCK:
        pool = _POOLS.get((kernel_name, warmup))
        if pool is None:
            pool = _POOLS[(kernel_name, warmup)] = KernelPool(kernel_name, warmup, memory_limit_mb=memory_limit_mb)
            # Worker processes end through multiprocessing's exit path, which skips atexit.
            mp_util.Finalize(pool, pool.shutdown, exitpriority=10)
        pool.memory_limit_mb = memory_limit_mb
        return pool


def shutdown_pools() -> None:
    """Stop the kernels of every pool of this process."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown()


class WarmEngine(NBClientEngine):
    """papermill engine running the notebook on a warm kernel of this process's pool.

    Parameterisation, cell execution, timeouts and the output notebook are papermill's
    and nbclient's; only the kernel comes from :func:`kernel_pool` instead of being
    started for the run. Pass ``notebook_path`` (the notebook whose imports warm the
    kernels) and optionally ``memory_limit_mb`` to ``papermill.execute_notebook``.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        """Run the notebook on a warm kernel of the pool (papermill's engine interface)."""
        pool = kernel_pool(kernel_name, kwargs.pop("notebook_path"),
                           memory_limit_mb=kwargs.pop("memory_limit_mb", DEFAULT_MEMORY_LIMIT_MB))
        km = pool.acquire(cwd=os.getcwd())  # papermill has moved into the run's cwd
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                             kernel_name=kernel_name, log=logging.getLogger("papermill"), log_output=log_output,
                             stdout_file=stdout_file, stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, km=km, **final)
        healthy = False
        try:
            nb = client.execute()
            healthy = not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code"
                              for o in c.get("outputs", []))
            return nb
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            pool.release(km, healthy=healthy)


papermill_engines.register(WARM_ENGINE, WarmEngine)

