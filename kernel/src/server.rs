//! The socket loop: binds the five Jupyter sockets and answers every request.
//!
//! One task on a single-threaded runtime owns the sockets (zeromq's socket futures are not
//! `Send`). Cells run on the evaluator thread, so this loop keeps answering kernel_info,
//! is_complete, history, interrupt, shutdown and heartbeats while a cell runs; complete and
//! inspect get an immediate empty answer then rather than waiting behind the cell.

use crate::connection::ConnectionInfo;
use crate::evaluator::{self, Event, Handle, Job};
use crate::history::History;
use crate::is_complete::{self, Completeness};
use crate::progress::BuildProgress;
use crate::signing::{ReplayGuard, Signer};
use crate::widgets::{host::HostEvent, Outgoing, Widgets};
use crate::wire::{new_header, Message, WireError, MAX_MESSAGE_BYTES};
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::VecDeque;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use zeromq::{
    RepSocket, RouterSocket, Socket, SocketOptions, SocketRecv, SocketSend, XPubSocket, ZmqMessage,
};

/// What the evaluator thread is busy with, if anything.
enum Running {
    Warmup,
    Execute(Message),
    Analysis,
}

pub struct Server {
    shell: RouterSocket,
    control: RouterSocket,
    stdin: RouterSocket,
    iopub: XPubSocket,
    signer: Signer,
    session: String,
    evaluator: Handle,
    events: UnboundedReceiver<Event>,
    /// execute, complete and inspect requests waiting for the evaluator, in arrival order.
    queue: VecDeque<Message>,
    running: Option<Running>,
    execution_count: u32,
    history: History,
    rust_version: String,
    progress: Option<BuildProgress>,
    /// Signatures already accepted (see [`ReplayGuard`]).
    replays: ReplayGuard,
    /// The open input_request, if any: its msg_id and the client it was sent to.
    pending_input: Option<(String, Vec<Bytes>)>,
    /// Comms, widgets and the interactive outputs whose closures run in evcxr's child.
    widgets: Widgets,
    widget_events: UnboundedReceiver<HostEvent>,
}

/// A message from shell or control that passed verification.
enum Incoming {
    Request(Message),
    /// Correctly signed but over the size limit: header only, and its size.
    TooLarge(Message, usize),
}

/// Binds the sockets, starts the evaluator (which warms up in the background) and serves until
/// a shutdown request.
pub fn run(
    info: ConnectionInfo,
    signer: Signer,
    settings: evaluator::Settings,
    rust_version: String,
) -> Result<(), String> {
    // Before any thread starts: evcxr's child inherits it (see `child`).
    crate::child::announce_kernel();
    let (host_events, widget_events) = unbounded_channel();
    // Held until the kernel exits, which removes the socket.
    let _listening = crate::widgets::host::listen(host_events)
        .map_err(|e| eprintln!("[faultline-kernel] interactive outputs unavailable: {e}"))
        .ok();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let mut shell = RouterSocket::with_options(limited(TRANSPORT_LIMIT));
        let mut control = RouterSocket::with_options(limited(TRANSPORT_LIMIT));
        let mut stdin = RouterSocket::with_options(limited(TRANSPORT_LIMIT));
        let mut iopub = XPubSocket::with_options(limited(TINY_LIMIT));
        let mut heartbeat = RepSocket::with_options(limited(TINY_LIMIT));
        let bind_error = |e: zeromq::ZmqError| format!("cannot bind socket: {e}");
        shell
            .bind(&info.endpoint(info.shell_port))
            .await
            .map_err(bind_error)?;
        control
            .bind(&info.endpoint(info.control_port))
            .await
            .map_err(bind_error)?;
        stdin
            .bind(&info.endpoint(info.stdin_port))
            .await
            .map_err(bind_error)?;
        iopub
            .bind(&info.endpoint(info.iopub_port))
            .await
            .map_err(bind_error)?;
        heartbeat
            .bind(&info.endpoint(info.hb_port))
            .await
            .map_err(bind_error)?;
        tokio::task::spawn_local(async move {
            loop {
                if let Ok(ping) = heartbeat.recv().await {
                    let _ = heartbeat.send(ping).await;
                }
            }
        });
        let (sender, events) = unbounded_channel();
        let session = settings.session.clone();
        let progress = BuildProgress::capture_stderr(sender.clone(), session.clone())
            .map_err(|e| eprintln!("[faultline-kernel] build progress unavailable: {e}"))
            .ok();
        let server = Server {
            shell,
            control,
            stdin,
            iopub,
            signer,
            session,
            evaluator: evaluator::spawn(settings, sender, progress.clone()),
            events,
            queue: VecDeque::new(),
            running: Some(Running::Warmup),
            execution_count: 0,
            history: History::default(),
            rust_version,
            progress,
            replays: ReplayGuard::new(),
            pending_input: None,
            widgets: Widgets::default(),
            widget_events,
        };
        server.serve().await;
        Ok(())
    })
}

/// Largest message the transport accepts on shell, control and stdin; a peer announcing more is
/// disconnected before anything is allocated (kernel/patches/zeromq). It is above
/// [`MAX_MESSAGE_BYTES`] so that a request a little too large is still read, and refused with a
/// reply the client can show.
const TRANSPORT_LIMIT: usize = 4 * MAX_MESSAGE_BYTES;
/// iopub only receives subscriptions and the heartbeat only pings: both are tiny.
const TINY_LIMIT: usize = 64 << 10;

/// Socket options with a message-size limit. Without one, zeromq reserves whatever length a
/// frame header announces, so 73 unauthenticated bytes could abort the kernel.
fn limited(max_message_size: usize) -> SocketOptions {
    let mut options = SocketOptions::default();
    options.max_message_size(Some(max_message_size));
    options
}

#[derive(Clone, Copy)]
enum Channel {
    Shell,
    Control,
}

impl Server {
    async fn serve(mut self) {
        let starting = Message {
            identities: vec![],
            header: new_header("status", &self.session),
            parent_header: json!({}),
            metadata: json!({}),
            content: json!({ "execution_state": "starting" }),
            buffers: vec![],
        };
        self.publish(starting).await;
        loop {
            // In this order: interrupts and shutdowns first, then requests, then output, so
            // replies never wait behind a cell's queued output.
            tokio::select! {
                biased;
                frames = self.control.recv() => {
                    if !self.receive(frames, Channel::Control).await {
                        return linger().await;
                    }
                }
                frames = self.shell.recv() => {
                    if !self.receive(frames, Channel::Shell).await {
                        return linger().await;
                    }
                }
                frames = self.stdin.recv() => {
                    if let Some(Incoming::Request(reply)) = self.decode(frames, "stdin") {
                        self.on_input_reply(&reply);
                    }
                }
                subscription = self.iopub.recv() => {
                    if let Ok(frames) = subscription {
                        self.welcome(frames).await;
                    }
                }
                Some(event) = self.events.recv() => self.on_event(event).await,
                Some(event) = self.widget_events.recv() => {
                    let cell = match &self.running {
                        Some(Running::Execute(request)) => Some(request),
                        _ => None,
                    };
                    let out = self.widgets.on_host(event, cell);
                    self.emit(out).await;
                }
            }
        }
    }

    /// Decodes and handles one shell or control message. Returns false when the kernel should
    /// exit.
    async fn receive(&mut self, frames: zeromq::ZmqResult<ZmqMessage>, channel: Channel) -> bool {
        let name = match channel {
            Channel::Shell => "shell",
            Channel::Control => "control",
        };
        match self.decode(frames, name) {
            Some(Incoming::Request(request)) => self.handle(request, channel).await,
            Some(Incoming::TooLarge(request, size)) => {
                if let Some(reply) = too_large_reply(&request, size, &self.session) {
                    self.answer(&request, reply, channel).await;
                }
                true
            }
            None => true,
        }
    }

    /// Verifies a received message; rejects (logs and drops) anything invalid or replayed. A
    /// signed request that is too large is kept, to be answered with an error.
    fn decode(&mut self, frames: zeromq::ZmqResult<ZmqMessage>, socket: &str) -> Option<Incoming> {
        let frames = frames.ok()?.into_vec();
        let signature = Message::signature_of(&frames).cloned().unwrap_or_default();
        let incoming = match Message::decode(frames, &self.signer) {
            Ok(message) => Incoming::Request(message),
            Err(WireError::TooLarge(size, Some(request))) => Incoming::TooLarge(*request, size),
            Err(why) => {
                eprintln!("[faultline-kernel] rejected a message on {socket}: {why}");
                return None;
            }
        };
        if !self.replays.first_time(&signature) {
            eprintln!("[faultline-kernel] rejected a replayed message on {socket}");
            return None;
        }
        Some(incoming)
    }

    /// An input_reply counts only when it comes from the client we prompted (its routing
    /// identity) and, if it names a parent, answers the open prompt: one client cannot answer
    /// another client's prompt, nor an old one. (jupyter_client sends no parent.)
    fn on_input_reply(&mut self, reply: &Message) {
        if reply.msg_type() != "input_reply" {
            return;
        }
        let Some((prompt_id, client)) = &self.pending_input else {
            eprintln!("[faultline-kernel] ignored an input_reply: no prompt is open");
            return;
        };
        let parent = reply.parent_header["msg_id"].as_str();
        if reply.identities != *client || parent.is_some_and(|id| id != prompt_id) {
            eprintln!("[faultline-kernel] ignored an input_reply from a client not prompted");
            return;
        }
        self.pending_input = None;
        self.evaluator
            .input_reply(reply.str_field("value").to_owned());
    }

    /// Handles one shell or control request. Returns false when the kernel should exit.
    async fn handle(&mut self, request: Message, channel: Channel) -> bool {
        match request.msg_type() {
            "execute_request" | "complete_request" | "inspect_request" => {
                let analysis = request.msg_type() != "execute_request";
                if analysis && matches!(self.running, Some(Running::Warmup | Running::Execute(_))) {
                    let reply = not_available(&request, &self.session);
                    self.answer(&request, reply, channel).await;
                } else {
                    // The first cell waits for the prelude: show it what is being compiled.
                    let waits_for_warmup = matches!(self.running, Some(Running::Warmup));
                    if waits_for_warmup && !analysis && self.queue.is_empty() {
                        if let Some(progress) = &self.progress {
                            progress.attach(&request);
                        }
                    }
                    self.queue.push_back(request);
                    self.pump().await;
                }
            }
            "shutdown_request" => {
                let content = json!({
                    "status": "ok",
                    "restart": request.bool_field("restart", false),
                });
                let reply = request.child("shutdown_reply", &self.session, content);
                self.publish(reply.clone()).await;
                self.answer(&request, reply, channel).await;
                self.evaluator.kill_child();
                return false;
            }
            "interrupt_request" => {
                if matches!(self.running, Some(Running::Execute(_))) {
                    self.evaluator.interrupt();
                } else if self.widgets.busy() {
                    // A closure running away in an interactive output: as for a cell, stopping
                    // it means stopping its process (its outputs then say so).
                    self.evaluator.kill_child();
                }
                let reply =
                    request.child("interrupt_reply", &self.session, json!({"status": "ok"}));
                self.answer(&request, reply, channel).await;
            }
            "comm_open" | "comm_msg" | "comm_close" => {
                let out = self.widgets.on_shell(&request);
                self.emit(out).await;
            }
            msg_type => match self.immediate_reply(&request, msg_type) {
                Some(reply) => self.answer(&request, reply, channel).await,
                None => eprintln!("[faultline-kernel] ignored unknown message type `{msg_type}`"),
            },
        }
        true
    }

    /// Replies that need no evaluation.
    fn immediate_reply(&mut self, request: &Message, msg_type: &str) -> Option<Message> {
        let (reply_type, content) = match msg_type {
            "kernel_info_request" => ("kernel_info_reply", self.kernel_info()),
            "is_complete_request" => (
                "is_complete_reply",
                match is_complete::check(request.str_field("code")) {
                    Completeness::Complete => json!({ "status": "complete" }),
                    Completeness::Incomplete(indent) => {
                        json!({ "status": "incomplete", "indent": indent })
                    }
                    Completeness::Invalid => json!({ "status": "invalid" }),
                },
            ),
            "history_request" => (
                "history_reply",
                json!({ "status": "ok", "history": self.history.query(&request.content) }),
            ),
            "comm_info_request" => ("comm_info_reply", self.widgets.comm_info(&request.content)),
            _ => return None,
        };
        Some(request.child(reply_type, &self.session, content))
    }

    fn kernel_info(&self) -> Value {
        json!({
            "status": "ok",
            "protocol_version": crate::wire::PROTOCOL_VERSION,
            "implementation": "faultline",
            "implementation_version": env!("CARGO_PKG_VERSION"),
            "language_info": {
                "name": "rust",
                "version": self.rust_version,
                "mimetype": "text/rust",
                "file_extension": ".rs",
                "pygments_lexer": "rust",
                "codemirror_mode": "rust",
                "nbconvert_exporter": "script",
            },
            "banner": "Faultline: Rust (evcxr) with `use faultline::prelude::*;` in scope.",
            "debugger": false,
            "help_links": [
                { "text": "Rust standard library", "url": "https://doc.rust-lang.org/std/" },
                { "text": "The Rust Programming Language", "url": "https://doc.rust-lang.org/book/" },
                { "text": "evcxr commands", "url": "https://github.com/evcxr/evcxr/blob/main/COMMON.md" },
            ],
            "supported_features": [],
        })
    }

    /// busy → reply → idle, for requests answered on the spot.
    async fn answer(&mut self, request: &Message, reply: Message, channel: Channel) {
        self.status(&request.header, "busy").await;
        self.send(channel, &reply).await;
        self.status(&request.header, "idle").await;
    }

    /// Starts the next queued job if the evaluator is free.
    async fn pump(&mut self) {
        while self.running.is_none() {
            let Some(request) = self.queue.pop_front() else {
                return;
            };
            self.status(&request.header, "busy").await;
            if request.msg_type() != "execute_request" {
                let job = if request.msg_type() == "complete_request" {
                    Job::Complete(request)
                } else {
                    Job::Inspect(request)
                };
                self.evaluator.submit(job);
                self.running = Some(Running::Analysis);
                continue;
            }
            let silent = request.bool_field("silent", false);
            let store_history = !silent && request.bool_field("store_history", true);
            if store_history {
                self.execution_count += 1;
                self.history
                    .record(self.execution_count, request.str_field("code"));
            }
            // A silent request reports the current count without advancing it.
            let count = self.execution_count.max(1);
            if !silent {
                let input = json!({ "code": request.str_field("code"), "execution_count": count });
                self.publish(request.child("execute_input", &self.session, input))
                    .await;
            }
            self.evaluator.submit(Job::Execute {
                request: request.clone(),
                execution_count: count,
            });
            self.running = Some(Running::Execute(request));
        }
    }

    async fn on_event(&mut self, event: Event) {
        match event {
            Event::Iopub(message) => self.publish(message).await,
            Event::Stdin(message) => {
                let prompt_id = message.header["msg_id"].as_str().unwrap_or_default();
                self.pending_input = Some((prompt_id.to_owned(), message.identities.clone()));
                let frames = message.encode(&self.signer);
                if let Ok(frames) = ZmqMessage::try_from(frames) {
                    let _ = within_send_timeout(self.stdin.send(frames)).await;
                }
            }
            Event::Done { reply, failed } => {
                let finished = self.running.take();
                self.send(Channel::Shell, &reply).await;
                self.status(&reply.parent_header, "idle").await;
                if let Some(Running::Execute(request)) = finished {
                    if failed && request.bool_field("stop_on_error", true) {
                        self.abort_queued_executes().await;
                    }
                }
                self.pump().await;
            }
            Event::Ready => {
                self.running = None;
                self.pump().await;
            }
        }
    }

    /// After a failed cell with `stop_on_error`, cells queued behind it are not run.
    async fn abort_queued_executes(&mut self) {
        let (aborted, kept): (Vec<Message>, Vec<Message>) = self
            .queue
            .drain(..)
            .partition(|r| r.msg_type() == "execute_request");
        self.queue = kept.into();
        for request in aborted {
            let content = json!({ "status": "aborted", "execution_count": self.execution_count });
            let reply = request.child("execute_reply", &self.session, content);
            self.answer(&request, reply, Channel::Shell).await;
        }
    }

    /// JEP 65: greet each new iopub subscriber so clients know output will reach them.
    async fn welcome(&mut self, frames: ZmqMessage) {
        let Some(frame) = frames.get(0) else { return };
        if frame.first() != Some(&1) {
            return;
        }
        let topic = String::from_utf8_lossy(&frame[1..]).into_owned();
        let message = Message {
            identities: vec![],
            header: new_header("iopub_welcome", &self.session),
            parent_header: json!({}),
            metadata: json!({}),
            content: json!({ "subscription": topic }),
            buffers: vec![],
        };
        self.publish(message).await;
    }

    async fn status(&mut self, parent_header: &Value, state: &str) {
        let message = Message {
            identities: vec![],
            header: new_header("status", &self.session),
            parent_header: parent_header.clone(),
            metadata: json!({}),
            content: json!({ "execution_state": state }),
            buffers: vec![],
        };
        self.publish(message).await;
    }

    /// Publishes what the widgets decided, each message a child of its parent request.
    async fn emit(&mut self, messages: Vec<Outgoing>) {
        for out in messages {
            let mut message = out.parent.child(out.msg_type, &self.session, out.content);
            message.metadata = out.metadata;
            self.publish(message).await;
        }
    }

    async fn publish(&mut self, mut message: Message) {
        let topic = format!("kernel.{}.{}", self.session, message.msg_type());
        message.identities = vec![Bytes::from(topic)];
        if let Ok(frames) = ZmqMessage::try_from(message.encode(&self.signer)) {
            let _ = self.iopub.send(frames).await;
        }
    }

    async fn send(&mut self, channel: Channel, message: &Message) {
        let Ok(frames) = ZmqMessage::try_from(message.encode(&self.signer)) else {
            return;
        };
        let socket = match channel {
            Channel::Shell => &mut self.shell,
            Channel::Control => &mut self.control,
        };
        if let Err(e) = within_send_timeout(socket.send(frames)).await {
            eprintln!(
                "[faultline-kernel] could not send {}: {e}",
                message.msg_type()
            );
        }
    }
}

/// zeromq writes in background tasks: give the shutdown reply time to leave before the runtime
/// (and with it the sockets) is dropped.
async fn linger() {
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

/// complete/inspect while a cell runs or the kernel warms up: answer at once, with nothing.
fn not_available(request: &Message, session: &str) -> Message {
    if request.msg_type() == "complete_request" {
        let cursor = request.content["cursor_pos"].as_u64().unwrap_or(0);
        let content = json!({
            "status": "ok", "matches": [], "cursor_start": cursor, "cursor_end": cursor,
            "metadata": {},
        });
        request.child("complete_reply", session, content)
    } else {
        let content = json!({ "status": "ok", "found": false, "data": {}, "metadata": {} });
        request.child("inspect_reply", session, content)
    }
}

/// The error reply to a request over the size limit: `x_request` gets `x_reply`.
fn too_large_reply(request: &Message, size: usize, session: &str) -> Option<Message> {
    let reply_type = request.msg_type().strip_suffix("_request")?.to_owned() + "_reply";
    let evalue = format!(
        "the request is {size} bytes; the kernel accepts at most {MAX_MESSAGE_BYTES} bytes \
         (16 MiB). Split the cell, or load large data from a file."
    );
    let content = json!({
        "status": "error",
        "ename": "RequestTooLarge",
        "evalue": evalue,
        "traceback": [format!("RequestTooLarge: {evalue}")],
    });
    Some(request.child(&reply_type, session, content))
}

/// How long a reply may wait for a client's socket. A client that stops reading must not stop
/// the kernel: after this, its reply is dropped (zeromq keeps the bytes already queued, so the
/// connection's framing stays intact).
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn within_send_timeout(
    send: impl std::future::Future<Output = zeromq::ZmqResult<()>>,
) -> Result<(), String> {
    match tokio::time::timeout(SEND_TIMEOUT, send).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "the client did not read it within {SEND_TIMEOUT:?}"
        )),
    }
}
