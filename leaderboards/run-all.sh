#!/usr/bin/env bash
# Trains every run behind the measured leaderboards and writes them. Finished runs are skipped, so
# the script can be stopped and started again. Run from the repository root with mtagbench installed.
#
#   RUNS=runs MISA=path/to/mosi-misa-dev CSD=path/to/mosi-csd bash leaderboards/run-all.sh
set -euo pipefail

RUNS=${RUNS:-runs}
MISA=${MISA:-../shared/data/mosi-misa-dev}
CSD=${CSD:-../shared/data/mosi-csd}
SEEDS=(0 1 2)

for model in constant lf-lstm ef-lstm mult mtag; do
    mtagbench run "$model" --dataset mosi-misa --data-dir "$MISA" --seeds "${SEEDS[@]}" --runs "$RUNS"
done

# Text only: the .csd files hold words and labels; the audio and vision .csd files are not public here.
# MulT needs at least two modalities, so it has no row.
for model in constant lf-lstm ef-lstm mtag; do
    mtagbench run "$model" --dataset mosi-csd --data-dir "$CSD" --modalities text --seeds "${SEEDS[@]}" --runs "$RUNS"
done

for model in constant lf-lstm ef-lstm mult mtag; do
    mtagbench run "$model" --dataset synthetic-mosi --seeds "${SEEDS[@]}" --runs "$RUNS"
done

for model in constant lf-lstm ef-lstm mult mtag; do
    mtagbench run "$model" --dataset synthetic-iemocap --seeds "${SEEDS[@]}" --runs "$RUNS"
done

# Ablation runs go to their own root, so that the leaderboards list the main configurations only.
mtagbench ablate --dataset mosi-misa --data-dir "$MISA" --seeds "${SEEDS[@]}" --runs "$RUNS-ablation"

for dataset in mosi-misa mosi-csd synthetic-mosi synthetic-iemocap; do
    mtagbench leaderboard --dataset "$dataset" --runs "$RUNS"
done
