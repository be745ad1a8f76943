"""``python -m parity``: the command line.

    python -m parity train    train the NumPy reference on a built-in data set, printing cost and accuracy

Bad input ends with a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import reference
from parity import data

OPTIMIZERS = {
    "sgd": lambda lr: reference.SGD(lr),
    "momentum": lambda lr: reference.Momentum(lr, beta=0.9),
    "adam": lambda lr: reference.Adam(lr),
}


def _int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, e.g. 2,4,1; got {text!r}") from None


def _name_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m parity", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train the NumPy reference on a built-in data set")
    train.add_argument("--data", default="planar", help=f"built-in data set: {', '.join(data.BUILTIN)}")
    train.add_argument("--layers", type=_int_list, default=[2, 4, 1], help="layer sizes n_x,n[1],...,n[L]")
    train.add_argument("--activations", type=_name_list, default=["tanh", "sigmoid"], help="one per layer")
    train.add_argument("--loss", default="binary_crossentropy", choices=sorted(reference.LOSSES))
    train.add_argument("--optimizer", default="sgd", choices=sorted(OPTIMIZERS))
    train.add_argument("--learning-rate", type=float, default=1.2)
    train.add_argument("--iterations", type=int, default=2000)
    train.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: full batch)")
    train.add_argument("--init", default="xavier", choices=sorted(reference.SCHEMES))
    train.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    train.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffle")
    train.add_argument("--print-every", type=int, default=200)
    return parser


def run_train(args) -> int:
    dataset = data.load(args.data).astype(args.dtype)
    if args.layers[0] != dataset.X.shape[0] or args.layers[-1] != dataset.Y.shape[0]:
        raise ValueError(
            f"--layers {','.join(map(str, args.layers))} does not fit {dataset.name}: it has "
            f"{dataset.X.shape[0]} input features and {dataset.Y.shape[0]} output rows"
        )
    params = reference.init_params(args.layers, args.init, seed=args.seed, dtype=args.dtype)
    optimizer = OPTIMIZERS[args.optimizer](args.learning_rate)
    print(
        f"reference: {'-'.join(map(str, args.layers))} {'/'.join(args.activations)} network, {args.loss}, "
        f"{args.optimizer} (learning rate {args.learning_rate}), {args.dtype}, on {dataset.name}",
        flush=True,
    )
    params, history = reference.train(
        params, dataset.X, dataset.Y, args.activations, args.loss, optimizer, args.iterations,
        batch_size=args.batch_size, seed=args.seed, print_every=args.print_every,
    )
    AL, _ = reference.forward(params, dataset.X, args.activations)
    final_cost = reference.cost(AL, dataset.Y, args.loss)
    final_accuracy = reference.accuracy(AL, dataset.Y, args.activations[-1])
    shown = f", accuracy {final_accuracy:.4f}" if final_accuracy is not None else ""
    print(f"final: cost {final_cost:.6f}{shown} on all {dataset.m} samples")
    return 0 if np.isfinite(final_cost) else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"train": run_train}[args.command](args)
    except (ValueError, TypeError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"python -m parity {args.command}: error: {message}", file=sys.stderr)
        return 2
