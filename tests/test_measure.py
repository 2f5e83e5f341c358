"""Tests of mtagbench.measure: parameters, FLOPs, timing helpers, peak memory and convergence."""

from __future__ import annotations

import statistics

import pytest
import torch
from torch import nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import softmax as edge_softmax

from mtagbench.measure import (
    best_epoch,
    count_flops,
    count_parameters,
    environment_info,
    measure_epoch_seconds,
    measure_flops,
    measure_inference_throughput,
    measure_peak_memory,
)


class ScaledSum(MessagePassing):
    """x' = W x, then each node sums the scaled messages w_ij * x'_j of its incoming edges."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(aggr="add")
        self.lin = nn.Linear(in_channels, out_channels, bias=False)

    def forward(self, x, edge_index, edge_weight):
        return self.propagate(edge_index, x=self.lin(x), edge_weight=edge_weight)

    def message(self, x_j, edge_weight):
        return edge_weight.view(-1, 1) * x_j


class AttentionSum(MessagePassing):
    """Like ScaledSum, with weights from a softmax over each node's incoming edge scores."""

    def __init__(self, channels: int) -> None:
        super().__init__(aggr="add")
        self.lin = nn.Linear(channels, channels, bias=False)

    def forward(self, x, edge_index, scores):
        alpha = edge_softmax(torch.nn.functional.leaky_relu(scores, 0.2), edge_index[1], num_nodes=x.shape[0])
        return self.propagate(edge_index, x=self.lin(x), alpha=alpha)

    def message(self, x_j, alpha):
        return alpha.view(-1, 1) * x_j


EDGE_INDEX = torch.tensor([[0, 1, 2, 3, 4, 0, 2], [1, 2, 3, 4, 0, 3, 1]])


def test_linear_forward_flops():
    batch, in_features, out_features = 4, 3, 2

    flops = count_flops(nn.Linear(in_features, out_features), torch.ones(batch, in_features))

    assert flops == 2 * in_features * out_features * batch


def test_linear_backward_flops():
    batch, in_features, out_features = 4, 3, 2
    x = torch.ones(batch, in_features, requires_grad=True)

    result = measure_flops(nn.Linear(in_features, out_features), x)

    forward = 2 * batch * in_features * out_features
    grad_input = 2 * batch * out_features * in_features
    grad_weight = 2 * out_features * batch * in_features
    grad_bias = batch * out_features  # one add per summed element
    assert result.forward == forward
    assert result.forward_backward == forward + grad_input + grad_weight + grad_bias
    assert result.by_operator["aten.sum"] == grad_bias
    assert result.forward_per_sample == forward / batch


def test_message_passing_forward_flops():
    nodes, edges, in_channels, out_channels = 5, 7, 3, 4
    model = ScaledSum(in_channels, out_channels)

    flops = count_flops(model, (torch.randn(nodes, in_channels), EDGE_INDEX, torch.rand(edges)))

    transform = 2 * nodes * in_channels * out_channels  # 120
    scale = edges * out_channels  # one multiply per message element: 28
    scatter_add = edges * out_channels  # one add per scattered element: 28
    assert flops == transform + scale + scatter_add == 176


def test_message_passing_backward_flops():
    nodes, edges, in_channels, out_channels = 5, 7, 3, 4
    model = ScaledSum(in_channels, out_channels)

    result = measure_flops(model, (torch.randn(nodes, in_channels), EDGE_INDEX, torch.rand(edges)))

    # Backward: scatter_add -> gather (0), multiply -> multiply (28), index_select -> index_add (28),
    # and the weight gradient of the Linear (120); the input needs no gradient.
    assert result.forward_backward == 176 + 28 + 28 + 120
    assert result.by_operator["aten.gather"] == 0
    assert result.by_operator["aten.index_select"] == 0
    assert result.by_operator["aten.index_add"] == 28
    assert result.by_operator["aten.scatter_add_"] == 28


def test_attention_message_passing_flops():
    nodes, edges, channels = 5, 7, 2
    model = AttentionSum(channels)

    result = measure_flops(model, (torch.randn(nodes, channels), EDGE_INDEX, torch.randn(edges)))

    leaky_relu = edges
    softmax = edges + edges + edges + edges + nodes + edges  # amax scatter, subtract, exp, sum scatter, +eps, divide
    transform = 2 * nodes * channels * channels
    messages = edges * channels + edges * channels  # scale, scatter add
    assert result.by_operator["aten.leaky_relu"] == leaky_relu
    assert result.by_operator["aten.scatter_reduce_"] == edges
    assert result.by_operator["aten.exp"] == edges
    assert result.forward == leaky_relu + softmax + transform + messages


def test_softmax_flops():
    flops = count_flops(lambda x: torch.softmax(x, dim=-1), torch.ones(3, 4))

    assert flops == 5 * 3 * 4


def test_scatter_mean_flops():
    src = torch.ones(6, 2)
    index = torch.tensor([0, 0, 1, 1, 1, 2])[:, None].expand(6, 2)

    flops = count_flops(lambda s: torch.zeros(3, 2).scatter_reduce(0, index, s, reduce="mean"), src)

    assert flops == 6 * 2 + 3 * 2


def test_lstm_fused_flops():
    steps, batch, in_features, hidden = 5, 2, 3, 4
    lstm = nn.LSTM(in_features, hidden, batch_first=True)

    flops = count_flops(lstm.eval(), torch.ones(batch, steps, in_features))

    assert flops == 2 * steps * batch * (4 * hidden * in_features + 4 * hidden * hidden)


def test_backward_needs_gradients():
    with pytest.raises(ValueError, match="require gradients"):
        count_flops(lambda x: x * 2, torch.ones(3), backward=True)


def test_parameter_count_linear():
    counts = count_parameters(nn.Linear(3, 2))

    assert counts.total == 3 * 2 + 2
    assert counts.trainable == 8


def test_parameter_breakdown():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1)))
    model[0].weight.requires_grad_(False)

    counts = count_parameters(model, max_depth=1)

    assert counts.by_module == {"": 16 + 10 + 3, "0": 16, "1": 13}
    assert counts.total == 29
    assert counts.trainable == 29 - 12


def test_parameter_count_shared_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)

    assert count_parameters(model).total == 6
    assert count_parameters(model).trainable == 6


def test_best_epoch_minimum():
    point = best_epoch([1.2, 1.0, 0.95, 0.949, 0.96])

    assert point.epoch == 4
    assert point.value == 0.949
    assert point.epochs == 5


def test_best_epoch_tolerance():
    assert best_epoch([1.2, 1.0, 0.95, 0.949, 0.96], tolerance=0.01).epoch == 3


def test_best_epoch_first_of_ties():
    assert best_epoch([1.0, 0.5, 0.5, 0.7]).epoch == 2


def test_best_epoch_max_mode():
    assert best_epoch([0.6, 0.8, 0.79, 0.81], mode="max").epoch == 4
    assert best_epoch([0.6, 0.8, 0.79, 0.81], tolerance=0.05, mode="max").epoch == 2


@pytest.mark.parametrize(("values", "options", "message"), [
    ([], {}, "empty"),
    ([1.0, float("nan")], {}, "not finite"),
    ([1.0], {"tolerance": -1.0}, "tolerance"),
    ([1.0], {"mode": "lowest"}, "mode"),
])
def test_best_epoch_invalid(values, options, message):
    with pytest.raises(ValueError, match=message):
        best_epoch(values, **options)


def test_epoch_seconds_runs_and_median():
    calls = []

    timing = measure_epoch_seconds(lambda: calls.append(1), epochs=3, warmup_epochs=2)

    assert len(calls) == 5
    assert len(timing.seconds) == 3
    assert timing.median_seconds == statistics.median(timing.seconds)
    assert timing.warmup_epochs == 2


def test_inference_throughput_counts_samples():
    model = nn.Linear(3, 1).train()
    batches = [torch.ones(4, 3), torch.ones(2, 3)]

    result = measure_inference_throughput(model, batches, warmup_steps=1, repeats=3)

    assert result.samples == 6
    assert len(result.per_repeat) == 3
    assert result.samples_per_second == statistics.median(result.per_repeat)
    assert model.training


def test_inference_throughput_needs_batches():
    with pytest.raises(ValueError, match="without batches"):
        measure_inference_throughput(nn.Linear(3, 1), [])


def test_environment_info_fields():
    info = environment_info("cpu")

    assert info["torch"] == torch.__version__
    assert info["torch_threads"] == torch.get_num_threads()
    assert info["device"] == "cpu"
    for key in ("torch_geometric", "numpy", "python", "platform", "cpu_model", "device_name"):
        assert info[key]


def test_peak_memory_cpu_growth():
    size = 64 * 1024 * 1024

    def allocate():
        block = torch.ones(size // 4, dtype=torch.float32)
        return float(block[-1])

    result, peak = measure_peak_memory(allocate, "cpu")

    assert result == 1.0
    assert peak.device == "cpu"
    if peak.method != "VmHWM":
        pytest.skip(f"peak resident set size cannot be reset here (method {peak.method})")
    assert peak.growth_bytes >= 0.9 * size
    assert peak.peak_bytes >= peak.growth_bytes


def test_lstm_fused_backward_flops():
    steps, batch, in_features, hidden = 5, 2, 3, 4
    lstm = nn.LSTM(in_features, hidden, batch_first=True)

    result = measure_flops(lstm, torch.ones(batch, steps, in_features, requires_grad=True))

    gate_products = 2 * steps * batch * (4 * hidden * in_features + 4 * hidden * hidden)
    assert result.forward == gate_products
    assert result.forward_backward == 3 * gate_products
