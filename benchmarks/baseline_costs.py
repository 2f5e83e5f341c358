"""Print parameter counts and FLOPs per sample of the baselines on MOSI-shaped inputs.

Usage:
    python benchmarks/baseline_costs.py [--lengths 50,375,500] [--batch-size 2]

Inputs are random features with the CMU-MOSI feature sizes (text 300, audio 5, vision 20), every
sample at the given lengths, so the figures are for full-length samples.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import mtagbench
from mtagbench.data.sample import Sample, collate
from mtagbench.measure import count_parameters, measure_flops

MOSI_SIZES = {"text": 300, "audio": 5, "vision": 20}
CONFIGURATIONS = [
    ("ef-lstm", {}),
    ("ef-lstm", {"align": "pool"}),
    ("lf-lstm", {}),
    ("mult", {}),
    ("mult", {"num_layers": 6}),
    ("mult", {"embed_dim": 40, "num_layers": 6, "num_heads": 4}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="50,375,500", help="text,audio,vision steps per sample")
    parser.add_argument("--batch-size", type=int, default=2, help="samples in the measured batch")
    args = parser.parse_args()
    lengths = [int(value) for value in args.lengths.split(",")]

    rng = np.random.default_rng(0)
    samples = [
        Sample(
            id=str(i),
            features={m: rng.normal(size=(n, d)).astype(np.float32) for (m, d), n in zip(MOSI_SIZES.items(), lengths)},
            label=np.zeros(1, dtype=np.float32),
        )
        for i in range(args.batch_size)
    ]
    batch = collate(samples)

    print(f"lengths {lengths}, batch {args.batch_size}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':<10} {'options':<45} {'parameters':>11} {'GFLOP fwd/sample':>17} {'GFLOP fwd+bwd/sample':>21})
    for name, options in CONFIGURATIONS:
        torch.manual_seed(0)
        model = mtagbench.create_model(name, feature_sizes=MOSI_SIZES, **options).train()
        parameters = count_parameters(model).total
        flops = measure_flops(model, batch)
        print(
            f"{name:<10} {str(options):<45} {parameters:>11,} {flops.forward_per_sample / 1e9:>17.3f} "
            f"{flops.forward_backward_per_sample / 1e9:>21.3f}"
        )


if __name__ == "__main__":
    main()
