#!/usr/bin/env python3
"""Compares builds of `pressroom` on publishing one new release, taking turns.

    python3 bench/compare_builds.py [--runs N] [--size 10000|100000] BINARY...

On a shared or virtual machine the wall time of one binary moves from run to
run by more than most changes under test (session notes saw 51 to 81 ms for
the same build within an hour). Measuring build A for a while, then build B,
compares two moments of the machine more than two builds. This script runs
them in turn, in alternating order, on the same workspace, and prints the
medians of wall time, CPU time (user and system) and minor page faults of
each. Keep the figures that move together in several sets.

Each run drops one release (a generated one, dated a minute ago, as a press
office publishes) into the archive that `cargo bench -p pressroom --bench
publish` built under $TMPDIR/pressroom-bench/archive-SIZE, and runs
`publish` on it. The archive grows by one release a run.
"""

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def dated_a_minute_ago(text: str, tag: int) -> str:
    """The release with today's date and a title of its own (a release that
    differs in nothing but its date would update the one before it)."""
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    lines = []
    for line in text.split("\n"):
        if line.startswith("date:"):
            line = "date: " + now.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        elif line.startswith("title:") and line.endswith('"'):
            line = line[:-1] + f' {tag}"'
        lines.append(line)
    return "\n".join(lines)


def publish_once(binary: Path, workspace: Path, sources: list) -> tuple:
    """Drops one release and publishes it: (wall ms, CPU ms, minor faults)."""
    tag = time.time_ns()
    text = random.choice(sources).read_text(encoding="utf-8")
    (workspace / "inbox" / f"compare-{tag}.md").write_text(
        dated_a_minute_ago(text, tag), encoding="utf-8"
    )
    os.sync()
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(binary), "publish", "--config", str(workspace / "pressroom.toml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{binary} publish failed (wait status {status})")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_minflt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=16, help="runs of each build")
    parser.add_argument("--size", default="100000", help="the archive: 10000 or 100000")
    args = parser.parse_args()
    scratch = Path(tempfile.gettempdir()) / "pressroom-bench"
    workspace = scratch / f"archive-{args.size}"
    sources = sorted((scratch / f"releases-{args.size}").glob("*.md"))[:1000]
    if not (workspace / "pressroom.toml").exists() or not sources:
        sys.exit(f"no archive in {workspace}: run `cargo bench -p pressroom --bench publish` first")
    binaries = [binary.resolve() for binary in args.binaries]
    figures = {binary: [] for binary in binaries}
    for run in range(args.runs):
        for binary in binaries if run % 2 == 0 else reversed(binaries):
            figures[binary].append(publish_once(binary, workspace, sources))
    for binary, runs in figures.items():
        wall, cpu, faults = (statistics.median(column) for column in zip(*runs))
        print(
            f"{binary}: wall {wall:.1f} ms, CPU {cpu:.1f} ms, "
            f"{faults:.0f} page faults (medians of {len(runs)} runs)"
        )


if __name__ == "__main__":
    main()
