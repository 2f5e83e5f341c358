"""Batched MTAG graph construction and edge type encoding."""

import pytest
import torch

from mtagbench.graph import (
    EdgeTypeName,
    build_graph,
    collapse_edge_types,
    decode_edge_type,
    num_edge_types,
    temporal_types,
)
from mtagbench.graph.pseudo_align import temporal_type_of_pairs

MODALITIES = ("text", "audio", "vision")


def lengths_of(*rows):
    columns = list(zip(*rows))
    return {name: torch.tensor(column) for name, column in zip(MODALITIES, columns)}


def test_edge_count_adjacent():
    # Intra 3L - 2 per modality: 4 + 13 + 7 = 24; cross 2 * (2*5 + 2*3 + 5*3) = 62.
    graph = build_graph(lengths_of((2, 5, 3)), intra_edges="adjacent")
    assert graph.num_nodes == 10
    assert graph.num_edges == 86


def test_edge_count_all():
    # Intra L^2: 4 + 25 + 9 = 38; cross 62.
    graph = build_graph(lengths_of((2, 5, 3)), intra_edges="all")
    assert graph.num_edges == 100


def test_edge_count_empty_modality():
    # Text empty: audio 3*4 - 2 = 10, vision 1, cross 2 * 4 * 1 = 8.
    graph = build_graph(lengths_of((0, 4, 1)))
    assert graph.num_nodes == 5
    assert graph.num_edges == 19


def test_graph_all_empty_sample():
    graph = build_graph(lengths_of((0, 0, 0), (1, 1, 1)))
    assert graph.num_nodes == 3
    assert graph.num_edges == 9
    assert graph.node_graph.tolist() == [1, 1, 1]


def test_nodes_ordered_sample_modality_step():
    graph = build_graph(lengths_of((1, 2, 0), (2, 0, 1)))
    assert graph.node_graph.tolist() == [0, 0, 0, 1, 1, 1]
    assert graph.node_modality.tolist() == [0, 1, 1, 0, 0, 2]
    assert graph.node_position.tolist() == [0, 0, 1, 0, 1, 0]
    assert [ids.tolist() for ids in graph.node_index] == [[0, 3, 4], [1, 2], [5]]


def test_edges_stay_within_sample():
    graph = build_graph(lengths_of((3, 4, 2), (1, 6, 5), (2, 2, 2)))
    source_graph = graph.node_graph[graph.edge_index[0]]
    target_graph = graph.node_graph[graph.edge_index[1]]
    assert torch.equal(source_graph, target_graph)


def test_edges_sorted_by_target():
    graph = build_graph(lengths_of((3, 4, 2), (1, 6, 5)), intra_edges="all")
    target = graph.edge_index[1]
    assert bool((target[1:] >= target[:-1]).all())


def test_edges_unique():
    graph = build_graph(lengths_of((3, 4, 2), (1, 6, 5)), intra_edges="all")
    pairs = graph.edge_index[0] * graph.num_nodes + graph.edge_index[1]
    assert pairs.unique().numel() == graph.num_edges


def test_adjacent_edges_are_neighbours():
    graph = build_graph(lengths_of((5, 0, 0)))
    pairs = sorted(zip(graph.edge_index[0].tolist(), graph.edge_index[1].tolist()))
    expected = sorted((s, t) for t in range(5) for s in (t - 1, t, t + 1) if 0 <= s < 5)
    assert pairs == expected


def test_self_loop_is_present():
    graph = build_graph(lengths_of((3, 2, 4)))
    loops = graph.edge_index[0] == graph.edge_index[1]
    assert bool((graph.edge_type[loops] % 3 == 1).all())
    assert int(loops.sum()) == 9


def test_all_27_types_present():
    graph = build_graph(lengths_of((4, 9, 6)))
    assert graph.edge_type.unique().tolist() == list(range(27))


def test_types_match_pseudo_alignment():
    lengths = (3, 10, 7)
    graph = build_graph(lengths_of(lengths), intra_edges="all")
    offsets = [0, 3, 13]
    for source_modality in range(3):
        for target_modality in range(3):
            expected = temporal_types(lengths[source_modality], lengths[target_modality])
            source = graph.edge_index[0]
            target = graph.edge_index[1]
            block = (graph.node_modality[source] == source_modality) & (graph.node_modality[target] == target_modality)
            tau = torch.full_like(expected, -1)
            tau[source[block] - offsets[source_modality], target[block] - offsets[target_modality]] = graph.edge_type[block] % 3
            assert torch.equal(tau, expected), (source_modality, target_modality)
            assert bool((graph.edge_type[block] // 3 == source_modality * 3 + target_modality).all())


def test_batch_matches_single_graphs():
    rows = [(3, 4, 2), (0, 6, 5), (2, 2, 2)]
    batch = build_graph(lengths_of(*rows))
    offset = 0
    for index, row in enumerate(rows):
        single = build_graph(lengths_of(row))
        mine = batch.node_graph[batch.edge_index[1]] == index
        assert torch.equal(batch.edge_index[:, mine] - offset, single.edge_index)
        assert torch.equal(batch.edge_type[mine], single.edge_type)
        offset += sum(row)


def test_decode_edge_type():
    assert decode_edge_type(0, MODALITIES) == EdgeTypeName("text", "text", "past")
    assert decode_edge_type(8, MODALITIES) == EdgeTypeName("text", "vision", "future")
    assert decode_edge_type(5, MODALITIES) == EdgeTypeName("text", "audio", "future")
    assert decode_edge_type(26, MODALITIES) == EdgeTypeName("vision", "vision", "future")
    assert decode_edge_type(13, MODALITIES) == EdgeTypeName("audio", "audio", "present")


def test_decode_collapsed_modes():
    assert decode_edge_type(5, MODALITIES, "modality") == EdgeTypeName("audio", "vision", None)
    assert decode_edge_type(2, MODALITIES, "temporal") == EdgeTypeName(None, None, "future")
    assert decode_edge_type(0, MODALITIES, "none") == EdgeTypeName(None, None, None)


def test_decode_rejects_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        decode_edge_type(27, MODALITIES)


def test_collapse_modes():
    full = torch.arange(27)
    assert num_edge_types(3, "full") == 27
    assert num_edge_types(3, "modality") == 9
    assert num_edge_types(3, "temporal") == 3
    assert num_edge_types(3, "none") == 1
    assert collapse_edge_types(full, 3, "modality").tolist() == [i // 3 for i in range(27)]
    assert collapse_edge_types(full, 3, "temporal").tolist() == [i % 3 for i in range(27)]
    assert collapse_edge_types(full, 3, "none").unique().tolist() == [0]


def test_build_rejects_unknown_intra_edges():
    with pytest.raises(ValueError, match="intra_edges"):
        build_graph(lengths_of((1, 1, 1)), intra_edges="near")


def test_types_match_pairwise_rule_grid():
    rows = [(a, b, c) for a in (0, 1, 2, 5) for b in (1, 3, 8, 13) for c in (0, 2, 7)]
    for intra_edges in ("adjacent", "all"):
        graph = build_graph(lengths_of(*rows), intra_edges=intra_edges)
        source, target = graph.edge_index
        lengths = torch.tensor(rows)
        source_graph = graph.node_graph[source]
        expected = temporal_type_of_pairs(
            graph.node_position[source],
            graph.node_position[target],
            lengths[source_graph, graph.node_modality[source]],
            lengths[source_graph, graph.node_modality[target]],
        )
        assert torch.equal(graph.edge_type % 3, expected), intra_edges
