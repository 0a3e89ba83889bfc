"""Widgets driven exactly as JupyterLab's widget manager drives them: comm_open of the control
comm, `update`s from a moved control, `request_states`, comm_info and comm_close, all through
jupyter_client. A moved control must be echoed and redraw the figure from the closure already
loaded in evcxr's child — no rustc or cargo process may start."""

from __future__ import annotations

import pathlib
import tempfile
import time
import uuid

import pytest
from compilers import Compilers
from conftest import Kernel, outputs_of

CELL = """interact(
    (ui::slider("x", 0.0..=1.0, 0.25), ui::int_slider("n", 1..=5, 2), ui::checkbox("slow", false)),
    |(x, n, slow)| {
        if slow { std::thread::sleep(std::time::Duration::from_millis(300)); }
        if x > 0.9 { panic!("x = {x} is too big"); }
        if x == 0.0 { loop { std::hint::spin_loop(); } }
        format!("x = {x}, n = {n}")
    },
)"""


def send_comm(kernel, msg_type: str, content: dict) -> str:
    msg = kernel.kc.session.msg(msg_type, content)
    kernel.kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def update(kernel, comm_id: str, state: dict) -> str:
    data = {"method": "update", "state": state, "buffer_paths": []}
    return send_comm(kernel, "comm_msg", {"comm_id": comm_id, "data": data})


def until_idle(kernel, msg_id: str, timeout: float = 30) -> list[dict]:
    """The iopub messages (status excluded) caused by `msg_id`, up to its idle."""
    return kernel.outputs_until_idle(msg_id, timeout)


@pytest.fixture(scope="module")
def shown(kernel):
    """Runs the interactive cell once; returns its outputs and the models it opened."""
    reply, outputs = kernel.execute(CELL, timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]
    opens = outputs_of(outputs, "comm_open")
    models = {o["comm_id"]: o["data"]["state"] for o in opens}
    sliders = {s["description"]: cid for cid, s in models.items() if "description" in s}
    return {"outputs": outputs, "opens": opens, "models": models, "controls": sliders}


def figure_of(outputs: list[dict], display_id: str) -> list[str]:
    return [c["data"]["text/plain"] for c in outputs_of(outputs, "update_display_data")
            if c["transient"]["display_id"] == display_id]


def display_id_of(shown) -> str:
    figures = [c for c in outputs_of(shown["outputs"], "display_data")
               if c["transient"].get("display_id")]
    assert len(figures) == 1, figures
    return figures[0]["transient"]["display_id"]


def test_a_cell_opens_ipywidgets_8_models_and_shows_them_above_the_figure(shown):
    opens, models = shown["opens"], shown["models"]
    assert all(o["target_name"] == "jupyter.widget" for o in opens)
    names = sorted(s["_model_name"] for s in models.values())
    for expected in ("FloatSliderModel", "IntSliderModel", "CheckboxModel", "VBoxModel",
                     "LayoutModel", "SliderStyleModel"):
        assert expected in names, names
    for state in models.values():
        assert state["_model_module_version"] == "2.0.0"
        assert state["_model_module"].startswith("@jupyter-widgets/")
    opened = [m for m in shown["outputs"] if m["msg_type"] == "comm_open"]
    assert all(m["metadata"] == {"version": "2.1.0"} for m in opened)
    views = [c for c in outputs_of(shown["outputs"], "display_data")
             if "application/vnd.jupyter.widget-view+json" in c["data"]]
    assert len(views) == 1
    view = views[0]["data"]["application/vnd.jupyter.widget-view+json"]
    assert (view["version_major"], view["version_minor"]) == (2, 1)
    assert models[view["model_id"]]["_model_name"] == "VBoxModel"
    assert "x, n, slow" in views[0]["data"]["text/plain"]
    figures = [c for c in outputs_of(shown["outputs"], "display_data")
               if c["transient"].get("display_id")]
    assert [f["data"]["text/plain"] for f in figures] == ["x = 0.25, n = 2"]
    kinds = [m["msg_type"] for m in shown["outputs"]]
    assert kinds.index("display_data") > max(i for i, k in enumerate(kinds) if k == "comm_open")


def test_an_update_is_echoed_and_redraws_from_loaded_code(kernel, shown):
    slider = shown["controls"]["x"]
    display_id = display_id_of(shown)
    with Compilers(kernel.km.provisioner.process.pid) as compilers:
        for value in (0.5, 0.75):
            msg_id = update(kernel, slider, {"value": value})
            outputs = until_idle(kernel, msg_id)
            echoes = [c["data"] for c in outputs_of(outputs, "comm_msg")]
            assert echoes == [{"method": "echo_update", "state": {"value": value},
                               "buffer_paths": []}]
            assert figure_of(outputs, display_id) == [f"x = {value}, n = 2"]
        msg_id = update(kernel, shown["controls"]["n"], {"value": 4})
        assert figure_of(until_idle(kernel, msg_id), display_id) == ["x = 0.75, n = 4"]
    assert compilers.seen == set()


def test_the_control_comm_gives_a_reloaded_page_every_live_widget(kernel, shown):
    control = uuid.uuid4().hex
    open_id = send_comm(kernel, "comm_open", {
        "comm_id": control, "target_name": "jupyter.widget.control", "data": {}})
    assert outputs_of(until_idle(kernel, open_id), "comm_close") == []
    msg_id = send_comm(kernel, "comm_msg", {
        "comm_id": control, "data": {"method": "request_states"}})
    replies = outputs_of(until_idle(kernel, msg_id), "comm_msg")
    assert len(replies) == 1 and replies[0]["comm_id"] == control
    states = replies[0]["data"]["states"]
    assert replies[0]["data"]["method"] == "update_states"
    assert set(states) == set(shown["models"])
    assert replies[0]["data"]["buffer_paths"] == []
    n = states[shown["controls"]["n"]]
    assert (n["model_name"], n["model_module"], n["model_module_version"]) == (
        "IntSliderModel", "@jupyter-widgets/controls", "2.0.0")
    assert n["state"]["value"] == 4  # the update of the previous test


def test_comm_info_lists_live_comms_by_target(kernel, shown):
    widgets = kernel.kc.comm_info(target_name="jupyter.widget", reply=True)["content"]["comms"]
    assert set(shown["models"]) <= set(widgets)
    assert all(c["target_name"] == "jupyter.widget" for c in widgets.values())
    controls = kernel.kc.comm_info(target_name="jupyter.widget.control",
                                   reply=True)["content"]["comms"]
    assert controls and all(c["target_name"] == "jupyter.widget.control"
                            for c in controls.values())
    everything = kernel.kc.comm_info(reply=True)["content"]["comms"]
    assert set(everything) == set(widgets) | set(controls)
    closed = next(iter(controls))
    until_idle(kernel, send_comm(kernel, "comm_close", {"comm_id": closed, "data": {}}))
    after = kernel.kc.comm_info(reply=True)["content"]["comms"]
    assert closed not in after and set(widgets) <= set(after)


def test_a_panicking_closure_shows_its_error_and_the_controls_keep_working(kernel, shown):
    slider, display_id = shown["controls"]["x"], display_id_of(shown)
    shown_text = figure_of(until_idle(kernel, update(kernel, slider, {"value": 1.0})), display_id)
    assert len(shown_text) == 1 and "panicked" in shown_text[0]
    assert "x = 1 is too big" in shown_text[0]
    again = figure_of(until_idle(kernel, update(kernel, slider, {"value": 0.5})), display_id)
    assert again == ["x = 0.5, n = 4"]
    reply, outputs = kernel.execute("40 + 2")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"


def test_rapid_changes_coalesce_to_the_newest_value(kernel, shown):
    slider, display_id = shown["controls"]["x"], display_id_of(shown)
    until_idle(kernel, update(kernel, shown["controls"]["slow"], {"value": True}))
    values = [round(0.05 * i, 2) for i in range(1, 11)]
    started = time.monotonic()
    sent = [update(kernel, slider, {"value": v}) for v in values]
    redrawn, idle = [], set()
    deadline = time.monotonic() + 30
    while len(idle) < len(sent):
        msg = kernel.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        parent = msg["parent_header"].get("msg_id")
        if parent not in sent:
            continue
        if msg["msg_type"] == "update_display_data":
            redrawn.append(msg["content"]["data"]["text/plain"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle.add(parent)
    elapsed = time.monotonic() - started
    # Ten runs of 0.3 s would take 3 s; the newest value is always drawn last.
    assert redrawn[-1] == f"x = {values[-1]}, n = 4"
    assert len(redrawn) <= 3, redrawn
    assert elapsed < 2.0, elapsed
    until_idle(kernel, update(kernel, shown["controls"]["slow"], {"value": False}))


def test_interrupt_stops_a_runaway_closure_and_its_output_says_so(kernel, shown):
    """An interrupt while a closure runs stops it as it stops a cell: with evcxr's process. The
    pending update ends, the output says to run the cell again, and the kernel serves cells."""
    slider, display_id = shown["controls"]["x"], display_id_of(shown)
    msg_id = update(kernel, slider, {"value": 0.0})
    time.sleep(1.0)  # the closure now spins
    kernel.km.interrupt_kernel()
    shown_text = figure_of(until_idle(kernel, msg_id), display_id)
    assert len(shown_text) == 1 and "run the cell again" in shown_text[0]
    later = figure_of(until_idle(kernel, update(kernel, slider, {"value": 0.3})), display_id)
    assert later == shown_text
    reply, _ = kernel.execute("1 + 1")
    assert reply["content"]["ename"] == "ProcessCrashed"  # the lost variables are reported
    reply, outputs = kernel.execute("40 + 2")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"


def test_a_player_steps_through_a_run(kernel):
    """A trace's player: a Play button linked to a step slider; each step redraws the diagram
    with that step described in its title."""
    reply, outputs = kernel.execute(
        "Sim::new(Net::new()).node(|_| Server::new()).client(|_| RetryClient::new(2))\n"
        "    .run(1).trace().step_through()", timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]
    states = {o["comm_id"]: o["data"]["state"] for o in outputs_of(outputs, "comm_open")}
    by_model = {}
    for comm_id, state in states.items():
        by_model.setdefault(state["_model_name"], []).append(comm_id)
    assert len(by_model["PlayModel"]) == 1 and len(by_model["LinkModel"]) == 1
    link = states[by_model["LinkModel"][0]]
    play = by_model["PlayModel"][0]
    assert link["source"] == [f"IPY_MODEL_{play}", "value"]
    step_slider = link["target"][0].removeprefix("IPY_MODEL_")
    assert states[step_slider]["_model_name"] == "IntSliderModel"
    figure = next(c for c in outputs_of(outputs, "display_data") if c["transient"].get("display_id"))
    assert "Step 1 of" in figure["data"]["image/svg+xml"]
    msg_id = update(kernel, step_slider, {"value": 2})
    redrawn = [c for c in outputs_of(until_idle(kernel, msg_id), "update_display_data")]
    assert len(redrawn) == 1
    assert "Step 3 of" in redrawn[0]["data"]["image/svg+xml"]
    assert "step-mark" in redrawn[0]["data"]["image/svg+xml"]


def test_the_side_channel_is_private_and_removed_at_shutdown():
    sockets = lambda: set(pathlib.Path(tempfile.gettempdir()).glob("faultline-*/widgets.sock"))
    before = sockets()
    kernel = Kernel()
    try:
        new = sockets() - before
        assert len(new) == 1, new
        directory = new.pop().parent
        assert directory.stat().st_mode & 0o777 == 0o700
    finally:
        kernel.shutdown()
    assert not directory.exists()
