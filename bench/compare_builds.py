#!/usr/bin/env python3
"""Compares builds of `pressroom` (one new release, or a backlog), taking turns.

    python3 bench/compare_builds.py [--runs N] [--size 10000|100000] BINARY...
    python3 bench/compare_builds.py --backlog [--hugo] [--runs N] BINARY...

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
`publish` on it. The archive grows by one release a run. (A build from
before a change of the outputs' layout renders the whole archive again on
its first run; compare such builds on backlogs.)

With `--backlog`, each run publishes the bench's 10,000 generated releases
into a new workspace, and `--hugo` adds Hugo building the same releases
(the bench's `hugo-site`) to the turns, with each build's ratio to it.
Before each run the page cache is dropped when this runs as root, and the
releases are read into memory, so that every contestant starts alike. The
workspaces are removed only once every run is done: on ext4 a mass deletion
slows the creation of files for a minute or more after it.
"""

import argparse
import datetime
import os
import random
import shutil
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
    wall, usage = run([str(binary), "publish", "--config", str(workspace / "pressroom.toml")])
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_minflt


def run(command: list) -> tuple:
    """Runs `command`, which must succeed: (wall s, its resource usage)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{' '.join(command)} failed (wait status {status})")
    return wall, usage


def start_alike(sources: list) -> None:
    """Flushes and, as root, drops the page cache, then reads `sources`
    back into memory: every run starts with its input cached, nothing else."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        pass  # Not root: the cache stays as it is, for everyone alike.
    for source in sources:
        source.read_bytes()


def measure(command: list) -> tuple:
    """Runs `command`: (wall s, CPU s, peak memory MB)."""
    wall, usage = run(command)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def backlog_once(binary: Path, folder: Path, sources: list) -> tuple:
    """Publishes `sources` into a new workspace in `folder`."""
    subprocess.run(
        [str(binary), "init", str(folder), "--base-url", "https://press.example.org/"],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    inbox = [folder / "inbox" / source.name for source in sources]
    for source, copy in zip(sources, inbox):
        shutil.copyfile(source, copy)
    start_alike(inbox)
    return measure([str(binary), "publish", "--config", str(folder / "pressroom.toml")])


def hugo_once(site: Path, out: Path) -> tuple:
    """Hugo builds `site` (the bench's, RSS limit 50) into `out`."""
    start_alike(sorted((site / "content" / "releases").glob("*.md")))
    return measure(
        ["hugo", "--quiet", "--config", "config-rss50.toml", "-d", str(out), "--source", str(site)]
    )


def compare_backlogs(binaries: list, runs: int, hugo: bool, scratch: Path) -> None:
    sources = sorted((scratch / "releases-10000").glob("*.md"))
    site = scratch / "hugo-site"
    if len(sources) != 10000 or (hugo and not (site / "config-rss50.toml").exists()):
        sys.exit(f"no releases (or Hugo site) in {scratch}: run the publish bench first")
    contestants = binaries + (["hugo"] if hugo else [])
    figures = {contestant: [] for contestant in contestants}
    folders = scratch / f"compare-backlog-{time.time_ns()}"
    folders.mkdir()
    try:
        for run in range(runs):
            for n, contestant in enumerate(contestants if run % 2 == 0 else reversed(contestants)):
                folder = folders / f"{run}-{n}"
                if contestant == "hugo":
                    figures[contestant].append(hugo_once(site, folder))
                else:
                    figures[contestant].append(backlog_once(contestant, folder, sources))
    finally:
        shutil.rmtree(folders, ignore_errors=True)
    medians = {
        contestant: [statistics.median(column) for column in zip(*runs)]
        for contestant, runs in figures.items()
    }
    for contestant, (wall, cpu, memory) in medians.items():
        line = f"{contestant}: wall {wall:.3f} s, CPU {cpu:.3f} s, peak {memory:.0f} MB"
        if hugo and contestant != "hugo":
            line += (
                f"; of Hugo's: wall {wall / medians['hugo'][0]:.2f},"
                f" CPU {cpu / medians['hugo'][1]:.2f}"
            )
        print(f"{line} (medians of {runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=16, help="runs of each build")
    parser.add_argument("--size", default="100000", help="the archive: 10000 or 100000")
    parser.add_argument("--backlog", action="store_true", help="publish 10,000 releases at once")
    parser.add_argument("--hugo", action="store_true", help="with --backlog: Hugo takes turns too")
    args = parser.parse_args()
    scratch = Path(tempfile.gettempdir()) / "pressroom-bench"
    if args.backlog:
        binaries = [binary.resolve() for binary in args.binaries]
        compare_backlogs(binaries, args.runs, args.hugo, scratch)
        return
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
