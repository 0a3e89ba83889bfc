//! The evaluation thread: owns evcxr's `CommandContext`, loads the prelude in the background at
//! start-up, and runs jobs (execute, complete, inspect) one at a time. It never touches sockets;
//! it reports through [`Event`]s that the server loop sends in order.

use crate::diagnostics::{self, Failure};
use crate::interrupt::{Interrupter, Stopped};
use crate::output::{Forwarder, PANIC_PREFIX};
use crate::progress::BuildProgress;
use crate::wire::Message;
use crossbeam_channel::{Receiver, Sender};
use evcxr::{CommandContext, EvalCallbacks, PrepareInterrupt};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

/// What the evaluation side tells the server loop.
pub enum Event {
    /// Publish on iopub (the loop sets the topic).
    Iopub(Message),
    /// Send on the stdin socket (an input_request).
    Stdin(Message),
    /// The current job is finished: send `reply` on shell, then publish idle.
    Done { reply: Message, failed: bool },
    /// Warm-up finished (successfully or not): complete/inspect may now use the analyzer.
    Ready,
}

pub enum Job {
    Execute {
        request: Message,
        execution_count: u32,
    },
    Complete(Message),
    Inspect(Message),
}

pub struct Settings {
    /// Why no Rust toolchain can be run, if so: then evcxr is not started and every cell says
    /// this (see [`crate::toolchain::missing`]).
    pub toolchain_missing: Option<String>,
    /// The prelude crate (`faultline`) to preload.
    pub prelude: PathBuf,
    /// The notebooks' crate (`faultline-lab`) to preload beside it, if there is one.
    pub lab: Option<PathBuf>,
    /// A Cargo.lock that pins the prelude's dependencies (copied into the build directory so
    /// resolution is offline and matches the versions already compiled).
    pub lockfile: Option<PathBuf>,
    /// The persistent build slot (a cargo workspace around evcxr's crate), if we hold one.
    pub build_dir: Option<PathBuf>,
    /// The standard library's sources, loaded into rust-analyzer on the first completion or
    /// hover (see [`crate::toolchain`]).
    pub std_sources: Option<PathBuf>,
    pub session: String,
}

/// Installed in the child before any cell runs: reports panics to the kernel as one JSON line,
/// so a panicking cell is an error (evcxr itself reports it as success) and nothing else is
/// printed. Libraries are never unloaded by evcxr, so the hook outlives the cell that installs
/// it. It runs in the learner's crate, where no JSON library is in scope (the prelude may have
/// failed to load), hence the few lines of string escaping.
const PANIC_HOOK: &str = r#"std::panic::set_hook(Box::new(|info| {
    fn json(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' | '\\' => { out.push('\\'); out.push(c); }
                c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    let payload = info.payload();
    let message = payload.downcast_ref::<&str>().map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    let (file, line) = info.location().map(|l| (l.file().to_string(), l.line())).unwrap_or_default();
    println!("FAULTLINE_PANIC {{\"message\":{},\"file\":{},\"line\":{}}}", json(&message), json(&file), line);
}));"#;

/// Shows a cell's last value in one build: evcxr compiles `(value).evcxr_display()` first and,
/// when that fails, compiles the cell again printing `{:?}`. With this trait in the session the
/// first build succeeds for every `Debug` value; figures and tables keep their own (inherent)
/// method, which Rust prefers. It lives in the session, not the prelude: a trait that provides
/// `evcxr_display` without being in scope would break other evcxr kernels' fallback.
const DEBUG_DISPLAY: &str = r#"trait FaultlineDebugDisplay { fn evcxr_display(&self); }
impl<T: std::fmt::Debug + ?Sized> FaultlineDebugDisplay for T {
    fn evcxr_display(&self) {
        let text = format!("{:?}", self);
        let _ = faultline::display::write_evcxr(&mut std::io::stdout().lock(), &[("text/plain", text)]);
    }
}"#;

/// Controls the evaluation thread from the server loop.
#[derive(Clone)]
pub struct Handle {
    jobs: Sender<Job>,
    child: Arc<Mutex<Option<Arc<Mutex<Child>>>>>,
    /// Stops a cell evcxr is still analysing or building.
    prepare: Arc<Mutex<Option<PrepareInterrupt>>>,
    interrupter: Interrupter,
    input: Sender<String>,
}

impl Handle {
    pub fn submit(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    /// Stops the running cell, if one is still running: its compile, or else evcxr's child
    /// process (evcxr restarts it); a pending input request is answered with an empty line so
    /// the cell can unwind.
    pub fn interrupt(&self) {
        let prepare = self.prepare.lock().unwrap().clone();
        let stop_preparing = || prepare.as_ref().is_some_and(PrepareInterrupt::interrupt);
        if self
            .interrupter
            .interrupt(stop_preparing, || self.kill_child())
        {
            let _ = self.input.send(String::new());
        }
    }

    pub fn input_reply(&self, value: String) {
        let _ = self.input.send(value);
    }

    pub fn kill_child(&self) {
        if let Some(child) = self.child.lock().unwrap().as_ref() {
            let _ = child.lock().unwrap().kill();
        }
    }
}

pub fn spawn(
    settings: Settings,
    events: UnboundedSender<Event>,
    progress: Option<BuildProgress>,
) -> Handle {
    let (jobs, job_rx) = crossbeam_channel::unbounded();
    let (input, input_rx) = crossbeam_channel::unbounded();
    let handle = Handle {
        jobs,
        child: Arc::new(Mutex::new(None)),
        prepare: Arc::new(Mutex::new(None)),
        interrupter: Interrupter::new(),
        input,
    };
    let shared = handle.clone();
    std::thread::Builder::new()
        .name("evaluator".into())
        .spawn(move || {
            let mut evaluator =
                Evaluator::start(settings, events.clone(), &shared, input_rx, progress);
            let _ = events.send(Event::Ready);
            for job in job_rx {
                evaluator.run(job);
            }
        })
        .expect("spawn evaluator thread");
    handle
}

struct Evaluator {
    context: Result<(CommandContext, Forwarder), String>,
    /// Why the prelude failed to load, reported by the next cell (then cleared).
    prelude_failure: Option<Failure>,
    events: UnboundedSender<Event>,
    session: String,
    interrupter: Interrupter,
    input: Receiver<String>,
    progress: Option<BuildProgress>,
    /// Std sources not yet given to rust-analyzer.
    pending_std: Option<PathBuf>,
    /// evcxr's crate directory (whose Cargo.toml rust-analyzer watches), when we chose it.
    crate_dir: Option<PathBuf>,
    /// Variables a re-run definition or a move dropped, with the note that said so: a later
    /// cell that names one is reminded why it is gone.
    dropped: HashMap<String, String>,
}

impl Evaluator {
    fn start(
        settings: Settings,
        events: UnboundedSender<Event>,
        handle: &Handle,
        input: Receiver<String>,
        progress: Option<BuildProgress>,
    ) -> Evaluator {
        let started = std::time::Instant::now();
        let context = match &settings.toolchain_missing {
            Some(why) => Err(why.clone()),
            None => Self::start_evcxr(&settings, &events, handle),
        };
        let mut evaluator = Evaluator {
            context,
            prelude_failure: None,
            events,
            session: settings.session.clone(),
            interrupter: handle.interrupter.clone(),
            input,
            progress,
            pending_std: settings.std_sources.clone(),
            crate_dir: settings.build_dir.as_ref().map(|d| d.join("crate")),
            dropped: HashMap::new(),
        };
        let evcxr_ready = started.elapsed();
        evaluator.load_prelude(&settings);
        // In the server log, so slow start-ups can be diagnosed.
        eprintln!(
            "[faultline-kernel] evcxr started in {:.2} s, prelude {} after {:.2} s",
            evcxr_ready.as_secs_f64(),
            if evaluator.prelude_failure.is_some() {
                "failed"
            } else {
                "loaded"
            },
            started.elapsed().as_secs_f64()
        );
        evaluator
    }

    /// Starts evcxr's child process, forwarding what it prints.
    fn start_evcxr(
        settings: &Settings,
        events: &UnboundedSender<Event>,
        handle: &Handle,
    ) -> Result<(CommandContext, Forwarder), String> {
        CommandContext::new()
            .map(|(context, outputs)| {
                *handle.child.lock().unwrap() = Some(context.process_handle());
                *handle.prepare.lock().unwrap() = Some(context.prepare_interrupt());
                let forwarder = Forwarder::spawn(
                    outputs.stdout,
                    outputs.stderr,
                    events.clone(),
                    settings.session.clone(),
                    context.process_handle(),
                );
                (context, forwarder)
            })
            .map_err(|e| format!("evcxr could not start: {e}"))
    }

    /// `:dep` the prelude crate (and the lab crate), bring them into scope and install the panic hook, in one
    /// compilation. On failure the hook is installed alone and the reason kept for the next cell.
    fn load_prelude(&mut self, settings: &Settings) {
        let Ok((context, _)) = &mut self.context else {
            return;
        };
        // The prelude's own lockfile is the source of truth; the copy saved after the last
        // successful load serves a prelude that ships without one.
        let saved_lock = settings.build_dir.as_ref().map(|d| d.join("prelude.lock"));
        if let Some(dir) = &settings.build_dir {
            let source = settings
                .lockfile
                .clone()
                .or(saved_lock.clone().filter(|p| p.exists()));
            if let Some(source) = source {
                let _ = std::fs::copy(source, dir.join("Cargo.lock"));
            }
        }
        let prelude = settings.prelude.display().to_string();
        // Both preludes in scope; they never name the same item, so the globs cannot clash.
        let lab = match &settings.lab {
            Some(lab) => format!(
                ":dep faultline-lab = {{ path = {:?} }}\nuse faultline_lab::prelude::*;\n",
                lab.display().to_string()
            ),
            None => String::new(),
        };
        let code = format!(
            ":dep faultline = {{ path = {prelude:?} }}\n{lab}use faultline::prelude::*;\n{DEBUG_DISPLAY}\n{PANIC_HOOK}"
        );
        match context.execute(&code) {
            Ok(_) => {
                if let (Some(dir), Some(saved)) = (&settings.build_dir, saved_lock) {
                    let _ = std::fs::copy(dir.join("Cargo.lock"), saved);
                }
            }
            Err(error) => {
                let detail = diagnostics::from_evcxr(&error, "");
                self.prelude_failure = Some(Failure {
                    ename: "PreludeLoadError".into(),
                    evalue: format!(
                        "the Faultline prelude ({prelude}) failed to load: {}",
                        detail.evalue
                    ),
                    traceback: [format!(
                        "The Faultline prelude at {prelude} failed to load, so `use faultline::prelude::*;` is not in scope.\n\
                         This cell was not run; run it again to evaluate it without the prelude.\n"
                    )]
                    .into_iter()
                    .chain(detail.traceback)
                    .collect(),
                });
                let _ = context.execute(PANIC_HOOK);
            }
        }
    }

    fn run(&mut self, job: Job) {
        let (reply, failed) = match job {
            Job::Execute {
                request,
                execution_count,
            } => self.execute(&request, execution_count),
            Job::Complete(request) => (self.complete(&request), false),
            Job::Inspect(request) => (self.inspect(&request), false),
        };
        let _ = self.events.send(Event::Done { reply, failed });
    }

    fn execute(&mut self, request: &Message, execution_count: u32) -> (Message, bool) {
        let code = request.str_field("code").to_owned();
        let silent = request.bool_field("silent", false);
        let progress = self.progress.clone().filter(|_| !silent);
        if let Some(progress) = &progress {
            progress.attach(request);
        }
        let outcome = match self.prelude_failure.take() {
            Some(failure) => Err(failure),
            None => self.evaluate(request, &code, silent),
        };
        if let Some(progress) = &progress {
            progress.detach();
        }
        let content = match outcome {
            Ok((data, payload)) => {
                // A cell ending in a unit expression (e.g. `println!(..)`) shows nothing.
                let unit = data.len() == 1 && data.get("text/plain") == Some(&json!("()"));
                if !silent && !data.is_empty() && !unit {
                    let result = json!({
                        "execution_count": execution_count,
                        "data": data,
                        "metadata": {},
                    });
                    self.publish(request, "execute_result", result);
                }
                json!({
                    "status": "ok",
                    "execution_count": execution_count,
                    "payload": payload,
                    "user_expressions": {},
                })
            }
            Err(failure) => {
                let error = json!({
                    "ename": failure.ename,
                    "evalue": failure.evalue,
                    "traceback": failure.traceback,
                });
                if !silent {
                    self.publish(request, "error", error.clone());
                }
                let mut content = error;
                content["status"] = "error".into();
                content["execution_count"] = execution_count.into();
                content
            }
        };
        let failed = content["status"] == "error";
        (
            request.child("execute_reply", &self.session, content),
            failed,
        )
    }

    /// Runs one cell: the result's mime bundle and reply payload, or why it failed.
    fn evaluate(
        &mut self,
        request: &Message,
        code: &str,
        silent: bool,
    ) -> Result<(Map<String, Value>, Vec<Value>), Failure> {
        if let Some(expression) = code.trim().strip_prefix(":doc ") {
            return Ok((Map::new(), vec![self.doc_page(expression.trim())?]));
        }
        let events = self.events.clone();
        let session = self.session.clone();
        let input = self.input.clone();
        let allow_stdin = request.bool_field("allow_stdin", true);
        let interrupter = self.interrupter.clone();
        let (context, forwarder) = self
            .context
            .as_mut()
            .map_err(|why| Failure::new("KernelStartError", why.clone()))?;
        // The closure is written where evcxr's callback type is expected: that type's argument
        // (`InputRequest`) is not exported, so it must be inferred.
        let mut callbacks = EvalCallbacks {
            input_reader: &move |asked| {
                if !allow_stdin {
                    let note = "faultline kernel: this front end does not accept input; read an empty line\n";
                    let content = json!({ "name": "stderr", "text": note });
                    let _ = events.send(Event::Iopub(request.child("stream", &session, content)));
                    return String::new();
                }
                while input.try_recv().is_ok() {}
                let content = json!({ "prompt": asked.prompt, "password": asked.is_password });
                let message = request.child("input_request", &session, content);
                let _ = events.send(Event::Stdin(message));
                input.recv().unwrap_or_default()
            },
        };
        crate::variables::check(code, context.variables_and_types().map(|(name, _)| name))?;
        forwarder.begin(request, silent);
        let watcher = interrupter.clone();
        let (result, stopped) = interrupter
            .during(|| crate::infer::execute(context, code, &mut callbacks, &|| watcher.stopped()));
        let panics = forwarder.finish();
        let generated = context.last_source().ok();
        let notices = context.take_notices();
        // Variables defined again are no longer "dropped".
        if result.is_ok() {
            let kept: Vec<String> = context
                .variables_and_types()
                .map(|(n, _)| n.to_owned())
                .collect();
            self.dropped.retain(|name, _| !kept.contains(name));
        }
        let crashed = matches!(result, Err(evcxr::Error::SubprocessTerminated(_)));
        // Before anything is reported: a dead child gets its panic hook back, so the next cell's
        // panic is an error again (a panic while unwinding aborts the child).
        if crashed || stopped == Stopped::Child {
            self.recover_child();
        }
        // What re-running definitions dropped (stale items, variables of a redefined type or
        // moved away) is said before the cell's result or error.
        for notice in notices {
            for variable in &notice.variables {
                self.dropped.insert(variable.clone(), notice.text.clone());
            }
            let text = format!("{}\n", notice.text);
            self.publish(request, "stream", json!({ "name": "stderr", "text": text }));
        }
        match stopped {
            Stopped::Child => return Err(diagnostics::interrupted()),
            Stopped::Compile => return Err(diagnostics::interrupted_compile()),
            Stopped::Nothing => {}
        }
        // Only a panic that escaped the cell fails it; one the cell caught itself (or one from a
        // thread of an earlier cell) is shown as the stderr text Rust would print.
        let escaped = result.as_ref().is_ok_and(|outputs| outputs.panicked);
        if escaped || (crashed && !panics.is_empty()) {
            let report = panics
                .last()
                .map_or("", |r| r.trim_start_matches(PANIC_PREFIX));
            return Err(diagnostics::panic(
                report,
                code,
                generated.as_deref(),
                crashed,
            ));
        }
        for report in &panics {
            let text = diagnostics::caught_panic(report.trim_start_matches(PANIC_PREFIX));
            self.publish(request, "stream", json!({ "name": "stderr", "text": text }));
        }
        match result {
            Ok(outputs) => Ok((
                outputs
                    .content_by_mime_type
                    .into_iter()
                    .map(|(mime, text)| (mime, Value::String(text)))
                    .collect(),
                Vec::new(),
            )),
            Err(error) => Err(diagnostics::recall_dropped(
                diagnostics::from_evcxr(&error, code),
                &error,
                &self.dropped,
            )),
        }
    }

    /// After the child was killed or died: make evcxr restart it (if it has not noticed yet)
    /// and reinstall the panic hook, so the next cell works as usual.
    fn recover_child(&mut self) {
        if let Ok((context, forwarder)) = &mut self.context {
            for _ in 0..2 {
                let outcome = context.execute(PANIC_HOOK);
                forwarder.finish();
                if !matches!(outcome, Err(evcxr::Error::SubprocessTerminated(_))) {
                    break;
                }
            }
        }
    }

    /// `:doc EXPR` shows rust-analyzer's documentation for EXPR in the pager.
    fn doc_page(&mut self, expression: &str) -> Result<Value, Failure> {
        if let Err(why) = &self.context {
            return Err(Failure::new("KernelStartError", why.clone()));
        }
        let (text, html) = self
            .analyze(|context| context.hover_at(expression, expression.len()))
            .unwrap_or_else(|| ("No documentation found".into(), String::new()));
        let mut data = json!({ "text/plain": text });
        if !html.is_empty() {
            data["text/html"] = html.into();
        }
        Ok(json!({ "source": "page", "data": data, "start": 0 }))
    }

    fn complete(&mut self, request: &Message) -> Message {
        let code = request.str_field("code");
        let cursor = char_to_byte(code, request.content["cursor_pos"].as_u64());
        let found = self.analyze(|context| context.completions(code, cursor));
        let (matches, start, end) = match found {
            Some(c) => (
                c.completions.into_iter().map(|c| c.code).collect(),
                c.start_offset,
                c.end_offset,
            ),
            None => (Vec::new(), cursor, cursor),
        };
        let content = json!({
            "status": "ok",
            "matches": matches,
            "cursor_start": byte_to_char(code, start),
            "cursor_end": byte_to_char(code, end),
            "metadata": {},
        });
        request.child("complete_reply", &self.session, content)
    }

    fn inspect(&mut self, request: &Message) -> Message {
        let code = request.str_field("code");
        let cursor = end_of_identifier(
            code,
            char_to_byte(code, request.content["cursor_pos"].as_u64()),
        );
        let hover = self.analyze(|context| context.hover_at(code, cursor));
        let content = match hover {
            Some((text, html)) if !text.is_empty() && text != "No documentation found" => json!({
                "status": "ok", "found": true,
                "data": { "text/plain": text, "text/html": html }, "metadata": {},
            }),
            _ => json!({ "status": "ok", "found": false, "data": {}, "metadata": {} }),
        };
        request.child("inspect_reply", &self.session, content)
    }

    /// Runs a rust-analyzer query; any error or panic inside it means "no answer", never a
    /// crash. The first query also gives rust-analyzer the std sources, if installed.
    fn analyze<T, E>(
        &mut self,
        mut query: impl FnMut(&mut CommandContext) -> Result<T, E>,
    ) -> Option<T> {
        let pending = self.pending_std.take();
        let (context, _) = self.context.as_mut().ok()?;
        if let Some(sources) = pending {
            load_std_sources(context, &sources, self.crate_dir.as_deref());
        }
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| query(context)))
            .ok()
            .and_then(Result::ok)
    }

    fn publish(&self, parent: &Message, msg_type: &str, content: Value) {
        let _ = self
            .events
            .send(Event::Iopub(parent.child(msg_type, &self.session, content)));
    }
}

/// Makes rust-analyzer load the standard library's sources from `sources`.
///
/// rust-analyzer reads `RUST_SRC_PATH` only when it reloads the workspace, which it does when
/// the Cargo.toml evcxr writes before each analysis differs from the one it loaded. A throwaway
/// query under another `:opt` changes just that file (the slot's workspace manifest, not this
/// one, sets how cells build) and so reloads; the query that follows, under evcxr's own
/// Cargo.toml, reloads once more, so the next cell does not.
fn load_std_sources(context: &mut CommandContext, sources: &Path, crate_dir: Option<&Path>) {
    let started = std::time::Instant::now();
    // Only this thread runs rust-analyzer's workspace loads, and std serialises environment
    // access among the other threads (none of which reads it through libc).
    std::env::set_var("RUST_SRC_PATH", sources);
    // evcxr's default is 2; its crate directory, when we chose it, tells the current level.
    let manifest = crate_dir
        .and_then(|dir| std::fs::read_to_string(dir.join("Cargo.toml")).ok())
        .unwrap_or_default();
    let other_level = if manifest.contains("opt-level = 0") {
        1
    } else {
        0
    };
    let throwaway = format!(":opt {other_level}\n()");
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        context.completions(&throwaway, throwaway.len())
    }));
    eprintln!(
        "[faultline-kernel] std sources ({}) given to rust-analyzer in {:.2} s",
        sources.display(),
        started.elapsed().as_secs_f64()
    );
}

/// Jupyter cursor positions count Unicode code points; evcxr wants byte offsets.
fn char_to_byte(code: &str, chars: Option<u64>) -> usize {
    let chars = chars.map_or(usize::MAX, |c| c as usize);
    code.char_indices()
        .nth(chars)
        .map_or(code.len(), |(i, _)| i)
}

fn byte_to_char(code: &str, byte: usize) -> usize {
    code[..byte.min(code.len())].chars().count()
}

/// Hover wants the cursor at the end of the name it should describe.
fn end_of_identifier(code: &str, mut byte: usize) -> usize {
    while let Some(c) = code[byte..].chars().next() {
        if !(c.is_alphanumeric() || c == '_') {
            break;
        }
        byte += c.len_utf8();
    }
    byte
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_conversions() {
        let code = "é + ab";
        assert_eq!(char_to_byte(code, Some(1)), 2);
        assert_eq!(char_to_byte(code, None), code.len());
        assert_eq!(byte_to_char(code, 2), 1);
        assert_eq!(end_of_identifier("foo.bar()", 5), 7);
    }
}
