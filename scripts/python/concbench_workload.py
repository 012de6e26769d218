#!/usr/bin/env python3
"""concbench's CPython reference workload: the tutorial's square and cube jobs run under
sequential code, threading.Thread, asyncio coroutines and multiprocessing.Process, with the same
jobs, variant and unit of work as concbench's Rust strategies.

concbench embeds this file, writes it to a temporary file and runs it as
`python3 -I -S <file> <mode>` (isolated, no site-packages: only the standard library is used).
It reads one JSON request line on stdin and answers with JSON lines on stdout. Modes:

  info             interpreter version, GIL status, switch interval, multiprocessing start methods
  calibrate        {"ms": M, "kernel": K} -> kernel units that take M ms on one core here
  dask-info        {"address": A or null} -> whether dask.distributed imports here, its versions,
                   and the workers of the scheduler at A
  run              {"strategy", "workers", "jobs", "unit", "dask_scheduler"} -> "ready" line; then, on a "go"
                   line, the results and the cost of the work, measured here (see below)
  demo-memory      the tutorial's `result []`: what children's and threads' appends do
  demo-isolation   one child aborts or leaks; one thread raises or leaks
  demo-thread-abort  one thread calls os.abort(): the whole interpreter dies (run it as a child)
  demo-subinterpreters  subinterpreters' appends to `result` (3.13+): the main one's stays empty

Parent watch: stdin stays open while concbench waits for the answer. If it closes before the
answer is written (concbench was killed), the script kills its whole process group, so no
interpreter or multiprocessing child outlives concbench.

What `run` times: only the work, as concbench times its Rust strategies: perf_counter() and
getrusage(RUSAGE_SELF) + getrusage(RUSAGE_CHILDREN) read just after "go" arrives and just after
the last worker is joined (so multiprocessing children, reaped by join(), are counted).
Starting and joining threads or processes is inside; interpreter start-up is outside (it
happens before "ready"), and so is starting a Pool (the `pool` strategy starts and warms it
before "ready" and reports that time separately). For the pool, whose workers are not reaped
while the clock runs, the workers' CPU comes from /proc/<pid>/stat (10 ms ticks).

Kernels: `bytecode` is the multiply-xorshift chain of concbench's Rust kernel, in pure Python:
it holds the GIL. `native` is hashlib.sha256().update() on a 64 KiB buffer: CPython releases the
GIL inside it for data over 2047 bytes (HASHLIB_GIL_MINSIZE), so threads can run it in parallel.

Start method: the processes and pool arms use the request's "start_method" (concbench's
--start-method), else the interpreter's own default (fork on Linux up to 3.13, forkserver from
3.14). What a method starts once per interpreter (a forkserver; spawn and forkserver's resource
tracker) is started before "ready", untimed like the interpreter's own start-up. A forkserver's
children are not the script's, so they report their own CPU. The
demonstrations keep fork where the platform has it: what they show (copies of `result`, a
child's abort) is about separate address spaces, the same under every method.

Every arm runs its Python work in started threads, never in a main thread (see
run_sequential): the sequential baseline in one, each multiprocessing child in one, asyncio's
event loop in one.

Work distribution, as in the tutorial but for N workers: worker w takes jobs w, w+N, w+2N, ...
(the tutorial gives all squares to one thread and all cubes to the other; with 8 equal jobs on
2 workers both give 4 jobs each). asyncio has no workers to deal jobs to: one coroutine per
job, at most N of them past a semaphore at once. Threads and coroutines append to one shared
list, the tutorial's `result`; processes append to their own copy of it (the parent's stays
empty) and send results back over a multiprocessing.Queue, the IPC that processes need.
"""

import json
import os
import resource
import signal
import sys
import threading
import time

# multiprocessing and platform are imported where they are needed: start-up time is not part
# of what is measured, but it is part of how long a whole comparison takes.

MASK = (1 << 64) - 1

# The tutorial's global list. Threads share it; every process has its own copy.
result = []


def burn(iters):
    """The CPU kernel, the same multiply-xorshift chain as concbench's Rust kernel."""
    x = 0x9E3779B97F4A7C15
    for i in range(iters):
        x = (x * 0x5851F42D4C957F2D + i) & MASK
        x ^= x >> 29
    return x


NATIVE_BUFFER = bytes(range(256)) * 256  # 64 KiB: far above HASHLIB_GIL_MINSIZE (2048)


def hash_updates(count):
    """The native kernel: `count` sha256 updates of 64 KiB. The GIL is released inside each."""
    import hashlib

    h = hashlib.sha256()
    for _ in range(count):
        h.update(NATIVE_BUFFER)
    return h.digest()[0]


KERNELS = {"bytecode": burn, "native": hash_updates}


def apply(task, n):
    return n * n if task == "square" else n * n * n


def hold_memory(size):
    """`--job-mb`: an anonymous mapping of exactly `size` bytes, every page written once so it
    is resident (as concbench's Rust jobs do), unmapped by the caller when the job is done."""
    import mmap

    held = mmap.mmap(-1, size)
    for offset in range(0, size, mmap.PAGESIZE):
        held[offset] = 1
    return held


def spend(unit):
    held = hold_memory(unit["job_bytes"]) if unit.get("job_bytes") else None
    try:
        if "sleep_s" in unit:
            time.sleep(unit["sleep_s"])
            return 0
        return KERNELS[unit.get("kernel", "bytecode")](unit["cpu_iters"])
    finally:
        if held is not None:
            held.close()


def run_job(job, unit):
    if "http" in unit:
        held = hold_memory(unit["job_bytes"]) if unit.get("job_bytes") else None
        try:
            return http_job(job, unit)
        finally:
            if held is not None:
                held.close()
    spend(unit)
    return apply(job[0], job[1])


def http_path(job, unit):
    """`/square/8?delay_ms=25`: the job and the server's delay (unit {"http": {"port",
    "delay_ms"}}), the same request concbench's Rust clients send."""
    return "/%s/%d?delay_ms=%s" % (job[0], job[1], repr(float(unit["http"]["delay_ms"])))


def http_answer(status, body, job):
    if status != 200:
        raise RuntimeError("http job %s: the server answered %s" % (job, status))
    return int(body.strip())


def http_job(job, unit):
    """The http variant's job with http.client: one connection per job (Connection: close, as
    every client of the variant), the result parsed from the body. A wrong answer raises or
    fails verification, like any wrong result."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", unit["http"]["port"])
    try:
        conn.request("GET", http_path(job, unit), headers={"Connection": "close"})
        response = conn.getresponse()
        return http_answer(response.status, response.read(), job)
    finally:
        conn.close()


async def http_job_async(job, unit):
    """The http variant's job for asyncio: asyncio.open_connection and a hand-written GET (one
    connection per job, Connection: close); the result parsed from the body."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", unit["http"]["port"])
    try:
        request = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (
            http_path(job, unit),
            unit["http"]["port"],
        )
        writer.write(request.encode("ascii"))
        await writer.drain()
        # The server closes after its answer: everything up to EOF is the response.
        response = await reader.read(-1)
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
    return http_answer(status, body, job)


def kernel_rate(kernel="bytecode"):
    """Kernel units per millisecond in this interpreter: probes of about 10 ms, the median of
    five (the fastest would be the least disturbed, but the median is what the trials will
    see). concbench takes the median of several interpreters' rates: each process runs at its
    own speed."""
    run = KERNELS[kernel]
    started = time.perf_counter()
    probe = 1 if kernel == "native" else 2000
    while True:
        t = time.perf_counter()
        run(probe)
        if time.perf_counter() - t >= 0.005 or probe > 1 << 40:
            break
        probe *= 2
    probe *= 2
    times = []
    for _ in range(5):
        t = time.perf_counter()
        run(probe)
        times.append(time.perf_counter() - t)
    times.sort()
    return probe / (times[len(times) // 2] * 1000.0), time.perf_counter() - started


def usage_now():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), s.ru_utime + c.ru_utime, s.ru_stime + c.ru_stime


def vm_rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def status_kib(field, pid="self"):
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pss_kib(pid):
    """PSS of a process (/proc/PID/smaps_rollup), or 0 once it is gone."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Peak memory of this interpreter and the children it starts, measured as concbench
    measures its own trials (docs/methodology.md, "Memory"): this process's growth exactly
    (VmHWM after a clear_refs reset, minus the resident size before), the children's PSS
    sampled every 5 ms from a thread. Use: start(), then children(pids) as they start, stop()."""

    def __init__(self):
        self.pids, self.peak, self.largest_child, self.running = [], 0, 0, False

    def start(self):
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
        self.rss0 = status_kib("VmRSS") or 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            own = (status_kib("VmRSS") or 0) - self.rss0
            children = [pss_kib(p) for p in list(self.pids)]
            self.largest_child = max([self.largest_child] + children)
            self.peak = max(self.peak, own + sum(children))
            time.sleep(0.005)

    def stop(self):
        """Stop sampling; returns (peak KiB, own growth KiB, largest child's PSS KiB)."""
        self.running = False
        self.thread.join()
        own = max(0, (status_kib("VmHWM") or 0) - self.rss0)
        return max(self.peak, own), own, self.largest_child


# --- threads ---------------------------------------------------------------------------------


def thread_worker(jobs, indices, unit):
    for i in indices:
        result.append((i, run_job(jobs[i], unit)))


def run_threads(jobs, unit, workers, _prepared=None):
    threads = [
        threading.Thread(target=thread_worker, args=(jobs, range(w, len(jobs), workers), unit))
        for w in range(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    values = dict(result)
    return [values[i] for i in range(len(jobs))], len(result), []


# --- processes -------------------------------------------------------------------------------


def process_jobs(jobs, indices, unit, queue):
    for i in indices:
        value = run_job(jobs[i], unit)
        result.append((i, value))  # this process's own copy of the list
        queue.put(("done", i, value))


def process_worker(jobs, indices, unit, queue, w):
    # In a started thread, like every other arm's Python work (see run_sequential).
    t = threading.Thread(target=process_jobs, args=(jobs, indices, unit, queue))
    t.start()
    t.join()
    # Its own CPU: a forkserver's child is reaped by the server, never by the script's join.
    own = resource.getrusage(resource.RUSAGE_SELF)
    queue.put(("bye", w, len(result), own.ru_utime, own.ru_stime))


def start_and_drain(procs, queue, timeout):
    """Start the children, collect their ("done", job, value) and ("bye", child, count, ...)
    messages, then join them. The queue is drained before joining: a child does not exit while
    its queue data is unflushed. Returns ({job: value}, [count per child], [bye per child])."""
    for p in procs:
        if p.pid is None:
            p.start()
    values, counts, byes = {}, [0] * len(procs), [None] * len(procs)
    while None in byes:
        msg = queue.get(timeout=timeout)
        if msg[0] == "done":
            values[msg[1]] = msg[2]
        else:
            counts[msg[1]] = msg[2]
            byes[msg[1]] = msg
    for p in procs:
        p.join()
    return values, counts, byes


def mp_context(method=None):
    """multiprocessing's context for `method` (None: the interpreter's default). An unknown or
    unavailable method raises ValueError."""
    import multiprocessing

    return multiprocessing.get_context(method)


def demo_context():
    """The demonstrations' context: fork where the platform has it, as they always used."""
    import multiprocessing

    return mp_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def start_method_context(req):
    """The processes and pool arms' context, ready: what a method starts once per interpreter,
    not per call, already running (spawn and forkserver's resource tracker, which their
    semaphores register with; the forkserver, up and serving). None and the reason when the
    interpreter lacks the method."""
    import multiprocessing

    try:
        ctx = mp_context(req.get("start_method"))
    except ValueError:
        return None, "start method '%s' is not available in this interpreter (it has: %s)" % (
            req.get("start_method"),
            ", ".join(multiprocessing.get_all_start_methods()),
        )
    if ctx.get_start_method() != "fork":
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    if ctx.get_start_method() == "forkserver" and not SERVER_WARM:
        # ensure_running() only launches the server: its own start-up (an interpreter that
        # imports this script) would land in the first call's clock. One child waits for it.
        child = ctx.Process(target=os.getpid)
        child.start()
        child.join()
        SERVER_WARM.append(True)
    return ctx, None


SERVER_WARM = []  # the forkserver has served a child: it is up


def run_processes(jobs, unit, workers, ctx):
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=process_worker, args=(jobs, range(w, len(jobs), workers), unit, queue, w)
        )
        for w in range(workers)
    ]
    values, child_appends, byes = start_and_drain(procs, queue, 600)
    bad = [p.exitcode for p in procs if p.exitcode != 0]
    if bad:
        raise RuntimeError("worker processes exited with %s" % bad)
    # A forkserver's children are not reaped by the script: their CPU, as they reported it.
    outside = [0.0, 0.0]
    if ctx.get_start_method() == "forkserver":
        outside = [sum(b[3] for b in byes), sum(b[4] for b in byes)]
    return [values[i] for i in range(len(jobs))], len(result), child_appends, outside


def sequential_worker(jobs, unit):
    for i, job in enumerate(jobs):
        result.append((i, run_job(job, unit)))


def run_sequential(jobs, unit, _workers, _prepared=None):
    # Every job in turn, in ONE thread started here rather than in the main thread: on the
    # machine this was developed on, CPython ran the same bytecode 2-6 % faster in a started
    # thread than in the main thread (scripts/python/main_thread_effect.py), which would show
    # up as a "speedup" of py-threads that has nothing to do with threads running in
    # parallel. So every arm runs its Python work in started threads: this one, py-threads'
    # workers, and one thread in each py-processes child; main threads only start and join.
    t = threading.Thread(target=sequential_worker, args=(jobs, unit))
    t.start()
    t.join()
    values = dict(result)
    return [values[i] for i in range(len(jobs))], len(result), []


# --- asyncio --------------------------------------------------------------------------------


def import_asyncio():
    """asyncio, imported before "ready" and for the asyncio arm only: the import takes 50-90 ms
    here, more than many trials, and is start-up, which no arm's clock holds (as interpreter
    start-up is not). The event loop itself is created inside the clock (see run_asyncio)."""
    global asyncio
    import asyncio


async def run_job_async(job, unit):
    """One job as a coroutine. A wait (a sleep, an HTTP request) is awaited, so the loop runs
    the other jobs meanwhile; `--job-mb` is held across the wait, as spend() holds it. CPU work
    runs inline, in the loop's own thread: it blocks the loop, and every other job with it,
    until it is done, which is what asyncio does with CPU work (docs/methodology.md)."""
    if "sleep_s" not in unit and "http" not in unit:
        return run_job(job, unit)  # spend() holds --job-mb for it
    held = hold_memory(unit["job_bytes"]) if unit.get("job_bytes") else None
    try:
        if "http" in unit:
            return await http_job_async(job, unit)
        await asyncio.sleep(unit["sleep_s"])
        return apply(job[0], job[1])
    finally:
        if held is not None:
            held.close()


async def gather_jobs(jobs, unit, workers):
    """One coroutine per job, all gathered; a semaphore lets at most `workers` of them past it
    at once. With jobs <= workers all run at once and there is no semaphore: it would admit
    every one anyway, and cost 5-25 % of the wall time of 30,000 short waits here. Every job
    appends to the tutorial's shared `result`, as py-threads' workers do."""
    gate = asyncio.Semaphore(workers) if len(jobs) > workers else None

    async def one(i, job):
        if gate is None:
            value = await run_job_async(job, unit)
        else:
            async with gate:
                value = await run_job_async(job, unit)
        result.append((i, value))
        return value

    return await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))


def run_asyncio(jobs, unit, workers, _prepared=None):
    # One event loop (asyncio.run: created, run, closed, all inside the clock, as py-threads'
    # thread starts are) in ONE started thread, not the main thread (see run_sequential).
    outcome = {}

    def loop_thread():
        try:
            outcome["values"] = asyncio.run(gather_jobs(jobs, unit, workers))
        except BaseException as e:  # raised again in the main thread, which reports it
            outcome["error"] = e

    t = threading.Thread(target=loop_thread)
    t.start()
    t.join()
    if "error" in outcome:
        raise outcome["error"]
    return list(outcome["values"]), len(result), []


# --- pool ------------------------------------------------------------------------------------


def pool_job(args):
    job, unit = args
    return run_job(job, unit)


def pool_warm(_):
    return os.getpid()


def start_pool(workers, ctx):
    """A Pool of `workers` processes, started and warmed (every worker has answered once), and
    the time that took."""
    t = time.perf_counter()
    pool = ctx.Pool(workers)
    seen = set()
    while len(seen) < workers:
        seen.update(pool.map(pool_warm, range(workers * 4), chunksize=1))
    return pool, time.perf_counter() - t


def proc_cpu_s(pids):
    """utime + stime of live processes, from /proc/<pid>/stat (clock ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def run_pool(jobs, unit, _workers, pool):
    # Pool.map with its own chunk rule (chunksize=None).
    values = pool.map(pool_job, [(job, unit) for job in jobs])
    return values, 0, []


# --- dask ------------------------------------------------------------------------------------


def import_dask():
    """dask.distributed, from this interpreter's site-packages: the script runs with -S (no
    site), which leaves a venv's packages out, so site is run here, for the dask arms only."""
    import site

    site.main()
    import dask
    import distributed

    return dask, distributed


def pool_map_chunksize(jobs, workers):
    """multiprocessing.Pool.map's chunk rule: divmod(jobs, 4 * workers), plus one for a rest."""
    chunk, extra = divmod(jobs, 4 * workers)
    return max(1, chunk + (1 if extra else 0))


def dask_chunk(args):
    """One Dask task: a chunk of jobs, run in turn on one worker."""
    jobs, unit = args
    return [run_job(job, unit) for job in jobs]


class DaskCluster:
    """The Client of a py-dask trial: on a LocalCluster of `workers` single-threaded worker
    processes started here, or on the scheduler at `address`. Started and warmed (every worker
    has run a task) before "ready"; closed after the clock."""

    def __init__(self, workers, address):
        dask, _ = import_dask()
        from dask.distributed import Client, LocalCluster

        # Dask's forkserver start method (with its preload of distributed): a worker forked
        # from an interpreter that has imported distributed once starts in ~40 ms, where
        # Dask's default, spawn, imports it anew in every worker (0.5-1 s of CPU on 2 cores for
        # each trial's cluster). Start-up is outside the clock either way; this keeps a sweep's
        # hundred clusters a round affordable.
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})

        started = time.perf_counter()
        self.cluster = None
        self.forkserver_cpu_s = proc_cpu_s(forkserver_pids())
        if address:
            self.client = Client(address, timeout="10s")
        else:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
            self.client.wait_for_workers(workers, timeout=60)
        # Every worker's pid (to read its CPU where it runs on this machine) and host.
        self.pids = self.client.run(os.getpid)
        self.startup_s = time.perf_counter() - started

    def local_pids(self):
        return [pid for addr, pid in self.pids.items() if is_local(addr)]

    def close(self, in_clock_cpu_s):
        """Close the client and a local cluster; return the CPU its processes used outside the
        clock (start-up, warm-up): the forkserver's children are reaped by it, never by this
        interpreter, so concbench's own accounts never see it."""
        unreaped = 0.0
        if self.cluster is not None:
            lifetime = proc_cpu_s(self.local_pids()) + proc_cpu_s(forkserver_pids())
            unreaped = max(0.0, lifetime - self.forkserver_cpu_s - in_clock_cpu_s)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return unreaped


def forkserver_pids():
    """multiprocessing's forkserver, once started (it stays for the interpreter's life)."""
    import multiprocessing.forkserver as fs

    pid = getattr(fs._forkserver, "_forkserver_pid", None)
    return [pid] if pid else []


def is_local(address):
    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def run_dask(jobs, unit, workers, prepared):
    """One task per chunk, with Pool.map's chunk rule: a task costs about a millisecond of
    scheduler round trip, so tiny jobs go in chunks as py-pool's do."""
    chunk = pool_map_chunksize(len(jobs), workers)
    pieces = [(jobs[i : i + chunk], unit) for i in range(0, len(jobs), chunk)]
    futures = prepared.client.map(dask_chunk, pieces, pure=False)
    parts = prepared.client.gather(futures)
    return [v for part in parts for v in part], 0, []


# --- subinterpreters -------------------------------------------------------------------------


def subinterpreter_boot(unit_json, send):
    """Run in each subinterpreter once, before "ready": the unit and the imports its jobs need
    (so no job pays for an import), and how results go back (`send(text)` puts a string on the
    cross-interpreter queue)."""
    global SUB_UNIT, SUB_SEND, http_job
    SUB_UNIT, SUB_SEND = json.loads(unit_json), send
    if "http" in SUB_UNIT:
        import socket  # noqa: F401

        # http.client imports datetime, and CPython 3.13.0 corrupts its heap when two
        # interpreters that imported _datetime are destroyed (free(): invalid pointer): the
        # same request goes over a plain socket here instead.
        http_job = http_job_socket
    if SUB_UNIT.get("job_bytes"):
        import mmap  # noqa: F401
    if SUB_UNIT.get("kernel") == "native":
        import hashlib  # noqa: F401


def http_job_socket(job, unit):
    """The http variant's job over a plain socket: the GET http_job_async sends (one connection
    per job, Connection: close), the answer read to EOF, the result parsed from the body."""
    import socket

    port = unit["http"]["port"]
    with socket.create_connection(("127.0.0.1", port)) as conn:
        request = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (
            http_path(job, unit),
            port,
        )
        conn.sendall(request.encode("ascii"))
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
    return http_answer(status, body, job)


def subinterpreter_work(share_json):
    """One subinterpreter's share of the jobs, in the subinterpreter: each result appended to
    ITS `result` (the main interpreter's never sees it: interpreters share no objects), then
    all of them sent back in one queue item, with the length of this interpreter's list."""
    out = []
    for i, job in json.loads(share_json):
        value = run_job(tuple(job), SUB_UNIT)
        result.append((i, value))
        out.append((i, str(value)))
    SUB_SEND(json.dumps([out, len(result)]))


# Run in a new subinterpreter's __main__: the script loaded as a module that is not __main__
# (so main() does not run), then booted. The first line binds `send` (see the two APIs below).
SUBINTERPRETER_BOOT = """
import marshal, types
w = types.ModuleType("concbench_workload")
w.__file__ = path
exec(marshal.loads(script_code), w.__dict__)
w.subinterpreter_boot(unit_json, send)
"""

SCRIPT_CODE = []  # the script compiled once per interpreter process, as marshal bytes


def script_code():
    """This script's code object as bytes (shareable between interpreters): compiled once,
    loaded by every subinterpreter, instead of each compiling the source again."""
    if not SCRIPT_CODE:
        import marshal

        path = os.path.abspath(__file__)
        with open(path) as f:
            SCRIPT_CODE.append(marshal.dumps(compile(f.read(), path, "exec")))
    return SCRIPT_CODE[0]


class LowLevelInterpreters:
    """CPython 3.13's _interpreters and _interpqueues (what test.support.interpreters wraps):
    an 'isolated' interpreter has a GIL of its own (gil='own')."""

    def __init__(self):
        import _interpqueues
        import _interpreters

        self.interpreters, self.queues = _interpreters, _interpqueues
        # maxsize 0 (unbounded), format 0 (shareable objects as they are: str), unbound
        # items of a destroyed interpreter removed (1): every item is read before that.
        self.qid = _interpqueues.create(0, 0, 1)

    def create(self, **boot):
        handle = self.interpreters.create("isolated")
        send = "import _interpqueues\nsend = lambda text: _interpqueues.put(qid, text, 0, 1)\n"
        self.run(handle, send + SUBINTERPRETER_BOOT, qid=self.qid, **boot)
        return handle

    def run(self, handle, code, **shared):
        failure = self.interpreters.exec(handle, code, shared)
        if failure is not None:
            raise RuntimeError("in a subinterpreter: %s" % failure.formatted)

    def receive(self):
        return self.queues.get(self.qid)[0]

    def close(self, handles):
        for handle in handles:
            self.interpreters.destroy(handle)
        self.queues.destroy(self.qid)


class PublicInterpreters:
    """3.14's concurrent.interpreters (PEP 734). Untested here: no 3.14 on the development
    machine; written from the PEP (create(), prepare_main(), exec() raising ExecutionFailed,
    create_queue() whose queues are shareable, close())."""

    def __init__(self):
        from concurrent import interpreters

        self.interpreters = interpreters
        self.queue = interpreters.create_queue()

    def create(self, **boot):
        handle = self.interpreters.create()
        self.run(handle, "send = queue.put\n" + SUBINTERPRETER_BOOT, queue=self.queue, **boot)
        return handle

    def run(self, handle, code, **shared):
        handle.prepare_main(**shared)
        handle.exec(code)

    def receive(self):
        return self.queue.get()

    def close(self, handles):
        for handle in handles:
            handle.close()


class Subinterpreters:
    """The subinterpreters of a py-interpreters trial, one per worker, each with its own GIL:
    created and booted (the script loaded, the unit's imports done) before "ready"; destroyed
    after the clock (terminate/join, as a Pool is)."""

    def __init__(self, workers, unit):
        started = time.perf_counter()
        low_level = subinterpreters_module() == "_interpreters"
        self.api = LowLevelInterpreters() if low_level else PublicInterpreters()
        boot = {
            "path": os.path.abspath(__file__),
            "script_code": script_code(),
            "unit_json": json.dumps(unit),
        }
        # Created and booted in parallel, one thread each (each has a GIL of its own): the
        # preparation of a trial, untimed, but a sweep makes thousands of them.
        self.handles, failures = [None] * workers, []

        def create(i):
            try:
                self.handles[i] = self.api.create(**boot)
            except BaseException as e:  # raised again below, once every thread is joined
                failures.append(e)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.handles = [h for h in self.handles if h is not None]
        if failures:
            self.terminate()
            raise failures[0]
        self.startup_s = time.perf_counter() - started

    def terminate(self):
        self.api.close(self.handles)
        self.handles = []

    def join(self):
        pass


def drive_subinterpreter(api, handle, share_json, failures):
    try:
        api.run(handle, "w.subinterpreter_work(share_json)", share_json=share_json)
    except BaseException as e:  # raised again in the main thread, which reports it
        failures.append(e)


def run_interpreters(jobs, _unit, workers, prepared):
    """N threads of the main interpreter, each driving one subinterpreter, so the N run at
    once, each under its own GIL. Jobs are dealt as py-threads and py-processes deal them
    (worker w takes w, w+N, ...: equal jobs, equal shares, and the same split on every arm);
    a share goes over as a JSON string, the subinterpreters' data being strings, ints and
    bytes, never objects. The shares are encoded inside the clock, as a Pool pickles its jobs.
    Results come back over the queue, one item per subinterpreter, read after every driver
    is joined."""
    api, failures = prepared.api, []
    threads = [
        threading.Thread(
            target=drive_subinterpreter,
            args=(api, handle, json.dumps([(i, jobs[i]) for i in range(w, len(jobs), workers)]), failures),
        )
        for w, handle in enumerate(prepared.handles)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    values, child_appends = {}, []
    for _ in threads:
        out, appended = json.loads(api.receive())
        values.update((i, int(v)) for i, v in out)
        child_appends.append(appended)
    # The main interpreter's `result` stays empty: nothing a subinterpreter appends reaches it.
    return [values[i] for i in range(len(jobs))], len(result), child_appends


STRATEGIES = {
    "sequential": run_sequential,
    "threads": run_threads,
    "asyncio": run_asyncio,
    "processes": run_processes,
    "pool": run_pool,
    "dask": run_dask,
    "interpreters": run_interpreters,
}


class StdinLines:
    """Lines of fd 0 read with os.read, never through sys.stdin: a thread blocked inside
    sys.stdin holds its buffer's lock, and a child forked meanwhile would deadlock closing it
    (multiprocessing closes stdin in every child it starts)."""

    def __init__(self):
        self.pending = b""

    def readline(self):
        # Chunks are joined once, at the newline: a request of 100,000 jobs is about 2 MB, and
        # joining (and searching) it chunk by chunk as it came took 0.2 s.
        parts = [self.pending]
        while b"\n" not in parts[-1]:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                line, self.pending = b"".join(parts), b""
                return line.decode() if line else None
            parts.append(chunk)
        line, self.pending = b"".join(parts).split(b"\n", 1)
        return line.decode() + "\n"


class ParentWatch:
    """Reads stdin after the first request and hands its lines to the main thread in order
    ("go", or the next request). The end of stdin while a request is being served means
    concbench is gone: the whole process group is killed. At the end of stdin between requests,
    the main thread is told to finish."""

    def __init__(self, lines):
        import queue

        self.messages = queue.Queue()
        self.busy = True
        self.lines = lines
        threading.Thread(target=self.watch, daemon=True).start()

    def watch(self):
        while True:
            line = self.lines.readline()
            if line is None:
                break
            self.messages.put(line.strip())
        if self.busy:
            if os.getpgrp() == os.getpid():
                # concbench made us a group of our own: it holds every child we started.
                os.killpg(os.getpgrp(), signal.SIGKILL)
            os._exit(1)  # run by hand, in someone else's group: leave the group alone
        self.messages.put(None)

    def next(self):
        """The next line, or None at the end of stdin."""
        return self.messages.get()


def serve_one(req, watch):
    """One trial: prepare (a pool started and warmed), "ready", wait for "go", the timed work,
    the answer."""
    global result
    jobs = [tuple(j) for j in req["jobs"]]
    name = req["strategy"]
    run = STRATEGIES[name]
    ready = {"ready": True, "pid": os.getpid()}
    if "http" in req["unit"]:
        # Imported before the clock (and before forking), not inside the first job.
        import http.client  # noqa: F401
    prepared, pool_pids, via_server = None, [], False
    if name in ("processes", "pool"):
        # processes get the context; the pool is started from it.
        prepared, why = start_method_context(req)
        if prepared is None:
            return {"ready": False, "error": why}
        ready["start_method"] = prepared.get_start_method()
    if name == "pool":
        via_server = prepared.get_start_method() == "forkserver"
        prepared, ready["pool_startup_s"] = start_pool(req["workers"], prepared)
        pool_pids = [p.pid for p in prepared._pool]
    if name == "asyncio":
        import_asyncio()
    if name == "interpreters":
        prepared = Subinterpreters(req["workers"], req["unit"])
        ready["pool_startup_s"] = prepared.startup_s
    if name == "dask":
        prepared = DaskCluster(req["workers"], req.get("dask_scheduler"))
        ready["pool_startup_s"] = prepared.startup_s
        pool_pids = prepared.local_pids()
    result = []  # the tutorial's global list starts empty for every trial
    emit(ready)
    if watch.next() != "go":
        raise SystemExit("expected go")
    c0 = proc_cpu_s(pool_pids)
    t0, u0, s0 = usage_now()
    values, parent_appends, child_appends, *served = run(
        jobs, req["unit"], req["workers"], prepared
    )
    t1, u1, s1 = usage_now()
    c1 = proc_cpu_s(pool_pids)
    # Not the script's children (a forkserver's): processes' CPU as they reported it.
    forked_user_s, forked_sys_s = served[0] if served else (0.0, 0.0)
    unreaped_cpu_s = 0.0
    if name == "dask":
        unreaped_cpu_s = prepared.close(c1 - c0)
    elif prepared is not None and name != "processes":
        prepared.terminate()
        prepared.join()
    _, u2, s2 = usage_now()
    outside_cpu_s = forked_user_s + forked_sys_s
    if name == "dask" or (name == "pool" and via_server):
        outside_cpu_s += c1 - c0
    return {
        "results": [str(v) for v in values],
        "wall_s": t1 - t0,
        "cpu_user_s": u1 - u0 + (c1 - c0) + forked_user_s,
        "cpu_sys_s": s1 - s0 + forked_sys_s,
        "parent_appends": parent_appends,
        "child_appends": child_appends,
        # The workers of an existing Dask scheduler are not this interpreter's children: their
        # CPU is the work's, never the interpreter's own.
        # Nor are a local cluster's (the forkserver's children): their CPU outside the clock
        # is reported apart, for concbench's count of other processes' use. Nor are the
        # processes or the pool's workers under a forkserver.
        "outside_cpu_s": outside_cpu_s,
        "unreaped_cpu_s": unreaped_cpu_s,
        # All CPU this interpreter and its reaped children used so far: concbench takes it out
        # of what it counts as other processes' use while this interpreter is still running.
        "process_cpu_s": u2 + s2,
        # Read after the work: an extension module imported on a free-threaded build can turn
        # the GIL back on, so the build alone does not say how the trial ran.
        "gil_enabled": sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None,
    }


def mode_run(req, watch):
    """Serve trials until stdin ends: concbench runs several arms (py-sequential, py-threads,
    ...) in one interpreter, one trial each, so that their comparison is not blurred by how fast
    this particular interpreter process happens to be; it starts a fresh one for every round."""
    while req is not None:
        watch.busy = True
        answer = serve_one(json.loads(req) if isinstance(req, str) else req, watch)
        watch.busy = False
        emit(answer)
        req = watch.next()
    stop_forkserver()
    return None


def stop_forkserver():
    """End and reap a forkserver the dask arms started: its reaped workers' CPU then reaches
    this interpreter's getrusage, and so concbench's, as a spawned worker's would."""
    fs = sys.modules.get("multiprocessing.forkserver")
    if fs is not None and forkserver_pids():
        fs._forkserver._stop()


# --- information and calibration -------------------------------------------------------------


def subinterpreters_module():
    """The module that creates interpreters with a GIL of their own: 3.14's public
    concurrent.interpreters (PEP 734), 3.13's low-level _interpreters, or None."""
    for name in ("concurrent.interpreters", "_interpreters"):
        try:
            __import__(name)
            return name
        except ImportError:
            pass
    return None


def mode_info(_req, _watch):
    import multiprocessing
    import platform

    import sysconfig

    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None
    return {
        "version": platform.python_version(),
        # Built with --disable-gil (PEP 703): whether the GIL is on is a run-time matter.
        "free_threaded_build": sysconfig.get_config_var("Py_GIL_DISABLED") == 1,
        "config_args": sysconfig.get_config_var("CONFIG_ARGS") or "",
        "subinterpreters": subinterpreters_module(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "gil_enabled": gil,
        "switch_interval_s": sys.getswitchinterval(),
        "default_start_method": multiprocessing.get_start_method(),
        # What the arms use without --start-method (concbench records the flag's instead).
        "start_method": mp_context().get_start_method(),
        "cpu_count": os.cpu_count(),
    }


def mode_dask_info(req, _watch):
    """Whether dask.distributed is importable here, its versions, and (with an address) what
    the scheduler there has: its workers, their hosts and versions. Errors are answered, not
    raised: concbench says them in one line."""
    try:
        dask, distributed = import_dask()
    except ImportError as e:
        return {"importable": False, "error": str(e)}
    info = {"importable": True, "dask": dask.__version__, "distributed": distributed.__version__}
    address = req.get("address")
    if not address:
        return info
    from dask.distributed import Client

    try:
        client = Client(address, timeout=req.get("timeout", "10s"))
    except Exception as e:  # OSError, TimeoutError, and whatever a bad address raises
        info["error"] = "%s: %s" % (type(e).__name__, e)
        return info
    try:
        workers = client.scheduler_info()["workers"]
        versions = client.get_versions(check=False)
        info["address"] = client.scheduler.address
        info["scheduler_versions"] = versions.get("scheduler", {}).get("packages", {})
        info["workers"] = [
            {"address": a, "host": w.get("host"), "nthreads": w.get("nthreads"), "local": is_local(a)}
            for a, w in sorted(workers.items())
        ]
        info["worker_versions"] = sorted(
            {str(v.get("packages", {}).get("distributed")) for v in versions.get("workers", {}).values()}
        )
    finally:
        client.close()
    return info


def mode_calibrate(req, _watch):
    kernel = req.get("kernel", "bytecode")
    rate, took = kernel_rate(kernel)
    return {
        "kernel": kernel,
        "iters_per_ms": rate,
        "iters": max(1, round(rate * req["ms"])),
        "target_ms": req["ms"],
        "took_s": took,
    }


# --- demonstrations --------------------------------------------------------------------------


# Every worker of the memory demonstration stays this long, so that its memory is sampled.
MEMORY_HOLD_S = 0.05


def memory_child(jobs, indices, queue, w):
    for i in indices:
        result.append(apply(*jobs[i]))
        queue.put(("done", i, result[-1]))
    time.sleep(MEMORY_HOLD_S)
    queue.put(("bye", w, len(result)))


def memory_thread(jobs, indices):
    for i in indices:
        result.append(apply(*jobs[i]))
    time.sleep(MEMORY_HOLD_S)


def mode_demo_memory(req, _watch):
    """The tutorial: children append to `result`, then the parent prints it: `result []`."""
    global result
    ctx = demo_context()
    jobs, workers = [tuple(j) for j in req["jobs"]], req["workers"]
    result = []
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=memory_child, args=(jobs, range(w, len(jobs), workers), queue, w)
        )
        for w in range(workers)
    ]
    memory = PeakMemory().start()
    for p in procs:
        p.start()
        memory.pids.append(p.pid)
    via_queue, child_lengths, _ = start_and_drain(procs, queue, 60)
    processes_peak = memory.stop()
    after_processes = list(result)
    result = []
    threads = [
        threading.Thread(target=memory_thread, args=(jobs, range(w, len(jobs), workers)))
        for w in range(workers)
    ]
    memory = PeakMemory().start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    threads_peak = memory.stop()
    return {
        "memory_kib": {"processes": processes_peak[0], "threads": threads_peak[0]},
        "processes": {
            "parent_result": [str(v) for v in after_processes],
            "child_lengths": child_lengths,
            "via_queue": [str(via_queue[i]) for i in sorted(via_queue)],
            "exitcodes": [p.exitcode for p in procs],
        },
        "threads": {"parent_result": [str(v) for v in result]},
    }


LEAKED = []


def isolation_child(jobs, indices, unit, queue, w, abort_index, leak_index, leak_mib):
    if w == abort_index:
        os.abort()
    if w == leak_index:
        LEAKED.append(b"\x01" * (leak_mib << 20))  # touched, so resident
        queue.put(("rss", w, vm_rss_kib()))
    for i in indices:
        queue.put(("done", i, run_job(jobs[i], unit)))
    queue.put(("bye", w, 0))


def failing_thread(jobs, indices, unit, out):
    raise ValueError("an error in one thread")


def leaking_thread(leak_mib):
    LEAKED.append(b"\x01" * (leak_mib << 20))


def mode_demo_isolation(req, _watch):
    ctx = demo_context()
    jobs, workers, unit = [tuple(j) for j in req["jobs"]], req["workers"], req["unit"]
    leak_mib = req["leak_mib"]
    rss_before = vm_rss_kib()
    # Processes: worker 1 aborts at once, worker 2 leaks, the others work; the parent's and the
    # children's peaks measured while they run.
    memory = PeakMemory().start()
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=isolation_child,
            args=(jobs, range(w, len(jobs), workers), unit, queue, w, 1, workers - 1, leak_mib),
        )
        for w in range(workers)
    ]
    for p in procs:
        p.start()
        memory.pids.append(p.pid)
    values, byes, child_rss = {}, set(), None
    deadline = time.monotonic() + 30
    while len(byes) < workers - 1 and time.monotonic() < deadline:
        try:
            msg = queue.get(timeout=1)
        except Exception:
            continue
        if msg[0] == "done":
            values[msg[1]] = msg[2]
        elif msg[0] == "rss":
            child_rss = msg[2]
        else:
            byes.add(msg[1])
    for p in procs:
        p.join(timeout=30)
    tree_peak, parent_growth, largest_child = memory.stop()
    rss_after_processes = vm_rss_kib()
    expected = [i for w in range(workers) if w != 1 for i in range(w, len(jobs), workers)]
    siblings_ok = sum(1 for i in expected if values.get(i) == apply(*jobs[i]))

    # Threads: one raises (the exception stays in its thread), one leaks (stays in the process).
    errors = []
    threading.excepthook = lambda args: errors.append(args.exc_type.__name__)
    out = {}

    def ok_thread(indices):
        for i in indices:
            out[i] = run_job(jobs[i], unit)

    threads = [
        threading.Thread(target=failing_thread, args=(jobs, [], unit, out))
        if w == 1
        else threading.Thread(target=ok_thread, args=(list(range(w, len(jobs), workers)),))
        for w in range(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    thread_siblings_ok = sum(1 for i in expected if out.get(i) == apply(*jobs[i]))
    rss_before_leak = vm_rss_kib()
    t = threading.Thread(target=leaking_thread, args=(leak_mib,))
    t.start()
    t.join()
    rss_after_leak = vm_rss_kib()
    return {
        "processes": {
            "exitcodes": [p.exitcode for p in procs],
            "sibling_results_ok": siblings_ok,
            "sibling_results_expected": len(expected),
            "leaker_rss_kib": child_rss,
            "tree_peak_kib": tree_peak,
            "largest_child_pss_kib": largest_child,
            "parent_peak_growth_kib": parent_growth,
            "parent_rss_before_kib": rss_before,
            "parent_rss_after_kib": rss_after_processes,
        },
        "threads": {
            "exceptions": errors,
            "sibling_results_ok": thread_siblings_ok,
            "sibling_results_expected": len(expected),
            "rss_before_leak_kib": rss_before_leak,
            "rss_after_leak_kib": rss_after_leak,
        },
    }


def mode_demo_thread_abort(req, _watch):
    """One thread calls os.abort() while the others work: nothing below is ever printed."""
    jobs, workers, unit = [tuple(j) for j in req["jobs"]], req["workers"], req["unit"]

    def worker(w):
        if w == 1:
            os.abort()
        for i in range(w, len(jobs), workers):
            result.append((i, run_job(jobs[i], unit)))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"results": len(result)}


def mode_demo_subinterpreters(req, _watch):
    """C4 for subinterpreters: each appends to ITS global `result`, the main interpreter's
    stays empty, and the results come back only over the cross-interpreter queue."""
    global result
    jobs, workers = [tuple(j) for j in req["jobs"]], req["workers"]
    result = []
    prepared = Subinterpreters(workers, {"sleep_s": 0.0})
    try:
        values, _, child_lengths = run_interpreters(jobs, {}, workers, prepared)
    finally:
        prepared.terminate()
    return {
        "module": subinterpreters_module(),
        "parent_result": [str(v) for v in result],
        "child_lengths": child_lengths,
        "via_queue": [str(v) for v in values],
    }


MODES = {
    "info": mode_info,
    "calibrate": mode_calibrate,
    "dask-info": mode_dask_info,
    "run": mode_run,
    "demo-memory": mode_demo_memory,
    "demo-isolation": mode_demo_isolation,
    "demo-thread-abort": mode_demo_thread_abort,
    "demo-subinterpreters": mode_demo_subinterpreters,
}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.stderr.write("usage: %s {%s}\n" % (sys.argv[0], "|".join(MODES)))
        return 2
    lines = StdinLines()
    line = lines.readline() or ""
    req = json.loads(line) if line.strip() else {}
    watch = ParentWatch(lines)
    out = MODES[sys.argv[1]](req, watch)
    watch.busy = False
    if out is not None:
        emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
