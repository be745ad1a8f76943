"""Replaying a case: the case as compact JSON, back again, and the one command that reruns it.

    case_json(case)             the name and every field that differs from Case's defaults
    case_from_json(text)        the inverse, checked, with errors in the replay's own words
    replay_command(case, ...)   ``python -m parity fuzz --replay '<json>'``

Since a case's seed is the CRC-32 of its name (``parity.case``), the name fixes the weights and the data.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import MISSING, fields

from parity.case import Case
from parity.fuzz.draw import check

_FIELDS = {f.name: f for f in fields(Case)}
_TUPLES = ("layer_dims", "activations")


def case_json(case: Case) -> str:
    """The case's name and every field that differs from Case's defaults, as compact JSON."""
    values = {}
    for name, spec in _FIELDS.items():
        value = getattr(case, name)
        if spec.default is MISSING or value != spec.default:
            values[name] = list(value) if name in _TUPLES else value
    return json.dumps(values, separators=(",", ":"))


def case_from_json(text: str) -> Case:
    """The inverse of ``case_json``, with errors in the replay's own words."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--replay needs a JSON object of case fields: {error}") from None
    if not isinstance(values, dict):
        raise ValueError(f"--replay needs a JSON object of case fields, got {type(values).__name__}")
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ValueError(f"--replay: unknown case field {unknown[0]!r}; fields: {', '.join(_FIELDS)}")
    missing = [name for name, spec in _FIELDS.items() if spec.default is MISSING and name not in values]
    if missing:
        raise ValueError(f"--replay: missing case field {missing[0]!r}")
    for name in _TUPLES:
        if not isinstance(values[name], list):
            raise ValueError(f"--replay: {name} must be a list, got {values[name]!r}")
        values[name] = tuple(values[name])
    kinds = {"m": int, "steps": int, "learning_rate": (int, float), "input_scale": (int, float),
             "lambd": (int, float), "keep_prob": (int, float), "weight_decay": (int, float),
             "mini_batch_size": (int, type(None)), "decay_rate": (int, float), "decay_interval": int}
    for name, kind in kinds.items():
        if name in values and (isinstance(values[name], bool) or not isinstance(values[name], kind)):
            raise ValueError(f"--replay: {name} must be a number, got {values[name]!r}")
    if not isinstance(values.get("batchnorm", False), bool):
        raise ValueError(f"--replay: batchnorm must be true or false, got {values['batchnorm']!r}")
    try:
        case = Case(**values)
    except TypeError as error:
        raise ValueError(f"--replay: {error}") from None
    check(case)
    return case


def replay_command(case: Case, frameworks: Sequence[str] | None = None) -> str:
    """The shell command that reruns ``case`` (in ``frameworks``, default all) and prints its verdict."""
    command = f"python -m parity fuzz --replay {shlex.quote(case_json(case))}"
    return command + (f" --framework {','.join(frameworks)}" if frameworks else "")
