//! Forwards what a cell prints, while it runs, to iopub: stdout and stderr as `stream` messages,
//! display lines as display messages, and our panic hook's report to the evaluator.
//!
//! evcxr hands us the child's stdout and stderr on two channels. Before a cell's reply is sent,
//! [`Forwarder::finish`] waits until this thread has published everything the cell printed, so
//! stderr never arrives after the kernel says idle.

use crate::display;
use crate::evaluator::Event;
use crate::wire::Message;
use crossbeam_channel::{select, Receiver, Sender};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Prefix of the line our panic hook (installed in the child) prints before unwinding.
pub const PANIC_PREFIX: &str = "FAULTLINE_PANIC ";
/// The child's stderr reaches us through a pipe and a reader thread; once nothing more has
/// arrived for this long after the cell ended, everything it wrote has been forwarded.
const STDERR_QUIET: Duration = Duration::from_millis(30);
/// Lines joined into one stream message when they arrive in a burst.
const MAX_BATCH: usize = 1000;

enum Control {
    Begin { parent: Message, silent: bool },
    Finish(Sender<()>),
}

pub struct Forwarder {
    control: Sender<Control>,
    panic: Arc<Mutex<Option<String>>>,
}

impl Forwarder {
    pub fn spawn(
        stdout: Receiver<String>,
        stderr: Receiver<String>,
        events: UnboundedSender<Event>,
        session: String,
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
        Forwarder { control, panic }
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
        if self.control.send(Control::Finish(ack)).is_ok() {
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
                    Ok(Control::Finish(ack)) => {
                        while let Ok(line) = stdout.try_recv() {
                            self.stdout_burst(line, stdout);
                        }
                        while let Ok(line) = stderr.recv_timeout(STDERR_QUIET) {
                            self.stderr_burst(line, stderr);
                        }
                        let _ = ack.send(());
                    }
                    Err(_) => return,
                },
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
