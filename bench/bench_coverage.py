"""The coverage check (不重不漏, seed 002) on the whole demo district of seed 001: 5,037 grids,
619 families. Target (issue 2): under 10 seconds.

    .venv/bin/python bench/bench_coverage.py [--repeat 3] [--db FILE]
"""

from __future__ import annotations

import argparse
import time

from district import add_db_argument, setup_district


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    add_db_argument(parser)
    args = parser.parse_args()
    setup_district(args.db)

    from gridgov.grids.coverage import check_coverage

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        report = check_coverage()
        timings.append(time.perf_counter() - started)
    counts = ", ".join(
        f"{kind} {report.count(kind)}" for kind in ("overlap", "gap", "outside", "no_boundary")
    )
    print(f"grids: {report.grids:,}; families checked: {report.families:,}; faults: {counts}")
    print(
        f"coverage check: best {min(timings):.2f} s, mean {sum(timings) / len(timings):.2f} s over {len(timings)} runs"
    )
    print(f"target < 10 s: {'PASS' if max(timings) < 10 else 'FAIL'}")


if __name__ == "__main__":
    main()
