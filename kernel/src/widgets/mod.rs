//! Jupyter comms and the widget protocol (2.1, ipywidgets-8 models), and interactive outputs
//! whose closures run in evcxr's child process.
//!
//! This module decides *what* to send; the server builds, signs and publishes the messages
//! ([`Outgoing`]). Comms come from two sides: the front end opens the control comm
//! (`jupyter.widget.control`) and sends `update`s when a control moves; cell code opens widgets
//! through the side channel ([`host`]). A moved control is echoed (`echo_update`), its
//! parameters go to the child, and the child's new figure replaces the old one
//! (`update_display_data`). The child coalesces rapid changes: it answers only the newest
//! values, and every request it skipped is finished by that answer (its `idle`).

pub mod host;
pub mod models;

use crate::wire::Message;
use host::{HostEvent, Link};
use models::Binding;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The comm target of widget models.
const WIDGET_TARGET: &str = "jupyter.widget";
/// The comm target a front end opens to get every live widget back after a page reload.
const CONTROL_TARGET: &str = "jupyter.widget.control";
const VIEW_MIME: &str = "application/vnd.jupyter.widget-view+json";
/// Shown in place of the figure when its child process has gone.
const ENDED: &str = "These controls belonged to a process that has ended (an interrupt or a \
                     crash restarts it): run the cell again to use them.";

/// A message for the server to publish on iopub, as a child of `parent` (the request it answers).
pub struct Outgoing {
    pub parent: Message,
    pub msg_type: &'static str,
    pub content: Value,
    pub metadata: Value,
}

impl Outgoing {
    fn to(parent: &Message, msg_type: &'static str, content: Value) -> Outgoing {
        Outgoing {
            parent: parent.clone(),
            msg_type,
            content,
            metadata: json!({}),
        }
    }

    fn status(parent: &Message, state: &str) -> Outgoing {
        Outgoing::to(parent, "status", json!({ "execution_state": state }))
    }
}

struct Comm {
    target: String,
    /// A widget's full state (null for the control comm).
    state: Value,
    /// The interactive output a widget belongs to.
    host: Option<u64>,
}

/// One interactive output: its connection to the child, its figure, and its parameters.
struct Host {
    link: Link,
    alive: bool,
    display_id: String,
    bindings: Vec<Binding>,
    values: Map<String, Value>,
    /// Updates sent to the child and not answered yet: (sequence number, the comm_msg).
    pending: Vec<(u64, Message)>,
}

#[derive(Default)]
pub struct Widgets {
    comms: BTreeMap<String, Comm>,
    hosts: HashMap<u64, Host>,
    /// Connections that have not opened their controls yet.
    links: HashMap<u64, Link>,
    next_seq: u64,
}

impl Widgets {
    /// A `comm_open`, `comm_msg` or `comm_close` from the front end, framed by busy/idle (idle
    /// is deferred while the child works on an update).
    pub fn on_shell(&mut self, request: &Message) -> Vec<Outgoing> {
        let mut out = vec![Outgoing::status(request, "busy")];
        let comm_id = request.str_field("comm_id").to_owned();
        let finished = match request.msg_type() {
            "comm_open" => {
                self.open_from_front_end(request, &comm_id, &mut out);
                true
            }
            "comm_close" => {
                self.comms.remove(&comm_id);
                true
            }
            _ => self.message(request, &comm_id, &mut out),
        };
        if finished {
            out.push(Outgoing::status(request, "idle"));
        }
        out
    }

    /// Whether a child is running a closure for an update (an interrupt then stops it).
    pub fn busy(&self) -> bool {
        self.hosts.values().any(|h| !h.pending.is_empty())
    }

    /// `comm_info_reply` content: the live comms, only those of `target_name` if given.
    pub fn comm_info(&self, request: &Value) -> Value {
        let wanted = request["target_name"].as_str();
        let comms: Map<String, Value> = self
            .comms
            .iter()
            .filter(|(_, comm)| wanted.is_none_or(|t| t == comm.target))
            .map(|(id, comm)| (id.clone(), json!({ "target_name": comm.target })))
            .collect();
        json!({ "status": "ok", "comms": comms })
    }

    /// Something on the side channel. `cell` is the execute request running now, if any: the
    /// output a cell opens belongs to it.
    pub fn on_host(&mut self, event: HostEvent, cell: Option<&Message>) -> Vec<Outgoing> {
        match event {
            HostEvent::Connected(id, link) => {
                self.links.insert(id, link);
                Vec::new()
            }
            HostEvent::Line(id, line) => match line["op"].as_str() {
                Some("open") => self.open_from_cell(id, &line, cell),
                Some("show") => self.show(id, &line),
                _ => {
                    eprintln!("[faultline-kernel] unknown widget line: {line}");
                    Vec::new()
                }
            },
            HostEvent::Closed(id) => {
                self.links.remove(&id);
                self.end(id)
            }
        }
    }

    /// Only the control comm may be opened by the front end; the spec says to close any other
    /// at once.
    fn open_from_front_end(&mut self, request: &Message, comm_id: &str, out: &mut Vec<Outgoing>) {
        let target = request.str_field("target_name");
        if target == CONTROL_TARGET {
            let comm = Comm {
                target: target.to_owned(),
                state: Value::Null,
                host: None,
            };
            self.comms.insert(comm_id.to_owned(), comm);
        } else {
            let close = json!({ "comm_id": comm_id, "data": {} });
            out.push(Outgoing::to(request, "comm_close", close));
        }
    }

    /// A comm_msg; returns whether the request is finished (else the child's answer ends it).
    fn message(&mut self, request: &Message, comm_id: &str, out: &mut Vec<Outgoing>) -> bool {
        let Some(comm) = self.comms.get_mut(comm_id) else {
            return true;
        };
        let data = &request.content["data"];
        let reply = |content: Value| {
            let content = json!({ "comm_id": comm_id, "data": content });
            Outgoing::to(request, "comm_msg", content)
        };
        match data["method"].as_str() {
            Some("request_states") if comm.target == CONTROL_TARGET => {
                // Each model as ipywidgets sends it: its name and module beside its state.
                let states: Map<String, Value> = self
                    .comms
                    .iter()
                    .filter(|(_, c)| c.target == WIDGET_TARGET)
                    .map(|(id, c)| {
                        let model = json!({
                            "model_name": c.state["_model_name"],
                            "model_module": c.state["_model_module"],
                            "model_module_version": c.state["_model_module_version"],
                            "state": c.state,
                        });
                        (id.clone(), model)
                    })
                    .collect();
                out.push(reply(json!({
                    "method": "update_states", "states": states, "buffer_paths": [],
                })));
                true
            }
            Some("request_state") => {
                out.push(reply(json!({
                    "method": "update", "state": comm.state, "buffer_paths": [],
                })));
                true
            }
            Some("update") => {
                let Some(changed) = data["state"].as_object() else {
                    return true;
                };
                for (key, value) in changed {
                    comm.state[key] = value.clone();
                }
                out.push(reply(json!({
                    "method": "echo_update", "state": changed, "buffer_paths": [],
                })));
                let host = comm.host;
                host.is_none_or(|host| self.forward(host, comm_id, changed, request, out))
            }
            _ => true,
        }
    }

    /// Sends the output's new parameters to the child. Returns whether the request is finished
    /// (nothing to run, or the child is gone).
    fn forward(
        &mut self,
        host: u64,
        comm_id: &str,
        changed: &Map<String, Value>,
        request: &Message,
        out: &mut Vec<Outgoing>,
    ) -> bool {
        let Some(host) = self.hosts.get_mut(&host) else {
            return true;
        };
        let mut moved = false;
        for binding in host.bindings.iter().filter(|b| b.id == comm_id) {
            if let Some(value) = changed.get(binding.key) {
                moved |= host.values.get(&binding.name) != Some(value);
                host.values.insert(binding.name.clone(), value.clone());
            }
        }
        if !moved {
            return true;
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        let set = json!({ "op": "set", "seq": seq, "values": host.values });
        if host.alive && host.link.send(&set) {
            host.pending.push((seq, request.clone()));
            return false;
        }
        host.alive = false;
        out.push(ended_note(request, &host.display_id));
        true
    }

    /// Cell code opened an interactive output: open its models, show its controls and its first
    /// figure in the running cell, and tell the child it may serve.
    fn open_from_cell(&mut self, id: u64, line: &Value, cell: Option<&Message>) -> Vec<Outgoing> {
        let Some(mut link) = self.links.remove(&id) else {
            return Vec::new();
        };
        let controls = line["controls"].as_array().map_or(&[][..], Vec::as_slice);
        let display = &line["display"];
        let display_id = display["display_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let built = models::build(controls, || uuid::Uuid::new_v4().simple().to_string());
        let figure = crate::display::to_iopub(&display.to_string());
        let (cell, widgets, (figure_type, figure)) = match (cell, built, figure) {
            (Some(cell), Ok(widgets), Ok(figure)) if !display_id.is_empty() => {
                (cell, widgets, figure)
            }
            (cell, built, figure) => {
                let why = match (cell, built.err(), figure.err()) {
                    (None, _, _) => "no cell is running".to_owned(),
                    (_, Some(why), _) | (_, _, Some(why)) => why,
                    _ => "the display has no display_id".to_owned(),
                };
                link.send(&json!({ "op": "refused", "why": why }));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for model in &widgets.models {
            let content = json!({
                "comm_id": model.id, "target_name": WIDGET_TARGET,
                "data": { "state": model.state, "buffer_paths": [] },
            });
            let mut open = Outgoing::to(cell, "comm_open", content);
            open.metadata = json!({ "version": models::PROTOCOL_VERSION });
            out.push(open);
            let comm = Comm {
                target: WIDGET_TARGET.to_owned(),
                state: model.state.clone(),
                host: Some(id),
            };
            self.comms.insert(model.id.clone(), comm);
        }
        let mut values = Map::new();
        for binding in &widgets.bindings {
            let state = &self.comms[&binding.id].state;
            values.insert(binding.name.clone(), state[binding.key].clone());
        }
        let names: Vec<&str> = controls.iter().filter_map(|c| c["name"].as_str()).collect();
        let view = json!({
            "data": {
                VIEW_MIME: { "model_id": widgets.root, "version_major": 2, "version_minor": 1 },
                "text/plain": format!("Controls for {} (need a widget front end such as \
                                       JupyterLab with jupyterlab_widgets)", names.join(", ")),
            },
            "metadata": {},
            "transient": {},
        });
        out.push(Outgoing::to(cell, "display_data", view));
        out.push(Outgoing::to(cell, figure_type, figure));
        let alive = link.send(&json!({ "op": "opened" }));
        self.hosts.insert(
            id,
            Host {
                link,
                alive,
                display_id,
                bindings: widgets.bindings,
                values,
                pending: Vec::new(),
            },
        );
        out
    }

    /// The child's figure for the values of update `seq`: it replaces the output, answering that
    /// update and every older one the child skipped.
    fn show(&mut self, id: u64, line: &Value) -> Vec<Outgoing> {
        let Some(host) = self.hosts.get_mut(&id) else {
            return Vec::new();
        };
        let seq = line["seq"].as_u64().unwrap_or(0);
        let answered = host.pending.iter().take_while(|(s, _)| *s <= seq).count();
        let done: Vec<(u64, Message)> = host.pending.drain(..answered).collect();
        let Some((_, parent)) = done.last() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match crate::display::to_iopub(&line["display"].to_string()) {
            Ok((msg_type, content)) => out.push(Outgoing::to(parent, msg_type, content)),
            Err(why) => eprintln!("[faultline-kernel] bad display from an interactive: {why}"),
        }
        out.extend(done.iter().map(|(_, r)| Outgoing::status(r, "idle")));
        out
    }

    /// The child's end of an output closed (the child exited or was killed): its pending
    /// updates end with a note in place of the figure.
    fn end(&mut self, id: u64) -> Vec<Outgoing> {
        let Some(host) = self.hosts.get_mut(&id) else {
            return Vec::new();
        };
        host.alive = false;
        let done: Vec<(u64, Message)> = host.pending.drain(..).collect();
        let mut out = Vec::new();
        if let Some((_, last)) = done.last() {
            out.push(ended_note(last, &host.display_id));
        }
        out.extend(done.iter().map(|(_, r)| Outgoing::status(r, "idle")));
        out
    }
}

/// Replaces an output whose process has gone by a note saying so.
fn ended_note(parent: &Message, display_id: &str) -> Outgoing {
    let content = json!({
        "data": { "text/plain": ENDED },
        "metadata": {},
        "transient": { "display_id": display_id },
    });
    Outgoing::to(parent, "update_display_data", content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::new_header;
    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixStream;

    fn request(msg_type: &str, content: Value) -> Message {
        Message {
            identities: vec![],
            header: new_header(msg_type, "front end"),
            parent_header: json!({}),
            metadata: json!({}),
            content,
            buffers: vec![],
        }
    }

    fn kinds(out: &[Outgoing]) -> Vec<&str> {
        out.iter().map(|o| o.msg_type).collect()
    }

    /// Widgets with one open output of a slider `x`, and the child's end of its connection.
    fn with_a_slider() -> (Widgets, BufReader<UnixStream>, String) {
        let (kernel_end, child_end) = UnixStream::pair().unwrap();
        let mut widgets = Widgets::default();
        widgets.on_host(HostEvent::Connected(7, Link::new(kernel_end)), None);
        let open = json!({
            "op": "open",
            "controls": [{"kind": "float_slider", "name": "x", "value": 0.5, "min": 0.0,
                          "max": 1.0, "step": 0.1}],
            "display": {"op": "display", "data": {"text/plain": "x = 0.5"}, "display_id": "fig"},
        });
        let cell = request("execute_request", json!({}));
        let out = widgets.on_host(HostEvent::Line(7, open), Some(&cell));
        assert_eq!(kinds(&out).iter().filter(|k| **k == "comm_open").count(), 5);
        assert_eq!(kinds(&out)[5..], ["display_data", "display_data"]);
        let mut child = BufReader::new(child_end);
        let mut line = String::new();
        child.read_line(&mut line).unwrap();
        assert_eq!(line, "{\"op\":\"opened\"}\n");
        let slider = widgets
            .comms
            .iter()
            .find(|(_, c)| c.state["_model_name"] == "FloatSliderModel")
            .map(|(id, _)| id.clone())
            .unwrap();
        (widgets, child, slider)
    }

    fn moved(slider: &str, value: f64) -> Message {
        let data = json!({"method": "update", "state": {"value": value}, "buffer_paths": []});
        request("comm_msg", json!({"comm_id": slider, "data": data}))
    }

    #[test]
    fn updates_are_echoed_sent_to_the_child_and_answered_newest_first() {
        let (mut widgets, mut child, slider) = with_a_slider();
        let first = widgets.on_shell(&moved(&slider, 0.2));
        assert_eq!(kinds(&first), ["status", "comm_msg"]);
        assert_eq!(first[1].content["data"]["method"], "echo_update");
        let second_request = moved(&slider, 0.3);
        let second = widgets.on_shell(&second_request);
        assert_eq!(kinds(&second), ["status", "comm_msg"]);
        let mut line = String::new();
        child.read_line(&mut line).unwrap();
        let set: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(set["values"], json!({"x": 0.2}));
        // The child skipped the first set and answered the second: both requests end.
        let show = json!({"op": "show", "seq": set["seq"].as_u64().unwrap() + 1,
                          "display": {"op": "update", "data": {"text/plain": "x = 0.3"},
                                      "display_id": "fig"}});
        let out = widgets.on_host(HostEvent::Line(7, show), None);
        assert_eq!(kinds(&out), ["update_display_data", "status", "status"]);
        assert_eq!(out[0].parent.header, second_request.header);
        assert_eq!(out[0].content["transient"]["display_id"], "fig");
        let requests = widgets.comm_info(&json!({"target_name": "jupyter.widget"}));
        assert_eq!(requests["comms"].as_object().unwrap().len(), 5);
    }

    #[test]
    fn a_closed_child_ends_pending_updates_with_a_note() {
        let (mut widgets, child, slider) = with_a_slider();
        widgets.on_shell(&moved(&slider, 0.2));
        drop(child);
        let out = widgets.on_host(HostEvent::Closed(7), None);
        assert_eq!(kinds(&out), ["update_display_data", "status"]);
        assert_eq!(out[0].content["data"]["text/plain"], ENDED);
        let later = widgets.on_shell(&moved(&slider, 0.4));
        assert_eq!(
            kinds(&later),
            ["status", "comm_msg", "update_display_data", "status"]
        );
    }

    #[test]
    fn the_control_comm_answers_request_states_and_comm_info_filters_by_target() {
        let (mut widgets, _child, slider) = with_a_slider();
        let open = request(
            "comm_open",
            json!({"comm_id": "ctl", "target_name": CONTROL_TARGET, "data": {}}),
        );
        assert_eq!(kinds(&widgets.on_shell(&open)), ["status", "status"]);
        let ask = request(
            "comm_msg",
            json!({"comm_id": "ctl", "data": {"method": "request_states"}}),
        );
        let out = widgets.on_shell(&ask);
        let states = &out[1].content["data"]["states"];
        assert_eq!(states.as_object().unwrap().len(), 5);
        assert_eq!(states[&slider]["model_name"], "FloatSliderModel");
        assert_eq!(states[&slider]["state"]["value"], 0.5);
        let control = widgets.comm_info(&json!({"target_name": CONTROL_TARGET}));
        assert_eq!(
            control["comms"],
            json!({"ctl": {"target_name": CONTROL_TARGET}})
        );
        let other = request(
            "comm_open",
            json!({"comm_id": "o", "target_name": "elsewhere", "data": {}}),
        );
        assert_eq!(
            kinds(&widgets.on_shell(&other)),
            ["status", "comm_close", "status"]
        );
        let close = request("comm_close", json!({"comm_id": "ctl", "data": {}}));
        widgets.on_shell(&close);
        assert_eq!(
            widgets.comm_info(&json!({}))["comms"]
                .as_object()
                .unwrap()
                .len(),
            5
        );
    }
}
