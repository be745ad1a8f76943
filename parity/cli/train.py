"""``python -m parity train``: train the reference and the frameworks side by side from identical weights with
full-batch gradient descent (``parity.side_by_side``); print their costs and, with ``--out``, write the
trajectories. Exit 1 when a run's final cost is not finite."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import reference
from parity import data
from parity.case import OPTIMIZERS
from parity.cli._common import FORMATS, check_writable, int_list, name_list
from parity.side_by_side import IMPLEMENTATIONS, train_side_by_side

TWO_CLASS_DEFAULTS = {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"], "learning_rate": 1.2,
                      "iterations": 1000}
DIGIT_DEFAULTS = {"activations": ["relu", "softmax"], "learning_rate": 0.5, "iterations": 300}


def add_parser(commands) -> None:
    train = commands.add_parser("train", help="train the reference, PyTorch and Keras side by side from identical "
                                              "weights with full-batch gradient descent")
    train.add_argument("--data", default="planar",
                       help=f"a built-in data set ({', '.join(data.BUILTIN)}) or MNIST files: Kaggle's train.csv, "
                            f"Keras's mnist.npz, an IDX images file or the folder holding the IDX files")
    train.add_argument("--layers", type=int_list, default=None,
                       help="layer sizes n_x,n[1],...,n[L] (default: 2,4,1 for planar/xor, 64,10,10 for digits, "
                            "784,10,10 for MNIST)")
    train.add_argument("--activations", type=name_list, default=None,
                       help="one per layer (default: tanh,sigmoid for two classes, relu,softmax for digits)")
    train.add_argument("--loss", default=None, choices=sorted(reference.LOSSES),
                       help="default: from the output activation (sigmoid: BCE, softmax: CCE, otherwise MSE)")
    train.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    train.add_argument("--learning-rate", type=float, default=None, help="default: 1.2 for two classes, 0.5 for digits")
    train.add_argument("--iterations", type=int, default=None, help="default: 1000 for two classes, 300 for digits")
    train.add_argument("--init", default=None, choices=sorted(reference.SCHEMES),
                       help="default: he for ReLU-family hidden layers, xavier otherwise")
    train.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    train.add_argument("--seed", type=int, default=0, help="seed of the initial weights (and of a held-out split)")
    train.add_argument("--print-every", type=int, default=None, help="default: a tenth of the iterations")
    train.add_argument("--implementations", type=name_list, default=list(IMPLEMENTATIONS),
                       help=f"comma-separated: {', '.join(IMPLEMENTATIONS)} (default: all)")
    train.add_argument("--test-fraction", type=float, default=0.2,
                       help="share held out for testing when the data has no test set (default 0.2)")
    train.add_argument("--format", type=name_list, default=None,
                       help=f"write the trajectories as {', '.join(FORMATS)} (default: all three when --out is given)")
    train.add_argument("--out", type=Path, default=None, help="output directory for the formats")


def run(args) -> int:
    from parity.case import Case
    from parity.environment import describe
    from parity.report.blocks import train_blocks
    from parity.report.files import write_formats
    from parity.report.train_document import build_train

    formats = _formats(args)
    split = data.load_source(args.data).held_out(args.test_fraction, seed=args.seed)
    _train_defaults(args, split)
    spec = Case(f"train-{'-'.join(map(str, args.layers))}", tuple(args.layers), tuple(args.activations), args.loss,
                optimizer=args.optimizer, learning_rate=args.learning_rate, dtype=args.dtype,
                steps=args.iterations, m=split.train.m, data=args.data, init=args.init)
    params = reference.init_params(args.layers, args.init, seed=args.seed, dtype=args.dtype)
    print(f"{'-'.join(map(str, args.layers))} {'/'.join(args.activations)} network, {args.loss}, {args.optimizer} "
          f"(learning rate {args.learning_rate}), {args.dtype}, {args.iterations} iterations on {split.train.name} "
          f"(m = {split.train.m}{f', test m = {split.test.m}' if split.test else ''}), from identical weights",
          flush=True)
    result = train_side_by_side(spec, split, params, args.implementations, print_every=args.print_every)
    for name, reason in result.skipped.items():
        print(f"{name} skipped: {reason}")
    for name, trained in result.runs.items():
        test = f", test accuracy {trained.test_accuracy:.4f}" if trained.test_accuracy is not None else ""
        train_acc = f", train accuracy {trained.train_accuracy:.4f}" if trained.train_accuracy is not None else ""
        drift = f", drift from the reference {trained.drift[-1]:.2g}" if trained.drift else ""
        print(f"final {name}: cost {trained.cost[-1]:.6f}{train_acc}{test}{drift} "
              f"({1000 * trained.seconds / args.iterations:.2f} ms/iteration)")
    if formats:
        document = build_train(result, describe())
        paths = write_formats(document, train_blocks, formats, args.out, "train", "nn-parity training")
        print(f"wrote {', '.join(map(str, paths))}")
    return 0 if all(np.isfinite(trained.cost[-1]) for trained in result.runs.values()) else 1


def _formats(args) -> list[str]:
    """The formats to write (all three when only ``--out`` is given), after checking them, the implementations
    and the output directory (``parity-train`` when only ``--format`` is given)."""
    for name in args.implementations:
        if name not in IMPLEMENTATIONS:
            raise ValueError(f"unknown implementation {name!r}; valid names: {', '.join(IMPLEMENTATIONS)}")
    formats = args.format if args.format is not None else (list(FORMATS) if args.out else [])
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; available formats: {', '.join(FORMATS)}")
    if formats:
        args.out = args.out or Path("parity-train")
        check_writable(args.out)
    return formats


def _train_defaults(args, split) -> None:
    """Fill the options left out with the defaults that fit the data."""
    n_x, n_y = split.train.X.shape[0], split.train.Y.shape[0]
    defaults = TWO_CLASS_DEFAULTS if n_y == 1 else {**DIGIT_DEFAULTS, "layers": [n_x, 10, n_y]}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.loss is None:
        output = reference.get_activation(args.activations[-1]).name
        args.loss = {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy"}.get(output, "mse")
    if args.init is None:
        args.init = "he" if args.activations[0].startswith(("relu", "leaky_relu")) else "xavier"
    if args.print_every is None:
        args.print_every = max(1, args.iterations // 10)
    if args.layers[0] != n_x or args.layers[-1] != n_y:
        raise ValueError(f"--layers {','.join(map(str, args.layers))} does not fit {split.train.name}: it has "
                         f"{n_x} input features and {n_y} output rows")
    if args.iterations < 1:
        raise ValueError(f"--iterations must be a positive integer, got {args.iterations}")
