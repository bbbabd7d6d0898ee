"""The layered DAG layout: left to right, no overlaps, fewer crossings, stable keys."""
import pytest

from models.autograd.expression import PRESETS, MLPGraph, build
from models.autograd.graph_layout import layered_layout, layout_value_graph, value_graph


def boxes_overlap(layout, sizes, gap):
    for layer in layout.layers:
        spans = sorted((layout.positions[k][1] - sizes[k][1] / 2,
                        layout.positions[k][1] + sizes[k][1] / 2) for k in layer)
        for (_, bottom), (top, _) in zip(spans, spans[1:]):
            if top - bottom < gap - 1e-6:
                return True
    return False


def test_chain_goes_left_to_right():
    nodes = ["a", "b", "c"]
    layout = layered_layout(nodes, [("a", "b"), ("b", "c")])
    xs = [layout.positions[k][0] for k in nodes]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert layout.crossings == 0
    for _, _, points in layout.edges:
        assert points[0][0] < points[-1][0]


def test_crossing_is_removed():
    # a -> d and b -> c, given in the order that crosses
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "d"), ("b", "c"), ("a", "e"), ("b", "e")]
    layout = layered_layout(nodes + ["e"], edges)
    assert layout.crossings == 0
    order = sorted(nodes, key=lambda k: layout.positions[k][1])
    assert order.index("a") < order.index("b") and order.index("d") < order.index("c")


def test_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        layered_layout(["a", "b"], [("a", "b"), ("b", "a")])


def test_long_edges_bend_through_dummies_and_sources_sit_next_to_their_consumer():
    nodes = ["a", "b", "c", "d", "late"]
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("late", "d")]
    layout = layered_layout(nodes, edges)
    long_edge = next(points for s, t, points in layout.edges if (s, t) == ("a", "d"))
    assert len(long_edge) == 4  # start, two bends, end
    assert [p[0] for p in long_edge] == sorted(p[0] for p in long_edge)
    assert layout.positions["late"][0] == layout.positions["c"][0]  # pulled right, not at layer 0


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_lay_out_without_overlaps(name):
    graph = build(PRESETS[name])
    _, nodes, edges = value_graph(graph.root)
    sizes = {k: (120.0, 40.0) if k[0] == "v" else (30.0, 30.0) for k in nodes}
    layout = layered_layout(nodes, edges, sizes, node_gap=20.0)
    assert set(layout.positions) == set(nodes)
    assert not boxes_overlap(layout, sizes, 20.0)
    for s, t, _ in layout.edges:
        assert layout.positions[s][0] < layout.positions[t][0]
    if name == "Single neuron (lecture)":
        assert layout.crossings == 0


def test_mlp_graph_ordering_reduces_crossings_and_is_fast_enough_to_redo():
    root = MLPGraph().forward()
    unordered = layout_value_graph(root, sweeps=0)
    ordered = layout_value_graph(root)
    assert ordered.crossings < unordered.crossings / 2
    assert 200 < len(ordered.positions) < 800
    assert ordered.width > 0 and ordered.height > 0


def test_value_graph_keys_survive_a_rebuild():
    graph = build(PRESETS["micrograd README"])
    _, nodes1, edges1 = value_graph(graph.root)
    graph.leaves["a"].data = 1.0
    _, nodes2, edges2 = value_graph(graph.forward())
    assert nodes1 == nodes2 and edges1 == edges2
    values, nodes, edges = value_graph(graph.root)
    assert len(nodes) == len(values) + sum(1 for v in values if v.op)
    assert len(edges) == sum(1 + len(v.parents) for v in values if v.op)


def test_a_value_used_all_along_a_long_chain_is_laid_out_in_bounded_time():
    """x used by every one of ~800 products: 320,000 bends took 17 s; the budget keeps the
    shortest edges bent and draws the longest straight across."""
    import time

    from models.autograd.graph_layout import MAX_BENDS

    text = "x = 1.0\ny0 = x\n" + "".join(f"y{k} = y{k - 1}" + "*x" * 40 + "\n" for k in range(1, 11))
    root = build(text).root
    _, nodes, edges = value_graph(root)
    t = time.perf_counter()
    layout = layout_value_graph(root)
    assert time.perf_counter() - t < 5.0
    assert set(layout.positions) == set(nodes) and len(layout.edges) == len(edges)
    bends = sum(len(points) - 2 for _, _, points in layout.edges)
    assert bends <= MAX_BENDS
    straight = [points for _, _, points in layout.edges if len(points) == 2]
    assert straight and all(p[0][0] < p[-1][0] for p in straight)  # still left to right


def test_progress_is_reported_and_a_callback_can_cancel():
    from models.autograd.graph_layout import LayoutCancelled

    root = MLPGraph().forward()
    seen = []
    layout_value_graph(root, progress=seen.append)
    assert seen == sorted(seen) and seen[0] < 0.2 and seen[-1] == pytest.approx(1.0)

    def cancel(fraction):
        if fraction > 0.3:
            raise LayoutCancelled

    with pytest.raises(LayoutCancelled):
        layout_value_graph(root, progress=cancel)
