"""Listeners wrapped in another function. Bolt passes a listener the arguments its parameters name (any
key of the request's context too), and reads those names after unwrapping it (`inspect.unwrap`): so
a wrapper names its handler's parameters, and what it needs itself, in a signature of its own."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable


@functools.cache  # read once a handler, not on every request's ack path
def parameters(handler: Callable) -> tuple[str, ...]:
    return tuple(inspect.signature(handler).parameters)


def wrapping(handler: Callable, needs: Iterable[str]) -> Callable[[Callable], Callable]:
    """Decorates a `listener(**kwargs)` that calls `handler`: Bolt then passes it what `handler` names
    and `needs` besides."""

    def decorate(listener: Callable) -> Callable:
        functools.update_wrapper(listener, handler)
        del listener.__wrapped__  # else Bolt would read the handler's parameters alone
        names = dict.fromkeys([*parameters(handler), *needs])
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        listener.__signature__ = inspect.Signature([inspect.Parameter(name, kind) for name in names])
        return listener

    return decorate


def own_arguments(handler: Callable, arguments: dict) -> dict:
    """What of `arguments` the handler names."""
    return {name: arguments[name] for name in parameters(handler)}
