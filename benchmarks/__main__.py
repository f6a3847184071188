"""``python -m benchmarks [--citizens N] [--postgresql URL] [--only NAME]``.

Builds a demo city in a temporary instance (SQLite by default; with
``--postgresql`` a scratch database on that server, dropped afterwards), then
runs every registered benchmark on it and prints rows, seconds, rows/s and
ratios against baselines measured in the same run. Later issues register their
benchmarks (ingestion, releases) in :data:`BENCHMARKS`.
"""

from __future__ import annotations

import argparse
import resource
import sys
from collections.abc import Callable

from benchmarks import accounts, engine, hsm, ingest, release, scan
from benchmarks.instance import BenchInstance, bench_instance
from benchmarks.report import Measurement, render

BENCHMARKS: dict[str, Callable[[BenchInstance], list[Measurement]]] = {
    "scan": scan.run,
    "release": release.run,
    "engine": engine.run,
    "ingest": ingest.run,
    "hsm": hsm.run,
    "accounts": accounts.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--citizens", type=int, default=100_000, help="demo city size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--postgresql", metavar="URL", help="PostgreSQL server URL (scratch database)"
    )
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="run only these"
    )
    args = parser.parse_args(argv)
    chosen = args.only or list(BENCHMARKS)
    with bench_instance(args.citizens, args.seed, args.postgresql) as instance:
        records = sum(instance.city.records.values())
        seeding = Measurement(
            f"civic demo ({args.citizens:,} citizens)", records, instance.seed_seconds
        )
        print(render(f"\n[{instance.backend}] demo city", [seeding]))
        for name in chosen:
            print(render(f"\n[{instance.backend}] {name}", BENCHMARKS[name](instance)))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS): {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
