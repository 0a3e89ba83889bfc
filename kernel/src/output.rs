//! Forwards what a cell prints, while it runs, to iopub: stdout and stderr as `stream` messages,
//! display lines as display messages, and our panic hook's report to the evaluator.
//!
//! What a cell may send is bounded, so a `println!` loop cannot grow the kernel's memory or
//! flood the notebook: stream text is coalesced into at most one message per stream every
//! [`FLUSH_EVERY`], a cell shows at most [`STREAM_CAP`] bytes of it and [`DISPLAY_CAP`] bytes of
//! rich output, and whatever is dropped is counted and reported at the end of the cell.
//!
//! evcxr hands us the child's stdout and stderr on two channels. Before a cell's reply is sent,
//! [`Forwarder::finish`] waits until this thread has published everything the cell printed, so
//! stderr never arrives after the kernel says idle. evcxr waits for stdout itself; for stderr we
//! wait until the pipe it reads from is empty (Linux: the pipe's unread byte count), falling back
//! to a quiet period where that cannot be known.

use crate::display;
use crate::evaluator::Event;
use crate::wire::Message;
use crossbeam_channel::{select, Receiver, RecvTimeoutError, Sender};
use serde_json::json;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Prefix of the line our panic hook (installed in the child) prints before unwinding.
pub const PANIC_PREFIX: &str = "FAULTLINE_PANIC ";
/// The child's stderr reaches us through a pipe and evcxr's reader thread. Once the pipe is empty
/// and nothing has arrived for `STDERR_SETTLE` (the reader's last line in transit), everything
/// has been forwarded; without a way to see the pipe, we wait for `STDERR_QUIET` of silence.
const STDERR_SETTLE: Duration = Duration::from_millis(3);
const STDERR_QUIET: Duration = Duration::from_millis(30);
/// Never wait longer than this for a child that keeps writing to stderr.
const STDERR_MAX_WAIT: Duration = Duration::from_millis(500);
/// Panic reports kept per cell (a cell may catch panics in a loop).
pub const MAX_PANIC_REPORTS: usize = 16;
/// Lines taken from a channel in one go.
const MAX_BATCH: usize = 1000;
/// Stream text is held back at most this long, so a burst of lines becomes one message.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Held-back text is sent early once it reaches this size.
const FLUSH_SIZE: usize = 64 << 10;
/// Stream text one cell may show (stdout and stderr together). More is no use in a notebook
/// and makes the browser crawl; what is dropped is counted and reported.
pub const STREAM_CAP: usize = 2_000_000;
/// Rich output (display and update messages) one cell may send.
pub const DISPLAY_CAP: usize = 32_000_000;

enum Control {
    Begin {
        parent: Message,
        silent: bool,
    },
    Finish {
        ack: Sender<()>,
        /// Our descriptor for the read end of the child's stderr pipe, if found.
        pipe: Option<i32>,
    },
}

pub struct Forwarder {
    control: Sender<Control>,
    panic: Arc<Mutex<Vec<String>>>,
    child: Arc<Mutex<Child>>,
}

impl Forwarder {
    pub fn spawn(
        stdout: Receiver<String>,
        stderr: Receiver<String>,
        events: UnboundedSender<Event>,
        session: String,
        child: Arc<Mutex<Child>>,
    ) -> Forwarder {
        let (control, control_rx) = crossbeam_channel::unbounded();
        let panic = Arc::new(Mutex::new(Vec::new()));
        let mut state = State {
            parent: None,
            silent: false,
            events,
            session,
            panic: panic.clone(),
            pending: None,
            last_flush: Instant::now(),
            budget: Budget::new(),
        };
        std::thread::Builder::new()
            .name("output".into())
            .spawn(move || state.run(&stdout, &stderr, &control_rx))
            .expect("spawn output thread");
        Forwarder {
            control,
            panic,
            child,
        }
    }

    /// Attributes everything printed from now on to `parent`.
    pub fn begin(&self, parent: &Message, silent: bool) {
        self.panic.lock().unwrap().clear();
        let _ = self.control.send(Control::Begin {
            parent: parent.clone(),
            silent,
        });
    }

    /// Waits until the cell's output has been published; returns the panic reports it printed
    /// (the last [`MAX_PANIC_REPORTS`]), oldest first.
    pub fn finish(&self) -> Vec<String> {
        let (ack, done) = crossbeam_channel::bounded(1);
        let pid = self.child.lock().unwrap().id();
        let pipe = stderr_pipe(pid);
        if self.control.send(Control::Finish { ack, pipe }).is_ok() {
            let _ = done.recv();
        }
        std::mem::take(&mut *self.panic.lock().unwrap())
    }
}

struct State {
    parent: Option<Message>,
    silent: bool,
    events: UnboundedSender<Event>,
    session: String,
    panic: Arc<Mutex<Vec<String>>>,
    /// Stream text not yet sent: (stream name, text). One stream at a time keeps the order of
    /// stdout and stderr as printed.
    pending: Option<(&'static str, String)>,
    last_flush: Instant,
    budget: Budget,
}

/// What the current cell may still send, and what it has dropped.
#[derive(Debug, PartialEq)]
struct Budget {
    stream_left: usize,
    display_left: usize,
    dropped: usize,
}

impl Budget {
    fn new() -> Budget {
        Budget {
            stream_left: STREAM_CAP,
            display_left: DISPLAY_CAP,
            dropped: 0,
        }
    }

    /// Takes `wanted` bytes of stream text: how many may be shown (the rest is dropped).
    fn take_stream(&mut self, wanted: usize) -> usize {
        let granted = wanted.min(self.stream_left);
        self.stream_left -= granted;
        self.dropped += wanted - granted;
        granted
    }

    /// Whether a rich output of `size` bytes may be sent (all or nothing).
    fn take_display(&mut self, size: usize) -> bool {
        if size > self.display_left {
            self.dropped += size;
            return false;
        }
        self.display_left -= size;
        true
    }

    /// The note shown at the end of a cell that dropped output, if it did.
    fn note(&self) -> Option<String> {
        (self.dropped > 0).then(|| {
            format!(
                "[faultline: {} of output dropped; a cell shows at most {} of text]\n",
                human_bytes(self.dropped),
                human_bytes(STREAM_CAP)
            )
        })
    }
}

/// `12.3 MB`, `4.0 kB`, `17 bytes`.
fn human_bytes(n: usize) -> String {
    match n {
        0..1_000 => format!("{n} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

impl State {
    fn run(
        &mut self,
        stdout: &Receiver<String>,
        stderr: &Receiver<String>,
        control: &Receiver<Control>,
    ) {
        loop {
            select! {
                recv(stdout) -> line => match line {
                    Ok(line) => self.stdout_burst(line, stdout),
                    Err(_) => return,
                },
                recv(stderr) -> line => match line {
                    Ok(line) => self.stderr_burst(line, stderr),
                    Err(_) => return,
                },
                recv(control) -> message => match message {
                    Ok(Control::Begin { parent, silent }) => {
                        self.flush();
                        self.parent = Some(parent);
                        self.silent = silent;
                        self.budget = Budget::new();
                    }
                    Ok(Control::Finish { ack, pipe }) => {
                        while let Ok(line) = stdout.try_recv() {
                            self.stdout_burst(line, stdout);
                        }
                        self.drain_stderr(stderr, pipe);
                        self.flush();
                        if let Some(note) = self.budget.note() {
                            self.publish("stream", json!({ "name": "stderr", "text": note }));
                        }
                        self.budget = Budget::new();
                        let _ = ack.send(());
                    }
                    Err(_) => return,
                },
                default(FLUSH_EVERY) => {}
            }
            if self.last_flush.elapsed() >= FLUSH_EVERY {
                self.flush();
            }
        }
    }

    fn drain_stderr(&mut self, stderr: &Receiver<String>, pipe: Option<i32>) {
        let started = Instant::now();
        let wait = if pipe.is_some() {
            STDERR_SETTLE
        } else {
            STDERR_QUIET
        };
        while started.elapsed() < STDERR_MAX_WAIT {
            match stderr.recv_timeout(wait) {
                Ok(line) => self.stderr_burst(line, stderr),
                Err(RecvTimeoutError::Timeout)
                    if pipe.is_none_or(|fd| unread_bytes(fd) == Some(0)) =>
                {
                    return
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn stdout_burst(&mut self, first: String, rx: &Receiver<String>) {
        for line in std::iter::once(first).chain(rx.try_iter().take(MAX_BATCH)) {
            if let Some(request) = line.strip_prefix(display::PREFIX) {
                self.flush();
                match display::to_iopub(request) {
                    Ok(_) if !self.budget.take_display(request.len()) => {}
                    Ok((msg_type, content)) => self.publish(msg_type, content),
                    Err(why) => self.stream("stderr", &format!("faultline kernel: {why}")),
                }
            } else if let Some(report) = line.strip_prefix(PANIC_PREFIX) {
                let mut reports = self.panic.lock().unwrap();
                if reports.len() == MAX_PANIC_REPORTS {
                    reports.remove(0);
                }
                reports.push(report.to_owned());
            } else {
                self.stream("stdout", &line);
            }
        }
    }

    fn stderr_burst(&mut self, first: String, rx: &Receiver<String>) {
        for line in std::iter::once(first).chain(rx.try_iter().take(MAX_BATCH)) {
            self.stream("stderr", &line);
        }
    }

    /// Queues one line of stream text, within the cell's budget. Text beyond the budget is only
    /// counted, so the cost of a flood is a counter, not memory.
    fn stream(&mut self, name: &'static str, line: &str) {
        if self.parent.is_none() || self.silent {
            return self.publish("stream", json!({ "name": name, "text": line }));
        }
        let wanted = line.len() + 1;
        let granted = self.budget.take_stream(wanted);
        if granted == 0 {
            return;
        }
        if self.pending.as_ref().is_some_and(|(n, _)| *n != name) {
            self.flush();
        }
        let (_, text) = self.pending.get_or_insert_with(|| (name, String::new()));
        if granted == wanted {
            text.push_str(line);
            text.push('\n');
        } else {
            // The budget ends inside this line: show what fits, newline included.
            let mut end = granted - 1;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            text.push_str(&line[..end]);
            text.push('\n');
        }
        if text.len() >= FLUSH_SIZE {
            self.flush();
        }
    }

    /// Sends the held-back stream text, if any.
    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if let Some((name, text)) = self.pending.take() {
            self.publish("stream", json!({ "name": name, "text": text }));
        }
    }

    fn publish(&mut self, msg_type: &str, content: serde_json::Value) {
        match &self.parent {
            // Output outside any cell (during warm-up) goes to the kernel's log.
            None => eprintln!("[faultline-kernel] {msg_type}: {content}"),
            Some(_) if self.silent => {}
            Some(parent) => {
                let message = parent.child(msg_type, &self.session, content);
                let _ = self.events.send(Event::Iopub(message));
            }
        }
    }
}

/// Our descriptor for the read end of the pipe that is process `pid`'s stderr: the one of our
/// descriptors that names the same pipe as its descriptor 2.
fn stderr_pipe(pid: u32) -> Option<i32> {
    let target = std::fs::read_link(format!("/proc/{pid}/fd/2")).ok()?;
    std::fs::read_dir("/proc/self/fd").ok()?.find_map(|entry| {
        let entry = entry.ok()?;
        let fd: i32 = entry.file_name().to_str()?.parse().ok()?;
        (fd > 2 && std::fs::read_link(entry.path()).ok()? == target).then_some(fd)
    })
}

/// Bytes written to a pipe but not yet read.
fn unread_bytes(fd: i32) -> Option<usize> {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int; a stale descriptor just makes ioctl fail.
    let ok = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) } == 0;
    ok.then_some(count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn budget_shows_up_to_the_cap_and_counts_the_rest() {
        let mut budget = Budget::new();
        assert_eq!(budget.note(), None);
        assert_eq!(budget.take_stream(STREAM_CAP - 10), STREAM_CAP - 10);
        assert_eq!(budget.take_stream(25), 10);
        assert_eq!(budget.take_stream(1_000_000), 0);
        assert_eq!(budget.dropped, 1_000_015);
        assert!(budget.take_display(DISPLAY_CAP));
        assert!(!budget.take_display(1));
        let note = budget.note().unwrap();
        assert!(
            note.starts_with("[faultline: 1.0 MB of output dropped"),
            "{note}"
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(17), "17 bytes");
        assert_eq!(human_bytes(4_000), "4.0 kB");
        assert_eq!(human_bytes(12_345_678), "12.3 MB");
    }

    #[test]
    fn finds_and_measures_a_childs_stderr_pipe() {
        let mut child = Command::new("sh")
            .args(["-c", "printf abc >&2; sleep 5"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let fd = stderr_pipe(child.id()).expect("the read end of the child's stderr");
        let deadline = Instant::now() + Duration::from_secs(5);
        while unread_bytes(fd) != Some(3) {
            assert!(Instant::now() < deadline, "never saw the 3 bytes");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
