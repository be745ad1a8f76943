"""Every tolerance nn-parity uses, each with its reason. Tests and comparisons name these; none writes a literal.

Notation: eps is the unit roundoff of a dtype's machine epsilon, ``numpy.finfo(dtype).eps``
(2.2e-16 for float64, 1.19e-7 for float32); an "ulp" below means eps times the size of the value.
"""

from __future__ import annotations

import numpy as np

# The reference's own arbiter (``reference.gradient_check``): a correct float64 network scores about 1e-9 or
# less with central differences at eps = 1e-5 (truncation ~1e-10, rounding ~1e-11); a wrong derivative scores
# 1e-3 or more. 1e-7 separates the two by two orders of magnitude on each side (the course's threshold).
# Those two errors are absolute, per element of g_num: the rounding of J's two evaluations over 2h is
# eps64 E(J) / h (E(J) the cost's error scale, parity.error_scale), the truncation h^2/6 |J'''|; the score
# divides them by ||g|| + ||g_num||. So the 1e-7 holds where that error is small beside the gradient, as on the
# course's networks (||g|| ~ 1, E(J) ~ 1). It does not at a saturated output (BCE's log(1 - A) of a sigmoid A
# near 1 makes E(J) grow as A / (1 - A): at 1 - A = 3.7e-13 a step of h moves A by under an ulp and g_num is 0;
# a tanh at +-1 leaves ||g|| ~ 1e-6) or near a stationary point (||g|| -> 0): there a correct backprop scores up
# to 1, and the check cannot judge it. The property test draws such networks and leaves them out
# (tests/test_reference_properties.py, ``gradient_check_can_judge``).
GRADCHECK_MAX_RELATIVE_ERROR = 1e-7

# The share of GRADCHECK_MAX_RELATIVE_ERROR the finite difference's own error may take for a gradient check to
# judge a network: a tenth, so that the arbiter's error stays an order of magnitude under the mark. E(J) is a
# first-order scale and an actual rounding a small multiple of it (PARITY_ULPS allows 16 between two
# implementations); at a tenth, up to 10 eps64 E(J) of rounding still leaves the mark to backprop.
GRADCHECK_ARBITER_SHARE = 0.1

# A hand-derived answer that involves a libm function (log, exp, tanh): each is accurate to within 1 ulp and the
# few operations around it add at most one rounding each, so 4 ulps of the value.
KNOWN_ANSWER_ULPS = 4

# Two formulas that are equal in exact arithmetic but round differently (fused dZ = A - Y versus dA pushed
# through g'; torch's momentum versus Keras's velocity form). Each path takes at most a handful of roundings
# on values of size <= 1, so their difference is a few ulps; 16 ulps leaves 4x headroom over the worst seen.
REARRANGEMENT_ULPS = 16

# Two optimizer forms that are equal in exact arithmetic, run side by side for 10 steps on one parameter
# (heavy-ball against velocity momentum, EMA against heavy-ball momentum at a scaled rate, Adam's paper form
# against epsilon-hat rescaled each step; tests/test_reference_optimizers.py), compared as an absolute error on
# values of size <= 1. The update W <- W + step is independent of W, so a difference in W is carried forward, not
# amplified: each step the two forms round W + step at most 1 ulp apart (their steps differ by a few roundings of
# the step, far below an ulp of W), which bounds 10 steps at 10 ulps. Measured (float64, numpy 2 on x86): on the
# tests' own gradient sequence the forms are bitwise equal (difference 0); over 10^6 other random 10-step
# sequences from W = 1 the largest difference is 10 eps (heavy-ball/velocity, with |W| up to 4.4), 4 eps (EMA),
# 2 eps (Adam). A formula slip (a missing 1 - beta, lr folded in twice) is 1e-3 or more.
EQUIVALENT_FORMS_ULPS = 10

# Sample standard deviation of N = 250,000 normal draws: its relative standard error is 1/sqrt(2N) = 0.14%,
# so 1% is a 7-sigma bound (never a false alarm) that still tells He's sqrt(2/n) from Xavier's sqrt(1/n).
# Of uniform draws (kurtosis 9/5): sqrt((9/5 - 1) / (4N)) = 0.09%, so 1% is an 11-sigma bound there, and still
# tells He's uniform bound sqrt(6/n) from PyTorch's 1/sqrt(n) (a factor sqrt(6) in the std).
SAMPLE_STD_RELATIVE = 0.01

# The course's regularisation functions (parity.learner.techniques), compared normwise: max |learner - reference|
# / max |reference| per quantity, in float64. Every value is a sum of at most 5 products (the 4-5-3-1 network,
# m = 8) or a mean over 8 columns, so two correct orderings differ by a few eps normwise (1e-15); 1e-10 leaves
# five orders of magnitude for other correct forms (np.mean against a sum times 1/m, A > 0 against Z > 0 as the
# ReLU mask). Each classic slip moves a quantity by 25% (1/keep_prob = 1.25) or more, and zeros in place of a
# quantity score 1.
TECHNIQUE_NORMWISE = 1e-10

# A learner's dropout masks (parity check's techniques) are data: the reference applies the same ones. What the
# masks cannot hide is their keep rate: n mask entries each kept with probability keep_prob make a Binomial(n,
# keep_prob) count, and the masks fail when a count that far from n keep_prob (two-sided, exact) has a probability
# below this. 1e-6: a correct mask fails about once in a million checks; on the checker's 64 entries at keep_prob 0.8
# it still catches a mask drawn with ``> keep_prob`` (a keep rate of 0.2, 12 standard deviations away) or at 0.5.
DROPOUT_KEEP_RATE_P = 1e-6

# The exact two-sided test sums the probabilities of the counts at most as likely as the one seen. Two counts of
# equal probability (Binomial(4, 1/2)'s 0 and 4) get pmf values computed by different products, equal only to a few
# roundings of float64; this relative slack, far above those (1e-16 each) and far below the gap between unequal
# probabilities of neighbouring counts, lets a tie count as a tie.
BINOMIAL_TIE_RTOL = 1e-9

# A framework model's training step without zero_grad() (parity check on a model, ``parity.ports.diagnoses``): its
# gradient at step s is the reference's plus its own at step s - 1, since .grad sums over backward calls. The
# diagnosis holds where the two differ by at most this many ulps of the dtype, normwise against the sum's largest
# element: each term carries the parity bound's rounding (16 ulps of its error scale) and the sum one more, 33;
# doubled to 64 because the terms' error scales may exceed the sum's largest element where the two steps'
# gradients partly cancel. The alternatives are off by a whole term (a gradient not summed, or summed twice), far
# beyond it. A diagnosis, not a verdict: the quantity has failed already; this only decides whether the missing
# zero_grad() is named as its cause.
ACCUMULATED_GRADIENT_ULPS = 64

# A Keras model's layers, applied one after another by the checker's probe (``parity.ports.keras_model``), must give
# the model's own output: a structural check that the layers form the chain they are listed as (a functional model
# may list a branch that does not feed the output). The same operations on the same values agree to the last bit;
# 1e-5 relative only absorbs a backend's choice of a fused kernel, while a skipped or reordered layer moves the
# output by its whole size.
PORT_CHAIN_RTOL = 1e-5

# Two models of a port read with learning rates (or other float settings) this close are read as one setting typed
# twice: Keras holds a Python float as a float32 variable, a rounding of at most half an ulp, 2^-24 relative (the
# keras-float32-hyperparameters convention); a rate typed differently is off by far more.
PORT_SETTING_RTOL = 2.0 ** -24

# One framework optimizer step with weight decay against the reference (tests/test_witness_weight_decay.py), float64,
# elementwise: W_new = W - lr (g + wd W), where the autograd gradient g agrees with the reference's to the grid's
# parity bound (16 ulps of its error scale, about |g|) and the update adds three roundings, so each element is
# within 64 eps (|W| + lr (|g| + wd |W|)). A decay of the wrong factor or sign moves W by lr wd |W| (4e-3 |W| there).
WEIGHT_DECAY_STEP_ULPS = 64

# Batch normalisation in a framework's own layer against the reference's (tests/test_witness_batchnorm.py), float64,
# normwise (max |difference| / max |reference|) per quantity: each value is a short chain (under 20 roundings: a
# mean and a variance of m = 8 columns, a square root, a division, the backward's two row means) on values within a
# factor 10 of one another, so 20 eps x 10 = 4e-14; 1e-12 is 25 times that. The conventions it tells apart move a
# value far more: PyTorch's momentum 0.1 against Keras's 0.99 (the running mean 10x), the unbiased variance (8/7),
# epsilon 1e-5 against 1e-3 (1e-4 relative at unit variance).
BATCHNORM_NORMWISE = 1e-12

# A framework's dropout layer against the reference's inverted dropout with the same mask, elementwise relative, in
# ulps: the reference computes A D / keep_prob (one correctly rounded division), a framework may multiply by a
# rounded 1 / keep_prob instead (two roundings), so the two are within 2 ulps of each other. A missing scale is
# 1/keep_prob - 1 = 25% at keep_prob = 0.8; a different mask changes whole elements.
DROPOUT_SCALE_ULPS = 2

# Parity between implementations (parity.compare). An error is measured in ulps of the computation's
# error scale E (parity.error_scale): |framework - reference| / (eps * E), elementwise, E being the same computation
# carried out on absolute values with the error inflow of every input added. First-order error analysis bounds
# each quantity's error by a small multiple of eps * E (about one rounding per operation on the path, and
# rounding errors that partly cancel, Higham ch. 2-3). Measured over the whole grid against torch 2.13 and
# Keras 3.15 on x86 (OpenBLAS, MKL, oneDNN), each framework against the formula it documents: at most 2.9 ulps
# (headroom 0.18) in float32 and 1.9 ulps in float64, single steps and 20-step Adam trajectories alike.
# 16 ulps leaves 5x headroom over that; a formula slip (a missing 1/m, a transpose,
# tanh' = 1 - Z^2) is a relative error of order 1, i.e. 1e6 ulps in float32 and 1e15 in float64, so the
# bound is never what lets a real bug through.
PARITY_ULPS = {"float32": 16, "float64": 16}


# The learner's checker (parity.learner.checker) tells wrong math from different rounding. A learner computes the
# same formulas differently from the reference: tanh from exponentials ((e^z - e^-z) / (e^z + e^-z) cancels
# in its numerator, losing log10(1/|z|) digits near z = 0), an unshifted softmax, 1/m applied to dZ before the
# product rather than after it, np.sum instead of a matrix product. Such a rewrite changes the roundings, not
# the formula, and its error is bounded by the error scale E of the quantity times the rewrite's condition
# number, which for these rewrites on the checker's data (float64, |Z| of order 1, one unit at Z = 0 exactly)
# stays far below 10^6. So a difference within 10^6 ulps of the quantity's largest error scale, i.e. 2.2e-10
# of it in float64, is rounding. Measured on the corpus of correct learner files in examples/learners
# (tests/test_learners.py): at most 24 ulps (A[1] of tanh from exponentials); every other rewrite there stays
# within the parity tolerance of 16. A mistake of ordinary size (a factor m, a sign, a
# transpose, a wrong derivative, one unit's ReLU'(0)) is a relative error of order 1, about 10^15 ulps, nine
# orders above the bound.
LEARNER_ROUNDING_ULPS = 1e6


# parity diff (parity.diff): when a quantity's worst error "moved" between two runs. A worst error is reported in
# ulps of the error scale E, which is the same on both sides for the same inputs, so a change in ulps is a change
# in how the framework rounds. Two runs of the same versions on the same machine and thread count are bitwise
# identical here (measured: two full grids, 22,446 quantities, 0 differences), so any move is real; but a kernel
# whose blocking or summation order changes (another thread count, another CPU, a BLAS update) moves worst
# errors by a fraction of their size while staying just as accurate. So a move counts when the worst error at
# least doubles or halves (DIFF_MOVED_FACTOR) and the larger side is at least DIFF_MOVED_FLOOR_ULPS = 1 ulp of
# E (below one ulp an error is last-bit noise whatever its ratio). A kernel made less accurate by one rounding
# per element on values near 1 moves the worst error from about 0.5 to 1.5 ulps or more: caught.
DIFF_MOVED_FACTOR = 2.0
DIFF_MOVED_FLOOR_ULPS = 1.0


def diff_moved(old_ulps: float, new_ulps: float) -> bool:
    """Whether a worst error moved beyond run-to-run noise between two runs (see DIFF_MOVED_FACTOR)."""
    if old_ulps == new_ulps:
        return False
    larger, smaller = max(old_ulps, new_ulps), min(old_ulps, new_ulps)
    if larger < DIFF_MOVED_FLOOR_ULPS:
        return False
    return smaller == 0 or larger / smaller >= DIFF_MOVED_FACTOR


def parity_ulps(dtype) -> float:
    """The budget, in ulps of the error scale E, for comparing two implementations in ``dtype``."""
    return PARITY_ULPS[np.dtype(dtype).name]


def ulps(dtype, count: float) -> float:
    """``count`` units of roundoff of ``dtype``, as an absolute tolerance on values of size about 1."""
    return float(count * np.finfo(np.dtype(dtype)).eps)


# ---- Pass marks of the tests (tests/ name these; no test body writes a tolerance literal) ---------------------

# An explained divergence's predicted size (variant - textbook) against its measured size (framework - textbook),
# as a relative tolerance ulps(dtype, count). By the triangle inequality the two differ by at most
# max |framework - variant|, which the comparison bounds by PARITY_ULPS ulps of the error scale E;
# relative to the divergence D that is 16 eps E / D. At the saturated sigmoid E / D is about 1.1 (dZ[2] = 0.9 of
# itself); in the clamped BCE cost E is the size of the log terms (~110) against D ~ 6.8, so E / D ~ 16. 20 x 16 =
# 320 ulps covers both: 3.8e-5 relative in float32, 7.1e-14 in float64. Measured (torch 2.13): at most 2.0e-8
# (float32, dW[2]; 0.17 ulps) and 0 in float64. A wrong guard (another floor or clamp) moves the prediction by
# order 1.
EXPLAINED_PREDICTION_ULPS = 320

# A number printed to 6 significant digits, d.ddddd x 10^k with d >= 1, is within half a unit of its 6th digit:
# a relative error of at most 0.5e-5 / 1 = 5e-6 (the docstring's 7.59747e-4 is 9.7e-8 from the exact value).
SIX_SIGNIFICANT_DIGITS = 5e-6

# What a wrong derivative scores in ``reference.gradient_check`` (see GRADCHECK_MAX_RELATIVE_ERROR: 1e-3 or more,
# four orders above the pass mark). Measured with the classic slip tanh' = 1 - Z^2 planted: 0.61.
GRADCHECK_WRONG_DERIVATIVE_MIN_ERROR = 1e-3

# How much worse the gradient check gets from eps = 1e-5 to eps = 1e-1: a central difference's truncation error
# grows as eps^2, a factor (1e-1 / 1e-5)^2 = 1e8, and at 1e-5 on the tests' 2-3-1 tanh network the score is
# truncation and rounding together (measured 2.3e-11 against 1.7e-3 at 1e-1: a factor 7.4e7). 1e6 claims the
# eps^2 law within two orders of magnitude; an epsilon that is ignored gives a factor of 1.
GRADCHECK_COARSE_EPSILON_GROWTH = 1e6

# ``python -m parity train`` in float64 (planar 2-4-1 tanh/sigmoid, full batch, lr 1.2): the drift of torch and
# Keras from the reference (the largest parameter difference over the largest parameter) in ulps of float64.
# The three implementations start from identical weights and differ only in the summation order of their matrix
# products, about one rounding per iteration, which gradient descent near a minimum does not amplify. Measured
# (torch 2.13, Keras 3.15): at most 2.6 eps over 30 iterations and 5.4 eps over 300; 32 ulps (7.1e-15) leaves
# 12x over the 30-iteration test. A formula slip drifts by 1e-3 or more within a few iterations.
FLOAT64_TRAINING_DRIFT_ULPS = 32

# Noise-free least squares (3 features, m = 40, lr 0.1, 300 steps of full-batch gradient descent;
# tests/test_reference_training.py). The iteration contracts the error by |1 - lr lambda| <= 0.885 per step
# (lambda, the eigenvalues of the Hessian 2/m [X; 1][X; 1]^T, lie in [1.15, 2.94]), so 300 steps shrink the
# initial error (~2) by 1.3e-16: the weights reach the generating ones to rounding. Measured: 4 eps (8.9e-16).
# 64 ulps (1.4e-14) on the weights leaves 16x. The cost then follows: each residual is at most
# 1.4e-14 (sum |x_i| + 1) <= 8e-14 on these inputs (sum |x_i| <= 4.7), so J <= 6.4e-27; 1e-25 leaves 15x
# (measured 1.2e-30). A wrong gradient stalls or diverges, many orders above both.
LEAST_SQUARES_WEIGHT_ULPS = 64
LEAST_SQUARES_COST = 1e-25


# Underflow (Higham, "Accuracy and Stability", sec. 2.1: fl(x op y) = (x op y)(1 + delta) + eta, with |eta| at
# most the smallest normal number, tiny). Near and below tiny, implementations legitimately differ: float32
# exp(-z) overflows for z > 88.7, so torch's sigmoid gives exactly 0 where the reference's stable form gives a
# subnormal 1e-40; TensorFlow runs with denormals flushed to zero, and its vectorised exp returns 0 for results
# a few times above tiny (measured by the fuzzer at input scale 100: Keras's softmax 0 where the reference has
# 8.5e-38 = 7 tiny). A value near tiny has lost its significant bits, and later products scale that loss. So
# every element's tolerance has, beside budget * eps * E, an absolute floor of tiny / eps: 1e-31 in float32,
# 1e-292 in float64, where a result has no significant bit left relative to the terms it was computed from;
# far below any value a network's math produces on purpose (a real error in any quantity of the grid is 1e-8
# or more), so it lets no bug through.
def underflow_floor(dtype) -> float:
    """The absolute error allowed on any element for results near or below underflow: tiny / eps."""
    info = np.finfo(np.dtype(dtype))
    return float(info.tiny / info.eps)


# Tests that prove a check could fail (a planted bug, or the framework's result without the setting under test)
# require the planted difference to lie far beyond the check's rounding bound, which rounding reaches at most once
# by construction. An ordinary-size bug (a missing term such as lr wd W, a biased running variance, a model left
# in training mode) is a relative change of 1e-3 or more, against bounds of tens of float64 ulps (about 1e-14
# relative): 10^10 bounds or more, so BUG_MARGIN = 10^6 bounds leaves no doubt and four orders to spare. A
# documented convention's predicted size is smaller by nature (another batch-normalisation epsilon, a weight
# decay's term against the plain step, a float32-rounded hyper-parameter: 4e-9 relative, 10^5 bounds), so
# CONVENTION_MARGIN = 10^3: still three orders above anything rounding can do.
BUG_MARGIN = 1e6
CONVENTION_MARGIN = 1e3

# A float64 model that computes in float32 in places (Keras on JAX and on torch: keras.backend.result_type maps
# float64 to float32) differs from the float64 reference by float32 rounding: eps32 = 1.2e-7 relative per
# rounding, shrunk by cancellation or grown by a few roundings: about 1e-8 relative on the first product or
# activation (tests/test_keras_backends.py). The window FLOAT32_IN_FLOAT64_RELATIVE claims exactly that: above
# 1e-10 (float64 rounding is 2.2e-16, six orders lower, so a model truly computing in float64 fails the check)
# and below 1e-6 (eight float32 roundings: a real formula error is larger still).
FLOAT32_IN_FLOAT64_RELATIVE = (1e-10, 1e-6)

# A Python-float hyper-parameter that Keras rounds through float32 (ops.cast: the L2 factor, Adam's betas) moves
# the term it scales by at most half an ulp of float32, 2^-24 relative; the other terms of a float64 result are
# float64's. So a float64 quantity holding such a term agrees with the course's to FLOAT32_HYPERPARAMETER_RELATIVE
# = 2^-23 (one float32 ulp: the half ulp plus float64's rounding, with room), while leaving the term out (the
# L2 penalty is 0.089 of J in tests/test_witness_weight_decay.py) misses by six orders more.
FLOAT32_HYPERPARAMETER_RELATIVE = 2.0**-23
