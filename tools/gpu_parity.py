"""The PyTorch comparisons of the case grid on a GPU, with TF32 matrix products off (PyTorch's default) and on.

    NN_PARITY_TORCH_DEVICE=cuda python tools/gpu_parity.py [OUT.json]

CI never has a GPU; this is for a machine that has one. TensorFlow need not be installed (Keras is not run).
For each setting it prints the cases that fail, and the worst error in ulps of the error scale per dtype.
"""

from __future__ import annotations

import json
import sys

from parity.environment import configure, require, torch_device


def sweep(allow_tf32: bool) -> dict:
    from parity.case import GRID
    from parity.harness import run_case

    torch = require("torch")
    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    summary = {"allow_tf32": allow_tf32, "cases": 0, "comparisons": 0, "failed_cases": [], "worst_ulps": {}}
    for case in GRID:
        try:
            outcome = run_case(case, ["torch", "torch-logits"])
        except ValueError as error:  # e.g. scikit-learn's digits where scikit-learn is not installed
            print(f"  {case.name}: not run ({error})")
            continue
        summary["cases"] += 1
        summary["comparisons"] += len(outcome.results)
        for r in outcome.results:
            ulps = r.variant_ulps if r.variant_ulps is not None else r.ulps
            summary["worst_ulps"][case.dtype] = max(summary["worst_ulps"].get(case.dtype, 0.0), ulps)
        if not outcome.passed:
            first = outcome.first_divergence
            summary["failed_cases"].append(f"{case.name}: first {first.framework} {first.quantity}[{first.layer}] "
                                           f"step {first.step}, {first.ulps:.3g} ulps, max rel {first.max_rel:.2g}")
    return summary


def main() -> int:
    configure()
    torch = require("torch")
    print(f"torch {torch.__version__} on {torch_device()}"
          + (f" ({torch.cuda.get_device_name()})" if torch.cuda.is_available() else ""))
    results = [sweep(False), sweep(True)]
    for summary in results:
        print(f"allow_tf32={summary['allow_tf32']}: {summary['cases']} cases, {summary['comparisons']} comparisons, "
              f"{len(summary['failed_cases'])} cases fail; worst ulps {summary['worst_ulps']}")
        for line in summary["failed_cases"][:12]:
            print("   ", line)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as file:
            json.dump(results, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
