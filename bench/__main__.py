"""``python -m bench`` (``make bench``): every benchmark, results as JSON under bench/results/."""

from __future__ import annotations

import sys

from bench import intake_bench, matching_bench


def main() -> int:
    status = intake_bench.main([])
    print()
    return status or matching_bench.main([])


if __name__ == "__main__":
    sys.exit(main())
