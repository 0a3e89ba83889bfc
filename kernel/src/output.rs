//! Forwards what a cell prints, while it runs, to iopub: stdout and stderr as `stream` messages,
//! display lines as display messages, and our panic hook's report to the evaluator.
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
/// Lines joined into one stream message when they arrive in a burst.
const MAX_BATCH: usize = 1000;

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
    panic: Arc<Mutex<Option<String>>>,
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
        let panic = Arc::new(Mutex::new(None));
        let mut state = State {
            parent: None,
            silent: false,
            events,
            session,
            panic: panic.clone(),
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
        *self.panic.lock().unwrap() = None;
        let _ = self.control.send(Control::Begin {
            parent: parent.clone(),
            silent,
        });
    }

    /// Waits until the cell's output has been published; returns its panic report, if any.
    pub fn finish(&self) -> Option<String> {
        let (ack, done) = crossbeam_channel::bounded(1);
        let pid = self.child.lock().unwrap().id();
        let pipe = stderr_pipe(pid);
        if self.control.send(Control::Finish { ack, pipe }).is_ok() {
            let _ = done.recv();
        }
        self.panic.lock().unwrap().take()
    }
}

struct State {
    parent: Option<Message>,
    silent: bool,
    events: UnboundedSender<Event>,
    session: String,
    panic: Arc<Mutex<Option<String>>>,
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
                        self.parent = Some(parent);
                        self.silent = silent;
                    }
                    Ok(Control::Finish { ack, pipe }) => {
                        while let Ok(line) = stdout.try_recv() {
                            self.stdout_burst(line, stdout);
                        }
                        self.drain_stderr(stderr, pipe);
                        let _ = ack.send(());
                    }
                    Err(_) => return,
                },
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
        let mut text = String::new();
        for line in std::iter::once(first).chain(rx.try_iter().take(MAX_BATCH)) {
            if let Some(request) = line.strip_prefix(display::PREFIX) {
                self.stream("stdout", std::mem::take(&mut text));
                match display::to_iopub(request) {
                    Ok((msg_type, content)) => self.publish(msg_type, content),
                    Err(why) => self.stream("stderr", format!("faultline kernel: {why}\n")),
                }
            } else if let Some(report) = line.strip_prefix(PANIC_PREFIX) {
                *self.panic.lock().unwrap() = Some(report.to_owned());
            } else {
                text.push_str(&line);
                text.push('\n');
            }
        }
        self.stream("stdout", text);
    }

    fn stderr_burst(&mut self, first: String, rx: &Receiver<String>) {
        let mut text = first + "\n";
        for line in rx.try_iter().take(MAX_BATCH) {
            text.push_str(&line);
            text.push('\n');
        }
        self.stream("stderr", text);
    }

    fn stream(&mut self, name: &str, text: String) {
        if !text.is_empty() {
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
