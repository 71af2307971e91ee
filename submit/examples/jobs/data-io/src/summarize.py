"""Read every CSV of a folder input and a labels file, write a per-class count to an output folder.

Writes to ./outputs as well: Azure uploads that folder (and ./logs) into the job's record.
"""

import argparse
import csv
import json
import os
from collections import Counter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--labels", required=True)
    parser.add_argument("--min-rows", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.labels, encoding="utf-8") as lines:
        names = [line.strip() for line in lines if line.strip()]
    counts, files = Counter(), sorted(f for f in os.listdir(args.data) if f.endswith(".csv"))
    for name in files:
        with open(os.path.join(args.data, name), newline="", encoding="utf-8") as table:
            for row in csv.reader(table):
                counts[names[int(row[-1])]] += 1
    rows = sum(counts.values())
    if rows < args.min_rows:
        raise SystemExit(f"only {rows} rows in {args.data}; expected at least {args.min_rows}")
    summary = {"files": files, "rows": rows, "per_class": dict(sorted(counts.items()))}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=2)
    os.makedirs("outputs", exist_ok=True)
    with open(os.path.join("outputs", "rows.txt"), "w", encoding="utf-8") as out:
        out.write(f"{rows}\n")
    print(f"{rows} rows in {len(files)} file(s): {summary['per_class']}", flush=True)


if __name__ == "__main__":
    main()
