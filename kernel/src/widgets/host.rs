//! The side channel to evcxr's child process, where a cell's interactive closure lives.
//!
//! The kernel listens on a Unix socket in a directory only its user can enter and passes the
//! path to the child in [`SOCKET_ENV`]. Each interactive output in the child connects once and
//! speaks JSON lines: it opens its controls, then receives every new set of values and answers
//! with the display that replaces its figure. Nothing is compiled per change: the closure is
//! already loaded in the child.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// The environment variable giving the child the socket's path (read by `faultline::ui`).
pub const SOCKET_ENV: &str = "FAULTLINE_WIDGETS";
/// A child that stops reading must not stop the kernel's loop.
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// Largest line accepted from the child (a figure is far smaller).
const MAX_LINE: u64 = 64 << 20;

/// What happens on the side channel, in order per connection.
pub enum HostEvent {
    Connected(u64, Link),
    Line(u64, Value),
    Closed(u64),
}

/// The kernel's end of one connection.
pub struct Link {
    stream: UnixStream,
}

impl Link {
    pub fn new(stream: UnixStream) -> Link {
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        Link { stream }
    }

    /// Sends one JSON line; false if the child is gone or not reading.
    pub fn send(&mut self, message: &Value) -> bool {
        let mut line = message.to_string();
        line.push('\n');
        self.stream.write_all(line.as_bytes()).is_ok()
    }
}

/// The socket's private directory, removed when this is dropped (when the kernel exits).
pub struct Listening {
    dir: PathBuf,
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Binds the socket, records its path in [`SOCKET_ENV`] for the child to inherit, and accepts
/// connections on a thread of its own. Call before any other thread starts (it sets an
/// environment variable).
pub fn listen(events: UnboundedSender<HostEvent>) -> std::io::Result<Listening> {
    let dir = std::env::temp_dir().join(format!("faultline-{}", uuid::Uuid::new_v4()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let path = dir.join("widgets.sock");
    let listener = UnixListener::bind(&path)?;
    std::env::set_var(SOCKET_ENV, &path);
    std::thread::Builder::new()
        .name("widget-host".into())
        .spawn(move || accept(&listener, &events))?;
    Ok(Listening { dir })
}

fn accept(listener: &UnixListener, events: &UnboundedSender<HostEvent>) {
    for (id, stream) in (0u64..).zip(listener.incoming()) {
        let Ok(stream) = stream else { continue };
        let Ok(reader) = stream.try_clone() else {
            continue;
        };
        if events
            .send(HostEvent::Connected(id, Link::new(stream)))
            .is_err()
        {
            return;
        }
        let events = events.clone();
        let _ = std::thread::Builder::new()
            .name("widget-link".into())
            .spawn(move || read_lines(id, reader, &events));
    }
}

/// Forwards each JSON line until the child closes the connection (or sends garbage).
fn read_lines(id: u64, stream: UnixStream, events: &UnboundedSender<HostEvent>) {
    let mut reader = BufReader::new(std::io::Read::take(stream, MAX_LINE));
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with('\n') => {}
            _ => break,
        }
        reader.get_mut().set_limit(MAX_LINE);
        match serde_json::from_str(&line) {
            Ok(value) => {
                if events.send(HostEvent::Line(id, value)).is_err() {
                    return;
                }
            }
            Err(why) => {
                eprintln!("[faultline-kernel] bad line on the widget channel: {why}");
                break;
            }
        }
    }
    let _ = events.send(HostEvent::Closed(id));
}
