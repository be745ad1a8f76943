"""Every tolerance nn-parity uses, each with its reason. Tests and comparisons name these; none writes a literal.

Notation: eps is the unit roundoff of a dtype's machine epsilon, ``numpy.finfo(dtype).eps``
(2.2e-16 for float64, 1.19e-7 for float32); an "ulp" below means eps times the size of the value.
"""

from __future__ import annotations

import numpy as np

# The reference's own arbiter (``reference.gradient_check``): a correct float64 network scores about 1e-9 or
# less with central differences at eps = 1e-5 (truncation ~1e-10, rounding ~1e-11); a wrong derivative scores
# 1e-3 or more. 1e-7 separates the two by two orders of magnitude on each side (the course's threshold).
GRADCHECK_MAX_RELATIVE_ERROR = 1e-7

# A hand-derived answer that involves a libm function (log, exp, tanh): each is accurate to within 1 ulp and the
# few operations around it add at most one rounding each, so 4 ulps of the value.
KNOWN_ANSWER_ULPS = 4

# Two formulas that are equal in exact arithmetic but round differently (fused dZ = A - Y versus dA pushed
# through g'; torch's momentum versus Keras's velocity form). Each path takes at most a handful of roundings
# on values of size <= 1, so their difference is a few ulps; 16 ulps leaves 4x headroom over the worst seen.
REARRANGEMENT_ULPS = 16

# A mathematically equivalent form over many steps (optimizer forms over 10 steps): per-step differences of a
# few ulps can grow by the number of steps and the contraction of the iteration; 1000 ulps of the value
# (2e-13 in float64) bounds 10 steps of drift with room, while any formula slip is 1e-3 or more.
EQUIVALENT_FORMS_ULPS = 1000

# Sample standard deviation of N = 250,000 normal draws: its relative standard error is 1/sqrt(2N) = 0.14%,
# so 1% is a 7-sigma bound (never a false alarm) that still tells He's sqrt(2/n) from Xavier's sqrt(1/n).
SAMPLE_STD_RELATIVE = 0.01

# Parity between implementations (parity.compare). An error is measured in ulps of the computation's
# magnitude S (parity.magnitude): |framework - reference| / (eps * S), elementwise, S being the same computation
# carried out on absolute values with the error inflow of every input added. First-order error analysis bounds
# each quantity's error by a small multiple of eps * S (about one rounding per operation on the path, and
# rounding errors that partly cancel, Higham ch. 2-3). Measured over the whole grid against torch 2.13 and
# Keras 3.15 on x86 (OpenBLAS, MKL, oneDNN), each framework against the formula it documents: at most 2.9 ulps
# (headroom 0.18) in float32 and 1.9 ulps in float64, single steps and 20-step Adam trajectories alike.
# 16 ulps leaves 5x headroom over that; a formula slip (a missing 1/m, a transpose,
# tanh' = 1 - Z^2) is a relative error of order 1, i.e. 1e6 ulps in float32 and 1e15 in float64, so the
# bound is never what lets a real bug through.
PARITY_ULPS = {"float32": 16, "float64": 16}


def parity_ulps(dtype) -> float:
    """The budget, in ulps of the computation's magnitude, for comparing two implementations in ``dtype``."""
    return PARITY_ULPS[np.dtype(dtype).name]


def ulps(dtype, count: float) -> float:
    """``count`` units of roundoff of ``dtype``, as an absolute tolerance on values of size about 1."""
    return float(count * np.finfo(np.dtype(dtype)).eps)
