//! The cell's end of the side channel to Faultline's kernel (see the kernel's `widgets::host`):
//! one Unix-socket connection per interactive output, JSON lines both ways. Figures travel in
//! the display-line format of [`crate::display`].

use super::controls::Controls;
use super::IN_CALLBACK;
use crate::display::{in_kernel, marker_line, new_display_id, DisplayOp, MimeBundle, Rich, MARKER};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::Duration;

/// Where the kernel listens; set by the kernel for the process that runs cells.
const SOCKET_ENV: &str = "FAULTLINE_WIDGETS";
/// How long the kernel may take to show the controls.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Link {
    stream: UnixStream,
    display_id: String,
}

/// Asks the kernel to show `controls` above `first` (the figure for their starting values).
/// `None` when not under a kernel that takes interactive outputs.
pub(super) fn open(controls: &impl Controls, first: &MimeBundle) -> Result<Option<Link>, String> {
    let Some(path) = std::env::var_os(SOCKET_ENV).filter(|_| in_kernel()) else {
        return Ok(None);
    };
    let fail = |e: std::io::Error| e.to_string();
    let mut stream = UnixStream::connect(path).map_err(fail)?;
    let display_id = new_display_id("interact");
    let specs: Vec<&Value> = controls.each().into_iter().map(|(spec, _)| spec).collect();
    let display = display_json(DisplayOp::Display, first, &display_id);
    let open = format!(
        r#"{{"op":"open","controls":{},"display":{display}}}"#,
        json!(specs)
    );
    writeln!(stream, "{open}").map_err(fail)?;
    stream.set_read_timeout(Some(OPEN_TIMEOUT)).map_err(fail)?;
    let answer = first_line(&mut stream).map_err(fail)?;
    stream.set_read_timeout(None).map_err(fail)?;
    let answer: Value = serde_json::from_slice(&answer).unwrap_or_default();
    match answer["op"].as_str() {
        Some("opened") => Ok(Some(Link { stream, display_id })),
        _ => Err(answer["why"].as_str().unwrap_or("no answer").to_owned()),
    }
}

/// The kernel's answer, read byte by byte: a buffered reader could swallow the first `set`
/// behind it, which belongs to the serving thread.
fn first_line(stream: &mut UnixStream) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut byte = [0u8];
    while stream.read(&mut byte)? == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    Ok(line)
}

impl Link {
    /// Serves the output from a thread of its own: runs `view` for the newest values the kernel
    /// sent, skipping any that a newer set replaced meanwhile, and sends back what it returned
    /// (or, if it panicked, why).
    pub(super) fn serve<C, R, F>(self, controls: C, view: F)
    where
        C: Controls,
        R: Rich,
        F: Fn(C::Values) -> R + Send + 'static,
    {
        let Ok(reader) = self.stream.try_clone() else {
            return;
        };
        let (sets, received) = mpsc::channel();
        let _ = std::thread::Builder::new()
            .name("interact-reader".into())
            .spawn(move || read_sets(reader, &sets));
        let _ = std::thread::Builder::new()
            .name("interact".into())
            .spawn(move || {
                IN_CALLBACK.with(|c| c.set(true));
                let mut stream = self.stream;
                while let Ok(mut newest) = received.recv() {
                    while let Ok(newer) = received.try_recv() {
                        newest = newer;
                    }
                    let (seq, values) = newest;
                    let bundle = run(&controls, &view, &values);
                    let display = display_json(DisplayOp::Update, &bundle, &self.display_id);
                    let line = format!(r#"{{"op":"show","seq":{seq},"display":{display}}}"#);
                    if writeln!(stream, "{line}").is_err() {
                        return;
                    }
                }
            });
    }
}

/// Runs `view` for the values sent; a panic or a bad value becomes text in place of the figure.
fn run<C: Controls, R: Rich>(
    controls: &C,
    view: &impl Fn(C::Values) -> R,
    values: &Map<String, Value>,
) -> MimeBundle {
    let values = match controls.read(values) {
        Ok(values) => values,
        Err(why) => return vec![("text/plain", format!("interact: {why}"))],
    };
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| view(values).mime_bundle()));
    ran.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        let text = format!("The closure panicked for these values: {message}");
        vec![("text/plain", text)]
    })
}

/// Forwards each `set` line (sequence number, values) until the kernel closes the connection.
fn read_sets(stream: UnixStream, sets: &mpsc::Sender<(u64, Map<String, Value>)>) {
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let Ok(Value::Object(mut message)) = serde_json::from_str(&line) else {
            continue;
        };
        let seq = message.get("seq").and_then(Value::as_u64).unwrap_or(0);
        if let Some(Value::Object(values)) = message.remove("values") {
            if sets.send((seq, values)).is_err() {
                return;
            }
        }
    }
}

/// A display line's JSON (without its prefix) for the output `display_id`.
fn display_json(op: DisplayOp, bundle: &MimeBundle, display_id: &str) -> String {
    let line = marker_line(op, bundle, Some(display_id), false);
    line[MARKER.len()..].to_owned()
}
