"""Register the project's Jupyter kernel (``evaluation``) in the current environment.

Run ``python -m evaluation.kernel``; ``make`` does it for the project's ``.venv``. The
kernel runs the interpreter that installed it, so papermill, nbval and JupyterLab all
use the environment where the package is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["KERNEL_NAME", "ensure_kernel"]

KERNEL_NAME = "evaluation"
KERNEL_DISPLAY_NAME = "Python (evaluation)"
# Report runs go through papermill on local TCP sockets; the kernel's warning about
# unencrypted TCP, printed at every start, would bury real errors in batch logs.
LOG_LEVEL = "--IPKernelApp.log_level=ERROR"


def ensure_kernel(*, force: bool = False) -> str:
    """Install the ``evaluation`` kernelspec into ``sys.prefix`` unless it is there.

    Returns the kernel name. A kernelspec found elsewhere that points to another
    interpreter is replaced, so that reports always run in this environment.
    """
    # Jupyter's packages only when the kernel is checked
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(KERNEL_NAME)
        current = spec.argv[0] == sys.executable and LOG_LEVEL in spec.argv
    except NoSuchKernel:
        current = False
    if force or not current:

        from ipykernel.kernelspec import install  # ipykernel only when the kernel must be installed

        folder = Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix))
        spec_file = folder / "kernel.json"
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        spec["argv"].append(LOG_LEVEL)
        spec_file.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return KERNEL_NAME


if __name__ == "__main__":  # pragma: no cover - exercised by make
    print(f"kernel '{ensure_kernel(force=True)}' installed for {sys.executable}")
