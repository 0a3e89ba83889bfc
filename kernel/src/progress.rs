//! Shows dependency builds (`Compiling plotters v0.3.7`) in the notebook while a cell waits for
//! them — a first start or a `:dep` can take minutes, and evcxr only prints these lines to the
//! kernel's own stderr (the server log).
//!
//! We put a pipe in front of file descriptor 2: every line still reaches the original stderr,
//! and build lines also become one live-updating display in the cell being run.

use crate::evaluator::Event;
use crate::wire::Message;
use serde_json::json;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

#[derive(Clone)]
pub struct BuildProgress {
    state: Arc<Mutex<State>>,
}

struct State {
    cell: Option<Message>,
    /// Crates compiled for the current cell (evcxr may build one twice when it retries); the
    /// display exists once this is non-empty.
    compiled: HashSet<String>,
    events: UnboundedSender<Event>,
    session: String,
}

impl BuildProgress {
    /// Redirects this process's stderr through a pipe read by a new thread.
    pub fn capture_stderr(
        events: UnboundedSender<Event>,
        session: String,
    ) -> std::io::Result<BuildProgress> {
        let mut fds = [0; 2];
        // SAFETY: plain descriptor plumbing on descriptors we create here; fd 2 is replaced by
        // the pipe's write end and the original kept (as `log`) for the reader thread.
        let log = unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let original = libc::dup(2);
            if original < 0 || libc::dup2(fds[1], 2) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::close(fds[1]);
            std::fs::File::from_raw_fd(original)
        };
        // SAFETY: the read end is ours alone from here on.
        let pipe = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        let progress = BuildProgress {
            state: Arc::new(Mutex::new(State {
                cell: None,
                compiled: HashSet::new(),
                events,
                session,
            })),
        };
        let state = progress.state.clone();
        std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || relay(pipe, log, &state))?;
        Ok(progress)
    }

    /// Build lines from now on belong to `cell` (the same cell again keeps its display).
    pub fn attach(&self, cell: &Message) {
        let mut state = self.state.lock().unwrap();
        if state.cell.as_ref().map(|c| &c.header["msg_id"]) != Some(&cell.header["msg_id"]) {
            state.cell = Some(cell.clone());
            state.compiled.clear();
        }
    }

    /// The cell is done: its display, if any, says how many crates were built.
    pub fn detach(&self) {
        let mut state = self.state.lock().unwrap();
        if !state.compiled.is_empty() {
            let count = state.compiled.len();
            let plural = if count == 1 { "" } else { "s" };
            let text = format!("Compiled {count} crate{plural}.");
            state.show("update_display_data", &text);
        }
        state.cell = None;
        state.compiled.clear();
    }
}

fn relay(pipe: std::fs::File, mut log: std::fs::File, state: &Mutex<State>) {
    for line in BufReader::new(pipe).lines().map_while(Result::ok) {
        let _ = writeln!(log, "{line}");
        let Some(what) = line.trim_start().strip_prefix("Compiling ") else {
            continue;
        };
        let mut state = state.lock().unwrap();
        if state.cell.is_some() {
            let first = state.compiled.is_empty();
            state.compiled.insert(what.to_owned());
            let msg_type = if first {
                "display_data"
            } else {
                "update_display_data"
            };
            let text = format!("Compiling {what} ({} so far)…", state.compiled.len());
            state.show(msg_type, &text);
        }
    }
}

impl State {
    fn show(&self, msg_type: &str, text: &str) {
        let Some(cell) = &self.cell else { return };
        let id = format!(
            "faultline-build-{}",
            cell.header["msg_id"].as_str().unwrap_or_default()
        );
        let content = json!({
            "data": { "text/plain": text },
            "metadata": {},
            "transient": { "display_id": id },
        });
        let _ = self
            .events
            .send(Event::Iopub(cell.child(msg_type, &self.session, content)));
    }
}
