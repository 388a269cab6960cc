#!/usr/bin/python3
"""The CPU time of the .NET runtime's tier-up thread in each running Attest.LogServer process.

The runtime compiles every method's optimized (tier-1) and instrumented versions on one background thread, named
".NET Tiered Com" in /proc; its CPU time is how much compiling full speed costs. Every 0.5 s this prints
"<pid> <seconds since the process was first seen> <CPU seconds of its tier-up threads so far>". With --nice N it also
sets each such thread's nice value to N once (a negative N needs root): an experiment on how fast full speed comes
when the compiler thread gets a larger share of the cores. See docs/PERFORMANCE.md, "Start-up". Stop it with Ctrl-C.
"""
import os
import sys
import time

THREAD = ".NET Tiered Com"


def main() -> None:
    nice = int(sys.argv[2]) if len(sys.argv) == 3 and sys.argv[1] == "--nice" else None
    if len(sys.argv) not in (1, 3) or (len(sys.argv) == 3 and nice is None):
        sys.exit("usage: tiering-thread.py [--nice N]")
    ticks = os.sysconf("SC_CLK_TCK")
    first_seen: dict[str, float] = {}
    cpu: dict[str, dict[str, float]] = {}  # per process, per thread: a thread that exits keeps its last figure
    reniced: set[tuple[str, str]] = set()
    while True:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"Attest.LogServer.dll" not in f.read():
                        continue
                first_seen.setdefault(pid, time.time())
                threads = cpu.setdefault(pid, {})
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/comm") as f:
                        if f.read().strip() != THREAD:
                            continue
                    with open(f"/proc/{pid}/task/{tid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    threads[tid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
                    if nice is not None and (pid, tid) not in reniced:
                        os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                        reniced.add((pid, tid))
                print(pid, f"{time.time() - first_seen[pid]:5.1f}", f"{sum(threads.values()):6.2f}", flush=True)
            except OSError:
                pass  # the process or thread ended between listing and reading
        time.sleep(0.5)


if __name__ == "__main__":
    main()
