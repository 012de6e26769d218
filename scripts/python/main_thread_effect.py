#!/usr/bin/env python3
"""Does CPython run the same code at the same speed in the main thread and in a started thread?

Alternates the same CPU burn (the concbench kernel, 8 units) in the main thread and in one
threading.Thread, and prints the medians and the median of the paired ratios. On the 2-core
machine concbench was developed on, the started thread was 2-6 % faster, which is why
py-sequential runs its jobs in one started thread (see concbench_workload.py).

    python3 -I -S scripts/python/main_thread_effect.py [pairs]
"""

import os
import statistics
import sys
import threading
import time

# The concbench kernel, from the script beside this one (-I leaves its folder off sys.path),
# imported without leaving a __pycache__ folder in the checkout.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from concbench_workload import burn  # noqa: E402

N = 70000


def in_main():
    s = time.perf_counter()
    for _ in range(8):
        burn(N)
    return time.perf_counter() - s


def in_thread():
    s = time.perf_counter()
    t = threading.Thread(target=lambda: [burn(N) for _ in range(8)])
    t.start()
    t.join()
    return time.perf_counter() - s


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    a, b = [], []
    for _ in range(pairs):
        a.append(in_main())
        b.append(in_thread())
    print("Python %s, %d pairs" % (sys.version.split()[0], pairs))
    print("main thread    median %.1f ms" % (statistics.median(a) * 1e3))
    print("started thread median %.1f ms" % (statistics.median(b) * 1e3))
    print("main / started: ratio of medians %.3f, median of paired ratios %.3f" % (
        statistics.median(a) / statistics.median(b),
        statistics.median([x / y for x, y in zip(a, b)])))


if __name__ == "__main__":
    main()
