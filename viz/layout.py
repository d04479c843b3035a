"""How large a picture will be on a screen, estimated before ``dot`` lays it out.

``draw_dot`` uses the estimate to choose its defaults: the direction (``rankdir="auto"``: left
to right while that fits a screen, else top to bottom when that fits better) and the view
(``view="auto"``: every node while the picture fits, else the network view, where each layer
is one block and one chosen neuron is drawn in full).

The estimate is a layered model of dot's layout: every node gets a level (one more than its
inputs; a leaf sits just before its first consumer), a level is as deep as its widest node
plus an op node, and as broad as its nodes side by side. Node sizes are the ones draw_dot's
records, op ellipses and summary blocks come out at (measured with ``dot -Tjson``).

Example:
    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x"); y = (x * 3.0).tanh()
    >>> size = estimate([x, y.parents[0], y], {}, "LR")
    >>> size.fits, size.width_px > size.height_px
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autograd_core import Value

__all__ = ["FULL_VIEW_MAX_OVERFLOW", "SCREEN_PX", "Size", "choose_rankdir", "estimate"]

SCREEN_PX = (1600, 1000)  # a laptop's browser window or a notebook's output area, in CSS pixels
FULL_VIEW_MAX_OVERFLOW = 1.5  # view="auto" draws every node while that needs at most 1.5 screens
MAX_ASPECT = 2.5  # a longer strip must be scrolled along its length
PX_PER_PT = 96 / 72  # dot measures in points; an SVG point shows as 4/3 CSS pixel

# Node sizes in points (width, height), as draw_dot draws them at font size 11.
CELL_WIDTH = 80.0  # 'data -0.1234' or 'grad 0.1234'
CHAR_WIDTH = 7.0  # of a bold label
ROW_HEIGHT, STACK_HEIGHT = 26.0, 70.0  # a record's cells side by side (LR), or stacked (TB)
OP_NODE = (54.0, 36.0)  # the op's ellipse, on its own rank before the Value it makes
BLOCK = (215.0, 125.0)  # a collapsed layer's summary table
RANKSEP, NODESEP = 25.0, 18.0
LEGEND_HEIGHT = 95.0
# dot needs more room across the ranks than the nodes' sum: cluster margins, edge routing
# (fitted on MLPs from 1-2-1 to 2-16-16-1 and a neuron view against dot -Tjson: then within
# 0.7x-1.3x); wide records side by side across TB leave relatively less room between them
ACROSS_SLACK = {"LR": 1.6, "TB": 1.6, "TB rows": 1.2}


@dataclass(frozen=True)
class Size:
    """An estimated picture size; ``overflow`` is how many screens it needs along its worse side.

    Example:
        >>> Size(1200.0, 600.0).fits, round(Size(2400.0, 300.0).overflow, 2)
        (True, 2.0)
    """

    width_pt: float
    height_pt: float

    @property
    def width_px(self) -> float:
        """Width on a screen, in CSS pixels."""
        return self.width_pt * PX_PER_PT

    @property
    def height_px(self) -> float:
        """Height on a screen, in CSS pixels."""
        return self.height_pt * PX_PER_PT

    @property
    def overflow(self) -> float:
        """max(width / screen width, height / screen height): at most 1 when it fits."""
        return max(self.width_px / SCREEN_PX[0], self.height_px / SCREEN_PX[1])

    @property
    def fits(self) -> bool:
        """True when the whole picture shows on one screen at full size."""
        return self.overflow <= 1.0


def _levels(nodes: Sequence[Value], group: Mapping[Value, str]) -> dict[object, int]:
    """Level of every drawn node (a Value, or a group key for collapsed ones)."""
    shown = {v: group.get(v, v) for v in nodes}
    level: dict[object, int] = {}
    for v in nodes:  # topological order: inputs first
        if v.is_leaf:
            continue
        me = shown[v]
        deepest = max((level.get(shown[p], 0) for p in v.parents if p in shown and shown[p] != me), default=0)
        level[me] = max(level.get(me, 0), deepest + 1)
    for v in nodes:  # a leaf sits on the rank before its first consumer (dot pulls it there)
        if v.is_leaf and shown[v] not in level:
            level[shown[v]] = 0
    consumers: dict[object, list[int]] = {}
    for v in nodes:
        for p in v.parents:
            if p in shown and p.is_leaf and shown[p] is p:
                consumers.setdefault(p, []).append(level[shown[v]])
    for leaf, at in consumers.items():
        level[leaf] = max(0, min(at) - 1)
    return level


def _record(v: Value, rows: bool) -> tuple[float, float]:
    """A Value's record: its label, data and grad cells side by side (rows) or stacked."""
    label = CHAR_WIDTH * len(v.label) + 12.0 if v.label else 0.0
    if rows:
        return label + 2 * CELL_WIDTH, ROW_HEIGHT
    return max(CELL_WIDTH, label), STACK_HEIGHT


def estimate(nodes: Sequence[Value], group: Mapping[Value, str], rankdir: str, stacked: bool | None = None) -> Size:
    """The size of ``draw_dot``'s picture of ``nodes`` (topological order), with ``group``'s
    members collapsed into one block per key, laid out in direction ``rankdir``, each record's
    cells ``stacked`` (default: stacked for TB, side by side for LR).

    Example:
        >>> from autograd_core import Value
        >>> a = Value(1.0, label="a"); b = a + 1.0
        >>> lr, tb = estimate([a, b], {}, "LR"), estimate([a, b], {}, "TB")
        >>> lr.width_pt > tb.width_pt and tb.height_pt > lr.height_pt
        True
    """
    level = _levels(nodes, group)
    across = rankdir in ("LR", "RL")
    rows = across if stacked is None else not stacked
    by_level: dict[int, list[tuple[float, float]]] = {}
    with_op: set[int] = set()
    for node, k in level.items():
        by_level.setdefault(k, []).append(BLOCK if isinstance(node, str) else _record(node, rows))
        if isinstance(node, str) or not node.is_leaf:
            with_op.add(k)
    deep = 0.0  # along the direction of the edges
    broad = 0.0  # across it
    for k, sizes in by_level.items():
        op = (OP_NODE[0] if across else OP_NODE[1]) + RANKSEP if k in with_op else 0.0
        if across:
            deep += max(w for w, _ in sizes) + op + RANKSEP
            broad = max(broad, sum(h + NODESEP for _, h in sizes))
        else:
            deep += max(h for _, h in sizes) + op + RANKSEP
            broad = max(broad, sum(w + NODESEP for w, _ in sizes))
    if rankdir in ("LR", "RL"):
        return Size(deep, broad * ACROSS_SLACK["LR"] + LEGEND_HEIGHT)
    return Size(
        max(broad * ACROSS_SLACK["TB rows" if rows else "TB"], 450.0), deep + LEGEND_HEIGHT
    )  # the legend is ~450 pt wide


def _cost(size: Size) -> float:
    """Screens needed, and a penalty for a strip longer than 2.5:1 (scrolled along one side)."""
    long, short = max(size.width_px, size.height_px), min(size.width_px, size.height_px)
    return size.overflow * max(1.0, long / max(short, 1.0) / MAX_ASPECT)


def choose_rankdir(nodes: Sequence[Value], group: Mapping[Value, str]) -> tuple[str, bool]:
    """(rankdir, stacked records): LR while the picture fits a screen that way, else the layout
    that needs fewest screens (a strip longer than 2.5:1 counts as more) among LR, TB with
    stacked records and TB with records side by side.

    Example:
        >>> from autograd_core import Value
        >>> x = Value(1.0, label="x"); choose_rankdir([x], {})
        ('LR', False)
    """
    lr = estimate(nodes, group, "LR")
    if lr.fits:
        return "LR", False
    layouts = [(_cost(lr), 0, ("LR", False))]
    for i, stacked in enumerate((True, False), 1):
        layouts.append((_cost(estimate(nodes, group, "TB", stacked)), i, ("TB", stacked)))
    return min(layouts)[2]
