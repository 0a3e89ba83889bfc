// PATCH(faultline): this whole file is new.
//
//! The child's standard input, shared by evcxr's commands and the user's code.
//!
//! Upstream, the child read evcxr's commands from fd 0, and so did a cell calling
//! `std::io::stdin().read_line`: that read waited for a line nobody would send (the parent waits
//! for the cell to finish) and hung with no prompt. Here a relay thread owns the command pipe:
//! lines that arrive while no cell runs are commands, for the run loop; lines that arrive while
//! a cell runs are answers to input requests, written to a pipe that replaces fd 0 for the
//! user's code. A watcher notices a thread blocked reading an empty fd 0 while a cell runs and
//! asks the parent for a line with `EVCXR_STDIN_READ <answers so far in this run>`: the count
//! lets the parent ignore a request that an answer already satisfied (one `evcxr_input` asked
//! for itself, say).

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Printed (after any partial line the user printed, which becomes the prompt) to ask the
/// parent for a line of input.
pub(crate) const STDIN_READ: &str = "EVCXR_STDIN_READ ";

static RUNNING: AtomicBool = AtomicBool::new(false);
/// Runs started, so the watcher asks once per blocked read even across quick runs.
static RUN: AtomicU64 = AtomicU64::new(0);
/// Answers written to the user's stdin during the current run.
static DELIVERED: AtomicU64 = AtomicU64::new(0);
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Marks the start (true) or end (false) of running a cell's code. The end must be marked
/// before the completion line is printed, so that the next command is routed as one.
pub(crate) fn set_running(on: bool) {
    if on {
        DELIVERED.store(0, Ordering::SeqCst);
        RUN.fetch_add(1, Ordering::SeqCst);
    }
    RUNNING.store(on, Ordering::SeqCst);
}

/// Starts the relay and the watcher; returns evcxr's commands, one line each. Where fd 0
/// cannot be split, commands are read from it directly, as upstream does.
pub(crate) fn commands() -> mpsc::Receiver<std::io::Result<String>> {
    let (sender, receiver) = mpsc::channel();
    match split_stdin() {
        Some((commands, answers)) => {
            std::thread::spawn(move || relay(commands, answers, sender));
            std::thread::spawn(watch);
        }
        None => {
            std::thread::spawn(move || {
                for line in std::io::stdin().lock().lines() {
                    if sender.send(line).is_err() {
                        return;
                    }
                }
            });
        }
    }
    receiver
}

/// Moves the command pipe off fd 0 and puts a fresh pipe there for the user's code. Returns
/// the command pipe and the write end of the user's stdin.
fn split_stdin() -> Option<(File, File)> {
    // SAFETY: plain descriptor calls on descriptors this function owns; each result is checked.
    unsafe {
        let commands = libc::dup(0);
        if commands < 0 {
            return None;
        }
        let mut pipe = [0; 2];
        if libc::pipe(pipe.as_mut_ptr()) != 0 || libc::dup2(pipe[0], 0) < 0 {
            libc::close(commands);
            return None;
        }
        libc::close(pipe[0]);
        // Processes the user starts must not inherit these two.
        libc::fcntl(commands, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(pipe[1], libc::F_SETFD, libc::FD_CLOEXEC);
        Some((File::from_raw_fd(commands), File::from_raw_fd(pipe[1])))
    }
}

fn relay(commands: File, mut answers: File, sender: mpsc::Sender<std::io::Result<String>>) {
    for line in BufReader::new(commands).lines() {
        match line {
            Ok(line) if RUNNING.load(Ordering::SeqCst) => {
                let _ = writeln!(answers, "{line}");
                DELIVERED.fetch_add(1, Ordering::SeqCst);
            }
            other => {
                if sender.send(other).is_err() {
                    return;
                }
            }
        }
    }
}

fn watch() {
    let mut asked: Option<(u64, u64)> = None;
    loop {
        std::thread::sleep(WATCH_EVERY);
        if !RUNNING.load(Ordering::SeqCst) {
            continue;
        }
        let now = (RUN.load(Ordering::SeqCst), DELIVERED.load(Ordering::SeqCst));
        if asked == Some(now) || unread_stdin() != Some(0) || !reader_waiting_on_stdin() {
            continue;
        }
        println!("{STDIN_READ}{}", now.1);
        asked = Some(now);
    }
}

/// Bytes waiting in the user's stdin pipe.
fn unread_stdin() -> Option<usize> {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    let ok = unsafe { libc::ioctl(0, libc::FIONREAD, &mut count) } == 0;
    ok.then_some(count as usize)
}

/// Whether one of this process's threads is blocked in `read(0, …)`, from
/// `/proc/self/task/*/syscall` (the syscall number, then its arguments in hex).
fn reader_waiting_on_stdin() -> bool {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return false;
    };
    tasks.flatten().any(|task| {
        let Ok(text) = std::fs::read_to_string(task.path().join("syscall")) else {
            return false;
        };
        let mut fields = text.split_whitespace();
        let number = fields.next().and_then(|n| n.parse::<libc::c_long>().ok());
        number == Some(libc::SYS_read) && fields.next() == Some("0x0")
    })
}
