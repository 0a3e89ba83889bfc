//! The connection file Jupyter hands a kernel: where to bind each socket and how to sign.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
pub struct ConnectionInfo {
    pub transport: String,
    pub ip: String,
    pub shell_port: u16,
    pub iopub_port: u16,
    pub stdin_port: u16,
    pub control_port: u16,
    pub hb_port: u16,
    #[serde(default)]
    pub key: String,
    #[serde(default = "default_scheme")]
    pub signature_scheme: String,
}

fn default_scheme() -> String {
    "hmac-sha256".to_owned()
}

impl ConnectionInfo {
    pub fn read(path: &Path) -> Result<ConnectionInfo, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read connection file {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("bad connection file {}: {e}", path.display()))
    }

    /// The zeromq endpoint for one port. For `ipc`, Jupyter's convention is `ip-port` as a path.
    pub fn endpoint(&self, port: u16) -> String {
        if self.transport == "ipc" {
            format!("ipc://{}-{port}", self.ip)
        } else {
            format!("{}://{}:{port}", self.transport, self.ip)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jupyter_client_file() {
        let info: ConnectionInfo = serde_json::from_str(
            r#"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4,
                "hb_port": 5, "ip": "127.0.0.1", "key": "k", "transport": "tcp",
                "signature_scheme": "hmac-sha256", "kernel_name": "faultline"}"#,
        )
        .unwrap();
        assert_eq!(info.endpoint(info.hb_port), "tcp://127.0.0.1:5");
    }
}
