"""Cases: *what* to run. Plain data, JSON-serialisable, one readable unique name each; and ``GRID``, the one list
of cases that tests, reports and benchmarks all draw from.

A case's seed is the CRC-32 of its name, so every process (each pytest-xdist worker) builds the same weights
and data. ``initial_params(case)`` and ``batch(case)`` are the only sources of a run's starting point: every
implementation starts from exactly these arrays.
"""

from __future__ import annotations

import zlib
from dataclasses import MISSING, asdict, dataclass, fields

import numpy as np

import reference
from parity import data

OPTIMIZERS = tuple(reference.optimizers.OPTIMIZERS)  # the reference's records, in their order
# The grid's learning rate for an optimizer whose step is the gradient's size; an adaptive one (its step about
# the learning rate per element, whatever the gradient's scale) takes 0.01.
GRID_RATES = {"sgd": 0.1, "momentum": 0.05}
EDGES = {
    None: "",
    "zero_preactivation": "unit 1 of layer 1 has W = 0 and b = 0, so its Z is exactly 0 and the (leaky) ReLU's "
                          "derivative at 0 decides dZ",
    "dead_relu": "unit 1 of layer 1 has b = -100, so its ReLU output and all its gradients are exactly 0",
    "saturated_sigmoid": "the output bias is -30, so sigmoid outputs are about 1e-13 and p (1 - p) < 1e-12",
    "bce_log_clamp": "the output bias is -110, so sigmoid outputs are about 1e-48 and log p < -100",
    "large_logits": "the output weights are scaled by 40, so softmax logits spread over about +-40",
    "probability_clip": "the output bias is -16, so sigmoid outputs straddle 1e-7, where Keras's JAX and torch "
                        "backends clip probabilities, while p (1 - p) stays far above torch's 1e-12 floor",
}


@dataclass(frozen=True)
class Case:
    """One network, batch, optimizer and dtype to run from identical weights in every implementation."""

    name: str
    layer_dims: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    dtype: str = "float64"
    steps: int = 1
    m: int = 16
    # "random" (Gaussian X, targets valid for the loss), "pixels" (uniform [0, 1] X, one-hot Y), "planar", or any
    # source ``parity.data.load_source`` reads (a built-in name, MNIST files), of which the first m samples
    data: str = "random"
    init: str = "xavier"
    edge: str | None = None
    # Multiplies the Gaussian X of data "random" (1.0: X ~ N(0, 1), unchanged); the fuzzer draws it.
    input_scale: float = 1.0
    # The optimizer's hyper-parameters, given to every implementation: momentum's beta (torch's momentum, Keras's
    # momentum, optax's momentum), Adam's beta1, beta2 and epsilon (Keras's epsilon is its epsilon-hat: the
    # keras-adam-epsilon-hat convention).
    beta: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    # L2 regularisation (the course's lambd; 0: none): J gains (lambd / 2m) sum_l ||W[l]||^2 and dW[l] gains
    # (lambd / m) W[l], biases untouched (reference.regularization). Each framework is given it in its own way:
    # torch's and optax's coupled weight decay lambd / m on the weights (the l2-as-weight-decay convention),
    # Keras's kernel_regularizer L2(lambd / 2m).
    lambd: float = 0.0
    # Decoupled weight decay (0: none), as AdamW: beside the optimizer's step, W[l] <- W[l] - lr weight_decay
    # W[l] (reference.decoupled_weight_decay), biases untouched: torch's SGD weight_decay (the same map for plain
    # SGD) and AdamW, Keras's optimizers' weight_decay, optax's add_decayed_weights after the step's direction.
    weight_decay: float = 0.0
    # Inverted dropout on every hidden layer (the course's keep_prob; 1.0: none): A[l] <- g(Z[l]) D[l] / keep_prob
    # with the masks ``dropout_masks(case, step)``, the same data in every implementation.
    keep_prob: float = 1.0
    # Batch normalisation of Z[l] on every hidden layer (training mode): Z_tilde = gamma Z_norm + beta before g, no
    # b[l] (beta takes its place), running statistics running <- bn_decay running + (1 - bn_decay) batch. Every
    # implementation is given bn_epsilon and bn_decay (torch's momentum is 1 - bn_decay, Keras's is bn_decay).
    batchnorm: bool = False
    bn_epsilon: float = 1e-3
    bn_decay: float = 0.9
    # Mini-batch epochs (None: every step takes the whole batch of m samples): each epoch shuffles the m samples
    # (``epoch_order``) and takes them mini_batch_size at a time, the last batch holding what remains (the course's
    # random_mini_batches); step s is mini-batch s mod B of epoch s // B, B = ceil(m / mini_batch_size).
    mini_batch_size: int | None = None
    # The learning rate of epoch e (``reference.schedules``): learning_rate decayed by ``schedule`` with decay_rate
    # and, for fixed_interval, decay_interval epochs; "constant": none.
    schedule: str = "constant"
    decay_rate: float = 1.0
    decay_interval: int = 1

    def __post_init__(self):
        if len(self.activations) != len(self.layer_dims) - 1:
            raise ValueError(f"case {self.name}: {len(self.activations)} activations for {self.layer_dims}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"case {self.name}: unknown optimizer {self.optimizer!r}; valid: {OPTIMIZERS}")
        if self.edge not in EDGES:
            raise ValueError(f"case {self.name}: unknown edge {self.edge!r}; valid: {sorted(filter(None, EDGES))}")
        for name in ("beta", "beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"case {self.name}: {name} must be in [0, 1), got {getattr(self, name)}")
        if not (np.isfinite(self.lambd) and self.lambd >= 0):
            raise ValueError(f"case {self.name}: lambd must be a finite number >= 0, got {self.lambd}")
        if not (np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"case {self.name}: weight_decay must be a finite number >= 0, got {self.weight_decay}")
        if self.weight_decay and self.lambd:
            raise ValueError(f"case {self.name}: give either lambd (the course's L2, coupled) or weight_decay "
                             "(decoupled), not both")
        if not (np.isfinite(self.keep_prob) and 0 < self.keep_prob <= 1):
            raise ValueError(f"case {self.name}: keep_prob must be in (0, 1], got {self.keep_prob}")
        if self.keep_prob < 1 and self.L < 2:
            raise ValueError(f"case {self.name}: dropout needs a hidden layer; {self.layer_dims} has none")
        if self.batchnorm and self.L < 2:
            raise ValueError(f"case {self.name}: batch normalisation needs a hidden layer; {self.layer_dims} has none")
        if self.batchnorm and self.m < 2:
            raise ValueError(f"case {self.name}: batch normalisation needs m >= 2 samples, got m = {self.m}")
        if not (np.isfinite(self.bn_epsilon) and self.bn_epsilon > 0) or not 0 <= self.bn_decay < 1:
            raise ValueError(f"case {self.name}: bn_epsilon must be positive and bn_decay in [0, 1), got "
                             f"{self.bn_epsilon} and {self.bn_decay}")
        if not self.epsilon > 0:
            raise ValueError(f"case {self.name}: epsilon must be positive, got {self.epsilon}")
        if not (np.isfinite(self.input_scale) and self.input_scale > 0):
            raise ValueError(f"case {self.name}: input_scale must be a positive finite number, got {self.input_scale}")
        self._check_epochs()
        reference.losses.check_loss_name(self.loss)
        for name in self.activations:
            reference.get_activation(name)

    def _check_epochs(self) -> None:
        """Mini-batches and schedules: what they combine with (each is a step-local, per-batch comparison)."""
        reference.get_schedule(self.schedule)
        if not (np.isfinite(self.decay_rate) and self.decay_rate >= 0) or self.decay_interval < 1:
            raise ValueError(f"case {self.name}: decay_rate must be >= 0 and decay_interval >= 1, got "
                             f"{self.decay_rate} and {self.decay_interval}")
        if self.schedule != "constant" and self.optimizer == "momentum":
            raise ValueError(f"case {self.name}: momentum with a learning-rate schedule is not compared: Keras's "
                             "velocity holds the learning rate of every past step, torch's buffer none of them")
        if self.mini_batch_size is None:
            return
        if not 1 <= self.mini_batch_size <= self.m:
            raise ValueError(f"case {self.name}: mini_batch_size must be in 1..m = {self.m}, "
                             f"got {self.mini_batch_size}")
        if self.lambd or self.keep_prob < 1 or self.batchnorm:
            raise ValueError(f"case {self.name}: mini-batches are compared without L2, dropout or batch normalisation "
                             "(their per-batch m and masks are not modelled per mini-batch)")

    @property
    def scheduled(self) -> bool:
        """Whether the learning rate changes from epoch to epoch (then it is a compared quantity, lr)."""
        return self.schedule != "constant"

    @property
    def batches_per_epoch(self) -> int:
        """B = ceil(m / mini_batch_size) (1 without mini-batches)."""
        return -(-self.m // self.mini_batch_size) if self.mini_batch_size else 1

    @property
    def L(self) -> int:
        return len(self.layer_dims) - 1

    @property
    def batchnorm_layers(self) -> tuple[int, ...]:
        """The batch-normalised layers: every hidden layer, or none."""
        return tuple(range(1, self.L)) if self.batchnorm else ()

    @property
    def seed(self) -> int:
        """CRC-32 of the name without its dtype suffix: a case's float32 and float64 twins share weights and data."""
        return zlib.crc32(self.name.removesuffix(f"-{self.dtype}").encode())

    def to_dict(self) -> dict:
        return asdict(self)


def optimizer_defaults(name: str) -> dict:
    """The reference optimizer record's defaults for its hyper-parameters other than the learning rate (a case's
    fields of the same names): RMSprop's beta2 0.9, Adam's 0.999."""
    record = reference.optimizers.get_optimizer(name)
    defaults = {f.name: f.default for f in fields(record) if f.default is not MISSING}
    return {h: defaults[h] for h in record.hyperparameters if h != "learning_rate" and h in defaults}


def initial_params(case: Case) -> dict[str, np.ndarray]:
    """The starting weights every implementation loads: seeded by the case, with its edge applied, in its dtype."""
    params = reference.init_params(list(case.layer_dims), case.init, seed=case.seed, dtype="float64")
    rng = np.random.default_rng(case.seed + 1)
    # Small non-zero biases, so that every broadcast and every db is exercised.
    params = {k: (v + 0.1 * rng.standard_normal(v.shape) if k[0] == "b" else v) for k, v in params.items()}
    L = case.L
    if case.edge == "zero_preactivation":
        params["W1"][0, :] = 0.0
        params["b1"][0, 0] = 0.0
    elif case.edge == "dead_relu":
        params["b1"][0, 0] = -100.0
    elif case.edge == "saturated_sigmoid":
        params[f"b{L}"][:] = -30.0
    elif case.edge == "bce_log_clamp":
        params[f"b{L}"][:] = -110.0
    elif case.edge == "large_logits":
        params[f"W{L}"] *= 40.0
    elif case.edge == "probability_clip":
        params[f"b{L}"][:] = -16.0
    for l in case.batchnorm_layers:  # b[l] = 0, never trained; gamma and beta near 1 and 0, not exactly
        params[f"b{l}"][:] = 0.0
        params[f"gamma{l}"] = 1 + 0.1 * rng.standard_normal((case.layer_dims[l], 1))
        params[f"beta{l}"] = 0.1 * rng.standard_normal((case.layer_dims[l], 1))
    return {k: v.astype(case.dtype) for k, v in params.items()}


def trained(case: Case, name: str) -> bool:
    """Whether parameter ``name`` is trained: all but a batch-normalised layer's b, which beta replaces."""
    return not (name[0] == "b" and not name.startswith("beta") and int(name[1:]) in case.batchnorm_layers)


def initial_buffers(case: Case) -> dict[str, np.ndarray]:
    """Batch normalisation's running statistics before the first step: mean 0 and variance 1 (every framework's
    initial values)."""
    buffers = {}
    for l in case.batchnorm_layers:
        buffers[f"running_mean{l}"] = np.zeros((case.layer_dims[l], 1), case.dtype)
        buffers[f"running_var{l}"] = np.ones((case.layer_dims[l], 1), case.dtype)
    return buffers


def batchnorm_for(case: Case) -> reference.BatchNorm | None:
    """The reference's ``BatchNorm`` for the case (None without batch normalisation)."""
    return reference.BatchNorm(case.batchnorm_layers, case.bn_epsilon) if case.batchnorm else None


def dropout_masks(case: Case, step: int) -> dict[int, np.ndarray]:
    """{l: D[l]} for every hidden layer at ``step``: the course's 0/1 masks (``reference.dropout_mask``), drawn
    anew each step, seeded by the case's name without its dtype, the step and the layer; {} without dropout."""
    if case.keep_prob == 1:
        return {}
    stem = case.name.removesuffix(f"-{case.dtype}")
    return {l: reference.dropout_mask((case.layer_dims[l], case.m), case.keep_prob,
                                      seed=zlib.crc32(f"{stem}|dropout|{step}|{l}".encode()), dtype=case.dtype)
            for l in range(1, case.L)}


def dropout_for(case: Case, step: int) -> reference.Dropout | None:
    """The reference's ``Dropout`` for ``step`` (None without dropout)."""
    return reference.Dropout(case.keep_prob, dropout_masks(case, step)) if case.keep_prob < 1 else None


def batch(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) for the case, in its dtype: X (n_x, m); Y (n[L], m) valid for its loss."""
    n_x, n_y, m = case.layer_dims[0], case.layer_dims[-1], case.m
    rng = np.random.default_rng(case.seed + 2)
    if case.data == "planar":
        dataset = data.planar(m=m, seed=1)
        X, Y = dataset.X, dataset.Y
    elif case.data not in ("random", "pixels"):
        train = data.load_source(case.data).train
        if train.m < m:
            raise ValueError(f"case {case.name}: data {case.data!r} has {train.m} samples, fewer than m = {m}")
        X, Y = train.X[:, :m], train.Y[:, :m]
    elif case.data == "pixels":
        X = rng.uniform(0, 1, (n_x, m))
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    else:
        X = rng.standard_normal((n_x, m)) * case.input_scale
        if case.loss == "binary_crossentropy":
            Y = rng.integers(0, 2, (n_y, m)).astype(np.float64)
            if case.edge in ("saturated_sigmoid", "bce_log_clamp", "probability_clip"):
                Y[:, 0] = 1.0  # at least one sample is confidently wrong, so the guard is exercised
        elif case.loss == "categorical_crossentropy":
            Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
        else:
            Y = rng.standard_normal((n_y, m))
    if X.shape != (n_x, m) or Y.shape != (n_y, m):
        raise ValueError(f"case {case.name}: data {case.data!r} gives X {X.shape}, Y {Y.shape}")
    return X.astype(case.dtype), Y.astype(case.dtype)


def epoch_of(case: Case, step: int) -> int:
    """The epoch step ``step`` belongs to (0-based)."""
    return step // case.batches_per_epoch


def epoch_order(case: Case, epoch: int) -> np.ndarray:
    """The permutation of the m samples that epoch ``epoch`` takes them in (``reference.permutation``), seeded by
    the case's name without its dtype and the epoch, the same in every implementation; 0..m-1 without
    mini-batches."""
    if not case.mini_batch_size:
        return np.arange(case.m)
    stem = case.name.removesuffix(f"-{case.dtype}")
    return reference.permutation(case.m, seed=zlib.crc32(f"{stem}|epoch|{epoch}".encode()))


def step_columns(case: Case, step: int) -> np.ndarray:
    """The columns of ``batch(case)`` that step ``step`` trains on: its mini-batch of its epoch's order."""
    order, k = epoch_order(case, epoch_of(case, step)), step % case.batches_per_epoch
    size = case.mini_batch_size or case.m
    return order[k * size:(k + 1) * size]


def step_batch(case: Case, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) of step ``step``: the whole batch, or its mini-batch (``reference.mini_batches`` of the epoch's order,
    the last one smaller when mini_batch_size does not divide m)."""
    X, Y = batch(case)
    if not case.mini_batch_size:
        return X, Y
    batches = reference.mini_batches(X, Y, case.mini_batch_size, epoch_order(case, epoch_of(case, step)))
    return batches[step % case.batches_per_epoch]


def learning_rate_at(case: Case, step: int, float32: bool = False) -> float:
    """The learning rate of step ``step``: the case's schedule at its epoch (``reference.schedules``); ``float32``:
    the schedule's formula evaluated in float32 arithmetic, operation by operation (as Keras's schedules compute on
    TensorFlow), then widened."""
    schedule, epoch = reference.get_schedule(case.schedule), epoch_of(case, step)
    if float32:
        f32 = np.float32
        return float(schedule.rate(f32(case.learning_rate), f32(epoch), f32(case.decay_rate), case.decay_interval))
    return schedule.learning_rate(case.learning_rate, epoch, case.decay_rate, case.decay_interval)


def _grid() -> list[Case]:
    cases = []

    def add(name, *args, dtypes=("float32", "float64"), **kwargs):
        for dtype in dtypes:
            cases.append(Case(f"{name}-{dtype}", *args, dtype=dtype, **kwargs))

    # The networks of the source texts.
    add("planar-2-4-1-tanh-sigmoid", (2, 4, 1), ("tanh", "sigmoid"), "binary_crossentropy",
        learning_rate=1.2, steps=10, m=400, data="planar")
    add("deep-relu-sigmoid", (12, 20, 7, 5, 1), ("relu", "relu", "relu", "sigmoid"), "binary_crossentropy",
        learning_rate=0.075, steps=5, m=64, init="he")
    add("digits-784-10-10-relu-softmax", (784, 10, 10), ("relu", "softmax"), "categorical_crossentropy",
        learning_rate=0.1, steps=3, m=64, data="pixels", init="he")
    add("digits-64-10-10-relu-softmax", (64, 10, 10), ("relu", "softmax"), "categorical_crossentropy",
        learning_rate=0.5, steps=5, m=256, data="digits", init="he")
    add("linear-chain-mse", (1, 1, 1, 1), ("linear", "linear", "linear"), "mse", learning_rate=0.05, steps=10, m=8)
    # Every activation in a hidden position.
    for hidden in ("sigmoid", "tanh", "relu", "leaky_relu(0.2)", "softmax", "linear"):
        add(f"hidden-{hidden}", (4, 6, 5, 1), (hidden, hidden, "sigmoid"), "binary_crossentropy", m=16)
    # Every activation in the output position, with each loss it can feed.
    for output, loss, n_out in (("sigmoid", "binary_crossentropy", 1), ("sigmoid", "binary_crossentropy", 3),
                                ("softmax", "categorical_crossentropy", 3), ("sigmoid", "mse", 3), ("tanh", "mse", 3),
                                ("relu", "mse", 3), ("leaky_relu(0.2)", "mse", 3), ("linear", "mse", 3),
                                ("softmax", "mse", 3)):
        add(f"output-{output}-{loss}-{n_out}units", (5, 4, n_out), ("tanh", output), loss, m=12)
    # Depth 1..4 and batch sizes from one sample to a few hundred.
    for depth in (1, 2, 3, 4):
        for m in (1, 32, 256):
            dims = (6,) + (5,) * (depth - 1) + (3,)
            add(f"depth{depth}-m{m}", dims, ("relu",) * (depth - 1) + ("softmax",), "categorical_crossentropy",
                m=m, init="he")
    # Every optimizer of the reference, one step and several, with its record's default hyper-parameters.
    for optimizer in OPTIMIZERS:
        for steps in (1, 8):
            add(f"{optimizer}-{steps}steps", (3, 5, 2), ("tanh", "softmax"), "categorical_crossentropy",
                optimizer=optimizer, learning_rate=GRID_RATES.get(optimizer, 0.01), steps=steps, m=20,
                **optimizer_defaults(optimizer))
    add("adam-relu-sigmoid-20steps", (4, 8, 1), ("relu", "sigmoid"), "binary_crossentropy", optimizer="adam",
        learning_rate=0.01, steps=20, m=32, init="he")
    # L2 regularisation: the course's network (two ReLU layers, a sigmoid output, lambd = 0.7, learning rate
    # 0.3), and each optimizer, where the decay term (lambd / m) W is about as large as the loss's gradient.
    add("l2-course-20-3-1", (2, 20, 3, 1), ("relu", "relu", "sigmoid"), "binary_crossentropy", learning_rate=0.3,
        steps=5, m=64, init="he", lambd=0.7)
    for optimizer, rate, steps in (("sgd", 0.1, 1), ("momentum", 0.05, 4), ("adam", 0.01, 1)):
        add(f"l2-{optimizer}-{steps}steps", (3, 5, 2), ("tanh", "softmax"), "categorical_crossentropy",
            optimizer=optimizer, learning_rate=rate, steps=steps, m=20, lambd=0.7)
    add("l2-adam-6steps", (4, 8, 1), ("relu", "sigmoid"), "binary_crossentropy", optimizer="adam",
        learning_rate=0.01, steps=6, m=32, init="he", lambd=0.7)
    # Decoupled weight decay with each optimizer (AdamW and its SGD and momentum forms).
    for optimizer, rate, steps in (("sgd", 0.1, 1), ("momentum", 0.05, 4), ("adam", 0.01, 4)):
        add(f"decoupled-decay-{optimizer}-{steps}steps", (3, 5, 2), ("tanh", "softmax"), "categorical_crossentropy",
            optimizer=optimizer, learning_rate=rate, steps=steps, m=20, weight_decay=0.1)
    # Inverted dropout on the hidden layers, with masks that are data: the course's network (keep_prob 0.86), each
    # optimizer, and dropout with L2 together.
    add("dropout-course-20-3-1", (2, 20, 3, 1), ("relu", "relu", "sigmoid"), "binary_crossentropy",
        learning_rate=0.3, steps=4, m=64, init="he", keep_prob=0.86)
    for optimizer, rate, steps in (("sgd", 0.1, 3), ("momentum", 0.05, 3), ("adam", 0.01, 3)):
        add(f"dropout-{optimizer}-{steps}steps", (4, 8, 6, 3), ("tanh", "sigmoid", "softmax"),
            "categorical_crossentropy", optimizer=optimizer, learning_rate=rate, steps=steps, m=24, keep_prob=0.8)
    add("dropout-l2-adam-3steps", (4, 8, 1), ("relu", "sigmoid"), "binary_crossentropy", optimizer="adam",
        learning_rate=0.01, steps=3, m=32, init="he", keep_prob=0.75, lambd=0.7)
    # Batch normalisation of every hidden layer (training mode, running statistics compared as state), with each
    # optimizer, several steps; and the three techniques together.
    for optimizer, rate in (("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)):
        add(f"batchnorm-{optimizer}-3steps", (4, 8, 6, 3), ("relu", "tanh", "softmax"), "categorical_crossentropy",
            optimizer=optimizer, learning_rate=rate, steps=3, m=32, init="he", batchnorm=True)
    add("batchnorm-dropout-l2-course", (2, 20, 3, 1), ("relu", "relu", "sigmoid"), "binary_crossentropy",
        learning_rate=0.3, steps=3, m=64, init="he", batchnorm=True, keep_prob=0.86, lambd=0.7)
    # Mini-batch epochs (the course's random_mini_batches, shuffled afresh each epoch, a partial last batch): m = 20
    # in batches of 8 (8, 8 and 4), judged step by step, each mini-batch on its own; with each learning-rate
    # schedule of the course, Adam and RMSprop among them; and a sigmoid output in batches of 10 (10, 10, 10, 2).
    for optimizer, rate, schedule, decay_rate, interval, steps in (
            ("sgd", 0.1, "constant", 1.0, 1, 6), ("momentum", 0.05, "constant", 1.0, 1, 6),
            ("adam", 0.01, "inverse_time", 0.5, 1, 9), ("rmsprop", 0.01, "exponential", 0.9, 1, 9),
            ("sgd", 0.1, "fixed_interval", 1.0, 2, 12)):
        add(f"minibatch-{optimizer}-{schedule.replace('_', '-')}-{steps // 3}epochs", (3, 5, 2), ("tanh", "softmax"),
            "categorical_crossentropy", optimizer=optimizer, learning_rate=rate, steps=steps, m=20, mini_batch_size=8,
            schedule=schedule, decay_rate=decay_rate, decay_interval=interval)
    add("minibatch-adam-relu-sigmoid-2epochs", (4, 8, 1), ("relu", "sigmoid"), "binary_crossentropy",
        optimizer="adam", learning_rate=0.01, steps=8, m=32, init="he", mini_batch_size=10)
    # Edge cases, on purpose.
    add("edge-relu-zero-preactivation", (3, 4, 1), ("relu", "sigmoid"), "binary_crossentropy",
        edge="zero_preactivation", init="he")
    add("edge-dead-relu", (3, 4, 1), ("relu", "sigmoid"), "binary_crossentropy", edge="dead_relu", init="he",
        optimizer="adam", learning_rate=0.01, steps=3)
    add("edge-saturated-sigmoid", (3, 4, 1), ("tanh", "sigmoid"), "binary_crossentropy", edge="saturated_sigmoid")
    add("edge-bce-log-clamp", (3, 4, 1), ("tanh", "sigmoid"), "binary_crossentropy", edge="bce_log_clamp",
        dtypes=("float64",))
    add("edge-probability-clip", (3, 4, 1), ("tanh", "sigmoid"), "binary_crossentropy", edge="probability_clip",
        dtypes=("float32",))
    add("edge-large-logits", (4, 6, 5), ("tanh", "softmax"), "categorical_crossentropy", edge="large_logits")
    add("edge-one-sample", (4, 6, 2), ("relu", "softmax"), "categorical_crossentropy", m=1, init="he", steps=3)
    add("edge-leaky-relu-default-slope", (4, 6, 1), ("leaky_relu", "sigmoid"), "binary_crossentropy", m=16)
    add("edge-leaky-relu-zero-preactivation", (3, 4, 1), ("leaky_relu(0.2)", "sigmoid"), "binary_crossentropy",
        edge="zero_preactivation", init="he")
    return cases


GRID: list[Case] = _grid()
CASES: dict[str, Case] = {case.name: case for case in GRID}
if len(CASES) != len(GRID):
    raise RuntimeError("duplicate case names in the grid")


def get_case(name: str) -> Case:
    if name not in CASES:
        close = [n for n in CASES if name in n][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else "; list them with `python -m parity report --list`"
        raise ValueError(f"unknown case {name!r}{hint}")
    return CASES[name]
