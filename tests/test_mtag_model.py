"""The registered MTAG model: batching, readout, options, parameter count and training."""

import math

import numpy as np
import pytest
import torch

from mtagbench import create_model
from mtagbench.data.sample import Sample, collate
from mtagbench.errors import ConfigError, DataError
from mtagbench.graph.build import build_graph
from mtagbench.models.mtag import MTAG, MTAGOptions, sinusoidal_encoding

SIZES = {"text": 6, "audio": 3, "vision": 4}
MOSI_SIZES = {"text": 300, "audio": 5, "vision": 20}


def make_sample(index, lengths, sizes=SIZES, seed=0):
    rng = np.random.default_rng(seed + 100 * index)
    features = {m: rng.standard_normal((n, d)).astype(np.float32) for (m, d), n in zip(sizes.items(), lengths)}
    return Sample(id=str(index), features=features, label=np.array([rng.uniform(-1, 1)], dtype=np.float32))


def small_model(**options):
    torch.manual_seed(0)
    defaults = {"num_layers": 3, "hidden_dim": 16, "num_heads": 2}
    defaults.update(options)
    return create_model("mtag", feature_sizes=SIZES, output_dim=1, **defaults).eval()


def test_sample_alone_equals_in_batch():
    model = small_model(num_layers=4)
    target = make_sample(0, (4, 9, 6))
    others = [make_sample(1, (7, 2, 11)), make_sample(2, (1, 15, 3)), make_sample(3, (0, 5, 8))]
    with torch.no_grad():
        alone = model(collate([target]))
        batched = model(collate([others[0], target, others[1], others[2]]))
    assert torch.allclose(alone[0], batched[1], atol=1e-5)


def test_sample_alone_equals_in_batch_all_intra():
    model = small_model(intra_edges="all", num_layers=3)
    target = make_sample(0, (5, 3, 8))
    with torch.no_grad():
        alone = model(collate([target]))
        batched = model(collate([make_sample(1, (9, 9, 1)), target]))
    assert torch.allclose(alone[0], batched[1], atol=1e-5)


def test_kept_edges_per_graph():
    model = small_model()
    batch = collate([make_sample(0, (3, 5, 4)), make_sample(1, (6, 2, 2))])
    with torch.no_grad():
        _, attention = model(batch, return_attention=True)

    assert len(attention.layers) == 3
    for layer in attention.layers:
        edge_graph = attention.node_graph[layer.edge_index[1]]
        total = torch.bincount(edge_graph, minlength=2)
        kept = torch.bincount(edge_graph[layer.kept], minlength=2)
        assert kept.tolist() == [math.ceil(0.8 * int(n) - 1e-9) for n in total]
    first, second = attention.layers[0], attention.layers[1]
    assert torch.equal(second.edge_index, first.edge_index[:, first.kept])
    assert torch.equal(second.edge_type, first.edge_type[first.kept])


def test_attention_record_fields():
    model = small_model()
    with torch.no_grad():
        _, attention = model(collate([make_sample(0, (3, 5, 4))]), return_attention=True)
    layer = attention.layers[0]
    assert attention.modalities == ("text", "audio", "vision")
    assert attention.node_modality.tolist() == [0] * 3 + [1] * 5 + [2] * 4
    assert attention.node_position.tolist() == [0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert layer.alpha.shape == (layer.edge_index.size(1), 2)
    assert layer.edge_type.max() < 27
    assert attention.decode(int(layer.edge_type[0])).target == "text"


def test_attention_sample_view():
    model = small_model()
    with torch.no_grad():
        _, attention = model(collate([make_sample(0, (2, 3, 1)), make_sample(1, (3, 5, 4))]), return_attention=True)
    second = attention.sample(1)
    assert second.node_modality.numel() == 12
    assert int(second.layers[0].edge_index.max()) == 11
    assert second.layers[0].kept.numel() == build_graph({"t": torch.tensor([3]), "a": torch.tensor([5]), "v": torch.tensor([4])}).num_edges


def test_readout_ignores_isolated_nodes():
    model = small_model()
    graph = build_graph({"text": torch.tensor([2, 2]), "audio": torch.tensor([1, 0]), "vision": torch.tensor([0, 0])})
    x = torch.arange(5, dtype=torch.float32)[:, None].repeat(1, 16)
    # Graph 0 has nodes 0, 1, 2; only node 2 keeps an incoming edge. Graph 1 (nodes 3, 4) keeps none.
    edge_index = torch.tensor([[0], [2]])
    pooled = model._graph_readout(x, edge_index, graph)
    assert torch.allclose(pooled[0], torch.full((16,), 2.0))
    assert torch.allclose(pooled[1], torch.full((16,), 3.5))


def test_empty_modality_and_empty_sample():
    model = small_model()
    batch = collate([make_sample(0, (0, 4, 3)), make_sample(1, (0, 0, 0))])
    with torch.no_grad():
        output = model(batch)
        zero_input = model.readout(torch.zeros(1, 16))
    assert output.shape == (2, 1)
    assert bool(torch.isfinite(output).all())
    assert torch.allclose(output[1], zero_input[0])


def test_batch_of_empty_samples():
    model = small_model()
    with torch.no_grad():
        output = model(collate([make_sample(0, (0, 0, 0)), make_sample(1, (0, 0, 0))]))
    assert output.shape == (2, 1)


def test_generic_modality_names():
    sizes = {"eeg": 3, "gaze": 2}
    torch.manual_seed(0)
    model = create_model("mtag", feature_sizes=sizes, output_dim=8, num_layers=2, hidden_dim=8, num_heads=2)
    assert model.layers[0].att.shape == (12, 2, 8)
    output = model(collate([make_sample(0, (4, 7), sizes), make_sample(1, (2, 0), sizes)]))
    assert output.shape == (2, 8)


@pytest.mark.parametrize(
    "edge_types, count", [("full", 27), ("modality", 9), ("temporal", 3), ("none", 1)]
)
def test_edge_type_modes(edge_types, count):
    model = small_model(edge_types=edge_types)
    assert model.layers[0].num_edge_types == count
    with torch.no_grad():
        output = model(collate([make_sample(0, (3, 4, 5))]))
    assert bool(torch.isfinite(output).all())


@pytest.mark.parametrize("prune", ["random", "none"])
def test_prune_modes(prune):
    model = small_model(prune=prune, node_encoder="ffn")
    with torch.no_grad():
        _, attention = model(collate([make_sample(0, (3, 4, 5))]), return_attention=True)
    kept = attention.layers[0].kept
    expected = kept.numel() if prune == "none" else math.ceil(0.8 * kept.numel())
    assert int(kept.sum()) == expected


def test_loss_decreases():
    torch.manual_seed(0)
    model = create_model("mtag", feature_sizes=SIZES, output_dim=1, num_layers=2, hidden_dim=16, num_heads=2, dropout=0.0)
    samples = [make_sample(i, (3 + i % 3, 5 + i % 4, 2 + i % 2), seed=7) for i in range(16)]
    batch = collate(samples)
    batch.labels = batch.features["text"][:, 0, :1] * 2.0
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)

    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(batch), batch.labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_parameter_count_mosi():
    model = create_model("mtag", feature_sizes=MOSI_SIZES, output_dim=1)
    count = sum(p.numel() for p in model.parameters())
    print(f"MTAG parameters at the published MOSI configuration: {count}")
    nodes = (300 + 1) * 64 + (5 + 1) * 64 + (20 + 1) * 64
    per_layer = 3 * 64 * 64 + 27 * 4 * 2 * 16 + 64
    readout = (64 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert count == nodes + 6 * per_layer + readout
    assert count == 117169
    assert abs(count - 117_000) < 1_000


def test_sinusoidal_encoding_values():
    encoding = sinusoidal_encoding(torch.tensor([0, 3]), 6)
    assert torch.allclose(encoding[0], torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0]))
    assert math.isclose(float(encoding[1, 2]), math.sin(3 / 10000 ** (2 / 6)), rel_tol=1e-6)
    assert math.isclose(float(encoding[1, 5]), math.cos(3 / 10000 ** (4 / 6)), rel_tol=1e-6)


def test_options_rejected():
    with pytest.raises(ConfigError, match="num_heads"):
        create_model("mtag", feature_sizes=SIZES, hidden_dim=10, num_heads=4)
    with pytest.raises(ConfigError, match="invalid value"):
        create_model("mtag", feature_sizes=SIZES, prune="lowest")
    with pytest.raises(ConfigError, match="keep_ratio"):
        create_model("mtag", feature_sizes=SIZES, keep_ratio="1.5")


def test_wrong_feature_size():
    model = MTAG(SIZES, 1, MTAGOptions(num_layers=1, hidden_dim=8, num_heads=2))
    wrong = {"text": 6, "audio": 3, "vision": 5}
    with pytest.raises(DataError, match="vision features have shape"):
        model(collate([make_sample(0, (2, 2, 2), wrong)]))
