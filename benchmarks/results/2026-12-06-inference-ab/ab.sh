#!/bin/bash
# usage: ab.sh OUTDIR ROUNDS WORKLOADS arm=tree ... (each tree a checkout of nnfs; arms alternate within a round)
OUT=$1; ROUNDS=$2; WL=$3; shift 3
for r in $(seq 1 $ROUNDS); do
  for spec in "$@"; do
    arm=${spec%%=*}; T=${spec#*=}
    PP=$T
    for p in $T/plugins/*/; do PP=$PP:$p; done
    (cd $T && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PP ${PYTHON:-python} -m benchmarks --contenders nnfs --workloads $WL --repeats 1 --json $OUT/$arm-$r.json > /dev/null 2>&1) || echo "fail $arm $r"
  done
done
echo DONE
