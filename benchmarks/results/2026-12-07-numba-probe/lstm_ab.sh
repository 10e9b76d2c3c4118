#!/bin/bash
# lstm_ab.sh OUT ROUNDS [WORKLOADS]: lstm_train beside PyTorch with NumPy's cell (arm "numpy") and the numba
# cell (arm "numba"), alternating, the order reversed every other round. Run it with an interpreter that has
# nnfs (core, nnfs-activations, nnfs-conv, nnfs-sequence), torch and numba: PYTHON=... (default python).
# Then: python -m benchmarks.compare_runs OUT --baseline numpy
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../../.." && pwd)
OUT=$1; ROUNDS=$2; WL=${3:-lstm_train}; mkdir -p "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  arms="numpy numba"; if (( r % 2 == 0 )); then arms="numba numpy"; fi
  for arm in $arms; do
    flag=0; [ "$arm" = numba ] && flag=1
    (cd "$ROOT" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE NNFS_PROBE_NUMBA=$flag PYTHONPATH="$HERE" \
      "${PYTHON:-python}" -m benchmarks --contenders nnfs,torch --workloads "$WL" --repeats 1 \
      --json "$OUT/$arm-$r.json" > /dev/null 2>&1) || echo "fail $arm $r"
  done
done
echo DONE
