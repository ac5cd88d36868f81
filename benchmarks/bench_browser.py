"""Browser timings: how long an analyst waits, in Debian's Chromium (headless).

Usage: ``.venv/bin/python benchmarks/bench_browser.py --data-dir <store> [--runs 5]``.
Starts ``cityops serve`` on the store and measures, per run, navigation until
(a) the video page's clustered camera layer of 宿迁市 is drawn and (b) a drill
click on the overview (province → 南京市) until the districts are drawn.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CITYOPS_DATA_DIR": args.data_dir}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "cityops"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        cameras = requests.get(f"{base}/api/v1/kpis?scope=321300").json()["kpis"]["cameras_total"]
        video, drill = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for _ in range(args.runs):
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                t0 = time.perf_counter()
                page.goto(f"{base}/video?scope=321300")
                page.wait_for_selector(".cluster-icon", timeout=60_000)
                video.append((time.perf_counter() - t0) * 1000)
                page.goto(f"{base}/")
                page.wait_for_selector('path[data-area="320100"]')
                page.wait_for_timeout(300)
                t0 = time.perf_counter()
                page.locator('path[data-area="320100"]').click(force=True)
                page.wait_for_selector(
                    '.overview[data-scope="320100"] ~ *, .overview[data-scope="320100"]'
                )
                page.wait_for_selector('path[data-area="320102"]')
                drill.append((time.perf_counter() - t0) * 1000)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("| what | runs | p50 ms | max ms |\n|---|---|---|---|")
    print(
        f"| /video 宿迁市 ({cameras:,} cameras) until clusters drawn | {len(video)} | "
        f"{statistics.median(video):.0f} | {max(video):.0f} |"
    )
    print(
        f"| overview drill click 江苏省 → 南京市 until districts drawn | {len(drill)} | "
        f"{statistics.median(drill):.0f} | {max(drill):.0f} |"
    )


if __name__ == "__main__":
    main()
