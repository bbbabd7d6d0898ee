"""A layered left-to-right layout of a DAG, like Graphviz `dot -Grankdir=LR` (Sugiyama's method).

1. Layers: longest path from the sources, then nodes slide right towards their consumers when
   that does not lengthen the edges (sources always), so a weight sits next to its product.
2. Edges longer than one layer get a chain of dummy nodes (the bends of the drawn edge), the
   shortest edges first and at most `max_bends` in all: a value used all along a long chain
   would otherwise need layers x uses of them (minutes of layout); the longest edges beyond
   the budget are drawn straight across, outside the ordering.
3. Crossings: barycenter ordering, alternating sweeps down and up, keeping the best order seen
   (crossings counted exactly with a Fenwick tree).
4. Positions: x by layer; y pulled towards the mean of the neighbours, each layer solved exactly
   as an isotonic regression (pool adjacent violators) so boxes never overlap.
Pure Python, no Qt: the graph view draws what this returns. `progress(fraction)` is called as
the work goes (a job shows it); raising from it (LayoutCancelled) abandons the layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from models.autograd.engine import Value, topological_order


MAX_BENDS = 6_000  # dummy nodes in all: the ordering's work grows with them


class LayoutCancelled(Exception):
    """Raised by a progress callback to abandon a layout nobody wants any more."""


@dataclass
class Layout:
    positions: dict  # node key -> (x, y) of the node's centre
    edges: list  # (source key, target key, [(x, y), ...] from source's right to target's left)
    width: float = 0.0
    height: float = 0.0
    crossings: int = 0  # edge crossings left after ordering
    layers: list = field(default_factory=list)  # keys per layer (dummies left out), left to right


def layered_layout(nodes, edges, sizes=None, layer_gap=60.0, node_gap=24.0, sweeps=12,
                   progress=None, max_bends=MAX_BENDS):
    """Lay out the DAG (nodes: hashable keys; edges: (source, target) pairs; sizes: key ->
    (width, height), default (40, 30)). Raises ValueError if the graph has a cycle."""
    sizes = sizes or {}
    report = progress or (lambda fraction: None)
    keys = list(nodes)
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    succ = [[] for _ in range(n)]
    pred = [[] for _ in range(n)]
    for s, t in edges:
        succ[index[s]].append(index[t])
        pred[index[t]].append(index[s])
    rank = _ranks(n, succ, pred)
    report(0.05)

    # dummy nodes: node i >= n is a bend; chains[e] lists the nodes edge e passes through
    w = [sizes.get(k, (40.0, 30.0))[0] for k in keys]
    h = [sizes.get(k, (40.0, 30.0))[1] for k in keys]
    down = [[] for _ in range(n)]
    chains = []
    bent = _bent_edges(edges, index, rank, max_bends)
    for e, (s, t) in enumerate(edges):
        if e not in bent:  # drawn straight across: no bends, no part in the ordering
            chains.append([index[s], index[t]])
            continue
        chain = [index[s]]
        for r in range(rank[index[s]] + 1, rank[index[t]]):
            rank.append(r)
            w.append(0.0)
            h.append(2.0)
            down.append([])
            chain.append(len(rank) - 1)
        chain.append(index[t])
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
        chains.append(chain)
    total = len(rank)
    up = [[] for _ in range(total)]
    for a in range(total):
        for b in down[a]:
            up[b].append(a)

    layers = [[] for _ in range(max(rank, default=-1) + 1)]
    for i in range(total):
        layers[rank[i]].append(i)
    report(0.1)
    layers, crossings = _order(layers, down, up, total, sweeps,
                               lambda f: report(0.1 + 0.7 * f))
    ys = _place(layers, down, up, h, n, node_gap, total, progress=lambda f: report(0.8 + 0.2 * f))
    xs = [0.0] * total
    x = 0.0
    for layer in layers:
        width = max((w[i] for i in layer), default=0.0)
        for i in layer:
            xs[i] = x + width / 2
        x += width + layer_gap
    top = min((ys[i] - h[i] / 2 for i in range(total)), default=0.0)
    ys = [y - top for y in ys]
    positions = {keys[i]: (xs[i], ys[i]) for i in range(n)}
    routes = []
    for (s, t), chain in zip(edges, chains):
        a, b = chain[0], chain[-1]
        points = [(xs[a] + w[a] / 2, ys[a])] + [(xs[i], ys[i]) for i in chain[1:-1]]
        routes.append((s, t, points + [(xs[b] - w[b] / 2, ys[b])]))
    height = max((ys[i] + h[i] / 2 for i in range(total)), default=0.0)
    return Layout(positions, routes, max(0.0, x - layer_gap), height, crossings,
                  [[keys[i] for i in layer if i < n] for layer in layers])


def _bent_edges(edges, index, rank, max_bends) -> set:
    """Indices of the edges that get their bends: all of them if the total stays within
    max_bends, else the shortest first until it is spent."""
    spans = [rank[index[t]] - rank[index[s]] - 1 for s, t in edges]
    if sum(spans) <= max_bends:
        return set(range(len(edges)))
    bent, spent = set(), 0
    for e in sorted(range(len(edges)), key=spans.__getitem__):
        if spent + spans[e] > max_bends:
            break
        bent.add(e)
        spent += spans[e]
    return bent


def _ranks(n, succ, pred):
    """Layer of each node: longest path, then slide right where edges do not get longer."""
    indeg = [len(p) for p in pred]
    order = [i for i in range(n) if indeg[i] == 0]
    for u in order:  # Kahn's algorithm; `order` grows while we walk it
        for v in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                order.append(v)
    if len(order) != n:
        raise ValueError("the graph has a cycle")
    rank = [0] * n
    for u in order:
        for v in succ[u]:
            if rank[v] <= rank[u]:
                rank[v] = rank[u] + 1
    for u in reversed(order):
        if not succ[u]:
            continue
        inner_in = sum(1 for p in pred[u] if pred[p])  # sources follow u, so they do not count
        if len(succ[u]) >= inner_in:
            rank[u] = min(rank[v] for v in succ[u]) - 1
    return rank


def _order(layers, down, up, total, sweeps, progress=lambda f: None):
    """Barycenter sweeps; returns the layers in the best order found and its crossing count."""
    pos = [0] * total
    for layer in layers:
        for p, i in enumerate(layer):
            pos[i] = p
    best, best_cross = [list(layer) for layer in layers], _crossings(layers, down, pos)
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        seq = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        neighbours = up if downward else down
        for li in seq:
            layer = layers[li]
            keyed = []
            for i in layer:
                nb = neighbours[i]
                keyed.append((sum(pos[j] for j in nb) / len(nb) if nb else pos[i], pos[i], i))
            keyed.sort()
            layers[li] = layer = [i for _, _, i in keyed]
            for p, i in enumerate(layer):
                pos[i] = p
        cross = _crossings(layers, down, pos)
        if cross < best_cross:
            best, best_cross = [list(layer) for layer in layers], cross
        if best_cross == 0:
            break
        progress((sweep + 1) / sweeps)
    return best, best_cross


def _crossings(layers, down, pos):
    """Exact number of crossings between consecutive layers (inversions, Fenwick tree)."""
    total = 0
    for li in range(len(layers) - 1):
        pairs = sorted((pos[a], pos[b]) for a in layers[li] for b in down[a])
        size = len(layers[li + 1]) + 1
        tree = [0] * (size + 1)
        seen = 0
        for _, q in pairs:
            k, smaller_or_equal = q + 1, 0
            while k > 0:
                smaller_or_equal += tree[k]
                k -= k & -k
            total += seen - smaller_or_equal
            seen += 1
            k = q + 1
            while k <= size:
                tree[k] += 1
                k += k & -k
    return total


def _place(layers, down, up, h, n, gap, total, rounds=8, progress=lambda f: None):
    """Vertical centres: each node near the mean of its neighbours, boxes kept `gap` apart."""
    ys = [0.0] * total
    seps = []
    for layer in layers:
        # real boxes stay `gap` apart even with an edge passing between them
        sep = [(h[a] + h[b]) / 2 + gap * (1.0 if a < n and b < n else 0.5 if a < n or b < n
                                          else 0.25) for a, b in zip(layer, layer[1:])]
        seps.append(sep)
        y = 0.0
        for i, s in zip(layer, [0.0] + sep):
            y += s
            ys[i] = y
    for r in range(rounds + 1):
        downward = r % 2 == 0
        seq = range(len(layers)) if downward else range(len(layers) - 1, -1, -1)
        for li in seq:
            layer = layers[li]
            targets, weights = [], []
            for i in layer:
                nb = (up[i] + down[i]) if r == rounds else (up[i] if downward else down[i])
                targets.append(sum(ys[j] for j in nb) / len(nb) if nb else ys[i])
                weights.append(1.0 if i < n else 4.0)  # long edges straight, like dot
            for i, y in zip(layer, _isotonic_place(targets, weights, seps[li])):
                ys[i] = y
        progress((r + 1) / (rounds + 1))
    return ys


def _isotonic_place(targets, weights, seps):
    """y minimising sum w (y - target)^2 subject to y[k+1] - y[k] >= seps[k] (pool adjacent
    violators on targets shifted by the cumulative separations)."""
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    blocks = []  # [mean, weight, count]
    for t, wt, off in zip(targets, weights, offsets):
        blocks.append([t - off, wt, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks[-1]
            blocks[-1] = [(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2]
    out = []
    for mean, _, count in blocks:
        out.extend([mean] * count)
    return [z + off for z, off in zip(out, offsets)]


# -- the graph of a Value, as micrograd's draw_dot shows it ---------------------------------------
def value_graph(root: Value):
    """(values in topological order, node keys, edges): key ("v", i) is the box of values[i],
    ("op", i) the op node that made it. Keys depend only on the graph's shape, so a rebuilt
    graph of the same program gets the same keys (and can reuse the layout)."""
    values = topological_order(root)
    where = {v: i for i, v in enumerate(values)}
    nodes, edges = [], []
    for i, v in enumerate(values):
        nodes.append(("v", i))
        if v._prev:
            nodes.append(("op", i))
            edges.append((("op", i), ("v", i)))
            for p in v._prev:
                edges.append((("v", where[p]), ("op", i)))
    return values, nodes, edges


def layout_value_graph(root: Value, sizes=None, **options) -> Layout:
    """value_graph + layered_layout, with record-sized boxes by default."""
    _, nodes, edges = value_graph(root)
    if sizes is None:
        sizes = {k: ((200.0, 36.0) if k[0] == "v" else (36.0, 36.0)) for k in nodes}
    return layered_layout(nodes, edges, sizes, **options)
