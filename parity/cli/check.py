"""``python -m parity check``: check a learner's own network (a script or notebook) against the reference; the
checking itself is ``parity.learner.checker``."""

from __future__ import annotations

from pathlib import Path

from parity.cli._common import check_writable, int_list, name_list
from parity.frameworks import DEFAULT_WITNESSES

WITNESSES = DEFAULT_WITNESSES  # the registry rows marked default_witness, in their order


def add_parser(commands) -> None:
    check = commands.add_parser(
        "check", help="check your own network (a .py file, an exported notebook or a .ipynb) against the reference",
        description="Check your own network against the reference, unchanged: the course's L-layer API "
                    "(L_model_forward, ...), its one-hidden-layer API (forward_propagation, ...), separate arrays "
                    "(init_params, forward_prop(W1, b1, ..., X), ...) or this project's module interface. Only "
                    "imports, definitions and simple assignments run; top-level code is skipped and listed.")
    check.add_argument("module", type=Path, help="your .py file or .ipynb notebook (see examples/learners/)")
    for role, example in (("forward", "L_model_forward"), ("backward", "L_model_backward"),
                          ("update", "update_parameters"), ("cost", "compute_cost"),
                          ("init", "initialize_parameters_deep")):
        check.add_argument(f"--{role}", metavar="NAME", default=None,
                           help=f"the name of your {role} function, when it is not the usual one (e.g. {example})")
    check.add_argument("--layers", type=int_list, default=None, help="layer sizes n_x,n[1],...,n[L] (e.g. 784,10,10)")
    check.add_argument("--activations", type=name_list, default=None, help="one per layer (e.g. relu,softmax)")
    check.add_argument("--loss", default=None, help="binary_crossentropy, categorical_crossentropy or mse")
    check.add_argument("--learning-rate", type=float, default=0.1)
    check.add_argument("--steps", type=int, default=3, help="gradient-descent steps to compare (default 3)")
    check.add_argument("--m", type=int, default=32, help="samples in the batch (default 32)")
    check.add_argument("--frameworks", type=name_list, default=list(WITNESSES),
                       help=f"frameworks that certify the reference on your network, or 'none' (default "
                            f"{','.join(WITNESSES)})")
    check.add_argument("--format", type=name_list, default=["human"],
                       help="human (default) or json on the terminal; with --out, any of md,html,json as files")
    check.add_argument("--out", type=Path, default=None, help="write check.md/.html/.json here (see --format)")


def run(args) -> int:
    from parity.learner import checker, render

    if args.steps < 1 or args.m < 1:
        raise ValueError("--steps and --m must be positive integers")
    unknown = [name for name in args.format if name not in render.FORMATS]
    if unknown:
        raise ValueError(f"unknown --format {', '.join(unknown)}; valid: {', '.join(render.FORMATS)}")
    if args.out is not None:
        check_writable(args.out)
    return checker.run(args)
