"""Per-graph dynamic edge pruning."""

import pytest
import torch

from mtagbench.nn.pruning import edges_to_keep_per_graph, prune_edges, rank_within_graph


def test_keep_counts_round_up():
    graph = torch.tensor([0] * 10 + [1] * 3 + [2] * 1 + [4] * 7)
    keep = edges_to_keep_per_graph(graph, 5, 0.8)
    # ceil(8.0) = 8, ceil(2.4) = 3, ceil(0.8) = 1, no edges 0, ceil(5.6) = 6.
    assert keep.tolist() == [8, 3, 1, 0, 6]


def test_keep_counts_exact_products():
    graph = torch.zeros(10, dtype=torch.long)
    assert edges_to_keep_per_graph(graph, 1, 0.7).tolist() == [7]
    assert edges_to_keep_per_graph(graph, 1, 0.3).tolist() == [3]


def test_keep_at_least_one():
    graph = torch.zeros(3, dtype=torch.long)
    assert edges_to_keep_per_graph(graph, 1, 0.01).tolist() == [1]


def test_topk_per_graph_quota():
    # Graph 0 has huge scores; graph 1 still keeps its own best half.
    alpha = torch.tensor([[9.0], [8.0], [7.0], [6.0], [0.1], [0.4], [0.2], [0.3]])
    graph = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    kept = prune_edges(alpha, graph, 2, "topk", keep_ratio=0.5)
    assert kept.tolist() == [True, True, False, False, False, True, False, True]


def test_topk_uses_mean_over_heads():
    alpha = torch.tensor([[1.0, 0.0], [0.4, 0.4], [0.2, 0.9]])
    kept = prune_edges(alpha, torch.zeros(3, dtype=torch.long), 1, "topk", keep_ratio=0.3)
    assert kept.tolist() == [False, False, True]


def test_topk_ties_keep_earlier_edges():
    alpha = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2])
    graph = torch.tensor([0, 0, 0, 0, 1, 1, 1])
    kept = prune_edges(alpha, graph, 2, "topk", keep_ratio=0.5)
    assert kept.tolist() == [True, True, False, False, True, True, False]


def test_rank_ungrouped_graphs():
    score = torch.tensor([0.5, 0.9, 0.5, 0.1, 0.7, 0.7, 0.2])
    graph = torch.tensor([1, 0, 1, 0, 1, 0, 1])
    assert rank_within_graph(score, graph, 2).tolist() == [1, 0, 2, 2, 0, 1, 3]


def test_random_keeps_exact_counts():
    graph = torch.tensor([0] * 10 + [1] * 5 + [3] * 20)
    generator = torch.Generator().manual_seed(0)
    kept = prune_edges(torch.rand(35, 4), graph, 4, "random", keep_ratio=0.8, generator=generator)
    counts = torch.bincount(graph[kept], minlength=4)
    assert counts.tolist() == [8, 4, 0, 16]


def test_random_is_not_first_edges():
    graph = torch.zeros(100, dtype=torch.long)
    generator = torch.Generator().manual_seed(0)
    kept = prune_edges(torch.rand(100), graph, 1, "random", keep_ratio=0.5, generator=generator)
    assert not bool(kept[:50].all())


def test_random_seeded_generator_repeats():
    graph = torch.zeros(50, dtype=torch.long)
    first = prune_edges(torch.rand(50), graph, 1, "random", generator=torch.Generator().manual_seed(3))
    second = prune_edges(torch.rand(50), graph, 1, "random", generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, second)


def test_none_keeps_everything():
    kept = prune_edges(torch.rand(6, 2), torch.zeros(6, dtype=torch.long), 1, "none")
    assert bool(kept.all())


def test_no_edges():
    kept = prune_edges(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), 3, "topk")
    assert kept.shape == (0,)


def test_rejects_bad_arguments():
    graph = torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match="keep_ratio"):
        prune_edges(torch.rand(2), graph, 1, "topk", keep_ratio=0.0)
    with pytest.raises(ValueError, match="prune mode"):
        prune_edges(torch.rand(2), graph, 1, "lowest")


def test_rank_ungrouped_ties():
    score = torch.tensor([0.3, 0.5, 0.3, 0.5, 0.3, 0.1])
    graph = torch.tensor([1, 0, 1, 1, 0, 0])
    assert rank_within_graph(score, graph, 2).tolist() == [1, 0, 2, 0, 1, 2]


def test_rank_matches_sorting_reference():
    generator = torch.Generator().manual_seed(5)
    score = torch.randint(0, 4, (200,), generator=generator).float() / 4
    graph = torch.randint(0, 6, (200,), generator=generator)
    rank = rank_within_graph(score, graph, 6)
    for g in range(6):
        members = [e for e in range(200) if graph[e] == g]
        expected = sorted(members, key=lambda e: (-float(score[e]), e))
        assert [int(rank[e]) for e in expected] == list(range(len(members)))
