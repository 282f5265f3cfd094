"""``python -m bench`` (``make bench``): every benchmark, results as JSON under bench/results/."""

from __future__ import annotations

import sys


def main() -> int:
    # Imported here, not at module level: the matching bench measures each case in a spawned
    # process, which re-imports this module, and must not inherit the intake bench's imports.
    from bench import intake_bench, matching_bench

    status = intake_bench.main([])
    print()
    return status or matching_bench.main([])


if __name__ == "__main__":
    sys.exit(main())
