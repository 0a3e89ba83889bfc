"""JupyterLab in headless Chromium on the Faultline kernel: open a notebook, run all cells,
check the SVG outputs rendered, and save a screenshot (build/browser/NAME.png).

Runs a small fixture (exact outputs known) and two real notebooks: the welcome notebook and an
experiment notebook, as a learner would open them from notebooks/."""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "plot.ipynb"
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = ROOT / "build" / "browser"
KERNEL_NAME = os.environ.get("FAULTLINE_KERNEL_NAME", "faultline")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}?token={token}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        return json.loads(body) if body else None


@pytest.fixture(params=[FIXTURE, NOTEBOOKS / "00-welcome.ipynb", NOTEBOOKS / "02-architectures.ipynb"],
                ids=lambda p: p.stem)
def lab(request, tmp_path):
    notebook = json.loads(request.param.read_text())
    notebook["metadata"]["kernelspec"]["name"] = KERNEL_NAME
    root = tmp_path / "notebooks"
    root.mkdir()
    (root / request.param.name).write_text(json.dumps(notebook))
    port, token = free_port(), uuid.uuid4().hex
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--allow-root",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            api(base, token, "/api/status")
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError((tmp_path / "lab.log").read_text()) from None
            time.sleep(0.5)
    yield base, token, request.param.name, notebook
    # Kernels outlive the browser tab: shut them down before the server.
    for kernel in api(base, token, "/api/kernels"):
        api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_run_all_renders_plots(lab):
    base, token, name, notebook = lab
    is_fixture = name == FIXTURE.name
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
        panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
        cells = len(notebook["cells"])
        expect(page.locator(f"{panel} .jp-Notebook .jp-Cell")).to_have_count(cells, timeout=120_000)
        # The toolbar reads idle before a kernel exists; the status bar names the kernel.
        kernel_status = page.locator('.jp-StatusBar-TextItem[title^="Change kernel"]')
        expect(kernel_status).to_have_text("Rust (Faultline) | Idle", timeout=120_000)

        page.locator(".lm-MenuBar-item", has_text="Run").click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        prompts = page.locator(f"{panel} .jp-CodeCell .jp-InputArea-prompt")
        deadline = time.monotonic() + 600
        while not all(t.strip().startswith("[") and t.strip()[1:2].isdigit()
                      for t in prompts.all_inner_texts()):
            assert time.monotonic() < deadline, prompts.all_inner_texts()
            time.sleep(0.5)
        expect(kernel_status).to_have_text("Rust (Faultline) | Idle", timeout=120_000)

        outputs = page.locator(f"{panel} .jp-OutputArea-output")
        svgs = page.locator(f"{panel} .jp-OutputArea-output.jp-RenderedSVG img")
        if is_fixture:
            expect(outputs.filter(has_text="hello from the Faultline kernel")).to_have_count(1)
            # The evcxr_display result and the live display line, both SVG.
            expect(svgs).to_have_count(2, timeout=30_000)
        else:
            expect(svgs.first).to_be_visible(timeout=30_000)
            for bad in ("panicked", "error[E", "PreludeLoadError"):
                assert outputs.filter(has_text=bad).count() == 0, f"{name}: an output says {bad}"
        for i in range(svgs.count()):
            assert svgs.nth(i).evaluate("img => img.naturalWidth") > 0, f"{name}: plot {i} is empty"
        if is_fixture:
            assert page.locator(f"{panel} [data-mime-type='application/vnd.jupyter.stderr']").count() == 0

        # Nothing covers the notebook: JupyterLab's news prompt is switched off for learners.
        assert page.get_by_text("get notified about official Jupyter news").count() == 0

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{pathlib.Path(name).stem}.png"), full_page=True)
        browser.close()
