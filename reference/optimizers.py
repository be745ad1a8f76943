"""Parameter updates W[l] <- W[l] - ..., in the forms PyTorch, Keras and the course use.

``update(params, grads, optimizer)`` returns new arrays (never updates in place). Optimizers keep their state
(velocities, moments, and t, the number of updates taken) in the optimizer object, keyed by parameter name,
so one object belongs to one training run. Below, P is any parameter (W[l] or b[l]) and dP its gradient
(dW[l] or db[l]).

SGD(learning_rate=a):                  P <- P - a dP

Momentum(learning_rate=a, beta=b, form=...), v starting at 0:
    "heavy_ball" (torch.optim.SGD(momentum=b)):   v <- b v + dP;         P <- P - a v
    "velocity"   (keras.optimizers.SGD(momentum=b)): v <- b v - a dP;    P <- P + v
    "ema"        (the course):                      v <- b v + (1 - b) dP; P <- P - a v
With a constant learning rate the first two give the same iterates (Keras's v is -a times torch's); the
course's form equals them with the learning rate a (1 - b).

Adam(learning_rate=a, beta1, beta2, epsilon=e, form=...), m and v starting at 0, t = 1, 2, ...:
    m <- b1 m + (1 - b1) dP;   v <- b2 v + (1 - b2) dP^2
    "paper"       (Kingma & Ba Algorithm 1, torch.optim.Adam):  P <- P - a m_hat / (sqrt(v_hat) + e),
                  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
    "epsilon_hat" (keras.optimizers.Adam):  P <- P - a_t m / (sqrt(v) + e_hat),  a_t = a sqrt(1 - b2^t) / (1 - b1^t)
The two agree only if e_hat = e sqrt(1 - b2^t): Keras's default e_hat = 1e-7 is worth about 3e-6 of the
paper's epsilon at t = 1. Each form is evaluated in its framework's operation order (torch's lerp for m,
Keras's ``m += (g - m)(1 - b1)``), so that float64 runs agree to the last bits, not just to the formula.

RMSprop(learning_rate=a, beta2, epsilon=e, form=...), S starting at 0:
    S <- b2 S + (1 - b2) dP^2
    "course"      (the course, torch.optim.RMSprop):           P <- P - a dP / (sqrt(S) + e)
    "eps_in_sqrt" (keras.optimizers.RMSprop, optax.rmsprop):    P <- P - a dP / sqrt(S + e)
The forms differ by about e / (2 sqrt(S)) relative to sqrt(S) where S >> e, and entirely where S is near e.

State, in the course's names (``state()`` exports it, ``load_state(state, t)`` sets it, so a run can be resumed
from any step, and another implementation started from exactly the same state):
    Momentum:  "v_dW1", "v_db1", ...   its v, in its own form (the buffer, Keras's velocity, or the course's EMA)
    Adam:      "v_dW1", ... the first moment m;  "s_dW1", ... the second moment v;  and t, the updates taken
    RMSprop:   "s_dW1", ... its S
A parameter with no entry yet has the zero state it starts from.

Hand-worked example, SGD(0.1) on W = [[1.0]], dW = [[0.5]]: W <- 1 - 0.1 * 0.5 = [[0.95]].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from reference._validate import in_unit_interval, positive_finite

MOMENTUM_FORMS = ("heavy_ball", "velocity", "ema")
ADAM_FORMS = ("paper", "epsilon_hat")
RMSPROP_FORMS = ("course", "eps_in_sqrt")


@dataclass
class SGD:
    """Plain gradient descent: P <- P - learning_rate dP."""

    name: ClassVar[str] = "sgd"
    hyperparameters: ClassVar[tuple[str, ...]] = ("learning_rate",)
    slots: ClassVar[tuple[str, ...]] = ()
    counted: ClassVar[bool] = False
    learning_rate: float
    t: int = 0

    def __post_init__(self):
        self.learning_rate = positive_finite("learning_rate", self.learning_rate)

    def step(self, name: str, P: np.ndarray, dP: np.ndarray) -> np.ndarray:
        return P - self.learning_rate * dP

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def load_state(self, state: dict, t: int) -> None:
        _load(self, {}, state, t)

    def rounding(self, g, E_g, before: dict, after: dict, t: int, unit: float) -> tuple[dict, np.ndarray]:
        """The step's direction d = g: E(d) + |d| = E(g) + |g| (``Rounding``)."""
        return {}, E_g + np.abs(g)


@dataclass
class Momentum:
    """Gradient descent with momentum in one of ``MOMENTUM_FORMS`` (see the module docstring)."""

    name: ClassVar[str] = "momentum"
    hyperparameters: ClassVar[tuple[str, ...]] = ("learning_rate", "beta")
    slots: ClassVar[tuple[str, ...]] = ("v",)
    counted: ClassVar[bool] = False
    learning_rate: float
    beta: float = 0.9
    form: str = "heavy_ball"
    t: int = 0
    velocity: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.learning_rate = positive_finite("learning_rate", self.learning_rate)
        self.beta = in_unit_interval("beta", self.beta)
        if self.form not in MOMENTUM_FORMS:
            raise ValueError(f"unknown momentum form {self.form!r}; valid forms: {', '.join(MOMENTUM_FORMS)}")

    def step(self, name: str, P: np.ndarray, dP: np.ndarray) -> np.ndarray:
        a, b = self.learning_rate, self.beta
        v = self.velocity.get(name, np.zeros_like(P))
        if self.form == "heavy_ball":
            v = b * v + dP
            new_P = P - a * v
        elif self.form == "velocity":
            v = b * v - a * dP
            new_P = P + v
        else:
            v = b * v + (1 - b) * dP
            new_P = P - a * v
        self.velocity[name] = v
        return new_P

    def state(self) -> dict[str, np.ndarray]:
        return {f"v_d{name}": v.copy() for name, v in self.velocity.items()}

    def load_state(self, state: dict, t: int) -> None:
        _load(self, {"v": self.velocity}, state, t)

    def rounding(self, g, E_g, before: dict, after: dict, t: int, unit: float) -> tuple[dict, np.ndarray]:
        """The buffer v' = beta v + g (its heavy-ball form: the state is compared in it), E(v') = 2 beta |v| +
        E(g) + |v'| (the loaded v may take one rounding: Keras holds -lr v); the direction is v'."""
        v, v_new = np.abs(before["v"]), np.abs(after["v"])
        E_v = 2 * self.beta * v + E_g + v_new
        return {"v": E_v}, E_v + v_new


@dataclass
class Adam:
    """Adam in one of ``ADAM_FORMS`` (see the module docstring); ``t`` counts completed updates.

    ``bias_correction_betas``, when given, are the betas used in 1 - beta^t only (the moment updates keep
    ``beta1``, ``beta2``): Keras computes beta^t from beta rounded to float32 even in a float64 run.
    """

    name: ClassVar[str] = "adam"
    hyperparameters: ClassVar[tuple[str, ...]] = ("learning_rate", "beta1", "beta2", "epsilon")
    slots: ClassVar[tuple[str, ...]] = ("v", "s")
    counted: ClassVar[bool] = True
    learning_rate: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    form: str = "paper"
    bias_correction_betas: tuple[float, float] | None = None
    t: int = 0
    m: dict = field(default_factory=dict, repr=False)
    v: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.learning_rate = positive_finite("learning_rate", self.learning_rate)
        self.beta1 = in_unit_interval("beta1", self.beta1)
        self.beta2 = in_unit_interval("beta2", self.beta2)
        if isinstance(self.epsilon, bool) or not isinstance(self.epsilon, (int, float)) or not (
            math.isfinite(self.epsilon) and self.epsilon >= 0
        ):
            raise ValueError(f"epsilon must be a finite number >= 0, got {self.epsilon!r}")
        if self.form not in ADAM_FORMS:
            raise ValueError(f"unknown Adam form {self.form!r}; valid forms: {', '.join(ADAM_FORMS)}")

    def step(self, name: str, P: np.ndarray, dP: np.ndarray) -> np.ndarray:
        a, b1, b2, t = self.learning_rate, self.beta1, self.beta2, self.t
        c1, c2 = self.bias_correction_betas or (b1, b2)
        m = self.m.get(name, np.zeros_like(P))
        v = self.v.get(name, np.zeros_like(P))
        m = m + (1 - b1) * (dP - m)
        if self.form == "paper":
            v = b2 * v + (1 - b2) * (dP * dP)
            bias_correction1, bias_correction2 = 1 - c1**t, 1 - c2**t
            new_P = P - (a / bias_correction1) * (m / (np.sqrt(v) / math.sqrt(bias_correction2) + self.epsilon))
        else:
            v = v + (dP * dP - v) * (1 - b2)
            a_t = a * math.sqrt(1 - c2**t) / (1 - c1**t)
            new_P = P - m * a_t / (np.sqrt(v) + self.epsilon)
        self.m[name], self.v[name] = m, v
        return new_P

    def state(self) -> dict[str, np.ndarray]:
        """The course's names: v_dP is Adam's first moment m, s_dP its second moment v."""
        return {**{f"v_d{name}": m.copy() for name, m in self.m.items()},
                **{f"s_d{name}": v.copy() for name, v in self.v.items()}}

    def load_state(self, state: dict, t: int) -> None:
        _load(self, {"v": self.m, "s": self.v}, state, t)

    def rounding(self, g, E_g, before: dict, after: dict, t: int, unit: float) -> tuple[dict, np.ndarray]:
        """E(m'), E(v') and the direction u = m_hat / (sqrt(v_hat) + eps) at update ``t`` (``Rounding``):
        m' = b1 m + (1 - b1) g, E(m') = (1 - b1) E(g) + b1 |m| + |m'|; v' = b2 v + (1 - b2) g^2,
        E(v') = (1 - b2) (2 |g| E(g) + unit E(g)^2) + b2 |v| + |v'| (the second-order term is all there is where
        the reference's g is exactly 0 and another's a rounding away); E(u) = |du/dg| E(g) + D_m (b1 |m| + |m'|)
        + D_v (b2 |v| + |v'|) + 4 |u|, du/dg signed (at t = 1, u = g / (|g| + eps): the m and v terms cancel),
        D_m = 1 / (bc1 (sqrt(v_hat) + eps)), D_v = |m_hat| / (2 sqrt(v_hat) bc2 (sqrt(v_hat) + eps)^2); where g's
        own uncertainty d = unit E(g) is as large as g, u is evaluated at g +- d and the larger change bounds
        |du/dg| E(g) (an interval evaluation: u ~ g / |g| flips sign with g). The epsilon-hat form is the paper's
        with eps = eps_hat / sqrt(1 - b2^t)."""
        b1, b2, eps = self.beta1, self.beta2, self.epsilon
        m_old, v_old = before["v"], np.abs(before["s"])
        m_new, v_new = np.abs(after["v"]), np.abs(after["s"])
        E_m = (1 - b1) * E_g + b1 * np.abs(m_old) + m_new
        E_v = (1 - b2) * (2 * np.abs(g) * E_g + unit * E_g * E_g) + b2 * v_old + v_new
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        if self.form == "epsilon_hat":
            eps = eps / np.sqrt(bc2)
        m_hat, root = after["v"] / bc1, np.sqrt(v_new / bc2)
        D_m = 1 / (bc1 * (root + eps))
        D_v = np.where(root > 0, np.abs(m_hat) / (2 * root * bc2 * (root + eps) ** 2), 0.0)
        du_dg = (1 - b1) * D_m - np.where(root > 0, m_hat * (1 - b2) * g / (root * bc2 * (root + eps) ** 2), 0.0)
        u = np.abs(m_hat) / (root + eps)
        through_g = np.abs(du_dg) * E_g
        for d in (unit * E_g, -unit * E_g):
            m_d = b1 * m_old + (1 - b1) * (g + d)
            v_d = b2 * np.abs(before["s"]) + (1 - b2) * (g + d) ** 2
            u_d = (m_d / bc1) / (np.sqrt(v_d / bc2) + eps)
            through_g = np.maximum(through_g, np.abs(u_d - m_hat / (root + eps)) / unit)
        # about four roundings of u's own: the bias corrections, the square root, the sum with eps, the division
        E_u = 4 * u + through_g + D_m * (b1 * np.abs(m_old) + m_new) + D_v * (b2 * v_old + v_new)
        return {"v": E_m, "s": E_v}, E_u + u


@dataclass
class RMSprop:
    """RMSprop in one of ``RMSPROP_FORMS`` (see the module docstring): S <- beta2 S + (1 - beta2) dP^2, then
    P <- P - learning_rate dP / (sqrt(S) + epsilon), or with epsilon inside the square root."""

    name: ClassVar[str] = "rmsprop"
    hyperparameters: ClassVar[tuple[str, ...]] = ("learning_rate", "beta2", "epsilon")
    slots: ClassVar[tuple[str, ...]] = ("s",)
    counted: ClassVar[bool] = False
    learning_rate: float = 0.01
    beta2: float = 0.9
    epsilon: float = 1e-8
    form: str = "course"
    t: int = 0
    S: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.learning_rate = positive_finite("learning_rate", self.learning_rate)
        self.beta2 = in_unit_interval("beta2", self.beta2)
        self.epsilon = positive_finite("epsilon", self.epsilon)
        if self.form not in RMSPROP_FORMS:
            raise ValueError(f"unknown RMSprop form {self.form!r}; valid forms: {', '.join(RMSPROP_FORMS)}")

    def step(self, name: str, P: np.ndarray, dP: np.ndarray) -> np.ndarray:
        a, b2 = self.learning_rate, self.beta2
        S = b2 * self.S.get(name, np.zeros_like(P)) + (1 - b2) * (dP * dP)
        self.S[name] = S
        if self.form == "course":  # torch's order: P + (-a) dP / (sqrt(S) + eps)
            return P - a * dP / (np.sqrt(S) + self.epsilon)
        return P - (a * dP) / np.sqrt(S + self.epsilon)  # Keras's: (lr g) / sqrt(S + eps)

    def state(self) -> dict[str, np.ndarray]:
        return {f"s_d{name}": S.copy() for name, S in self.S.items()}

    def load_state(self, state: dict, t: int) -> None:
        _load(self, {"s": self.S}, state, t)

    def rounding(self, g, E_g, before: dict, after: dict, t: int, unit: float) -> tuple[dict, np.ndarray]:
        """E(S') and the direction u = g / (sqrt(S' + e_in) + e_out) (``Rounding``; e_out = eps in the course's
        form, e_in = eps in the other): S' = b2 S + (1 - b2) g^2, E(S') = (1 - b2) (2 |g| E(g) + unit E(g)^2) +
        b2 |S| + |S'|; E(u) = |du/dg| E(g) + D_S (b2 |S| + |S'|) + 3 |u|, with r = sqrt(S' + e_in), d = r + e_out,
        du/dg = 1 / d - (1 - b2) g^2 / (r d^2) and D_S = |g| / (2 r d^2) (u's change per unit of S'); where g's own
        uncertainty unit E(g) is as large as g, u is evaluated at g +- unit E(g) and the larger change bounds
        |du/dg| E(g) (u ~ g / |g| flips sign with g); the 3 |u|: the square root, the sum and the division."""
        b2 = self.beta2
        inside, outside = (0.0, self.epsilon) if self.form == "course" else (self.epsilon, 0.0)
        S_old, S_new = np.abs(before["s"]), np.abs(after["s"])
        E_S = (1 - b2) * (2 * np.abs(g) * E_g + unit * E_g * E_g) + b2 * S_old + S_new
        root = np.sqrt(S_new + inside)
        d = root + outside
        safe = np.where(root > 0, root, 1.0)
        du_dg = np.where(d > 0, 1 / np.where(d > 0, d, 1.0), 0.0) - np.where(
            root > 0, (1 - b2) * g * g / (safe * np.where(d > 0, d, 1.0) ** 2), 0.0)
        D_S = np.where(root > 0, np.abs(g) / (2 * safe * np.where(d > 0, d, 1.0) ** 2), 0.0)
        u = np.where(d > 0, np.abs(g) / np.where(d > 0, d, 1.0), 0.0)
        through_g = np.abs(du_dg) * E_g
        for shift in (unit * E_g, -unit * E_g):
            S_d = b2 * np.abs(before["s"]) + (1 - b2) * (g + shift) ** 2
            d_d = np.sqrt(S_d + inside) + outside
            u_d = np.where(d_d > 0, (g + shift) / np.where(d_d > 0, d_d, 1.0), 0.0)
            signed = np.where(d > 0, g / np.where(d > 0, d, 1.0), 0.0)
            through_g = np.maximum(through_g, np.abs(u_d - signed) / unit)
        E_u = 3 * u + through_g + D_S * (b2 * S_old + S_new)
        return {"s": E_S}, E_u + u


def _load(optimizer, slots: dict[str, dict], state: dict, t: int) -> None:
    """Replace ``optimizer``'s state: ``slots`` maps a course prefix ("v", "s") to the dict that holds it."""
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"t must be a whole number >= 0, got {t!r}")
    for key in state:
        prefix = key.split("_d", 1)[0]
        if prefix not in slots or "_d" not in key:
            valid = ", ".join(f"{p}_d<parameter>" for p in slots) or "none"
            raise KeyError(f"{type(optimizer).__name__} has no state {key!r}; its state keys are {valid}")
    for prefix, slot in slots.items():
        slot.clear()
        slot.update({key.split("_d", 1)[1]: np.array(value, copy=True)
                     for key, value in state.items() if key.startswith(f"{prefix}_d")})
    optimizer.t = int(t)


OPTIMIZERS: dict[str, type] = {optimizer.name: optimizer for optimizer in (SGD, Momentum, Adam, RMSprop)}


def get_optimizer(name: str) -> type:
    """The optimizer class named ``name``; unknown names list the valid ones."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid names: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]


def update(params: dict, grads: dict, optimizer) -> dict[str, np.ndarray]:
    """New parameters after one step of ``optimizer``: every P in params uses grads["d" + name]."""
    if not hasattr(optimizer, "step"):
        names = ", ".join(o.__name__ for o in OPTIMIZERS.values())
        raise TypeError(f"optimizer must be one of {names}, got {type(optimizer).__name__}")
    for name, P in params.items():
        key = f"d{name}"
        if key not in grads:
            raise KeyError(f"grads has no {key!r} for parameter {name!r}; got {sorted(grads)}")
        if np.shape(grads[key]) != np.shape(P):
            raise ValueError(f"{key} has shape {np.shape(grads[key])} but {name} has shape {np.shape(P)}")
    optimizer.t += 1
    return {name: optimizer.step(name, P, grads[f"d{name}"]) for name, P in params.items()}
