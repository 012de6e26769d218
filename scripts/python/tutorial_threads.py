#!/usr/bin/env python3
"""The tutorial's own code, run by hand, to cross-check concbench's CPython figures.

It is the classic threads-vs-processes tutorial: calc_square and calc_cube over [2, 3, 8, 9],
one thread (or process) each, appending to a global `result`. The unit of work is either the
tutorial's sleep or a CPU burn calibrated to the same milliseconds as concbench's default
(25 ms per number). Each arm is timed with time.perf_counter() around the tutorial's calls,
repeated, and the median speedup printed.

    python3 scripts/python/tutorial_threads.py            # 9 repetitions, 25 ms units
    python3 scripts/python/tutorial_threads.py 15 25      # repetitions, ms per unit
"""

import multiprocessing
import statistics
import sys
import threading
import time

# The CPU kernel concbench's CPython strategies run (the script beside this one), imported
# without leaving a __pycache__ folder in the checkout.
sys.dont_write_bytecode = True
from concbench_workload import burn  # noqa: E402

ITERS = 0  # CPU iterations per unit, calibrated below
SLEEP = 0.025
CPU = True
result = []


def unit():
    if CPU:
        burn(ITERS)
    else:
        time.sleep(SLEEP)


# --- the tutorial, as written (with `unit()` where it sleeps) ---
def calc_square(numbers):
    for n in numbers:
        unit()
        result.append(n * n)


def calc_cube(numbers):
    for n in numbers:
        unit()
        result.append(n * n * n)


arr = [2, 3, 8, 9]


def sequential():
    calc_square(arr)
    calc_cube(arr)


def side_by_side(kind):
    """The tutorial's two workers of `kind` (Thread or Process): squares in one, cubes in the
    other, both started, then both joined."""
    workers = [kind(target=calc_square, args=(arr,)), kind(target=calc_cube, args=(arr,))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def with_threads():
    side_by_side(threading.Thread)


def with_processes():
    side_by_side(multiprocessing.Process)


def timed(fn):
    global result
    result = []
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def calibrate(ms):
    probe = 2000
    while True:
        t = time.perf_counter()
        burn(probe)
        if time.perf_counter() - t >= 0.005:
            break
        probe *= 2
    probe *= 4
    best = min(timed_burn(probe) for _ in range(5))
    return max(1, round(probe / (best * 1000.0) * ms))


def timed_burn(n):
    t = time.perf_counter()
    burn(n)
    return time.perf_counter() - t


def main():
    global ITERS, CPU, SLEEP
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    ms = float(sys.argv[2]) if len(sys.argv) > 2 else 25.0
    SLEEP = ms / 1000.0
    ITERS = calibrate(ms)
    print("Python %s, %d reps, %.0f ms per unit (%d kernel iterations)" % (
        sys.version.split()[0], reps, ms, ITERS))
    for cpu in (False, True):
        CPU = cpu
        arms = {"sequential": [], "threads": [], "processes": []}
        for _ in range(reps):  # interleaved, like concbench
            arms["sequential"].append(timed(sequential))
            arms["threads"].append(timed(with_threads))
            arms["processes"].append(timed(with_processes))
        seq = statistics.median(arms["sequential"])
        print("%s-bound: sequential %.1f ms" % ("CPU" if cpu else "sleep", seq * 1e3))
        for name in ("threads", "processes"):
            med = statistics.median(arms[name])
            print("  %-9s %.1f ms  speedup %.2fx" % (name, med * 1e3, seq / med))
    # The tutorial's last line: the processes' appends never reach the parent.
    global result
    result = []
    with_processes()
    print("result", result)


if __name__ == "__main__":
    main()
