"""``python -m bench`` (``make bench``): every benchmark, results as JSON under bench/results/."""

from __future__ import annotations

import sys


def main() -> int:
    # The matching bench reads each case's peak memory in a spawned process, whose ru_maxrss on
    # Linux starts from this process's size at the fork: so it runs first, before the intake
    # bench has loaded chalice, moto and the app into this process.
    from bench import matching_bench

    status = matching_bench.main([])
    print()
    from bench import intake_bench

    status = status or intake_bench.main([])
    print()
    from bench import meetings_bench

    status = status or meetings_bench.main([])
    print()
    from bench import sync_bench

    status = sync_bench.main([]) or status
    print()
    # Each figure comes from fresh subprocesses, so what this process has loaded does not count.
    # It packages the app first, so the unzipped size it prints is this tree's.
    from bench import coldstart_bench

    return coldstart_bench.main(["--build"]) or status


if __name__ == "__main__":
    sys.exit(main())
