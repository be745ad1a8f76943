"""``python -m parity check``: check a learner's own network (a script or notebook) against the reference; the
checking itself is ``parity.learner.checker``."""

from __future__ import annotations

from pathlib import Path

from parity.cli._common import check_writable, int_list, name_list
from parity.frameworks import DEFAULT_WITNESSES

WITNESSES = DEFAULT_WITNESSES  # the registry rows marked default_witness, in their order


def add_parser(commands) -> None:
    check = commands.add_parser(
        "check", help="check your own network (NumPy code or a PyTorch model, a .py file or notebook) against the "
             "reference",
        description="Check your own network against the reference, unchanged: the course's L-layer API "
                    "(L_model_forward, ...), its one-hidden-layer API (forward_propagation, ...), separate arrays "
                    "(init_params, forward_prop(W1, b1, ..., X), ...) or this project's module interface. Only "
                    "imports, definitions and simple assignments run; top-level code is skipped and listed.")
    check.add_argument("module", type=Path, nargs="+",
                       help="your .py file or .ipynb notebook (see examples/learners/); or a PyTorch or Keras model's "
                            "file, or two of them for a port check (see examples/ports/)")
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
    model = check.add_argument_group(
        "a PyTorch model (a file that imports torch: its model, loss and optimizer objects, and its training step "
        "if it has one, are found by kind and name; see examples/ports/)")
    model.add_argument("--model", metavar="NAME", default=None, help="the variable holding your nn.Module")
    model.add_argument("--loss-object", metavar="NAME", default=None, help="the variable holding your loss module")
    model.add_argument("--optimizer", metavar="NAME", default=None, help="the variable holding your optimizer")
    model.add_argument("--step", metavar="NAME", default=None,
                       help="your training-step function (default: train_step, training_step, ... if defined, else "
                            "the textbook loop zero_grad, loss, backward, step)")
    model.add_argument("--step-timeout", type=float, default=60.0,
                       help="seconds your training step may take on the checker's batch (default 60)")
    model.add_argument("--keras-backend", choices=("tensorflow", "jax", "torch"), default=None,
                       help="the backend a Keras model runs on (default: tensorflow; Keras reads it once per process)")


def run(args) -> int:
    from parity.learner import checker, render

    if args.steps < 1 or args.m < 1:
        raise ValueError("--steps and --m must be positive integers")
    unknown = [name for name in args.format if name not in render.FORMATS]
    if unknown:
        raise ValueError(f"unknown --format {', '.join(unknown)}; valid: {', '.join(render.FORMATS)}")
    if args.out is not None:
        check_writable(args.out)
    from parity.ports import loading

    files = args.module
    if len(files) > 2:
        raise ValueError(f"check takes one file, or two models for a port check; got {len(files)}")
    frameworks = [loading.framework_of(path) for path in files]
    if len(files) == 2 and None in frameworks:
        plain = files[frameworks.index(None)]
        raise ValueError(f"a port check takes two PyTorch or Keras models; {plain} imports neither")
    if frameworks[0]:
        return _check_models(args, files)
    args.module = files[0]
    return checker.run(args)


def _check_models(args, files) -> int:
    """One framework model, or a port's two."""
    import json

    from parity.ports import checker, pairs, render
    from parity.report.document import json_safe

    names = {"model": args.model, "loss": args.loss_object, "optimizer": args.optimizer, "step": args.step}
    if len(files) == 1:
        outcome = checker.check(files[0], steps=args.steps, m=args.m, names=names, timeout=args.step_timeout)
        return render.emit(outcome, args.format, args.out)
    if args.out is not None:
        raise ValueError("--out writes one model's check; a port check prints to the terminal (--format human or "
                         "json)")
    pair = pairs.check_pair(*files, steps=args.steps, m=args.m, names=names, timeout=args.step_timeout)
    print(json.dumps(json_safe(pairs.as_json(pair)), indent=1, allow_nan=False, default=float)
          if "json" in args.format else pairs.human(pair))
    return 0 if pair.faithful else 1
