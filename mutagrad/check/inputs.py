"""Input mistakes that must not read as gradient failures: they are bad input (exit code 2).

  - an option for a path the functions do not take (--lambd, --keep-prob);
  - a forward or backward that looks up a parameter the parameters do not have (KeyError 'W3':
    LAYER_DIMS or --layers disagree with the code);
  - a backward whose gradient names differ from the expected ones only in spelling ('dw1' for 'dW1').
"""
from __future__ import annotations

import re

from ..errors import ProtocolError

PARAMETER_NAME = re.compile(r"[A-Za-z_]+\d+")  # W3, b3, gamma2: names the layer structure makes up


def check_options(model, lambd, keep_prob) -> None:
    """ProtocolError, naming the option, for a lambd or keep_prob the functions do not take."""
    for option, value, accepted in (("lambd", lambd, model.accepts_lambd),
                                    ("keep_prob", keep_prob, model.accepts_keep_prob)):
        if value is not None and not accepted:
            flag = "--" + option.replace("_", "-")
            raise ProtocolError(f"{flag} {value:g} (or {option}=): {model.name}'s forward and backward do not "
                                f"both take a {option} argument; leave the option out")


def _keys(names) -> str:
    return ", ".join(sorted(names, key=lambda k: (len(k), k))) or "none"


def missing_parameter(exc: BaseException, parameters: dict, role: str, name: str, where: str | None,
                      layer_dims=None) -> ProtocolError | None:
    """A ProtocolError when `exc` is a KeyError for a parameter-like name the parameters lack."""
    if not isinstance(exc, KeyError) or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return None
    key = exc.args[0]
    if key in parameters or not PARAMETER_NAME.fullmatch(key):
        return None
    if not any(k.rstrip("0123456789") == key.rstrip("0123456789") for k in parameters):
        return None  # not one of the parameters' families (W, b, ...): the code's own bookkeeping
    dims = f" from layer sizes {list(layer_dims)}" if layer_dims else ""
    at = f" ({where})" if where else ""
    return ProtocolError(f"{name}: {role} looked up {key!r}{at}, but the parameters{dims} are "
                         f"{_keys(parameters)}: LAYER_DIMS or --layers disagree with the code")


def misnamed_gradients(grads: dict, parameters: dict, name: str) -> ProtocolError | None:
    """A ProtocolError when backward's keys miss expected ones it returned under another spelling."""
    expected = {"d" + p for p in parameters}
    got = {k for k in grads if isinstance(k, str)}
    missing = expected - got
    if not missing:
        return None
    extra = got - expected
    norm = {_normal(k) for k in extra}
    if any(_normal(k) in norm for k in missing) or not (expected & got):
        return ProtocolError(f"{name}: backward returned the keys {_keys(got)}; expected {_keys(expected)} "
                             f"(missing: {_keys(missing)})")
    return None


def _normal(key: str) -> str:
    """'dW1', 'dw1', 'd_W1', 'DW_1' -> 'dw1'."""
    return key.replace("_", "").lower()
