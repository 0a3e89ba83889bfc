// PATCH(faultline): this whole file is new.
//
//! Interrupting a cell before its code runs. Preparing a cell (rust-analyzer typing its
//! variables, cargo building it) is not done by the child process, so killing the child does
//! not stop it, and rust-analyzer runs inside this process. A [`PrepareInterrupt`] makes the
//! evaluation stop at its next step, before anything runs (every variable is kept), and stop
//! waiting for rust-analyzer at once (see `RustAnalyzer::top_level_variables`).

use anyhow::bail;
use std::sync::Arc;
use std::sync::Mutex;

/// Shared between the thread that evaluates and the one that interrupts.
#[derive(Clone, Default)]
pub struct PrepareInterrupt {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// An evaluation is under way and has not started running the cell's code yet.
    preparing: bool,
    /// An interrupt arrived while preparing.
    requested: bool,
}

impl PrepareInterrupt {
    /// Stops the current evaluation if it has not started running the cell's code: it ends
    /// with an error before running. Returns whether it was still preparing (otherwise nothing
    /// is done; the caller stops the run).
    pub fn interrupt(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        state.requested |= state.preparing;
        state.preparing
    }

    /// An evaluation starts.
    pub(crate) fn begin(&self) {
        *self.state.lock().unwrap() = State {
            preparing: true,
            requested: false,
        };
    }

    /// The evaluation is over (however it ended).
    pub(crate) fn end(&self) {
        self.state.lock().unwrap().preparing = false;
    }

    /// Whether an interrupt arrived while preparing.
    pub(crate) fn requested(&self) -> bool {
        self.state.lock().unwrap().requested
    }

    /// Fails if an interrupt arrived while preparing.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if self.requested() {
            bail!("{INTERRUPTED}");
        }
        Ok(())
    }

    /// The cell's code is about to run: from now on interrupts are the caller's to handle.
    /// Fails instead if an interrupt arrived while preparing.
    pub(crate) fn start_running(&self) -> anyhow::Result<()> {
        let mut state = self.state.lock().unwrap();
        if state.requested {
            bail!("{INTERRUPTED}");
        }
        state.preparing = false;
        Ok(())
    }
}

/// The error an interrupted preparation ends with.
pub(crate) const INTERRUPTED: &str = "Interrupted before the cell ran";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupts_only_while_preparing() {
        let interrupt = PrepareInterrupt::default();
        assert!(!interrupt.interrupt());
        interrupt.begin();
        assert!(interrupt.check().is_ok());
        assert!(interrupt.interrupt());
        assert!(interrupt.requested());
        assert!(interrupt.check().is_err());
        assert!(interrupt.start_running().is_err());
        interrupt.begin();
        assert!(!interrupt.requested());
        assert!(interrupt.start_running().is_ok());
        assert!(!interrupt.interrupt());
        interrupt.end();
        assert!(!interrupt.interrupt());
    }
}
