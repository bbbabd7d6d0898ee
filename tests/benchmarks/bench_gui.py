"""Is the window live while it learns? The real app, offscreen, measured as a user would feel it.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui.py [--seconds 4] [--closes 20]

For each tab of the registry: show it, open its training page (the page holding its Train
button, else its "training"/"loss" page), press Train (the tab's own RunControls button, found
by walking the tab's widgets), and while it trains:
- measure the event loop's lag with a 10 ms timer (p50 / p99 / max of how late each tick fires;
  the worst gap between two ticks is the worst stall);
- post the input a user makes (a slider step, a typed key, a stroke on a drawing canvas when the
  tab has one) and time how long until each is handled;
- count training steps a second from the reports' step numbers, then press Pause and Stop and
  time how long until each is honoured.
Then the same generator (captured from Runner.start) is driven headless in this process for as
long, and the ratio of the two speeds is the tab's `gui` speed. Then every tab trains at once
(Train pressed on each in turn, tabs switched every 1.5 s), and last the window is closed
mid-training in `--closes` separate processes, timing each quit from close() to the process's
exit. Prints a row per tab, the machine's load with each table, and last

    lag_p99_ms=… worst_stall_ms=… gui_speed_ratio=… all_lag_p99_ms=… all_worst_stall_ms=… quit_max_ms=…

(lag_p99_ms, worst_stall_ms: the worst tab training alone; gui_speed_ratio: the slowest tab).
`--runner MODE` picks the runner's GIL strategy (playground.runner.MODES) for the whole run.
Numbers on a shared machine are noisy: compare options within one run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui_probe import (  # noqa: E402  (after the path and platform are set)
    build_meters, click, load, make_probes, make_window, open_for_training, page_of, pct, pump, slow_count,
    slow_since, watch_stalls)


# -- the phases -----------------------------------------------------------------------------------
class Unsynced:
    """Stands for the model of a run that does not name one, so that `--runner process` can
    measure every tab in a child process; the trained weights do not come back (measuring only)."""

    def state_dict(self):
        return {}

    def load_state_dict(self, arrays):
        pass


def capture_generators(started: dict, force_process: bool):
    """Runner.start remembers each runner's make_generator, for the headless comparison."""
    from playground.runner import Runner

    import inspect

    original = Runner.start
    accepted = set(inspect.signature(original).parameters)

    def start(self, make_generator, *args, **kwargs):
        started[id(self)] = make_generator
        if force_process and kwargs.get("model") is None:
            kwargs["model"] = Unsynced()
        # an older runner (measuring "before") takes neither model= nor live=
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        return original(self, make_generator, *args, **kwargs)

    Runner.start = start


def headless_rate(make_generator, seconds: float) -> float:
    """Steps a second of the same generator driven by a plain loop (the CLI's way)."""
    gen = make_generator()
    try:
        t0, n, now = None, 0, 0.0
        for _ in gen:
            now = time.perf_counter()
            if t0 is None:  # the first step carries the set-up
                t0 = now
                continue
            n += 1
            if now - t0 >= seconds:
                break
        return n / (now - t0) if t0 is not None and now > t0 else float("nan")
    finally:
        gen.close()


def wait_idle(runners, seconds=60.0) -> float:
    t0 = time.perf_counter()
    pump(seconds, until=lambda: not any(r.is_busy() for r in runners))
    return (time.perf_counter() - t0) * 1000


def one_tab(window, name, args, meters, started) -> dict:
    lag, Steps, inputs = meters
    tab, rc, page = open_for_training(window, name, args.pages)
    n_slow = slow_count()
    inputs.use_canvas(tab)
    pump(0.5)  # let the page paint once
    steps = Steps()
    rc.runner.reported.connect(steps.on_reported)
    inputs.reset()
    t0 = time.perf_counter()
    press_ms = click(rc.start_button)
    drawing = inputs.canvas is not None and not inputs.canvas.isVisible()
    pump(args.seconds / 2 if drawing else args.seconds, until=lambda: not rc.runner.is_busy(), tick=inputs.tick)
    if drawing:  # the canvas is on another page: halfway, go there and draw while it trains
        canvas_page = page_of(tab, inputs.canvas)
        if canvas_page:
            tab.show_page(canvas_page)
            page += f"+{canvas_page}"
        pump(args.seconds / 2, until=lambda: not rc.runner.is_busy(), tick=inputs.tick)
    t_run = time.perf_counter()
    ended = not rc.runner.is_busy()
    pause_ms = stop_ms = float("nan")
    if not ended:
        n = len(steps.seen)
        t_pause = time.perf_counter()
        click(rc.pause_button)
        pump(0.6, tick=inputs.tick)
        late = [t for t, _ in steps.seen[n:]]
        pause_ms = (max(late) - t_pause) * 1000 if late else 0.0
        t_stop = time.perf_counter()
        click(rc.stop_button)
        wait_idle([rc.runner])
        stop_ms = (time.perf_counter() - t_stop) * 1000
    inputs.finish()
    t1 = time.perf_counter()
    rc.runner.reported.disconnect(steps.on_reported)
    gui = steps.rate(t0, t_run)
    make = started.get(id(rc.runner))
    head = headless_rate(make, args.seconds) if make is not None and not args.no_headless else float("nan")
    s = lag.stats(t0, t1)
    return {"tab": name, "page": page, "p50": s["p50"], "p99": s["p99"], "stall": s["stall"],
            "press": press_ms, "in50": pct(inputs.latency, 50), "inmax": max(inputs.latency, default=float("nan")),
            "gui": gui, "head": head, "ratio": gui / head if head == head and head else float("nan"),
            "pause": pause_ms, "stop": stop_ms, "ended": ended, "error": window.last_error,
            "slow": slow_since(n_slow)}


def all_tabs(window, names, args, meters) -> dict:
    lag, Steps, inputs = meters
    opened = [open_for_training(window, name, args.pages) for name in names]
    pump(0.5)
    counters = []
    for tab, rc, _ in opened:
        c = Steps()
        rc.runner.reported.connect(c.on_reported)
        counters.append(c)
    inputs.reset()
    t0 = time.perf_counter()
    press = []
    for tab, rc, page in opened:  # press Train on each tab in turn, as a user would
        window.tabs.setCurrentWidget(tab)
        tab.show_page(page)
        pump(0.2)
        press.append(click(rc.start_button))
        pump(0.3, tick=inputs.tick)
        if args.verbose:
            print(f"  {time.perf_counter() - t0:.1f} s: {tab.name} training", flush=True)
    t_all = time.perf_counter()
    end, switch, turn, switches = t_all + args.seconds, t_all, 0, []

    def tick():
        nonlocal switch, turn
        inputs.tick()
        if time.perf_counter() >= switch + 1.5:
            turn += 1
            tab = opened[turn % len(opened)][0]
            ts = time.perf_counter()
            window.tabs.setCurrentWidget(tab)
            switches.append((time.perf_counter() - ts) * 1000)
            switch = time.perf_counter()

    pump(end - time.perf_counter(), tick=tick)
    t_run = time.perf_counter()
    t_stop = time.perf_counter()
    for tab, rc, _ in opened:
        if rc.runner.is_busy():
            click(rc.stop_button)
    wait_idle([rc.runner for _, rc, _ in opened])
    stop_ms = (time.perf_counter() - t_stop) * 1000
    inputs.finish()
    t1 = time.perf_counter()
    s = lag.stats(t0, t1)
    rates = {tab.name: c.rate(t_all, t_run) for (tab, _, _), c in zip(opened, counters)}
    return {"p50": s["p50"], "p99": s["p99"], "stall": s["stall"], "press": max(press),
            "in50": pct(inputs.latency, 50), "inmax": max(inputs.latency, default=float("nan")),
            "switch": max(switches, default=float("nan")), "stop": stop_ms, "rates": rates}


def close_child(args) -> int:
    """In a process of its own: press Train on the tabs, then close the window mid-training."""
    from PySide6.QtCore import QTimer

    app, window = make_window()
    app.aboutToQuit.connect(window.shutdown)  # as playground.app.run_gui does

    def go():
        for name in args.close_child.split(","):
            _, rc, _ = open_for_training(window, name, args.pages)
            click(rc.start_button)
        pump(1.0)
        print(f"closing {time.monotonic():.6f}", flush=True)
        window.close()

    QTimer.singleShot(0, go)
    app.exec()
    return 0


def closes(args, names) -> list[float]:
    """Quit times (ms from close() to the process's exit) of `args.closes` fresh processes."""
    times = []
    cmd = [sys.executable, __file__, "--close-child", ",".join(names), "--runner", args.runner or ""]
    for name, page in args.pages.items():
        cmd += ["--page", f"{name}={page}"]
    for i in range(args.closes):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        closing = None
        for line in proc.stdout:
            if line.startswith("closing "):
                closing = float(line.split()[1])
                break
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        done = time.monotonic()
        err = proc.stderr.read()
        if closing is None or proc.returncode != 0:
            print(f"  close {i + 1}: failed (exit {proc.returncode}) {err.strip()[-300:]}", flush=True)
            times.append(float("inf"))
            continue
        times.append((done - closing) * 1000)
        print(f"  close {i + 1}: quit in {times[-1]:.0f} ms", flush=True)
    return times


def compare(args, argv) -> int:
    """Each config of --compare in a fresh process, `--rounds` times alternating; then a table of
    their final lines, so options are compared under the same (drifting) load."""
    import re
    import shlex

    configs = [c.strip() for c in args.compare.split(";") if c.strip()]
    base, skip_next = [], False
    for i, a in enumerate(argv):  # our own arguments, without --compare/--rounds
        if skip_next:
            skip_next = False
            continue
        if a in ("--compare", "--rounds"):
            skip_next = True
            continue
        if a.startswith(("--compare=", "--rounds=")):
            continue
        base.append(a)
    results = {c: [] for c in configs}
    for r in range(args.rounds):
        for c in configs:
            print(f"== round {r + 1}: {c}  ({load()})", flush=True)
            out = subprocess.run([sys.executable, __file__, *base, *shlex.split(c)], capture_output=True,
                                 text=True).stdout
            print(out.rstrip(), flush=True)
            last = out.strip().splitlines()[-1] if out.strip() else ""
            results[c].append(dict(re.findall(r"(\w+)=([^\s]+)", last)))
    keys = sorted({k for rs in results.values() for r in rs for k in r}, key=lambda k: (
        ["lag_p99_ms", "worst_stall_ms", "gui_speed_ratio", "all_lag_p99_ms", "all_worst_stall_ms",
         "quit_max_ms"] + [k]).index(k))
    print("\ncompared (median of rounds)  " + load())
    print(f"{'config':40} " + " ".join(f"{k:>18}" for k in keys))
    for c, rs in results.items():
        cells = []
        for k in keys:
            vals = [float(r[k]) for r in rs if k in r and r[k] != "-"]
            cells.append(f"{statistics.median(vals):18.2f}" if vals else f"{'-':>18}")
        print(f"{c[:40]:40} " + " ".join(cells))
    return 0


def fmt(x, spec=".0f"):
    return "-" if x != x else format(x, spec)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tabs", default=None, help="comma-separated tabs (default: every tab of the registry)")
    p.add_argument("--seconds", type=float, default=4.0, help="training time per measurement")
    p.add_argument("--closes", type=int, default=20, help="closes mid-training, each a fresh process")
    p.add_argument("--page", action="append", default=[], metavar="TAB=PAGE",
                   help="show this page while TAB trains (e.g. names=health)")
    p.add_argument("--runner", default=None, help="the runner's GIL strategy (playground.runner.MODES)")
    p.add_argument("--switch-ms", type=float, default=0,
                   help="fix sys.setswitchinterval (ms) for the run; tabs may not change it")
    p.add_argument("--compare", default=None, metavar="CONFIG;CONFIG",
                   help="run the one-tab and all-tab phases once per config in fresh processes, "
                   "alternating for --rounds, and tabulate; a config is bench_gui options, e.g. "
                   "'--runner thread;--runner yield;--runner thread --switch-ms 1;--runner process'")
    p.add_argument("--rounds", type=int, default=1, help="with --compare: rounds of every config")
    p.add_argument("--skip", default="", help="comma-separated phases to skip: one,all,close")
    p.add_argument("--stall-dump", type=float, default=0, metavar="S",
                   help="print every thread's stack when the event loop stalls for S seconds")
    p.add_argument("--verbose", action="store_true", help="say when each phase starts")
    p.add_argument("--no-headless", action="store_true", help="skip the headless comparison")
    p.add_argument("--close-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.pages = dict(x.split("=", 1) for x in args.page)
    if args.runner:
        os.environ["PLAYGROUND_RUNNER"] = args.runner
    if args.close_child:
        return close_child(args)
    if args.compare:
        return compare(args, argv if argv is not None else sys.argv[1:])

    from playground import registry
    names = args.tabs.split(",") if args.tabs else list(registry.names())
    skip = set(filter(None, args.skip.split(",")))
    started: dict = {}
    capture_generators(started, args.runner == "process")
    if args.switch_ms:  # one switch interval for the whole run: tabs may not change it
        sys.setswitchinterval(args.switch_ms / 1000)
        sys.setswitchinterval = lambda seconds: None
    app, window = make_window()
    from playground import runner as runner_module
    mode = getattr(runner_module, "mode", lambda: "thread")()
    Lag, Steps, Inputs = build_meters()
    lag = Lag()
    if args.stall_dump:
        watch_stalls(lag, args.stall_dump)
    inputs = Inputs(*make_probes(window))
    meters = (lag, Steps, inputs)
    print(f"bench_gui: runner {mode}, {args.seconds:g} s a run, {load()}", flush=True)
    rows = []
    if "one" not in skip:
        head = (f"{'tab':10} {'page':10} {'p50':>5} {'p99':>5} {'stall':>6} {'press':>6} {'in50':>5} "
                f"{'inmax':>6} {'steps/s':>8} {'headless':>8} {'ratio':>5} {'pause':>6} {'stop':>6}")
        print("one tab training (ms; steps a second)\n" + head, flush=True)
        for name in names:
            r = one_tab(window, name, args, meters, started)
            rows.append(r)
            print(f"{r['tab']:10} {r['page'][:10]:10} {fmt(r['p50'], '.1f'):>5} {fmt(r['p99']):>5} "
                  f"{fmt(r['stall']):>6} {fmt(r['press']):>6} {fmt(r['in50']):>5} {fmt(r['inmax']):>6} "
                  f"{fmt(r['gui'], '.1f'):>8} {fmt(r['head'], '.1f'):>8} {fmt(r['ratio'], '.2f'):>5} "
                  f"{fmt(r['pause']):>6} {fmt(r['stop']):>6}"
                  + (" (run ended by itself)" if r["ended"] else "")
                  + (f" error: {r['error']}" if r["error"] else ""), flush=True)
            for line in r["slow"]:
                print("    " + line.replace("\n", "\n    "), flush=True)
        print(f"  {load()}", flush=True)
    every = None
    if "all" not in skip and len(names) > 1:
        every = all_tabs(window, names, args, meters)
        print(f"all tabs at once: lag p50 {fmt(every['p50'], '.1f')} p99 {fmt(every['p99'])} worst stall "
              f"{fmt(every['stall'])} ms; slowest Train press {fmt(every['press'])} ms; input p50 "
              f"{fmt(every['in50'])} max {fmt(every['inmax'])} ms; tab switch max {fmt(every['switch'])} ms; "
              f"stop all {fmt(every['stop'])} ms", flush=True)
        print("  steps/s: " + ", ".join(f"{k} {fmt(v, '.1f')}" for k, v in every["rates"].items())
              + f"  ({load()})", flush=True)
    window.shutdown()
    window.close()
    quits = []
    if "close" not in skip and args.closes > 0:
        print(f"closing the window mid-training ({','.join(names)} training), {args.closes} processes:", flush=True)
        quits = closes(args, names)
        ok = sum(q <= 2000 for q in quits)
        print(f"  quit median {fmt(statistics.median(quits))} ms, max {fmt(max(quits))} ms, "
              f"{ok}/{len(quits)} within 2 s  ({load()})", flush=True)
    worst = lambda key: max((r[key] for r in rows if r[key] == r[key]), default=float("nan"))
    ratio = min((r["ratio"] for r in rows if r["ratio"] == r["ratio"]), default=float("nan"))
    line = f"lag_p99_ms={fmt(worst('p99'), '.1f')} worst_stall_ms={fmt(worst('stall'))} gui_speed_ratio={fmt(ratio, '.2f')}"
    if every is not None:
        line += f" all_lag_p99_ms={fmt(every['p99'], '.1f')} all_worst_stall_ms={fmt(every['stall'])}"
    if quits:
        line += f" quit_max_ms={fmt(max(quits))}"
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
