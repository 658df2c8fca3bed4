"""Register the project's Jupyter kernel (``evaluation``) in the current environment.

Run ``python -m evaluation.kernel``; ``make`` does it for the project's ``.venv``. The
kernel runs the interpreter that installed it, so papermill, nbval and JupyterLab all
use the environment where the package is installed.
"""

from __future__ import annotations

import sys

__all__ = ["KERNEL_NAME", "ensure_kernel"]

KERNEL_NAME = "evaluation"
KERNEL_DISPLAY_NAME = "Python (evaluation)"


def ensure_kernel(*, force: bool = False) -> str:
    """Install the ``evaluation`` kernelspec into ``sys.prefix`` unless it is there.

    Returns the kernel name. A kernelspec found elsewhere that points to another
    interpreter is replaced, so that reports always run in this environment.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(KERNEL_NAME)
        current = spec.argv[0] == sys.executable
    except NoSuchKernel:
        current = False
    if force or not current:
        from ipykernel.kernelspec import install

        install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix)
    return KERNEL_NAME


if __name__ == "__main__":  # pragma: no cover - exercised by make
    print(f"kernel '{ensure_kernel(force=True)}' installed for {sys.executable}")
