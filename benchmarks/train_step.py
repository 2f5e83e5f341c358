"""Time one MTAG training step (forward, backward, AdamW step) at CMU-MOSI shapes.

Features are random, with text 300, audio 5 and vision 20 columns, at two sets of lengths
(text/audio/vision 12/200/120 and the full 50/375/500). Prints the median milliseconds per sample
over the repeats (wall clock, and the process's CPU time over all threads, which other processes on
a shared machine inflate less), edges per sample entering the first layer, and peak memory: on CUDA
``torch.cuda.max_memory_allocated``; on CPU the growth of the process's maximum resident set size
(``ru_maxrss``) over its value before the first model is built, which also counts the model, the
batch and the allocator's cached memory.

``--implementation both`` runs the sparse and the dense model on the same batches, one after the
other, and prints the ratio of their times, so that both see the same machine load. On CPU each
implementation then runs in its own child process, because the resident-set peak of a process only
grows. The load average is printed before each measurement.

Example:
    python benchmarks/train_step.py --device cpu --repeats 3 --implementation both
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
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
    model = create_model("mtag", feature_sizes=FEATURE_SIZES, output_dim=1, implementation=args.implementation).to(device)
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


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def run_child(implementation: str, lengths: tuple[int, ...], args) -> dict[str, float]:
    """Measure one implementation at one set of lengths in a fresh process and return its figures."""
    command = [
        sys.executable, __file__, "--device", args.device, "--batch-size", str(args.batch_size),
        "--warmup", str(args.warmup), "--repeats", str(args.repeats), "--implementation", implementation,
        "--lengths", "/".join(map(str, lengths)), "--json",
    ]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def describe(name: str, lengths: tuple[int, ...], figures: dict[str, float]) -> str:
    return (
        f"{name:>6} lengths {'/'.join(map(str, lengths))}: {figures['ms_per_sample']:.1f} ms per sample, "
        f"({figures['cpu_ms_per_sample']:.1f} ms of CPU time over all threads), "
        f"{figures['edges_per_sample']:.0f} edges per sample, peak {figures['peak_gib']:.2f} GiB"
    )


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
    parser.add_argument(
        "--implementation",
        default="auto",
        choices=("auto", "sparse", "dense", "both"),
        help="MTAG implementation to time; 'both' times sparse and dense and prints their ratio (default auto)",
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    length_sets = LENGTH_SETS if args.lengths == "all" else (tuple(int(v) for v in args.lengths.split("/")),)
    if args.json:
        print(json.dumps(measure(length_sets[0], args, max_rss_bytes())))
        return

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, batch {args.batch_size}")
    if args.implementation == "both":
        for lengths in sorted(length_sets, key=sum):
            figures = {}
            for name in ("sparse", "dense"):
                print(f"load average {load_average()}")
                figures[name] = run_child(name, lengths, args)
                print(describe(name, lengths, figures[name]))
            wall = figures["sparse"]["ms_per_sample"] / figures["dense"]["ms_per_sample"]
            cpu = figures["sparse"]["cpu_ms_per_sample"] / figures["dense"]["cpu_ms_per_sample"]
            memory = figures["sparse"]["peak_gib"] / figures["dense"]["peak_gib"]
            print(f"sparse / dense at {'/'.join(map(str, lengths))}: wall {wall:.2f}x, CPU time {cpu:.2f}x, peak memory {memory:.2f}x")
        return

    # ru_maxrss is a high-water mark, so measure every set from the same baseline and run the sets
    # from smallest to largest; each figure is then that set's own peak.
    rss_baseline = max_rss_bytes()
    for lengths in sorted(length_sets, key=sum):
        print(f"load average {load_average()}")
        figures = measure(lengths, args, rss_baseline)
        print(describe(args.implementation, lengths, figures))


if __name__ == "__main__":
    main()
