#!/bin/bash
# alt.sh ROUNDS EPOCHS: MLP epochs of 20 batches, one thread (THREADS=1, the default; THREADS=2 for two), four arms alternating (order reversed in even rounds)
HERE=$(cd "$(dirname "$0")" && pwd)
# BEFORE: a worktree of ca9bcdb (the release before the Ops backend) with its own .venv and main's benchmarks/ copied in
BEFORE=${BEFORE:-/tmp/before}; MAIN=${MAIN:-$(cd "$HERE/../../.." && pwd)}
ARMS=("before|$BEFORE|" "after|$MAIN|" "noguard|$MAIN|NOGUARD=1" "nomalloc|$MAIN|NOGUARD=1 NNFS_KEEP_FREED_MEMORY=0")
for r in $(seq 1 $1); do
  order=(0 1 2 3); if (( r % 2 == 0 )); then order=(3 2 1 0); fi
  for i in "${order[@]}"; do
    IFS='|' read -r arm T E <<< "${ARMS[$i]}"
    echo "$r $arm $(cd $T && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=${THREADS:-1} NNFS_NUM_THREADS=${THREADS:-1} $E PYTHONPATH=$T .venv/bin/python $HERE/steptime.py $2)"
  done
done
