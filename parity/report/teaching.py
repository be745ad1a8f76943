"""The teaching text of the reports: for each quantity, the equation in the course's notation, how PyTorch and
Keras compute the same number, and why the numbers agree to the precision shown.

Framework defaults quoted here are read from the report document (``defaults``: read from the installed
frameworks at run time), never written in, so the text stays true when versions change.
"""

from __future__ import annotations

from parity.conventions import with_defaults
from parity.frameworks import REGISTRY

QUANTITIES = {
    "Z": {
        "equation": "Z[l] = W[l] A[l-1] + b[l], shape (n[l], m): one column per sample",
        "torch": "nn.Linear computes z = a @ weight.T + bias on (m, n) tensors whose rows are samples. Its weight "
                 "is the course's W[l] itself, (n[l], n[l-1]), so z is Z[l] transposed.",
        "keras": "Dense computes z = a @ kernel + bias, also rows-as-samples. Its kernel is W[l] transposed, "
                 "(n[l-1], n[l]); the bias is b[l] flattened to (n[l],).",
        "jax": "The network is a pure function of its parameters: z = a @ kernel + bias with Dense's layout "
               "(kernel W[l] transposed), jnp arrays rows-as-samples.",
        "why": "The three compute the same dot products. Only the order of the additions inside the matrix "
               "kernels differs (OpenBLAS for NumPy, MKL for torch, Eigen/oneDNN for TensorFlow), which moves the "
               "last bits; the error is measured against |W||A| + |b|, the size of the terms being added.",
    },
    "A": {
        "equation": "A[l] = g[l](Z[l]), elementwise (softmax: per column, exp(Z - max Z) / sum exp(Z - max Z))",
        "torch": "Activation modules: nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU(negative_slope), "
                 "nn.Softmax(dim=1) (dim 1 is the class axis when rows are samples), nn.Identity for linear.",
        "keras": "An Activation layer after each Dense (so Z stays visible), or a LeakyReLU(negative_slope) layer; "
                 "softmax runs over the last axis, the class axis.",
        "jax": "jax.nn.sigmoid, jax.nn.tanh, jax.nn.relu, jax.nn.leaky_relu(negative_slope), "
               "jax.nn.softmax(axis=-1), the identity for linear.",
        "why": "Each library evaluates exp and tanh to within about an ulp, and every softmax subtracts the "
               "maximum first, so the outputs agree to the rounding of those functions, scaled by g'(Z) times the "
               "error already in Z.",
    },
    "J": {
        "equation": "BCE: J = -(1/(n[L] m)) sum [Y log A + (1-Y) log(1-A)];  CCE: J = -(1/m) sum_i sum_k Y log A;  "
                    "MSE: J = (1/(n[L] m)) sum (A - Y)^2",
        "torch": "BCELoss on probabilities, BCEWithLogitsLoss on Z[L], CrossEntropyLoss on the logits Z[L] with "
                 "probability targets (it applies log-softmax itself), MSELoss; reduction 'mean' divides by the "
                 "number of elements (CrossEntropyLoss: by the number of samples).",
        "keras": "BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError with 'sum_over_batch_size': a mean "
                 "over the last axis per sample (a sum over classes for CCE), then a mean over samples, which is "
                 "the same number. On the TensorFlow backend a sigmoid or softmax output carries its logits and "
                 "the cross-entropies use them.",
        "jax": "optax.sigmoid_binary_cross_entropy and optax.softmax_cross_entropy on the logits Z[L], "
               "optax.squared_error on A[L], each averaged with jnp.mean (optax returns per-element or "
               "per-sample losses and leaves the reduction to the caller).",
        "why": "Same reductions, same logarithms. Whether the log is taken of probabilities or computed from "
               "logits changes only rounding while probabilities stay well inside (0, 1); near 0 and 1 the "
               "frameworks' guards take over (see the explained divergences).",
    },
    "dA": {
        "equation": "dA[l] = W[l+1]^T dZ[l+1] per example; at the output dA[L] = dL/dA[L] (the loss's own gradient)",
        "torch": "a.retain_grad() before backward(); a.grad is dJ/dA = dA^T / m, since autograd differentiates "
                 "the mean cost.",
        "keras": "tape.gradient(J, a) inside tf.GradientTape gives the same dJ/dA = dA^T / m; on the torch backend "
                 "retain_grad() and J.backward(), on the JAX backend the gradient of a zero added to A (below).",
        "jax": "jax.value_and_grad of J with a zero added to each A[l]: the gradient with respect to that zero is "
               "dJ/dA = dA^T / m, and adding 0.0 changes no value.",
        "why": "The course puts the 1/m of the mean into dW and db; autograd applies it at the start, in the loss. "
               "Multiplying the framework's gradient by m recovers the per-example dA. With a logits loss there is "
               "no gradient with respect to A[L]: the loss never sees A[L].",
    },
    "dZ": {
        "equation": "dZ[l] = dA[l] * g'(Z[l]); at the output dZ[L] = A[L] - Y for sigmoid + BCE and softmax + CCE "
                    "(divided by n[L] for BCE over several units)",
        "torch": "z.grad = dZ^T / m. BCEWithLogitsLoss and CrossEntropyLoss produce the fused A - Y directly; "
                 "BCELoss gives (p - y)/(p(1 - p)) and nn.Sigmoid multiplies by p(1 - p). ReLU's derivative at "
                 "exactly 0 is 0 (threshold_backward); LeakyReLU's is the slope.",
        "keras": "tape.gradient(J, z) = dZ^T / m; on the logits path the fused A - Y. TensorFlow's ReluGrad is 0 at "
                 "exactly 0 and LeakyReluGrad gives the slope there. On the JAX and torch backends the "
                 "cross-entropies take the clipped probabilities, so dZ[L] is dA[L] times g'(Z[L]).",
        "jax": "The gradient of a zero added to each Z[l] is dZ^T / m; optax's logits losses give the fused "
               "A - Y. jax.nn.relu's derivative at exactly 0 is 0.",
        "why": "The fused and the unfused output gradients are equal in exact arithmetic and differ by a few "
               "roundings; the derivative conventions at 0 are the same everywhere (the case with pre-activations "
               "exactly 0 pins them).",
    },
    "dW": {
        "equation": "dW[l] = (1/m) dZ[l] A[l-1]^T, shape (n[l], n[l-1])",
        "torch": "linear.weight.grad is dW itself: same layout as W, and the 1/m is already in z.grad.",
        "keras": "The kernel's gradient is dW transposed.",
        "jax": "The kernel's gradient is dW transposed, as in Keras.",
        "why": "A matrix product summed over the m samples, in a different order in each library: the error is "
               "measured against (1/m)|dZ||A|^T.",
    },
    "db": {
        "equation": "db[l] = (1/m) sum over columns of dZ[l], shape (n[l], 1) (summed per unit, never over all axes)",
        "torch": "linear.bias.grad, shape (n[l],): db flattened.",
        "keras": "The bias gradient, shape (n[l],).",
        "jax": "The bias gradient, shape (n[l],).",
        "why": "A sum over the m samples for each unit; the only difference is the order of the additions.",
    },
    "W": {
        "equation": "gradient descent: W[l] <- W[l] - alpha dW[l], b[l] <- b[l] - alpha db[l] (momentum and Adam "
                    "as in reference/optimizers.py)",
        "torch": "torch.optim.SGD (momentum: b <- mu b + g, p <- p - lr b) and torch.optim.Adam (Algorithm 1 of "
                 "Kingma and Ba), stepping the parameters in place.",
        "keras": "keras.optimizers.SGD (momentum: v <- mu v - lr g, p <- p + v) and keras.optimizers.Adam "
                 "(the epsilon-hat form), applied with optimizer.apply(gradients, variables).",
        "jax": "optax.sgd (momentum: the trace t <- mu t + g, p <- p - lr t, nesterov=False) and optax.adam "
               "(Algorithm 1, eps outside the square root, eps_root = 0), applied with optax.apply_updates.",
        "why": "The update is a handful of elementwise operations on numbers that already agree; where a "
               "framework documents a different formula, the reference runs that formula too and the difference "
               "is reported as explained.",
    },
}
QUANTITIES["b"] = QUANTITIES["W"]
QUANTITIES["Z_tilde"] = {
    "equation": "batch normalisation of a hidden layer: Z_tilde[l] = gamma[l] (Z[l] - mu) / sqrt(var + epsilon) + "
                "beta[l], mu and var the batch mean and biased variance of each unit; then A[l] = g(Z_tilde[l])",
    "torch": "nn.BatchNorm1d(n[l], eps, momentum) after nn.Linear(bias=False), in train() mode: weight is gamma, "
             "bias is beta; Z_tilde is its output (retain_grad() for dZ_tilde).",
    "keras": "keras.layers.BatchNormalization(momentum, epsilon) after Dense(use_bias=False), called with "
             "training=True: gamma and beta are its variables; its output is a model output.",
    "jax": "The formula of flax.linen.BatchNorm(use_fast_variance=False) in jnp: (z - mean) * (rsqrt(var + eps) * "
           "gamma) + beta, with a zero added for dZ_tilde.",
    "why": "The same batch statistics (mean, then the mean of squared deviations), evaluated in different orders; "
           "the error scale follows each step (parity/error_scale.py, _batchnorm_forward), including the "
           "cancellation in Z - mu.",
}
QUANTITIES["dZ_tilde"] = QUANTITIES["dgamma"] = QUANTITIES["dbeta"] = {
    "equation": "dZ_tilde = dA * g'(Z_tilde); dgamma = (1/m) sum_columns dZ_tilde Z_norm, dbeta = (1/m) "
                "sum_columns dZ_tilde; dZ = gamma / sqrt(var + eps) (dZ_tilde - mean(dZ_tilde) - Z_norm "
                "mean(dZ_tilde Z_norm)), per example (reference/batchnorm.py)",
    "torch": "z_tilde.grad times m; BatchNorm1d's weight.grad and bias.grad are dgamma and dbeta; autograd's "
             "batch_norm backward gives z.grad.",
    "keras": "The gradient of the normalisation's output (times m) and of gamma and beta, from the backend's "
             "autodiff through BatchNormalization.",
    "jax": "jax.value_and_grad through the formula: the cotangent of the zero added to Z_tilde, and of gamma and "
           "beta.",
    "why": "Autodiff of the normalisation is the course's closed form: the mean and the variance depend on every "
           "column, so dZ keeps only what is orthogonal to 1 and to Z_norm in each row; the sums are reordered.",
}
QUANTITIES["gamma"] = QUANTITIES["beta"] = QUANTITIES["W"]
QUANTITIES["running_mean"] = QUANTITIES["running_var"] = {
    "equation": "running <- decay running + (1 - decay) batch statistic, after each training step (for inference)",
    "torch": "BatchNorm1d's running_mean and running_var buffers, momentum = 1 - decay weighing the new batch; the "
             "running variance takes the unbiased m / (m - 1) var (the torch-batchnorm-running-variance "
             "convention).",
    "keras": "BatchNormalization's moving_mean and moving_variance, momentum = decay weighing the old value, the "
             "biased var.",
    "jax": "flax's ra_mean and ra_var form: momentum = decay, the biased var; passed to and returned from the "
           "compiled step.",
    "why": "Two multiply-adds on statistics that already agree; loaded from the reference's before each step, like "
           "the optimizer's state.",
}
QUANTITIES["v_dW"] = {
    "equation": "the optimizer's state after the step, in the course's names: momentum's v_dW = beta v_dW + dW; "
                "Adam's v_dW = beta1 v_dW + (1 - beta1) dW, s_dW = beta2 s_dW + (1 - beta2) dW^2, and t; "
                "RMSprop's s_dW = beta2 s_dW + (1 - beta2) dW^2",
    "torch": "optimizer.state[p]: momentum_buffer (SGD with momentum), exp_avg, exp_avg_sq and step (Adam), "
             "square_avg (RMSprop), "
             "loaded with the reference's state before each step and read back after it.",
    "keras": "the optimizer's own variables: momentums (SGD; Keras's velocity -lr v, converted), Adam's momentums "
             "and velocities (the first and second moments), RMSprop's velocities, and iterations.",
    "jax": "optax's state tuples: TraceState.trace (momentum), ScaleByAdamState mu, nu and count, "
           "ScaleByRmsState nu (RMSprop), replaced "
           "with the reference's state before each step (NamedTuple._replace) and read back after it.",
    "why": "Each step starts from the reference's state, so a state the frameworks advance differently, or a "
           "reference state that is wrong, shows at the step where it happens; the moments are a few elementwise "
           "operations on a gradient that already agrees.",
}
for _name in ("s_dW", "v_db", "s_db", "t", "v_dgamma", "v_dbeta", "s_dgamma", "s_dbeta"):
    QUANTITIES[_name] = QUANTITIES["v_dW"]
QUANTITIES["lr"] = {
    "equation": "the learning rate of the step, with a schedule: a_e of the step's epoch e = step // B, B mini-batches "
                "an epoch (reference/schedules.py): a_0 / (1 + r e), a_0 r^e, or a_0 / (1 + r floor(e / k))",
    "torch": "optimizer.param_groups' lr, set by a torch.optim.lr_scheduler (LambdaLR, ExponentialLR) whose step() "
             "ends each epoch; loaded with the rate the step began with and the scheduler's last_epoch.",
    "keras": "optimizer.learning_rate: a keras.optimizers.schedules object (InverseTimeDecay, ExponentialDecay) of "
             "the optimizer's iterations, decay_steps one epoch of updates, staircase; read before apply().",
    "jax": "the schedule injected with optax.inject_hyperparams (optax.exponential_decay, or a function of the "
           "update count), read from its state's hyperparams after the update.",
    "why": "The same formula of the same epoch number: each framework counts its updates or epochs from 0, so a "
           "schedule one step or one epoch late shows as a different rate at the step it starts; the rate is "
           "a few roundings, except where a framework evaluates it in float32 (Keras on TensorFlow, optax's "
           "exponential_decay: conventions below).",
}

TOLERANCE_TEXT = (
    "Every step is judged on its own. Before step k every framework is loaded with the reference's parameters "
    "and optimizer state after step k - 1, in its own objects (torch's optimizer.state, Keras's optimizer "
    "variables), so each step's comparison starts from identical numbers and has a single-step error bound, as "
    "tight at the last step as at the first. A rounding error is proportional to the size of the terms that "
    "produced a number, not to the number: 0.3 - 0.2999 is off by about eps x 0.3, not eps x 0.0001. So each "
    "quantity of a step gets an error scale E, the same computation carried out on absolute values plus the error "
    "flowing in from earlier results of that step (first-order forward error analysis, parity/error_scale.py). An "
    "error is reported in ulps of that scale: |framework - reference| / (eps x E), eps being the dtype's machine "
    "epsilon. The tolerance is {budget} such ulps; a correct framework measures a few, a formula slip a million or "
    "more. A comparison whose tolerance is so wide that zeros in place of the quantity would pass is not a pass but "
    "'uninformative' (the tolerance ratio, tolerance / |value| at the most significant element, is 1 or more)."
)

DRIFT_TEXT = (
    "Drift is a measurement, not a verdict: each framework also trains free from the same initial weights, and the "
    "figure shows how far its trajectory moves from the textbook reference's (relative: max |P - P_ref| / max "
    "|P_ref| for each W[l], b[l], and |J - J_ref| / |J_ref| for the cost). Rounding differences of one step (a few "
    "ulps) are carried into the next and grow with the trajectory's sensitivity. Plain gradient descent and "
    "momentum in float64 barely amplify them: over the grid's trajectories of up to 10 steps the drift stays "
    "between 1e-16 and 3e-13. Adam divides by sqrt(v), so an element whose gradient is near 0 takes a step of "
    "about the learning rate whose size follows the gradient's rounding: in float32 a difference of an ulp there "
    "becomes a visible difference in the weight, and trajectories drift apart by 1e-7 to 1e-4 within a few "
    "steps. A framework that documents another formula (Keras's epsilon-hat Adam, torch's BCE guards at "
    "saturation, another leaky ReLU slope) drifts by that formula's difference too; where a framework reports "
    "another J by its convention (torch and optax report the data loss without the L2 term), its J is not "
    "compared. None of this is an error: the "
    "step-local verdicts show that every step of every framework computes the same math from the same state."
)


# The teaching columns: one per parameter-layout family of the registry, headed by its row's ``column``, in the
# registry's order (parity.frameworks).
COLUMNS = {row.family: row.column for row in REGISTRY.values() if row.column}


def quantity_rows() -> list[tuple[str, str, list[str], str]]:
    """(quantity, equation, the text of each COLUMNS family, why they agree), in computation order."""
    shown, seen = [], set()
    for q in QUANTITIES:  # one row per text, named by its first quantity
        if id(QUANTITIES[q]) not in seen:
            seen.add(id(QUANTITIES[q]))
            shown.append(q)
    labels = {"v_dW": "v_dW, s_dW, t", "dZ_tilde": "dZ_tilde, dgamma, dbeta", "running_mean": "running_mean, _var"}
    return [(labels.get(q, q), QUANTITIES[q]["equation"],
             [QUANTITIES[q][family] for family in COLUMNS], QUANTITIES[q]["why"]) for q in shown]


DEFAULT_NAMES = {
    "adam_epsilon": "Adam epsilon",
    "adam_beta_1": "Adam beta_1",
    "adam_beta_2": "Adam beta_2",
    "leaky_relu_slope": "LeakyReLU layer/module slope",
    "sgd_learning_rate": "SGD default learning rate",
    "epsilon": "Keras fuzz factor (probability clipping)",
    "backend": "Keras backend",
    "sgd_weight_decay": "SGD weight decay",
    "adamw_weight_decay": "AdamW weight decay (decoupled)",
    "l2_default": "L2 regularizer factor",
    "l2_factor_float32": "L2 factor rounded through float32 in a float64 model",
    "dropout_p": "Dropout drop probability",
    "batchnorm_momentum": "BatchNorm momentum",
    "batchnorm_epsilon": "BatchNorm epsilon",
    "linear_init": "Linear layer initialiser",
    "dense_kernel_initializer": "Dense kernel initialiser",
    "dense_bias_initializer": "Dense bias initialiser",
}


def defaults_rows(defaults: dict) -> tuple[list[str], list[list[str]]]:
    """(the frameworks, one row per default) of the installed frameworks' defaults that the comparison relies
    on, side by side: every framework in ``defaults`` (read at run time), every default one of them has."""
    frameworks = list(defaults)
    rows = [[label, *(_show(defaults[f].get(key)) for f in frameworks)] for key, label in DEFAULT_NAMES.items()
            if any(key in defaults[f] for f in frameworks)]
    return frameworks, rows


def _show(value) -> str:
    return "n/a" if value is None else repr(value)


# The course's second part, one chapter per technique: its equation, each framework's API and defaults (the
# defaults table beside it is read at run time), and why the numbers match or by how much they do not. Where the
# grid runs the technique, the explained-divergence section gives the measured and predicted sizes.
TECHNIQUES = {
    "L2 regularisation": {
        "equation": "J_reg = J + (lambd / 2m) sum_l ||W[l]||_F^2, so dW[l] gains (lambd / m) W[l]; biases, dZ and "
                    "dA are unchanged (reference/regularization.py). Decoupled weight decay (AdamW) instead "
                    "shrinks each weight beside the step: W <- W - lr wd W (reference.decoupled_weight_decay). In "
                    "the grid: the cases named l2-* (Case.lambd) and decoupled-decay-* (Case.weight_decay).",
        "torch": "torch.optim.SGD and Adam(weight_decay=wd) add wd p to the gradient inside step() ('coupled'), "
                 "for every parameter of the group: the biases need a group of their own with weight_decay 0. "
                 "The loss and .grad never contain the term. torch.optim.AdamW is 'decoupled': p <- p (1 - lr wd) "
                 "before the Adam step (default weight_decay {torch[adamw_weight_decay]}).",
        "keras": "Dense(kernel_regularizer=keras.regularizers.L2(l2)) adds l2 sum W^2 to model.losses, which "
                 "Model.compute_loss adds to the loss: l2 = lambd / 2m is the course's J and dW (L2's default l2 "
                 "is {keras[l2_default]}). Every Keras optimizer's weight_decay is decoupled, W <- W - lr wd W "
                 "before the step (AdamW's default {keras[adamw_weight_decay]}); biases are excluded only through "
                 "optimizer.exclude_from_weight_decay.",
        "jax": "optax.add_decayed_weights(wd, mask) adds wd p to the updates: chained before optax.sgd or "
               "optax.adam it is coupled, the course's L2 with wd = lambd / m; after scale_by_adam, as inside "
               "optax.adamw (default weight_decay {jax[adamw_weight_decay]}), it is decoupled.",
        "why": "Coupled weight decay lambd / m on the weights is the course's update for SGD, momentum and Adam: "
               "W and b after each step agree to rounding. What torch and optax report differs by exactly the "
               "course's terms, J by (lambd / 2m) sum ||W||^2 and dW by (lambd / m) W (the l2-as-weight-decay "
               "convention, predicted and measured below); Keras's J and dW are the course's, with l2 rounded "
               "through float32 in float64 runs. For SGD coupled and decoupled decay are the same map, "
               "W - lr (dW + wd W), so wd = lambd / m makes AdamW-style decay equal too; for Adam they are not: "
               "coupled decay is divided by sqrt(v_hat) + epsilon with the gradient, decoupled decay is not "
               "(tests/test_witness_weight_decay.py measures torch's Adam against AdamW). The decoupled-decay "
               "cases pass in every framework that has the form (torch has none for momentum: not applicable), "
               "Keras's float64 runs explained by its weight_decay rounded through float32; torch's Adam given "
               "where AdamW belongs fails at the first weight updated (tests/test_parity_l2.py).",
    },
    "Dropout": {
        "equation": "inverted dropout with a mask D (D_ij = 1 with probability keep_prob): A[l] = g(Z[l]) * D[l] / "
                    "keep_prob, and in the backward pass dZ[l] = (dA[l] * D[l] / keep_prob) * g'(Z[l]); at "
                    "inference, nothing (reference/dropout.py takes D as an argument: the mask is data). In the grid: "
                    "the cases named dropout-*, every hidden layer dropped, a new mask each step "
                    "(parity.case.dropout_masks), A[l] the dropped activation and dA[l] its gradient.",
        "torch": "nn.Dropout(p) with p = 1 - keep_prob, the probability of dropping (default {torch[dropout_p]}), "
                 "computes input * noise, noise = bernoulli(1 - p) / (1 - p), in train() mode, and is the identity "
                 "in eval() mode. Its mask comes from torch's generator and cannot be given: the grid multiplies by "
                 "the shared mask in that same form, D / keep_prob, and autograd does the rest.",
        "keras": "keras.layers.Dropout(rate) with rate = 1 - keep_prob, active when called with training=True: on "
                 "TensorFlow tf.nn.experimental.stateless_dropout, x * (1 / (1 - rate)) times a keep mask from a "
                 "seed generator. The grid's layer holds the shared mask in a non-trainable variable, assigned "
                 "before each step, and computes x * (1 / keep_prob) * D.",
        "jax": "flax.linen.Dropout (not installed here) computes select(mask, x / keep_prob, 0) with a mask from "
               "jax.random.bernoulli; the grid's network does the same with the shared mask, passed to the "
               "compiled step as an argument.",
        "why": "Every framework scales at training time, so given the same mask its forward and backward passes are "
               "the course's up to one rounding of the scaling: the dropout cases pass with no explanation. The "
               "frameworks' own layers are checked to compute that formula with the mask read back from their "
               "output (tests/test_witness_dropout.py). The course's classic slips are caught where they start "
               "(tests/test_parity_dropout.py): the 1 / keep_prob forgotten at the first dropped A, the mask left "
               "out of the backward pass at the last hidden layer's dZ, a mask reused from an earlier step at the "
               "step where it differs.",
    },
    "Mini-batches": {
        "equation": "shuffle the m columns of X and Y with one permutation, then cut them into batches of "
                    "mini_batch_size columns, the last one smaller (reference/minibatch.py); each batch's cost "
                    "and gradients average over its own size. In the grid: the cases named minibatch-*, two to four "
                    "epochs of m = 20 in batches of 8 (8, 8, 4) or m = 32 in batches of 10, a fresh shuffle each "
                    "epoch (parity.case.epoch_order), step s on mini-batch s mod B of epoch s // B.",
        "torch": "torch.utils.data.DataLoader(dataset, batch_size, shuffle=True) draws its own permutation from "
                 "torch's generator; the grid's DataLoader(TensorDataset(x, y), batch_size, sampler=the epoch's "
                 "order) takes the course's, and drop_last=False (the default) keeps the smaller last batch.",
        "keras": "model.fit(batch_size=..., shuffle=True) shuffles with its own seed; the grid's tf.data pipeline "
                 "Dataset.from_tensor_slices(order).map(gather).batch(B) takes the course's order (on Keras's JAX "
                 "and torch backends, which never load TensorFlow here, the same slices from NumPy).",
        "jax": "No loader: an iterator of jnp.take(x, indices, axis=0) over the order's slices, batch by batch.",
        "why": "A mini-batch is a choice of columns, so fed the same permutation each framework's batches are "
               "bitwise the course's (tests/test_witness_minibatch.py), and each batch's step is a full-batch "
               "step on fewer columns: the grid judges it step-locally, from the reference's state, with that "
               "batch's m in dW = (1/m) dZ A^T. Left to their own shuffling the frameworks draw other orders, and "
               "trajectories differ from the first batch on; a batch taken in the wrong order is caught at the "
               "first step it feeds (tests/test_parity_epoch_bugs.py).",
    },
    "Learning-rate decay": {
        "equation": "a_e for epoch e = 0, 1, ...: a_0 / (1 + decay_rate e) (the course's), a_0 decay_rate^e, or "
                    "a_0 / (1 + decay_rate floor(e / k)) every k epochs (reference/schedules.py). In the grid: the "
                    "minibatch-* cases with a schedule, the rate of every step compared as the quantity lr.",
        "torch": "torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: factor) or ExponentialLR(optimizer, gamma), "
                 "scheduler.step() after each epoch's last batch: last_epoch counts the epochs from 0, and "
                 "ExponentialLR multiplies the rate the optimizer holds (chainable).",
        "keras": "keras.optimizers.schedules.InverseTimeDecay / ExponentialDecay(initial, decay_steps, decay_rate, "
                 "staircase=True) as the optimizer's learning_rate: a function of optimizer.iterations, the updates "
                 "taken from 0, so decay_steps is one epoch of B updates (k epochs for the fixed interval).",
        "jax": "optax.exponential_decay(init, transition_steps=B, decay_rate, staircase=True), or a schedule "
               "function of the update count for the inverse-time forms, injected with optax.inject_hyperparams, "
               "whose count starts at 0.",
        "why": "Every witness counts from 0 and changes the rate at an epoch's first update, so each step runs at "
               "the same a_e: torch's lr is a Python float and agrees exactly; Keras on TensorFlow and optax's "
               "exponential_decay evaluate the schedule in float32 even in float64 runs (explained, 1.5e-8 "
               "relative). A schedule one step late or early is caught at the step where the rate changes "
               "(tests/test_parity_epoch_bugs.py).",
    },
    "Batch normalisation": {
        "equation": "Z_norm = (Z - mu) / sqrt(var + epsilon) with the batch mean and biased variance per unit, "
                    "Z_tilde = gamma Z_norm + beta, A = g(Z_tilde), and no b (beta takes its place); running mean "
                    "and variance for inference: running <- decay running + (1 - decay) batch (reference/batchnorm.py, "
                    "with its backward pass). In the grid: the cases named batchnorm-*, every hidden layer "
                    "normalised in training mode, each framework given the case's epsilon and decay, the running "
                    "statistics compared after every step like the optimizer's state.",
        "torch": "nn.BatchNorm1d(n, eps, momentum): running <- (1 - momentum) running + momentum batch, so "
                 "torch's momentum (default {torch[batchnorm_momentum]}) is 1 - decay; epsilon default "
                 "{torch[batchnorm_epsilon]}; the running variance is the unbiased m / (m - 1) sigma^2.",
        "keras": "keras.layers.BatchNormalization(momentum, epsilon): moving <- momentum moving + (1 - momentum) "
                 "batch, so Keras's momentum (default {keras[batchnorm_momentum]}) is the decay itself; epsilon "
                 "default {keras[batchnorm_epsilon]}; the moving variance is the biased sigma^2.",
        "jax": "flax.linen.BatchNorm (momentum 0.99 as the decay, epsilon 1e-5, a fast one-pass variance by "
               "default) is not installed here; the grid's JAX network computes its use_fast_variance=False form "
               "in jnp, the running statistics passed to and returned from the compiled step.",
        "why": "With the same epsilon and the decay translated (torch's momentum 0.1 is Keras's 0.9, not its "
               "0.99), every framework normalises the batch with its biased variance: Z_tilde, the gradients "
               "through the normalisation and gamma, beta after the step agree with the course's to rounding. "
               "Only torch's running variance differs, by (1 - decay) var / (m - 1), predicted and measured in "
               "the explained divergences (tests/test_parity_batchnorm.py). The layers themselves, in training and in "
               "inference mode (eval(), training=False: the running statistics instead of the batch's), are "
               "checked in tests/test_witness_batchnorm.py.",
    },
    "Initialisation": {
        "equation": "He: W ~ N(0, 2 / n[l-1]); Xavier/Glorot: N(0, 1 / n[l-1]) in the course, N(0, 2 / (n[l-1] + "
                    "n[l])) in Glorot and Bengio; uniform forms U(-r, r) with the same variance, r = sqrt(3 var) "
                    "(reference/initialization.py).",
        "torch": "nn.Linear's reset_parameters: {torch[linear_init]}, i.e. U(-1/sqrt(n[l-1]), 1/sqrt(n[l-1])) "
                 "for W and b alike (variance 1 / (3 n[l-1])), not He or Xavier.",
        "keras": "Dense's kernel_initializer defaults to {keras[dense_kernel_initializer]} (U(-r, r), r = "
                 "sqrt(6 / (n[l-1] + n[l]))) and its bias_initializer to {keras[dense_bias_initializer]}.",
        "jax": "jax.nn.initializers (glorot_uniform, he_normal, ...) and flax's Dense default lecun_normal: "
               "chosen by the program, no layer here.",
        "why": "The grid starts every framework from the reference's weights, so initialisation never enters a "
               "comparison; the defaults themselves are checked statistically, a sample standard deviation within "
               "1% of the law's over 250,000 draws (tests/test_witness_initialisers.py): torch's and Keras's "
               "default laws differ by a factor sqrt(3) in standard deviation for a square layer.",
    },
}


def technique_rows(defaults: dict) -> list[tuple[str, str, list[str], str]]:
    """(technique, equation, the text of each COLUMNS family, why), with the installed defaults filled in."""
    return [(name, chapter["equation"], [with_defaults(chapter[family], defaults) for family in COLUMNS],
             chapter["why"]) for name, chapter in TECHNIQUES.items()]
