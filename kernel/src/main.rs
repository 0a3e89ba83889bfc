//! `faultline-kernel`: a Jupyter kernel for Rust built on the evcxr library, with the Faultline
//! simulation prelude and the notebooks' lab crate in scope in every session
//! (`use faultline::prelude::*; use faultline_lab::prelude::*;`).
//!
//! Layout: [`connection`] and [`wire`] (+ [`signing`]) speak the Jupyter protocol; [`server`]
//! owns the sockets and answers requests; [`evaluator`] runs cells on evcxr in its own thread,
//! with [`output`] streaming what they print, [`display`] turning display lines into rich
//! output, [`infer`] typing variables rust-analyzer cannot and [`progress`] showing
//! dependency builds; [`diagnostics`] formats failures; [`is_complete`] and [`history`] answer their
//! requests; [`toolchain`] and [`cache`] make start-up fast without touching the toolchain;
//! [`cli`] reads the command line and [`install`] writes the kernelspec; [`widgets`] speaks comms
//! and the widget protocol and serves interactive outputs from evcxr's child.

mod cache;
mod child;
mod cli;
mod connection;
mod diagnostics;
mod display;
mod evaluator;
mod history;
mod infer;
mod install;
mod interrupt;
mod is_complete;
mod output;
mod progress;
mod seed;
mod server;
mod signing;
mod toolchain;
mod variables;
mod vendor;
mod widgets;
mod wire;

use cli::{Command, Location};
use std::path::{Path, PathBuf};

fn main() {
    child::die_with_kernel();
    // In evcxr's child process (and its rustc wrapper) this never returns.
    evcxr::runtime_hook();
    if let Err(message) = dispatch(std::env::args().skip(1).collect()) {
        eprintln!("faultline-kernel: {message}");
        std::process::exit(2);
    }
}

fn dispatch(args: Vec<String>) -> Result<(), String> {
    match cli::parse(args)? {
        Command::Kernel { connection_file } => run_kernel(&connection_file),
        Command::Install(options) => {
            let prelude = options.prelude.unwrap_or_else(default_prelude);
            let toolchain = toolchain::Toolchain::probe()
                .map_err(|why| format!("cannot record the Rust toolchain: {why}"))?;
            let dir = match &options.location {
                Location::Dir(dir) => Some(dir.clone()),
                _ => None,
            };
            install::install(&install::InstallOptions {
                toolchain: toolchain.sysroot,
                name: options.name,
                display_name: options.display_name,
                location: options.location.jupyter_flags(),
                dir,
                prelude: absolute(&prelude)?,
                cache_dir: options.cache_dir.as_deref().map(created).transpose()?,
                jupyter: options.jupyter,
            })
        }
        Command::Uninstall { name, jupyter } => install::uninstall(&name, &jupyter),
        Command::Warm => warm(),
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
    }
}

/// The prelude this binary was built with, unless `FAULTLINE_PRELUDE` says otherwise.
fn default_prelude() -> PathBuf {
    std::env::var_os("FAULTLINE_PRELUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../prelude"))
}

/// The notebooks' crate (`faultline-lab`), preloaded beside the prelude when it sits next to it
/// (`<prelude>/../lab`), as in the repository and a class install. A prelude without one (a test
/// fixture, an older install) is loaded alone.
fn lab_beside(prelude: &Path) -> Option<PathBuf> {
    let lab = prelude.parent()?.join("lab");
    lab.join("Cargo.toml").is_file().then_some(lab)
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn created(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    absolute(dir)
}

/// Everything the evaluator needs, and the process environment evcxr reads. Runs before any
/// thread starts, because it sets environment variables.
fn prepare(session: String) -> Result<(evaluator::Settings, String), String> {
    let prelude = absolute(&default_prelude())?;
    let caches = cache::Caches::locate();
    let root = caches.own.clone();
    let recorded = toolchain::use_recorded();
    let toolchain = toolchain::Toolchain::probe();
    let (key, version) = match &toolchain {
        Ok(t) => (t.verbose_version.clone(), t.release.clone()),
        Err(_) => (String::new(), String::new()),
    };
    let toolchain_missing = toolchain
        .as_ref()
        .err()
        .map(|why| toolchain::missing(why, recorded.as_deref()));
    let cache_error = |e: std::io::Error| format!("cache directory {}: {e}", root.display());
    toolchain::hide_std_sources(&root).map_err(cache_error)?;
    if let Ok(t) = &toolchain {
        t.bypass_rustup_proxies();
        t.expose_std_library();
    }
    let std_sources = toolchain.as_ref().ok().and_then(|t| t.std_sources.clone());
    std::env::set_var("CARGO_HOME", caches.cargo_home().map_err(cache_error)?);
    let slot = cache::acquire(&caches, &key, &prelude).map_err(cache_error)?;
    let build_dir = slot.as_ref().map(|s| s.dir.clone());
    if let Some(dir) = &build_dir {
        std::env::set_var("EVCXR_TMPDIR", dir.join("crate"));
    }
    // The slot's lock must live as long as the process.
    std::mem::forget(slot);
    // Our own (empty) evcxr config: a user's evcxr.toml must not move the build directory.
    std::env::set_var("EVCXR_CONFIG_DIR", root.join("evcxr-config"));
    // Tells the prelude, running in evcxr's child (which inherits this), to emit display lines.
    std::env::set_var("FAULTLINE_KERNEL", "1");
    let lockfile = [prelude.join("../Cargo.lock"), prelude.join("Cargo.lock")]
        .into_iter()
        .find(|p| p.exists());
    let settings = evaluator::Settings {
        toolchain_missing,
        lab: lab_beside(&prelude),
        prelude,
        lockfile,
        build_dir,
        std_sources,
        session,
    };
    Ok((settings, version))
}

fn run_kernel(connection_file: &Path) -> Result<(), String> {
    let info = connection::ConnectionInfo::read(connection_file)?;
    let signer = signing::Signer::new(&info.signature_scheme, &info.key)?;
    let (settings, version) = prepare(uuid::Uuid::new_v4().to_string())?;
    server::run(info, signer, settings, version)
}

/// What `warm` runs after loading the prelude: a variable whose type only the compiler can name
/// (see [`infer`]), so the cache also gets the `cargo check` build of the prelude and its
/// dependencies — without it, a learner's first such cell would check them all (about a minute).
const WARM_CELL: &str = "let faultline_warm = String::new();";

/// Loads the prelude once (filling the build cache) and reports whether it worked.
fn warm() -> Result<(), String> {
    let (settings, _) = prepare("warm".to_owned())?;
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    let evaluator = evaluator::spawn(settings, sender, None);
    let request = wire::Message {
        identities: vec![],
        header: wire::new_header("execute_request", "warm"),
        parent_header: serde_json::json!({}),
        metadata: serde_json::json!({}),
        content: serde_json::json!({ "code": WARM_CELL }),
        buffers: vec![],
    };
    evaluator.submit(evaluator::Job::Execute {
        request,
        execution_count: 1,
    });
    while let Some(event) = events.blocking_recv() {
        if let evaluator::Event::Done { reply, failed } = event {
            evaluator.kill_child();
            return if failed {
                Err(reply.content["traceback"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|l| l.as_str())
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default())
            } else {
                Ok(())
            };
        }
    }
    Err("the evaluator stopped unexpectedly".into())
}
