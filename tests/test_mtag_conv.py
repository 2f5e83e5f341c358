"""MTAGConv against an independent dense computation, and its fused aggregation."""

import math

import torch

from mtagbench.nn import MTAGConv
from mtagbench.nn.attention_aggregate import attention_aggregate
from mtagbench.nn.edge_attention import edge_attention

HEADS, CHANNELS, IN = 2, 3, 5


def tiny_graph():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, IN, generator=generator)
    node_type = torch.tensor([0, 1, 1, 0])
    edge_index = torch.tensor([[0, 1, 2, 3, 0, 2, 1, 3, 3], [0, 0, 0, 1, 1, 2, 3, 3, 2]])
    edge_type = torch.tensor([1, 4, 0, 2, 5, 3, 1, 2, 5])
    return x, edge_index, node_type, edge_type


def make_conv(**kwargs):
    torch.manual_seed(1)
    conv = MTAGConv(IN, CHANNELS, num_node_types=2, num_edge_types=6, heads=HEADS, **kwargs)
    with torch.no_grad():
        conv.bias.normal_()
    return conv.eval()


def dense_reference(conv, x, edge_index, node_type, edge_type):
    """Loop over nodes, heads and incoming edges with an explicit softmax."""
    weight, att, bias = conv.weight.detach(), conv.att.detach(), conv.bias.detach()
    projected = [x[n] @ weight[node_type[n]] for n in range(x.size(0))]
    out = torch.zeros(x.size(0), HEADS * CHANNELS)
    alpha = torch.zeros(edge_index.size(1), HEADS)
    for i in range(x.size(0)):
        incoming = [e for e in range(edge_index.size(1)) if edge_index[1, e] == i]
        for h in range(HEADS):
            block = slice(h * CHANNELS, (h + 1) * CHANNELS)
            scores = []
            for e in incoming:
                j = int(edge_index[0, e])
                pair = torch.cat([projected[i][block], projected[j][block]])
                value = float(att[edge_type[e], h] @ pair)
                scores.append(value if value > 0 else 0.2 * value)
            peak = max(scores) if scores else 0.0
            total = sum(math.exp(s - peak) for s in scores)
            for e, s in zip(incoming, scores):
                alpha[e, h] = math.exp(s - peak) / total
                out[i, block] += alpha[e, h] * projected[int(edge_index[0, e])][block]
    return out + bias, alpha


def test_conv_matches_dense_reference():
    x, edge_index, node_type, edge_type = tiny_graph()
    conv = make_conv()
    out, (_, alpha) = conv(x, edge_index, node_type, edge_type, return_attention_weights=True)
    expected_out, expected_alpha = dense_reference(conv, x, edge_index, node_type, edge_type)
    assert torch.allclose(alpha, expected_alpha, atol=1e-6)
    assert torch.allclose(out, expected_out, atol=1e-5)


def test_conv_message_path_matches_reference():
    x, edge_index, node_type, edge_type = tiny_graph()
    conv = make_conv(fused=False)
    out = conv(x, edge_index, node_type, edge_type)
    expected_out, _ = dense_reference(conv, x, edge_index, node_type, edge_type)
    assert torch.allclose(out, expected_out, atol=1e-5)


def test_conv_shapes():
    x, edge_index, node_type, edge_type = tiny_graph()
    out, (returned_index, alpha) = make_conv()(x, edge_index, node_type, edge_type, return_attention_weights=True)
    assert out.shape == (4, HEADS * CHANNELS)
    assert alpha.shape == (9, HEADS)
    assert torch.equal(returned_index, edge_index)


def test_conv_alpha_sums_to_one_per_target():
    x, edge_index, node_type, edge_type = tiny_graph()
    _, (_, alpha) = make_conv()(x, edge_index, node_type, edge_type, return_attention_weights=True)
    sums = torch.zeros(4, HEADS).index_add(0, edge_index[1], alpha)
    assert torch.allclose(sums, torch.ones(4, HEADS), atol=1e-6)


def test_conv_score_uses_own_type_only():
    x, edge_index, node_type, edge_type = tiny_graph()
    conv = make_conv()
    conv_other = make_conv()
    with torch.no_grad():
        conv_other.att[4].add_(3.0)  # type 4 is used only by edge 1, which targets node 0
    _, (_, alpha) = conv(x, edge_index, node_type, edge_type, return_attention_weights=True)
    _, (_, alpha_other) = conv_other(x, edge_index, node_type, edge_type, return_attention_weights=True)

    untouched = edge_index[1] != 0
    assert torch.equal(alpha[untouched], alpha_other[untouched])
    assert not torch.allclose(alpha[1], alpha_other[1])


def test_conv_node_without_edges_gets_bias():
    x, edge_index, node_type, edge_type = tiny_graph()
    conv = make_conv()
    keep = edge_index[1] != 2
    out = conv(x, edge_index[:, keep], node_type, edge_type[keep])
    assert torch.allclose(out[2], conv.bias)


def test_conv_gradients_fused_match_message_path():
    x, edge_index, node_type, edge_type = tiny_graph()
    fused, plain = make_conv(), make_conv(fused=False)
    x_fused = x.clone().requires_grad_()
    x_plain = x.clone().requires_grad_()
    (fused(x_fused, edge_index, node_type, edge_type) ** 2).sum().backward()
    (plain(x_plain, edge_index, node_type, edge_type) ** 2).sum().backward()
    assert torch.allclose(x_fused.grad, x_plain.grad, atol=1e-5)
    assert torch.allclose(fused.att.grad, plain.att.grad, atol=1e-5)
    assert torch.allclose(fused.weight.grad, plain.weight.grad, atol=1e-5)


def test_aggregate_gradcheck():
    generator = torch.Generator().manual_seed(2)
    edge_index = torch.tensor([[0, 1, 2, 2, 3, 0], [1, 0, 0, 3, 3, 2]])
    alpha = torch.rand(6, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    x = torch.randn(4, 2, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, v: attention_aggregate(a, v, edge_index, 4), (alpha, x))


def test_conv_reset_parameters_changes_weights():
    conv = make_conv()
    before = conv.att.detach().clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.att)
    assert torch.equal(conv.bias, torch.zeros(HEADS * CHANNELS))


def test_conv_empty_graph():
    conv = make_conv()
    out = conv(torch.zeros(0, IN), torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    assert out.shape == (0, HEADS * CHANNELS)


def test_edge_attention_gradcheck():
    generator = torch.Generator().manual_seed(3)
    edge_index = torch.tensor([[0, 1, 2, 2, 3, 0, 1], [1, 0, 0, 3, 3, 2, 1]])
    edge_type = torch.tensor([0, 2, 1, 1, 0, 2, 2])
    score_target = torch.randn(4, 3, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    score_source = torch.randn(4, 3, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t, s: edge_attention(t, s, edge_index, edge_type), (score_target, score_source)
    )


def test_aggregate_dropout_matches_manual():
    generator = torch.Generator().manual_seed(4)
    edge_index = torch.tensor([[0, 1, 2, 2, 3, 0], [1, 0, 0, 3, 3, 2]])
    alpha = torch.rand(6, 2, generator=generator, dtype=torch.float64, requires_grad=True)
    x = torch.randn(4, 2, 3, generator=generator, dtype=torch.float64, requires_grad=True)

    torch.manual_seed(7)
    out = attention_aggregate(alpha, x, edge_index, 4, dropout=0.5, training=True)
    torch.manual_seed(7)
    order = torch.sort(edge_index[1], stable=True).indices
    keep = torch.empty(6, 2, dtype=torch.float64).uniform_() >= 0.5
    weights = torch.zeros_like(alpha)
    weights[order] = alpha[order] * keep * 2.0
    expected = torch.zeros(4, 2, 3, dtype=torch.float64).index_add(
        0, edge_index[1], weights[:, :, None] * x[edge_index[0]]
    )
    assert torch.allclose(out, expected)

    def aggregate_with_fixed_mask(a, v):
        torch.manual_seed(7)
        return attention_aggregate(a, v, edge_index, 4, dropout=0.5, training=True)

    assert torch.autograd.gradcheck(aggregate_with_fixed_mask, (alpha, x))
