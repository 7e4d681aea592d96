"""Draws bench/results/<date>.png from the JSON report: throughput (left) and latency (right), Tributary vs Kafka."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

src, dst = sys.argv[1], sys.argv[2]
report = json.load(open(src))
summary = report["summary"]

THROUGHPUT = [
    ("produce-1k-acks1/rdkafka:mbPerSec", "produce 1 KiB\nacks=1\nlibrdkafka"),
    ("produce-1k-acks1/java:mbPerSec", "produce 1 KiB\nacks=1\nJava"),
    ("produce-1k-acksall/rdkafka:mbPerSec", "produce 1 KiB\nacks=all\nlibrdkafka"),
    ("produce-1k-acksall/java:mbPerSec", "produce 1 KiB\nacks=all\nJava"),
    ("consume-1k/rdkafka:mbPerSec", "consume\nlibrdkafka"),
    ("consume-1k/java:fetchMbPerSec", "consume\nJava"),
]
LATENCY = [
    ("e2e-latency-20MBps/rdkafka:p50Ms", "e2e p50\n20 MiB/s"),
    ("e2e-latency-20MBps/rdkafka:p99Ms", "e2e p99\n20 MiB/s"),
    ("e2e-latency-20MBps/rdkafka:p999Ms", "e2e p99.9\n20 MiB/s"),
    ("e2e-latency-sync/java:p99Ms", "Java e2e p99\n1 in flight"),
]
COLORS = {"tributary": "#2a9d8f", "kafka": "#e76f51"}


def bars(ax, items, title, unit, log=False):
    width = 0.38
    for i, kind in enumerate(["tributary", "kafka"]):
        xs, ys, lo, hi = [], [], [], []
        for j, (key, _) in enumerate(items):
            s = summary.get(key, {}).get(kind)
            if not s:
                continue
            xs.append(j + (i - 0.5) * width)
            ys.append(s["median"])
            lo.append(s["median"] - s["min"])
            hi.append(s["max"] - s["median"])
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, color=COLORS[kind], label=kind.capitalize())
        for x, y in zip(xs, ys):
            ax.annotate(f"{y:.0f}" if y >= 10 else f"{y:.1f}", (x, y), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(items)))
    ax.set_xticklabels([label for _, label in items], fontsize=7)
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)


fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
bars(a1, THROUGHPUT, "Throughput (median, whiskers min–max; higher is better)", "MB/s")
disk = report.get("diskCeilingMbPerSec")
if disk:
    a1.axhline(disk, color="grey", ls="--", lw=1)
    a1.annotate(f"disk seq. write (fsync) {disk:.0f} MB/s", (0, disk), fontsize=7, color="grey", va="bottom")
bars(a2, LATENCY, "Latency (median of runs; lower is better)", "ms", log=True)
m = report["machine"]
fig.suptitle(
    f"Tributary {m['tributaryCommit']} (Node {m['node']}) vs Apache Kafka {m['kafka']} — {m['cores']} cores, "
    f"{report['date']}, {report['settings']['runs']} run(s)",
    fontsize=10,
)
fig.tight_layout()
fig.savefig(dst, dpi=110)
