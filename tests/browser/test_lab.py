"""JupyterLab in headless Chromium on the Faultline kernel: open a notebook, run all cells,
check the SVG outputs rendered, and save a screenshot (build/browser/NAME.png).

Runs a small fixture (exact outputs known) and two real notebooks: the welcome notebook and an
experiment notebook, as a learner would open them from notebooks/."""

import base64
import contextlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "plot.ipynb"
WIDGETS = pathlib.Path(__file__).parent / "fixtures" / "widgets.ipynb"
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


@contextlib.contextmanager
def running_lab(source: pathlib.Path, tmp_path: pathlib.Path):
    """JupyterLab serving a copy of the notebook `source` (on our kernel); yields
    (base url, token, notebook name, notebook)."""
    notebook = json.loads(source.read_text())
    notebook["metadata"]["kernelspec"]["name"] = KERNEL_NAME
    root = tmp_path / "notebooks"
    root.mkdir()
    (root / source.name).write_text(json.dumps(notebook))
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
    try:
        yield base, token, source.name, notebook
    finally:
        # Kernels outlive the browser tab: shut them down before the server.
        for kernel in api(base, token, "/api/kernels"):
            api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(params=[FIXTURE, NOTEBOOKS / "00-welcome.ipynb", NOTEBOOKS / "02-architectures.ipynb"],
                ids=lambda p: p.stem)
def lab(request, tmp_path):
    with running_lab(request.param, tmp_path) as served:
        yield served


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def run_all(page, base: str, token: str, name: str, notebook: dict):
    """Opens the notebook, runs every cell and waits until all have run; returns the kernel's
    status-bar item."""
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    cells = len(notebook["cells"])
    expect(page.locator(f"{PANEL} .jp-Notebook .jp-Cell")).to_have_count(cells, timeout=120_000)
    # The toolbar reads idle before a kernel exists; the status bar names the kernel.
    kernel_status = page.locator('.jp-StatusBar-TextItem[title^="Change kernel"]')
    expect(kernel_status).to_have_text("Rust (Faultline) | Idle", timeout=120_000)

    page.locator(".lm-MenuBar-item", has_text="Run").click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputArea-prompt")
    deadline = time.monotonic() + 600
    # textContent, not innerText: JupyterLab skips rendering cells scrolled out of view, and
    # their innerText reads empty although they ran.
    while not all(t.strip().startswith("[") and t.strip()[1:2].isdigit()
                  for t in prompts.all_text_contents()):
        assert time.monotonic() < deadline, prompts.all_text_contents()
        time.sleep(0.5)
    expect(kernel_status).to_have_text("Rust (Faultline) | Idle", timeout=120_000)
    return kernel_status


def test_run_all_renders_plots(lab):
    base, token, name, notebook = lab
    is_fixture = name == FIXTURE.name
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        run_all(page, base, token, name, notebook)
        panel = PANEL

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


def test_a_slider_and_a_player_redraw_their_figures(tmp_path):
    """Drags a real slider, presses play, clicks a toggle: each output must change; a reloaded
    page must get the live widgets back. Screenshots: build/browser/widgets-{before,after,
    reloaded}.png."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with running_lab(WIDGETS, tmp_path) as (base, token, name, notebook), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        run_all(page, base, token, name, notebook)
        figures = page.locator(f"{PANEL} .jp-OutputArea-output.jp-RenderedSVG img")
        expect(figures).to_have_count(2, timeout=30_000)
        slider = page.locator(f"{PANEL} .widget-hslider").first
        expect(slider).to_be_visible(timeout=30_000)
        readout = slider.locator(".widget-readout")
        expect(readout).to_have_text("0.2")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "widgets-before.png"), full_page=True)

        before = figures.nth(0).get_attribute("src")
        handle = slider.locator(".noUi-handle")
        track = slider.locator(".noUi-target").bounding_box()
        knob = handle.bounding_box()
        page.mouse.move(knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
        page.mouse.down()
        page.mouse.move(track["x"] + 0.8 * track["width"], knob["y"] + knob["height"] / 2,
                        steps=8)
        page.mouse.up()
        expect(readout).to_have_text("0.8", timeout=10_000)
        # Intermediate values may be drawn on the way; the last figure is the slider's.
        assert b"loss = 0.2" in svg_bytes(before)
        deadline = time.monotonic() + 30
        while b"loss = 0.8" not in svg_bytes(figures.nth(0).get_attribute("src")):
            assert time.monotonic() < deadline, "the figure did not follow the slider"
            time.sleep(0.2)

        first_step = figures.nth(1).get_attribute("src")
        page.locator(f"{PANEL} .widget-play button").first.click()
        deadline = time.monotonic() + 30
        while figures.nth(1).get_attribute("src") == first_step:
            assert time.monotonic() < deadline, "the player did not step"
            time.sleep(0.2)
        assert b"Step 1 of" not in svg_bytes(figures.nth(1).get_attribute("src"))
        page.screenshot(path=str(SCREENSHOTS / "widgets-after.png"), full_page=True)
        # Every other control renders, and one moves the text output below it.
        for control in (".widget-dropdown", ".widget-toggle-buttons", ".widget-checkbox",
                        ".widget-text"):
            expect(page.locator(f"{PANEL} {control}").first).to_be_visible(timeout=10_000)
        text = page.locator(f"{PANEL} .jp-OutputArea-output", has_text="order 1, mode S")
        expect(text).to_have_count(1)
        page.locator(f"{PANEL} .widget-toggle-buttons button", has_text="async").click()
        expect(page.locator(f"{PANEL} .jp-OutputArea-output",
                            has_text="order 1, mode A, faults true, seed 7")).to_have_count(1)
        for bad in ("panicked", "error[E", "Error displaying widget"):
            outputs = page.locator(f"{PANEL} .jp-OutputArea-output")
            assert outputs.filter(has_text=bad).count() == 0, f"an output says {bad}"

        # Saved and reloaded, the page gets its live widgets back from the kernel (the control
        # comm's request_states), with the value the slider was left at.
        page.locator(f"{PANEL} .widget-play button").nth(1).click()  # stop the player
        page.keyboard.press("Control+s")
        expect(page.locator(".jp-mod-dirty")).to_have_count(0, timeout=10_000)
        page.reload()
        slider = page.locator(f"{PANEL} .widget-hslider").first
        expect(slider).to_be_visible(timeout=60_000)
        expect(slider.locator(".widget-readout")).to_have_text("0.8")
        page.screenshot(path=str(SCREENSHOTS / "widgets-reloaded.png"), full_page=True)
        browser.close()


def svg_bytes(src: str) -> bytes:
    """The SVG inside an <img> data URL (base64 or percent-encoded)."""
    header, _, data = src.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(data)
    return urllib.parse.unquote(data).encode()
