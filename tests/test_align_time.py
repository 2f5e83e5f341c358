import numpy as np
import pytest
import torch

from mtagbench.data.sample import Sample, collate
from mtagbench.errors import DataError
from mtagbench.graph.build import build_graph
from mtagbench.graph.time_align import retype_by_time
from mtagbench.registry import create_model


def evenly_spaced(length: int, duration: float = 1.0) -> np.ndarray:
    edges = np.linspace(0.0, duration, length + 1)
    return np.stack([edges[:-1], edges[1:]], axis=1)


def node_times_of(batch, graph):
    times = torch.zeros(graph.num_nodes, 2, dtype=torch.float64)
    for modality, node_ids in zip(batch.modalities, graph.node_index):
        times[node_ids] = batch.timestamps[modality][batch.masks[modality]]
    return times


def make_batch(lengths: dict[str, int]) -> object:
    sample = Sample(
        id="s",
        features={m: np.zeros((n, 2), np.float32) for m, n in lengths.items()},
        label=np.zeros(1, np.float32),
        timestamps={m: evenly_spaced(n) for m, n in lengths.items()},
    )
    return collate([sample])


# Lengths where the pseudo-alignment tiles the longer sequence into equal windows of M / N steps,
# which is what evenly spaced time stamps give.
@pytest.mark.parametrize("short, long", [(1, 7), (2, 10), (3, 9), (4, 8), (5, 5), (6, 12)])
def test_time_rule_matches_pseudo_alignment_on_even_stamps(short, long):
    batch = make_batch({"text": short, "vision": long})
    graph = build_graph(batch.lengths, intra_edges="all")

    retyped = retype_by_time(graph, node_times_of(batch, graph))

    assert torch.equal(retyped.edge_type, graph.edge_type)


def test_time_rule_differs_where_windows_overlap():
    # N = 10, M = 40: Eq. 9 gives stride 3 and windows of 13 steps that overlap, while equal time
    # slices of 0.1 s each cover 4 vision steps.
    batch = make_batch({"text": 10, "vision": 40})
    graph = build_graph(batch.lengths, intra_edges="all")
    retyped = retype_by_time(graph, node_times_of(batch, graph))
    assert not torch.equal(retyped.edge_type, graph.edge_type)


def test_time_rule_keeps_within_modality_types():
    batch = make_batch({"text": 3, "vision": 7})
    graph = build_graph(batch.lengths, intra_edges="all")
    times = node_times_of(batch, graph)
    times[:, :] = 0.0  # every node at one instant: every cross-modal edge becomes present

    retyped = retype_by_time(graph, times)

    source, target = graph.edge_index
    same = graph.node_modality[source] == graph.node_modality[target]
    assert torch.equal(retyped.edge_type[same], graph.edge_type[same])
    assert (retyped.edge_type[~same] % 3 == 1).all()


def test_mtag_time_alignment_runs():
    model = create_model("mtag", feature_sizes={"text": 2, "vision": 2}, num_layers=2, align="time")
    model.eval()
    output = model(make_batch({"text": 3, "vision": 8}))
    assert output.shape == (1, 1)
    assert torch.isfinite(output).all()


def test_mtag_time_alignment_needs_stamps():
    model = create_model("mtag", feature_sizes={"text": 2, "vision": 2}, num_layers=1, align="time")
    sample = Sample(id="s", features={"text": np.zeros((2, 2), np.float32), "vision": np.zeros((3, 2), np.float32)}, label=np.zeros(1, np.float32))
    with pytest.raises(DataError, match="time stamps"):
        model(collate([sample]))
