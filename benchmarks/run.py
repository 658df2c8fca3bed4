"""Run every benchmark in this folder; each prints one line
``NAME: ratio=R target=T (what was compared, sizes)``.

Both sides of a ratio are measured in the same run, since absolute times on shared
machines are noisy. Usage: ``python benchmarks/run.py [NAME …]``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> int:
    status = 0
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem.removeprefix("bench_") not in names:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        results = module.run()
        for line, ok in results if isinstance(results, list) else [results]:
            print(line, flush=True)
            status |= 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
