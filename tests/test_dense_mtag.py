"""The dense MTAG implementation against the sparse one: graphs, layer, pruning and model."""

import math

import numpy as np
import pytest
import torch

from mtagbench import create_model
from mtagbench.data.sample import Sample, collate
from mtagbench.graph.build import build_graph
from mtagbench.graph.dense_build import build_dense_graph
from mtagbench.nn import DenseMTAGConv, MTAGConv
from mtagbench.nn.pruning import prune_dense_edges, prune_edges

SIZES = {"text": 6, "audio": 3, "vision": 4}
# Varied lengths, an empty modality, and modalities of length 1.
LENGTHS = [(3, 7, 4), (0, 2, 6), (5, 1, 0), (1, 4, 1)]


def make_samples(lengths=LENGTHS, seed=0):
    samples = []
    for index, steps in enumerate(lengths):
        rng = np.random.default_rng(seed + 100 * index)
        features = {m: rng.standard_normal((n, d)).astype(np.float32) for (m, d), n in zip(SIZES.items(), steps)}
        samples.append(Sample(id=str(index), features=features, label=np.array([rng.uniform(-1, 1)], dtype=np.float32)))
    return samples


def model_pair(**options):
    defaults = {"num_layers": 3, "hidden_dim": 16, "num_heads": 2, "dropout": 0.0, "attention_dropout": 0.0}
    defaults.update(options)
    torch.manual_seed(0)
    sparse = create_model("mtag", feature_sizes=SIZES, output_dim=2, implementation="sparse", **defaults)
    dense = create_model("mtag", feature_sizes=SIZES, output_dim=2, implementation="dense", **defaults)
    dense.load_state_dict(sparse.state_dict())
    return sparse, dense


def lengths_of(batch_lengths):
    return {m: torch.tensor([steps[i] for steps in batch_lengths]) for i, m in enumerate(SIZES)}


GRAPH_CASES = [(intra, mode) for intra in ("adjacent", "all") for mode in ("full", "modality", "temporal", "none")]


@pytest.mark.parametrize("intra", ["adjacent", "all"])
def test_graph_edges_match(intra):
    lengths = lengths_of(LENGTHS)
    sparse = build_graph(lengths, intra_edges=intra)
    dense = build_dense_graph(lengths, intra_edges=intra)
    sample, target, source = dense.edge_mask.nonzero(as_tuple=True)
    offset = dense.node_offset()[sample]
    assert torch.equal(torch.stack([offset + source, offset + target]), sparse.edge_index)
    assert torch.equal(dense.edge_type[sample, target, source], sparse.edge_type)


def test_graph_nodes_match():
    lengths = lengths_of(LENGTHS)
    sparse = build_graph(lengths)
    dense = build_dense_graph(lengths)
    assert torch.equal(dense.node_modality[dense.node_mask], sparse.node_modality)
    assert torch.equal(dense.node_position[dense.node_mask], sparse.node_position)
    assert dense.node_mask.shape == (4, 14)


def test_graph_hand_worked():
    graph = build_dense_graph({"text": torch.tensor([2]), "audio": torch.tensor([3])}, intra_edges="adjacent")
    # Text 0's window in audio is [0, 2), so text 0 -> audio 2 is text-to-audio past: (0 * 2 + 1) * 3 + 0.
    assert int(graph.edge_type[0, 4, 0]) == 3
    # Text 1's window is [2, 3): present.
    assert int(graph.edge_type[0, 4, 1]) == 4
    # Audio 0 and audio 2 are not adjacent.
    assert int(graph.edge_type[0, 4, 2]) == -1
    assert int(graph.edge_mask.sum()) == 23


def test_conv_matches_sparse():
    torch.manual_seed(1)
    graph = build_dense_graph(lengths_of(LENGTHS), intra_edges="all")
    sparse_graph = build_graph(lengths_of(LENGTHS), intra_edges="all")
    sparse = MTAGConv(5, 3, num_node_types=3, num_edge_types=27, heads=2)
    dense = DenseMTAGConv(5, 3, num_node_types=3, num_edge_types=27, heads=2)
    dense.load_state_dict(sparse.state_dict())
    x = torch.randn(sparse_graph.num_nodes, 5)
    x_dense = torch.zeros(*graph.node_mask.shape, 5)
    x_dense[graph.node_mask] = x

    out, (_, alpha) = sparse(x, sparse_graph.edge_index, sparse_graph.node_modality, sparse_graph.edge_type, return_attention_weights=True)
    out_dense, alpha_dense = dense(
        x_dense, graph.node_modality, graph.edge_type, node_mask=graph.node_mask, return_attention_weights=True
    )
    assert torch.allclose(out_dense[graph.node_mask], out, atol=1e-5)
    assert torch.allclose(alpha_dense[graph.edge_mask], alpha, atol=1e-6)
    assert torch.all(out_dense[~graph.node_mask] == 0)


def test_conv_target_without_edges_gets_bias():
    conv = DenseMTAGConv(4, 2, num_node_types=1, num_edge_types=1, heads=2)
    torch.nn.init.normal_(conv.bias)
    edge_type = torch.tensor([[[0, 0], [-1, -1]]])
    out = conv(torch.randn(1, 2, 4), torch.zeros(1, 2, dtype=torch.long), edge_type)
    assert torch.equal(out[0, 1], conv.bias.detach())
    assert torch.isfinite(out).all()


def test_state_dicts_interchange():
    sparse, dense = model_pair()
    assert sparse.state_dict().keys() == dense.state_dict().keys()
    sparse.load_state_dict(dense.state_dict())
    for name, value in dense.state_dict().items():
        assert torch.equal(sparse.state_dict()[name], value)


@pytest.mark.parametrize("intra,mode", GRAPH_CASES)
def test_predictions_match(intra, mode):
    sparse, dense = model_pair(intra_edges=intra, edge_types=mode)
    batch = collate(make_samples())
    with torch.no_grad():
        expected = sparse.eval()(batch)
        actual = dense.eval()(batch)
    assert torch.allclose(actual, expected, atol=1e-5)


@pytest.mark.parametrize("intra,mode", GRAPH_CASES)
def test_gradients_match(intra, mode):
    sparse, dense = model_pair(intra_edges=intra, edge_types=mode)
    batch = collate(make_samples(seed=3))
    for model in (sparse.train(), dense.train()):
        model.zero_grad()
        model(batch).pow(2).sum().backward()
    dense_grads = dict(dense.named_parameters())
    for name, parameter in sparse.named_parameters():
        assert torch.allclose(dense_grads[name].grad, parameter.grad, atol=1e-5), name


@pytest.mark.parametrize("intra", ["adjacent", "all"])
def test_attention_records_match(intra):
    sparse, dense = model_pair(intra_edges=intra, keep_ratio=0.7)
    batch = collate(make_samples(seed=5))
    with torch.no_grad():
        _, expected = sparse.eval()(batch, return_attention=True)
        _, actual = dense.eval()(batch, return_attention=True)
    assert torch.equal(actual.node_modality, expected.node_modality)
    assert torch.equal(actual.node_position, expected.node_position)
    assert torch.equal(actual.node_graph, expected.node_graph)
    assert len(actual.layers) == len(expected.layers)
    for mine, theirs in zip(actual.layers, expected.layers):
        assert torch.equal(mine.edge_index, theirs.edge_index)
        assert torch.equal(mine.edge_type, theirs.edge_type)
        assert torch.equal(mine.kept, theirs.kept)
        assert torch.allclose(mine.alpha, theirs.alpha, atol=1e-6)


def test_sample_alone_equals_in_batch():
    _, dense = model_pair(num_layers=4)
    samples = make_samples()
    with torch.no_grad():
        alone = dense.eval()(collate([samples[3]]))
        batched = dense(collate(samples))
    assert torch.allclose(alone[0], batched[3], atol=1e-5)


def test_auto_is_dense():
    model = create_model("mtag", feature_sizes=SIZES, output_dim=1, num_layers=1, hidden_dim=8, num_heads=2)
    assert isinstance(model.layers[0], DenseMTAGConv)


def test_prune_ties_follow_edge_order():
    # Graph 0: four edges with equal scores; graph 1: three edges.
    edge_mask = torch.zeros(2, 3, 3, dtype=torch.bool)
    edge_mask[0, 0, 1] = edge_mask[0, 1, 0] = edge_mask[0, 1, 2] = edge_mask[0, 2, 2] = True
    edge_mask[1, 0, 0] = edge_mask[1, 1, 1] = edge_mask[1, 2, 0] = True
    alpha = torch.full((2, 3, 3), 0.5)
    alpha[1, 2, 0] = 0.9
    kept = prune_dense_edges(alpha, edge_mask, keep_ratio=0.5)
    assert kept[0].nonzero().tolist() == [[0, 1], [1, 0]]
    assert kept[1].nonzero().tolist() == [[0, 0], [2, 0]]


def test_prune_matches_sparse():
    torch.manual_seed(2)
    graph = build_dense_graph(lengths_of(LENGTHS), intra_edges="adjacent")
    # Scores on a coarse grid, so that many edges tie.
    alpha = torch.randint(0, 4, (*graph.edge_type.shape, 2)).float() / 4
    kept = prune_dense_edges(alpha, graph.edge_mask, keep_ratio=0.6)
    sample, target, source = graph.edge_mask.nonzero(as_tuple=True)
    expected = prune_edges(alpha[sample, target, source], sample, graph.num_graphs, keep_ratio=0.6)
    assert torch.equal(kept[sample, target, source], expected)
    assert not (kept & ~graph.edge_mask).any()


def test_prune_random_counts():
    graph = build_dense_graph(lengths_of(LENGTHS), intra_edges="all")
    generator = torch.Generator().manual_seed(0)
    kept = prune_dense_edges(None, graph.edge_mask, mode="random", keep_ratio=0.3, generator=generator)
    total = graph.edge_mask.flatten(1).sum(1)
    expected = [max(1, math.ceil(0.3 * int(count) - 1e-9)) for count in total]
    assert kept.flatten(1).sum(1).tolist() == expected
    assert not (kept & ~graph.edge_mask).any()


def test_conv_gradcheck():
    torch.manual_seed(4)
    conv = DenseMTAGConv(3, 2, num_node_types=2, num_edge_types=4, heads=2).double()
    edge_type = torch.randint(-1, 4, (2, 4, 4))
    edge_type[1, 3] = -1
    node_type = torch.randint(0, 2, (2, 4))
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inputs: conv(inputs, node_type, edge_type), (x,))


def test_attention_dropout_trains():
    _, dense = model_pair(attention_dropout=0.5)
    batch = collate(make_samples())
    dense.train()
    torch.manual_seed(7)
    first = dense(batch)
    first.sum().backward()
    second = dense(batch)
    assert not torch.allclose(first, second)
    for name, parameter in dense.named_parameters():
        assert torch.isfinite(parameter.grad).all(), name
