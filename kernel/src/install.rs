//! `faultline-kernel install` / `uninstall`: the kernelspec (kernel.json plus logos).
//!
//! Where a kernelspec goes (`--user`, `--sys-prefix`, `--prefix`) is Jupyter's business, so we
//! write the spec to a scratch directory and let `jupyter kernelspec install` place it; `--dir`
//! writes it to a directory of your choosing without Jupyter.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const LOGO_SVG: &[u8] = include_bytes!("../assets/logo-svg.svg");
const LOGO_32: &[u8] = include_bytes!("../assets/logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("../assets/logo-64x64.png");

pub struct InstallOptions {
    pub name: String,
    pub display_name: String,
    /// `--user`, `--sys-prefix` or `--prefix P`, passed through to Jupyter.
    pub location: Vec<String>,
    /// Write the spec here instead of asking Jupyter.
    pub dir: Option<PathBuf>,
    pub prelude: PathBuf,
    /// The toolchain's directory, recorded so the kernel finds it whatever PATH and HOME
    /// Jupyter starts it with.
    pub toolchain: PathBuf,
    pub cache_dir: Option<PathBuf>,
    pub jupyter: String,
}

pub fn install(options: &InstallOptions) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut env = json!({
        "FAULTLINE_PRELUDE": options.prelude,
        crate::toolchain::RECORDED: options.toolchain,
    });
    if let Some(cache) = &options.cache_dir {
        env["FAULTLINE_CACHE_DIR"] = json!(cache);
    }
    let spec = json!({
        "argv": [exe, "kernel", "--connection-file", "{connection_file}"],
        "display_name": options.display_name,
        "language": "rust",
        "interrupt_mode": "message",
        "env": env,
        "metadata": { "debugger": false },
    });
    if let Some(dir) = &options.dir {
        return write_spec(dir, &spec);
    }
    let scratch = std::env::temp_dir().join(format!("faultline-kernelspec-{}", std::process::id()));
    let staged = scratch.join(&options.name);
    write_spec(&staged, &spec)?;
    let result = jupyter(
        &options.jupyter,
        &[
            &[
                "kernelspec",
                "install",
                "--replace",
                "--name",
                &options.name,
            ][..],
            &options
                .location
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()[..],
            &[staged.to_str().ok_or("non-UTF-8 temp path")?][..],
        ]
        .concat(),
    );
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

pub fn uninstall(name: &str, jupyter_command: &str) -> Result<(), String> {
    jupyter(jupyter_command, &["kernelspec", "uninstall", "-y", name])
}

fn write_spec(dir: &Path, spec: &serde_json::Value) -> Result<(), String> {
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(spec).expect("JSON serialises");
    write("kernel.json", text.as_bytes())?;
    write("logo-svg.svg", LOGO_SVG)?;
    write("logo-32x32.png", LOGO_32)?;
    write("logo-64x64.png", LOGO_64)
}

fn jupyter(command: &str, args: &[&str]) -> Result<(), String> {
    let status = Command::new(command)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run `{command}` (is Jupyter installed? try --dir): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{command} {}` failed ({status})", args.join(" ")))
    }
}
