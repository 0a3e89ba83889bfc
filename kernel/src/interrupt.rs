//! Interrupting a cell. An interrupt stops exactly the cell that is running, never the next
//! one (it could arrive just as a cell finished, and used to kill the next cell's process); a
//! cell that is still compiling — rust-analyzer typing its variables inside this process, or
//! cargo building it — is stopped before it runs instead, so no variable is lost.

use std::sync::{Arc, Mutex};

/// What an interrupt stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stopped {
    Nothing,
    /// The cell's analysis or build, before it ran: evcxr's process and the variables in it
    /// are intact.
    Compile,
    /// evcxr's process, while it ran the cell: the variables are gone.
    Child,
}

/// Shared by the evaluator thread (which marks when a cell runs) and the server loop (which
/// interrupts). One lock orders the two, so an interrupt after the cell's end does nothing.
#[derive(Clone)]
pub struct Interrupter {
    state: Arc<Mutex<State>>,
}

struct State {
    running: bool,
    stopped: Stopped,
}

impl Interrupter {
    pub fn new() -> Interrupter {
        Interrupter {
            state: Arc::new(Mutex::new(State {
                running: false,
                stopped: Stopped::Nothing,
            })),
        }
    }

    /// Whether an interrupt stopped the cell being evaluated.
    pub fn stopped(&self) -> bool {
        self.state.lock().unwrap().stopped != Stopped::Nothing
    }

    /// Runs a cell's evaluation, open to interrupts; returns its result and what an interrupt
    /// stopped meanwhile.
    pub fn during<T>(&self, evaluate: impl FnOnce() -> T) -> (T, Stopped) {
        *self.state.lock().unwrap() = State {
            running: true,
            stopped: Stopped::Nothing,
        };
        let result = evaluate();
        let mut state = self.state.lock().unwrap();
        state.running = false;
        (
            result,
            std::mem::replace(&mut state.stopped, Stopped::Nothing),
        )
    }

    /// Stops the running cell, if there is one. While it is still being prepared
    /// (`stop_preparing` returns whether it was: evcxr then stops before running it), or while
    /// a compiler runs, the compiler is killed; otherwise evcxr's process is (through
    /// `kill_child`). Returns whether anything was stopped.
    pub fn interrupt(
        &self,
        stop_preparing: impl FnOnce() -> bool,
        kill_child: impl FnOnce(),
    ) -> bool {
        let mut state = self.state.lock().unwrap();
        if !state.running || state.stopped != Stopped::Nothing {
            return false;
        }
        let preparing = stop_preparing();
        state.stopped = if kill_compilers() || preparing {
            Stopped::Compile
        } else {
            kill_child();
            Stopped::Child
        };
        true
    }
}

/// Kills every `cargo` among this process's children, and everything it started (rustc).
/// evcxr builds each cell with cargo, so this ends a compile; returns whether one was running.
fn kill_compilers() -> bool {
    let me = std::process::id();
    let cargos: Vec<u32> = children(me)
        .into_iter()
        .filter(|&pid| command_name(pid).as_deref() == Some("cargo"))
        .collect();
    for &cargo in &cargos {
        kill_tree(cargo);
    }
    !cargos.is_empty()
}

/// Kills `pid`'s descendants first, then `pid`, so no rustc is left orphaned and running.
fn kill_tree(pid: u32) {
    // SAFETY: SIGSTOP first keeps the process from starting new children while we look.
    unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    for child in children(pid) {
        kill_tree(child);
    }
    // SAFETY: kill takes a pid and a signal; a process that is already gone makes it fail.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
}

/// Direct children of `pid`, from every thread's `children` list in /proc.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

fn command_name(pid: u32) -> Option<String> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(name.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn an_interrupt_outside_a_cell_does_nothing() {
        let interrupter = Interrupter::new();
        let mut killed = false;
        assert!(!interrupter.interrupt(|| false, || killed = true));
        assert!(!killed);
        let ((), stopped) = interrupter.during(|| ());
        assert_eq!(stopped, Stopped::Nothing);
        assert!(!interrupter.interrupt(|| false, || killed = true));
        assert!(!killed);
    }

    #[test]
    fn an_interrupt_during_a_cell_stops_it_once() {
        let interrupter = Interrupter::new();
        let inside = interrupter.clone();
        let (count, stopped) = interrupter.during(|| {
            let mut kills = 0;
            inside.interrupt(|| false, || kills += 1);
            assert!(inside.stopped());
            inside.interrupt(|| false, || kills += 1);
            kills
        });
        assert_eq!((count, stopped), (1, Stopped::Child));
        assert!(!interrupter.stopped());
    }

    #[test]
    fn an_interrupt_while_preparing_keeps_the_process() {
        let interrupter = Interrupter::new();
        let inside = interrupter.clone();
        let mut killed = false;
        let ((), stopped) = interrupter.during(|| {
            assert!(inside.interrupt(|| true, || killed = true));
        });
        assert_eq!(stopped, Stopped::Compile);
        assert!(!killed);
    }

    #[test]
    fn finds_and_kills_a_process_tree() {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while children(child.id()).is_empty() {
            assert!(std::time::Instant::now() < deadline, "sleep never started");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let grandchild = children(child.id())[0];
        assert!(children(std::process::id()).contains(&child.id()));
        kill_tree(child.id());
        child.wait().unwrap();
        while !gone(grandchild) {
            assert!(
                std::time::Instant::now() < deadline,
                "the grandchild survived"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Exited (perhaps not yet reaped by whoever inherited it).
    fn gone(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    }
}
