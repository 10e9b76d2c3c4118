"""Per arm: the median of the rounds' fastest epochs, and speed against ``before`` paired by round (alt.sh's output)."""

import json
import statistics
import sys

by_arm: dict[str, dict[int, float]] = {}
for line in open(sys.argv[1]):
    round_, arm, figures = line.split(" ", 2)
    by_arm.setdefault(arm, {})[int(round_)] = json.loads(figures)["min"]
for arm, epochs in by_arm.items():
    ratios = [by_arm["before"][round_] / ms for round_, ms in epochs.items()]
    print(f"| {arm} | {statistics.median(epochs.values()):.2f} | {statistics.median(ratios):.3f}x "
          f"({min(ratios):.3f}-{max(ratios):.3f}) |")
