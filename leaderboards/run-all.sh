#!/usr/bin/env bash
# Trains every run behind the measured leaderboards and writes them. Finished runs are skipped, so
# the script can be stopped and started again. Run from the repository root with mtagbench installed.
#
#   RUNS=runs MISA=path/to/mosi-misa-dev CSD=path/to/mosi-csd bash leaderboards/run-all.sh
set -euo pipefail

RUNS=${RUNS:-runs}
DATA=${MTAGBENCH_TEST_DATA:-../shared/data}
MISA=${MISA:-$DATA/mosi-misa-dev}
CSD=${CSD:-$DATA/mosi-csd}
SEEDS=(0 1 2)

train_all_datasets() {
    local model=$1
    mtagbench run "$model" --dataset mosi-misa --data-dir "$MISA" --seeds "${SEEDS[@]}" --runs "$RUNS" --resume
    # Text only: the .csd files hold words and labels, not audio or vision. MulT needs two modalities.
    if [ "$model" != mult ]; then
        mtagbench run "$model" --dataset mosi-csd --data-dir "$CSD" --modalities text \
            --seeds "${SEEDS[@]}" --runs "$RUNS" --resume
    fi
    mtagbench run "$model" --dataset synthetic-mosi --seeds "${SEEDS[@]}" --runs "$RUNS" --resume
    mtagbench run "$model" --dataset synthetic-iemocap --seeds "${SEEDS[@]}" --runs "$RUNS" --resume
}

for model in constant lf-lstm ef-lstm mult mtag; do
    train_all_datasets "$model"
done

# Ablation runs go to their own root, so that the leaderboards list the main configurations only.
mtagbench ablate --dataset mosi-misa --data-dir "$MISA" --seeds "${SEEDS[@]}" --runs "$RUNS-ablation"

for dataset in mosi-misa mosi-csd synthetic-mosi synthetic-iemocap; do
    mtagbench leaderboard --dataset "$dataset" --runs "$RUNS"
done
