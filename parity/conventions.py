"""Explained divergences: where a framework legitimately computes something other than the textbook formula.

Each ``Convention`` names a documented framework behaviour, says when it applies, and turns the textbook
``Variant`` of the reference into the variant that follows the framework's own formula. A framework is then
compared with the textbook reference *and* with its own variant (``parity.compare``):

- agrees with the textbook within tolerance                      -> ``pass``
- differs from the textbook, agrees with its documented variant  -> ``explained``: the predicted size is the
  difference between variant and textbook, the measured size the difference between framework and textbook
- agrees with neither                                            -> ``fail`` (a real regression)

So an explained divergence is still a check: a framework that changed its formula fails.
Facts and sources: ``shared/research/framework-conventions.md``; defaults are read from the installed
frameworks at run time (``implementations.*.runtime_defaults``), so the text stays true across versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from parity.case import Case
from parity.frameworks import FRAMEWORKS, family

# torch.nn.BCELoss, CPU kernel (aten/src/ATen/native/Loss.cpp): each log is clamped at -100, and the backward
# divides by max(p (1 - p), 1e-12). Measured on torch 2.13 in float64: the floor is the float32 number nearest
# 1e-12, 9.999999960041972e-13 (a saturated gradient p / floor comes out 4.0e-9 relative above p / 1e-12).
TORCH_BCE_LOG_FLOOR = -100.0
TORCH_BCE_GRAD_FLOOR = float(np.float32(1e-12))


@dataclass(frozen=True)
class Variant:
    """How the reference should compute to follow one framework's documented formulas (defaults: the textbook)."""

    # keyword arguments for the reference optimizer beyond the case's hyper-parameters, as (name, value) pairs:
    # its form (momentum's "velocity", Adam's "epsilon_hat"), a hyper-parameter as the framework rounds it
    optimizer_options: tuple[tuple[str, object], ...] = ()
    leaky_slope: float | None = None  # the slope of a bare "leaky_relu"; None: the reference's 0.01
    leaky_slope_float32: bool = False  # every leaky slope rounded to float32 (TensorFlow's float attribute)
    leaky_prime_at_zero: float | None = None  # leaky ReLU's derivative at exactly Z = 0; None: its slope
    bce_guard: str | None = None  # "torch": BCELoss's clamped log and gradient floor
    # Keras's cross-entropies on probabilities (JAX and torch backends): clip to [eps, 1 - eps]; the gradient of the
    # clip at a boundary value itself (1: torch.clip passes it; 0.5: jnp.clip is maximum then minimum, and JAX
    # splits a tie's gradient between the two arguments)
    probability_clip: float | None = None
    probability_clip_tie: float = 1.0
    # where the case's L2 term lives: "cost" (the course: in J, and (lambd / m) W in dW) or "optimizer" (coupled
    # weight decay lambd / m: J and dW without it, the step taken with dW + (lambd / m) W)
    l2: str = "cost"
    l2_lambd: float | None = None  # the lambd the L2 term is computed with; None: the case's, as given
    bn_unbiased_running: bool = False  # batch normalisation's running variance from m / (m - 1) var (torch)
    weight_decay: float | None = None  # the decoupled weight decay applied; None: the case's, as given
    schedule_float32: bool = False  # the learning-rate schedule evaluated in float32 arithmetic (Keras on TF)
    conventions: tuple[str, ...] = ()


TEXTBOOK = Variant()


def torch_bce_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """J = -mean(Y max(log AL, -100) + (1 - Y) max(log(1 - AL), -100)), torch's ``BCELoss``."""
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(AL), TORCH_BCE_LOG_FLOOR)
        log_q = np.maximum(np.log(1 - AL), TORCH_BCE_LOG_FLOOR)
    return float(-(Y * log_p + (1 - Y) * log_q).mean())


def torch_bce_gradient(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per-example dAL = (AL - Y) / max(AL (1 - AL), 1e-12) / n[L], torch's ``BCELoss`` backward times m."""
    return (AL - Y) / np.maximum(AL * (1 - AL), TORCH_BCE_GRAD_FLOOR) / AL.shape[0]


def _clip_bounds(AL: np.ndarray, epsilon: float) -> tuple:
    """[epsilon, 1 - epsilon] in AL's dtype, as the backends cast Python-float bounds to the tensor's dtype."""
    return AL.dtype.type(epsilon), AL.dtype.type(1.0 - epsilon)


def _clip_mask(P: np.ndarray, lo, hi, tie: float) -> np.ndarray:
    """d clip(P) / dP: 1 strictly inside [lo, hi], ``tie`` at a bound, 0 outside."""
    inside = ((P > lo) & (P < hi)).astype(P.dtype)
    return inside + P.dtype.type(tie) * ((P == lo) | (P == hi))


def keras_clipped_cost(AL: np.ndarray, Y: np.ndarray, loss: str, epsilon: float) -> float:
    """Keras's cross-entropy on probabilities, as its JAX and torch backends compute it (``backend.nn``):
    binary: J = -mean(Y log p + (1 - Y) log(1 - p)), p = clip(A[L], eps, 1 - eps);
    categorical: J = -(1/m) sum(Y log p), p = clip(A[L] / sum_units A[L], eps, 1 - eps)."""
    lo, hi = _clip_bounds(AL, epsilon)
    if loss == "binary_crossentropy":
        P = np.clip(AL, lo, hi)
        return float(-(Y * np.log(P) + (1 - Y) * np.log(1 - P)).mean())
    P = np.clip(keras_clip_input(AL, loss), lo, hi)
    return float(-(Y * np.log(P)).sum() / AL.shape[1])


def keras_clip_input(AL: np.ndarray, loss: str) -> np.ndarray:
    """What Keras's clip is applied to: A[L] (binary), A[L] / sum_units A[L] (categorical, renormalised)."""
    return AL if loss == "binary_crossentropy" else AL / AL.sum(axis=0, keepdims=True)


def keras_clipped_gradient(AL: np.ndarray, Y: np.ndarray, loss: str, epsilon: float, tie: float,
                           mask: np.ndarray | None = None) -> np.ndarray:
    """Per-example dA[L] of ``keras_clipped_cost``, by the chain rule through the clip (mask c = d clip / dp):
    binary: c (-(Y / p) + (1 - Y) / (1 - p)) / n[L];
    categorical, with S = sum_units A[L] and p = clip(A[L] / S): -c Y / (p S) + sum_units(c Y A[L] / p) / S^2,
    which is -Y / A[L] + 1 / S where nothing is clipped: the normalisation adds 1 / S to every unit's dA[L].
    ``mask``: c given (the error model's two branches at a bound, ``parity.error_scale``) instead of computed."""
    lo, hi = _clip_bounds(AL, epsilon)
    Q = keras_clip_input(AL, loss)
    P = np.clip(Q, lo, hi)
    c = _clip_mask(Q, lo, hi, tie) if mask is None else mask
    if loss == "binary_crossentropy":
        return c * (-(Y / P) + (1 - Y) / (1 - P)) / AL.shape[0]
    S = AL.sum(axis=0, keepdims=True)
    weighted = c * Y / P
    return -weighted / S + (weighted * AL).sum(axis=0, keepdims=True) / (S * S)


def with_optimizer(variant: Variant, **options) -> Variant:
    """``variant`` whose reference optimizer also takes ``options`` (a later option replaces an earlier one)."""
    return replace(variant, optimizer_options=tuple({**dict(variant.optimizer_options), **options}.items()))


@dataclass(frozen=True)
class Convention:
    id: str
    title: str
    frameworks: tuple[str, ...]
    applies: Callable[[Case, str, dict], bool]
    adjust: Callable[[Variant, Case, dict], Variant]
    explanation: str
    remedy: str  # the setting that removes it, in the user's terms, or why none is needed (parity check, the docs)


KERAS = tuple(row.name for row in family("keras"))  # the registry's Keras rows: one library on each backend
TORCH = tuple(row.name for row in family("torch"))  # torch.nn's rows: its losses on probabilities and on logits


def _float32(x: float) -> float:
    return float(np.float32(x))


# The hyper-parameters Keras's optimizers cast to float32 (ops.cast of a Python float), as the reference
# optimizer's keyword arguments: momentum's beta; Adam's betas in its bias corrections only.
_FLOAT32_OPTIONS = {
    "momentum": lambda case: {"beta": _float32(case.beta)},
    "adam": lambda case: {"bias_correction_betas": (_float32(case.beta1), _float32(case.beta2))},
}


CONVENTIONS: list[Convention] = [
    Convention(
        "torch-bce-guards",
        "torch BCELoss clamps log at -100 and floors the gradient's denominator at 1e-12",
        ("torch",),
        lambda case, fw, d: case.loss == "binary_crossentropy",
        lambda v, case, d: replace(v, bce_guard="torch"),
        "torch.nn.BCELoss works on probabilities p. Its loss is -(y max(log p, -100) + (1-y) max(log(1-p), -100)) "
        "and its gradient with respect to p is (p - y) / max(p (1 - p), 1e-12). Both guards are silent while "
        "p (1 - p) >= 1e-12 and log p >= -100; past them the loss is capped and the gradient reaching Z shrinks "
        "by the factor p (1 - p) / 1e-12. The textbook (and BCEWithLogitsLoss, which works on Z) has neither.",
        remedy=("give the last Linear's output to nn.BCEWithLogitsLoss (and drop the Sigmoid): it has no clamp of "
                "the log at -100 and no floor of 1e-12 under p (1 - p)"),
    ),
    Convention(
        "keras-probability-clipping",
        "Keras's cross-entropies on its JAX and torch backends take the probabilities and clip them",
        ("keras-jax", "keras-torch"),
        lambda case, fw, d: case.loss in ("binary_crossentropy", "categorical_crossentropy"),
        lambda v, case, d: replace(v, probability_clip=d["epsilon"],
                                   probability_clip_tie=0.5 if d["backend"] == "jax" else 1.0),
        "On TensorFlow, Keras's sigmoid and softmax outputs carry their logits and the cross-entropies use them. On "
        "the JAX and torch backends they take the probabilities: BinaryCrossentropy computes -(y log p + (1-y) "
        "log(1-p)) with p = clip(a, eps, 1 - eps), CategoricalCrossentropy first renormalises, p = clip(a / sum(a), "
        "eps, 1 - eps), with eps = keras.config.epsilon() = {keras-jax[epsilon]} (keras/src/backend/jax/nn.py and "
        "torch/nn.py). Past the clip the loss is capped (at -log(1e-7) = 16.1 per unit) and the gradient is 0: a "
        "sigmoid output below 1e-7 with target 1 gets dZ = 0 instead of A - Y = -1. Inside it, dA[L] is the "
        "probability form (a categorical one gains +1/sum(a) on every unit, which the softmax backward cancels), "
        "so dZ[L] = A - Y up to rounding. JAX's clip splits the gradient of a value exactly at a bound in half. "
        "Saturated probabilities sit on the few floats next to 1 - eps, where a sum rounded in another order puts "
        "p on the bound or one float past it, and with it dA[L] on one branch or the other: the error model "
        "admits both there (parity/error_scale.py).",
        remedy=("end the model with a linear Dense and compile with from_logits=True: the loss then never clips the"
                " probabilities to [epsilon, 1 - epsilon]"),
    ),
    Convention(
        "keras-momentum-velocity",
        "Keras folds the learning rate into the momentum velocity",
        KERAS,
        lambda case, fw, d: case.optimizer == "momentum",
        lambda v, case, d: with_optimizer(v, form="velocity"),
        "keras.optimizers.SGD(momentum=mu) keeps v <- mu v - lr g and adds v to the weights; torch.optim.SGD "
        "keeps b <- mu b + g and subtracts lr b. With a constant learning rate v = -lr b, so the iterates are "
        "the same up to rounding.",
        remedy=("none needed: Keras's velocity v = momentum v - lr dW is torch's buffer times -lr, the same "
                "iterates at a constant learning rate"),
    ),
    Convention(
        "keras-float32-hyperparameters",
        "Keras rounds Python-float hyper-parameters through float32, even in float64",
        KERAS,
        lambda case, fw, d: case.optimizer in _FLOAT32_OPTIONS or (
            case.dtype == "float64" and ((case.lambd > 0 and d["l2_factor_float32"]) or case.weight_decay > 0
                                         or any(a.startswith("leaky_relu") for a in case.activations)
                                         or (case.scheduled and d.get("schedule_dtype_float64") == "float32"))),
        lambda v, case, d: replace(
            with_optimizer(v, **_FLOAT32_OPTIONS.get(case.optimizer, lambda case: {})(case)),
            leaky_slope_float32=True,
            # L2(l2)'s l2 = lambd / 2m, as float32: the lambd that gives that l2 exactly
            l2_lambd=2 * case.m * _float32(case.lambd / (2 * case.m)) if case.lambd and d["l2_factor_float32"]
            else None,
            weight_decay=_float32(case.weight_decay) if case.weight_decay else None,  # ops.cast in the optimizer
            schedule_float32=case.scheduled and d.get("schedule_dtype_float64") == "float32",
        ),
        "Keras casts the momentum and Adam's beta_1, beta_2 (for the bias corrections beta^t) with ops.cast, "
        "which first makes a float32 constant: 0.9 becomes 0.8999999761581421 in a float64 run. The moment "
        "updates use 1 - beta in Python floats and stay exact; the learning rate is a float64 variable and exact. "
        "LeakyReLU's slope reaches TensorFlow's LeakyRelu kernel as a 32-bit float attribute, so a slope of 0.2 "
        "is 0.20000000298023224 in float64 too. keras.regularizers.L2 computes ops.cast(l2, x.dtype) sum(x^2) "
        "since Keras 3.14 (3.13 multiplied by the Python float, exact; the defaults' l2_factor_float32 says which "
        "the installed Keras does), so its l2 is rounded the same way: lambd / 2m = 0.7 / 40 = 0.0175 becomes "
        "0.017500000074505806, and a float64 run's L2 term and its (lambd / m) W are 4e-9 relative above the "
        "course's; the optimizers' decoupled "
        "weight_decay is cast the same way. In float32 runs the same rounding matters where it is amplified: "
        "Keras forms 1 - beta_2^t from the float32 beta_2 (1 - 0.999 "
        "becomes 0.00099998713, 1.3e-5 relative below 0.001) where torch uses Python doubles, which moves "
        "Keras's Adam steps by about 6e-6 relative. A LearningRateSchedule (InverseTimeDecay, ExponentialDecay) "
        "computes the rate from ops.convert_to_tensor(initial_learning_rate), a float32 tensor on TensorFlow even "
        "in a float64 run, so every step's rate is the float32 evaluation of the schedule (1e-8 relative; on "
        "JAX with x64 it is float64), and the update casts it to the variables' float64.",
        remedy=("none in Keras: its optimizers cast Python floats to float32; give float32-exact values (0.5, 0.25,"
                " 0.875) to remove the rounding"),
    ),
    Convention(
        "keras-adam-epsilon-hat",
        "Keras Adam adds epsilon-hat to sqrt(v) before the bias correction",
        KERAS,
        lambda case, fw, d: case.optimizer == "adam",
        lambda v, case, d: with_optimizer(v, form="epsilon_hat"),
        "keras.optimizers.Adam computes alpha_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t) and steps by "
        "alpha_t m / (sqrt(v) + epsilon_hat), the 'epsilon hat' form of Kingma and Ba (section 2): its epsilon "
        "argument (default {keras[adam_epsilon]}) is epsilon_hat. torch.optim.Adam and optax.adam follow "
        "Algorithm 1: lr m_hat / (sqrt(v_hat) + epsilon), default epsilon = {torch[adam_epsilon]}. Every "
        "implementation is given the case's epsilon, so they agree only when epsilon_hat = epsilon "
        "sqrt(1 - beta_2^t); the difference matters most where gradients are small compared with epsilon.",
        remedy=("pass epsilon = eps * sqrt(1 - beta_2**t) at step t (Keras adds epsilon-hat to sqrt(v) before the "
                "bias correction), or use torch's eps in the paper's form"),
    ),
    Convention(
        "optax-schedule-float32",
        "optax's exponential_decay computes the rate in float32, even with x64",
        ("jax",),
        lambda case, fw, d: case.dtype == "float64" and d["schedule_dtypes_float64"].get(case.schedule) == "float32",
        lambda v, case, d: replace(v, schedule_float32=True),
        "optax.exponential_decay(init_value, transition_steps, decay_rate, staircase=True) returns init_value * "
        "decay_rate ** floor(count / transition_steps) (optax/schedules/_schedule.py). optax keeps the count as an "
        "int32, and JAX's true division of an int32 by a Python int is a float32, so the exponent, the power and "
        "the rate are float32 even in a float64 run with jax_enable_x64 (the installed optax's rows compute in "
        "{jax[schedule_dtypes_float64]}); inject_hyperparams then casts the rate to float64. Every step's rate "
        "is the float32 evaluation of the schedule, about 1e-8 relative from the float64 one, and each update "
        "moves by as much. The course's inverse-time schedule, written as a function of the count with a Python "
        "float, stays float64.",
        remedy="give optax a schedule function of the count that computes in float64",
    ),
    Convention(
        "rmsprop-epsilon-in-sqrt",
        "Keras's and optax's RMSprop add epsilon inside the square root",
        KERAS + ("jax",),
        lambda case, fw, d: case.optimizer == "rmsprop",
        lambda v, case, d: with_optimizer(v, form="eps_in_sqrt"),
        "The course's RMSprop, like torch.optim.RMSprop (torch/optim/rmsprop.py: avg = square_avg.sqrt().add_(eps); "
        "param.addcdiv_(grad, avg, value=-lr)), steps by lr g / (sqrt(S) + eps). keras.optimizers.RMSprop "
        "(keras/src/optimizers/rmsprop.py: increment = lr g / sqrt(velocity + epsilon)) and optax.rmsprop "
        "(scale_by_rms with eps_in_sqrt={jax[rmsprop_eps_in_sqrt]}: g rsqrt(nu + eps)) put epsilon under the root. "
        "Where S is much larger than eps, sqrt(S + eps) exceeds sqrt(S) + eps by about eps / (2 sqrt(S)) - eps, so "
        "the step is smaller by about eps / (2 S) relative: 5e-7 relative for S = 0.01 and the case's eps of 1e-8; "
        "at S near eps the two differ by a factor near 2. Every implementation is given the case's beta2 and eps "
        "(defaults: torch alpha {torch[rmsprop_alpha]} and eps {torch[rmsprop_epsilon]}, Keras rho "
        "{keras[rmsprop_rho]} and epsilon {keras[rmsprop_epsilon]}, optax decay {jax[rmsprop_decay]} and eps "
        "{jax[rmsprop_epsilon]}); the running average S itself is the same in all three.",
        remedy=("torch.optim.RMSprop adds eps outside the square root, Keras and optax inside: with eps 1e-8 and S "
                ">> eps the difference is about eps / (2 sqrt(S)) relative"),
    ),
    Convention(
        "l2-as-weight-decay",
        "torch and optax take L2 regularisation as weight decay inside the optimizer step",
        ("torch", "torch-logits", "jax"),
        lambda case, fw, d: case.lambd > 0,
        lambda v, case, d: replace(v, l2="optimizer"),
        "The course regularises the cost: J + (lambd / 2m) sum ||W||^2, so dW gains (lambd / m) W. torch.optim.SGD "
        "and Adam(weight_decay=wd) instead add wd p to each parameter's gradient inside optimizer.step() (g <- g + "
        "wd p, before momentum or Adam's moments: 'coupled' weight decay), and optax.add_decayed_weights(wd), "
        "chained before optax.sgd or optax.adam, adds wd p to the gradient the same way. With wd = lambd / m and "
        "the biases left out (a second torch parameter group with weight_decay 0; an optax mask of the kernels), "
        "every update is the course's: the W and b after the step, and the optimizer's state, agree to rounding. "
        "But the loss torch and optax report is the data loss alone, smaller by (lambd / 2m) sum ||W||^2, and "
        "weight.grad and JAX's gradient are the data gradient, without (lambd / m) W: J and dW differ from the "
        "course's by exactly those terms. Keras's Dense(kernel_regularizer=L2(l2)) puts l2 sum W^2 into the loss "
        "(Model.compute_loss adds model.losses), so with l2 = lambd / 2m its J and dW are the course's. (torch's "
        "AdamW, Keras's optimizers' weight_decay and optax.adamw are 'decoupled': they shrink W outside Adam's "
        "normalisation, which is not the course's L2 for Adam.)",
        remedy=("none needed: weight_decay = lambd / m on the weights is the course's L2 gradient; only the "
                "reported cost leaves out (lambd / 2m) sum ||W||^2"),
    ),
    Convention(
        "torch-batchnorm-running-variance",
        "torch's BatchNorm1d keeps the unbiased batch variance in its running variance",
        TORCH,
        lambda case, fw, d: case.batchnorm,
        lambda v, case, d: replace(v, bn_unbiased_running=True),
        "Every framework normalises a training batch with its biased variance, (1/m) sum (Z - mu)^2. The running "
        "variance kept for inference is another matter: torch.nn.BatchNorm1d updates it with the unbiased "
        "m / (m - 1) times that (its documentation: 'the value stored in the moving average of the variance is "
        "calculated via the unbiased estimator'), Keras's BatchNormalization and flax's BatchNorm with the biased "
        "one, as the course does. "
        "Their momenta are each other's complements: torch's momentum (default {torch[batchnorm_momentum]}) "
        "weighs the new batch, running <- (1 - momentum) running + momentum batch, Keras's (default "
        "{keras[batchnorm_momentum]}) weighs the old value, so torch's 0.1 is Keras's 0.9, not its 0.99; each "
        "framework is given the case's decay in its own convention, and the same epsilon (defaults "
        "{torch[batchnorm_epsilon]} in torch, {keras[batchnorm_epsilon]} in Keras). So torch's running_var after "
        "a step is (1 - decay) var / (m - 1) above the course's, and nothing else differs.",
        remedy=("none in torch: BatchNorm1d keeps the unbiased batch variance in running_var; multiply by (m - 1) /"
                " m to compare with the course's"),
    ),
    Convention(
        "jax-leaky-relu-at-zero",
        "jax.nn.leaky_relu's derivative at exactly 0 is 1, not the slope",
        ("jax", "keras-jax"),
        lambda case, fw, d: any(a.startswith("leaky_relu") for a in case.activations),
        lambda v, case, d: replace(v, leaky_prime_at_zero=1.0),
        "jax.nn.leaky_relu is jnp.where(x >= 0, x, negative_slope * x) (jax/_src/nn/functions.py): at exactly "
        "x = 0 it takes the x branch, so autodiff gives it derivative 1 there (Keras's LeakyReLU on the JAX "
        "backend calls it too). torch's LeakyReLU backward, "
        "TensorFlow's LeakyReluGrad and the reference take the slope at 0 (Z > 0 decides). Only a pre-activation "
        "that is exactly 0 sees the difference: there dZ is dA in JAX and slope times dA elsewhere, and everything "
        "downstream of that unit (dW, db, dA of the layer below, the step) follows.",
        remedy="none needed unless a pre-activation is exactly 0: jax.nn.leaky_relu's derivative there is 1",
    ),
    Convention(
        "leaky-relu-default-slope",
        "leaky ReLU's default slope differs between frameworks",
        FRAMEWORKS,
        lambda case, fw, d: "leaky_relu" in case.activations,
        lambda v, case, d: replace(v, leaky_slope=d["leaky_relu_slope"]),
        "A bare leaky ReLU takes each library's default negative slope: torch.nn.LeakyReLU "
        "{torch[leaky_relu_slope]}, keras.layers.LeakyReLU {keras[leaky_relu_slope]} (the function "
        "keras.activations.leaky_relu has its own default, 0.2), jax.nn.leaky_relu {jax[leaky_relu_slope]}, the "
        "reference 0.01. Name the slope "
        "('leaky_relu(0.2)') to compare like with like.",
        remedy=("give the slope explicitly (nn.LeakyReLU(0.01), keras.layers.LeakyReLU(negative_slope=0.01)): each "
                "library's default is its own"),
    ),
]


def variant_for(case: Case, framework: str, defaults: dict) -> Variant:
    """The reference variant that follows ``framework``'s documented formulas for ``case``."""
    variant = TEXTBOOK
    for convention in CONVENTIONS:
        if framework in convention.frameworks and convention.applies(case, framework, defaults):
            variant = replace(convention.adjust(variant, case, defaults),
                              conventions=variant.conventions + (convention.id,))
    return variant


class _Defaults(dict):
    def __missing__(self, key):
        return "(not installed)"


class _Frameworks(dict):
    """{framework name: its defaults} for ``str.format_map``: {keras[adam_epsilon]}, {keras-jax[epsilon]}."""

    def __init__(self, defaults: dict):
        super().__init__({name: _Defaults(values) for name, values in defaults.items()})

    def __missing__(self, key):
        return _Defaults()


def with_defaults(text: str, defaults: dict) -> str:
    """``text`` with the installed frameworks' defaults filled in: {keras[adam_epsilon]}, {torch[dropout_p]}."""
    return text.format_map(_Frameworks(defaults))


def explain(convention: Convention, defaults: dict) -> str:
    """The convention's explanation with the installed frameworks' defaults filled in."""
    return with_defaults(convention.explanation, defaults)


def get(convention_id: str) -> Convention:
    return next(c for c in CONVENTIONS if c.id == convention_id)
