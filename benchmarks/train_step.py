"""Time one MTAG training step (forward, backward, AdamW step) at CMU-MOSI shapes.

Features are random, with text 300, audio 5 and vision 20 columns, at two sets of lengths
(text/audio/vision 12/200/120 and the full 50/375/500). Prints the median milliseconds per sample
over the repeats (wall clock, and the process's CPU time over all threads, which other processes on
a shared machine inflate less), edges per sample entering the first layer, and peak memory: on CUDA
``torch.cuda.max_memory_allocated``; on CPU the growth of the process's maximum resident set size
(``ru_maxrss``) over its value before the first model is built, which also counts the model, the
batch and the allocator's cached memory.

Example:
    python benchmarks/train_step.py --device cpu --repeats 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import numpy as np
import torch

from mtagbench import create_model
from mtagbench.data.sample import Sample, collate
from mtagbench.graph import build_graph

FEATURE_SIZES = {"text": 300, "audio": 5, "vision": 20}
LENGTH_SETS = ((12, 200, 120), (50, 375, 500))


def make_batch(lengths: tuple[int, ...], batch_size: int, seed: int):
    rng = np.random.default_rng(seed)
    samples = [
        Sample(
            id=str(index),
            features={
                name: rng.standard_normal((length, size)).astype(np.float32)
                for (name, size), length in zip(FEATURE_SIZES.items(), lengths)
            },
            label=rng.uniform(-3, 3, size=1).astype(np.float32),
        )
        for index in range(batch_size)
    ]
    return collate(samples)


def max_rss_bytes() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else usage * 1024


def measure(lengths, args, rss_baseline: int) -> dict[str, float]:
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = create_model("mtag", feature_sizes=FEATURE_SIZES, output_dim=1).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    batch = make_batch(lengths, args.batch_size, seed=0).to(device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        output = model(batch)
        loss = torch.nn.functional.l1_loss(output, batch.labels)
        loss.backward()
        optimizer.step()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    edges = build_graph(batch.lengths).num_edges
    for _ in range(args.warmup):
        step()

    times, cpu_times = [], []
    for _ in range(args.repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)

    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device)
    else:
        peak = max_rss_bytes() - rss_baseline
    return {
        "ms_per_sample": 1000 * statistics.median(times) / args.batch_size,
        "cpu_ms_per_sample": 1000 * statistics.median(cpu_times) / args.batch_size,
        "edges_per_sample": edges / args.batch_size,
        "peak_gib": peak / 2**30,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device, for example cpu or cuda")
    parser.add_argument("--batch-size", type=int, default=32, help="samples per step (default 32)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps before timing (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps; the median is printed (default 3)")
    parser.add_argument(
        "--lengths",
        default="all",
        help="'all', or text/audio/vision lengths such as 12/200/120 (default all)",
    )
    args = parser.parse_args()

    length_sets = LENGTH_SETS if args.lengths == "all" else (tuple(int(v) for v in args.lengths.split("/")),)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, batch {args.batch_size}")
    # ru_maxrss is a high-water mark, so measure every set from the same baseline and run the sets
    # from smallest to largest; each figure is then that set's own peak.
    rss_baseline = max_rss_bytes()
    for lengths in sorted(length_sets, key=sum):
        figures = measure(lengths, args, rss_baseline)
        print(
            f"lengths {'/'.join(map(str, lengths))}: {figures['ms_per_sample']:.1f} ms per sample, "
            f"({figures['cpu_ms_per_sample']:.1f} ms of CPU time over all threads), "
            f"{figures['edges_per_sample']:.0f} edges per sample, peak {figures['peak_gib']:.2f} GiB"
        )


if __name__ == "__main__":
    main()
