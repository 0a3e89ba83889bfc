//! evcxr's child process (this binary, re-executed) must never outlive the kernel: an orphan
//! keeps the learner's threads, memory and open files alive with nobody left to stop it.

/// Set by evcxr in the environment of its child process.
const EVCXR_CHILD_VAR: &str = "EVCXR_IS_RUNTIME";
/// The kernel's process id, inherited by the child, so the child can tell whether the kernel
/// died before [`die_with_kernel`] armed the signal.
const KERNEL_PID_VAR: &str = "FAULTLINE_KERNEL_PID";

/// Records this process as the kernel. Call before any thread starts (it sets an environment
/// variable).
pub fn announce_kernel() {
    std::env::set_var(KERNEL_PID_VAR, std::process::id().to_string());
}

/// In evcxr's child: asks Linux to SIGKILL this process when the kernel's thread that spawned
/// it (the evaluator thread, which lives as long as the kernel) ends, and exits at once if the
/// kernel is already gone. Does nothing in the kernel itself or elsewhere.
pub fn die_with_kernel() {
    if std::env::var_os(EVCXR_CHILD_VAR).is_none() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory of ours.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    }
    let kernel = std::env::var(KERNEL_PID_VAR)
        .ok()
        .and_then(|pid| pid.parse::<u32>().ok());
    if kernel.is_some_and(|pid| parent_pid() != pid) {
        std::process::exit(1);
    }
}

fn parent_pid() -> u32 {
    // SAFETY: getppid cannot fail.
    unsafe { libc::getppid() as u32 }
}
