"""Split a module at declared cut points into a chain of single-input, single-output segments.

A cut is named by the qualified name of a submodule; the cut lies right after that submodule's call.
The model is traced with :mod:`torch.fx`, cut submodules being kept as leaves. A cut is legal only if
exactly one tensor (the cut submodule's output) is produced before it and used after it; a cut inside
a residual block (where the skip tensor also crosses) is rejected with a :class:`ProfileError`.
"""

from __future__ import annotations

import torch
from torch import fx, nn

from rapgym.errors import ProfileError

__all__ = ["split_at_cuts"]


class _CutTracer(fx.Tracer):
    """Tracer that keeps the declared cut submodules as single ``call_module`` nodes."""

    def __init__(self, leaves: set[str]) -> None:
        super().__init__()
        self._leaves = leaves

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return module_qualified_name in self._leaves or super().is_leaf_module(m, module_qualified_name)


def _check_names(model: nn.Module, cuts: list[str]) -> None:
    names = dict(model.named_modules())
    if not cuts:
        raise ProfileError(f"{type(model).__name__}: no cut points declared or detected; pass cuts=[submodule names]")
    for cut in cuts:
        if cut not in names or cut == "":
            raise ProfileError(f"cut {cut!r} is not a submodule of {type(model).__name__}")
    if len(set(cuts)) != len(cuts):
        raise ProfileError(f"duplicate cut names in {cuts}")
    for cut in cuts:
        for other in cuts:
            if cut != other and cut.startswith(other + "."):
                raise ProfileError(f"cut {cut!r} lies inside cut block {other!r}; a cut must not be nested in another")


def _crossing(nodes: list[fx.Node], position: int) -> list[fx.Node]:
    """Values produced at or before ``position`` and used after it (parameters excluded)."""
    index = {node: i for i, node in enumerate(nodes)}
    return [n for n in nodes[: position + 1] if n.op != "get_attr" and any(index[u] > position for u in n.users)]


def split_at_cuts(model: nn.Module, cuts: list[str]) -> tuple[list[fx.GraphModule], list[str]]:
    """Return ``(segments, cut_names)``: running the segments in order equals ``model(x)``.

    ``segments[i]`` maps the tensor crossing cut ``i`` (the input for ``i = 0``) to the next one;
    there are ``len(cuts) + 1`` segments, the last ending at the model output. ``cut_names`` are the
    cuts sorted in execution order. Raises :class:`ProfileError` naming an illegal cut.
    """
    _check_names(model, cuts)
    try:
        graph = _CutTracer(set(cuts)).trace(model)
    except Exception as exc:  # fx raises many types for untraceable control flow
        raise ProfileError(f"{type(model).__name__} cannot be traced by torch.fx ({type(exc).__name__}: {exc}); declare coarser cuts") from None
    root = fx.GraphModule(model, graph)
    nodes = list(graph.nodes)
    placeholders = [n for n in nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ProfileError(f"{type(model).__name__}.forward takes {len(placeholders)} inputs; the profiler needs exactly one tensor input")
    positions = {}
    for cut in cuts:
        calls = [i for i, n in enumerate(nodes) if n.op == "call_module" and n.target == cut]
        if len(calls) != 1:
            raise ProfileError(f"cut {cut!r} is called {len(calls)} times in forward(); a cut module must be called exactly once")
        positions[cut] = calls[0]
    ordered = sorted(cuts, key=positions.__getitem__)
    for cut in ordered:
        crossing = _crossing(nodes, positions[cut])
        if [n.name for n in crossing] != [nodes[positions[cut]].name]:
            names = ", ".join(repr(n.name) for n in crossing) or "none"
            raise ProfileError(
                f"cut after {cut!r} is not legal: {len(crossing)} tensors cross it ({names}); "
                "cut only where a single tensor passes (between residual/dense blocks, not inside one)"
            )
    bounds = [0] + [positions[c] + 1 for c in ordered] + [len(nodes) - 1]
    segments = [_segment(root, nodes, bounds[i], bounds[i + 1], placeholders[0] if i == 0 else nodes[bounds[i] - 1])
                for i in range(len(bounds) - 1)]
    return segments, ordered


def _segment(root: fx.GraphModule, nodes: list[fx.Node], start: int, stop: int, source: fx.Node) -> fx.GraphModule:
    """Copy ``nodes[start:stop]`` into a graph whose single input stands for ``source``."""
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {source: graph.placeholder("x")}

    def lookup(node: fx.Node) -> fx.Node:
        if node not in env:  # only parameters/buffers may be shared across segments
            env[node] = graph.node_copy(node, lookup)
        return env[node]

    for node in nodes[start:stop]:
        if node.op != "placeholder" and node not in env:
            env[node] = graph.node_copy(node, lookup)
    output = nodes[-1]
    graph.output(lookup(output.args[0]) if stop == len(nodes) - 1 else env[nodes[stop - 1]])
    graph.lint()
    module = fx.GraphModule(root, graph)
    module.eval()
    return module


def run_chain(segments: list[fx.GraphModule], x: torch.Tensor) -> list[torch.Tensor]:
    """Run the segments in order; return the ``len(segments) + 1`` tensors at every cut (input first)."""
    tensors = [x]
    for segment in segments:
        x = segment(x)
        if not isinstance(x, torch.Tensor):
            raise ProfileError(f"a segment returned {type(x).__name__}, not a tensor; the model output must be one tensor")
        tensors.append(x)
    return tensors
