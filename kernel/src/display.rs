//! The display contract between the prelude (running in evcxr's child process) and the kernel.
//!
//! The child prints single lines `FAULTLINE_DISPLAY {json}` on stdout; each becomes, as soon as
//! it arrives, an iopub `display_data`, `update_display_data` or `clear_output`. See DISPLAY.md.

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Prefix of a display line. Lines with it are never shown as stdout text.
pub const PREFIX: &str = "FAULTLINE_DISPLAY ";

/// Unknown fields are ignored, so the prelude can add some without breaking older kernels.
#[derive(Deserialize)]
struct Request {
    op: String,
    #[serde(default)]
    data: Map<String, Value>,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    display_id: Option<String>,
    #[serde(default)]
    wait: bool,
}

/// The iopub message type and content for one display line (without its prefix), or why the
/// line is not a valid display request.
pub fn to_iopub(json_text: &str) -> Result<(&'static str, Value), String> {
    let request: Request =
        serde_json::from_str(json_text).map_err(|e| format!("bad display request: {e}"))?;
    let transient = match &request.display_id {
        Some(id) => json!({ "display_id": id }),
        None => json!({}),
    };
    match request.op.as_str() {
        "display" => Ok((
            "display_data",
            json!({ "data": request.data, "metadata": request.metadata, "transient": transient }),
        )),
        "update" if request.display_id.is_some() => Ok((
            "update_display_data",
            json!({ "data": request.data, "metadata": request.metadata, "transient": transient }),
        )),
        "update" => Err("display request `update` needs a display_id".into()),
        "clear" => Ok(("clear_output", json!({ "wait": request.wait }))),
        other => Err(format!("unknown display op `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_update_clear() {
        let (kind, content) = to_iopub(
            r#"{"op":"display","data":{"text/plain":"p"},"metadata":{},"display_id":"d1","wait":false}"#,
        )
        .unwrap();
        assert_eq!(kind, "display_data");
        assert_eq!(content["transient"]["display_id"], "d1");
        assert_eq!(content["data"]["text/plain"], "p");
        let (kind, _) =
            to_iopub(r#"{"op":"update","data":{"text/plain":"q"},"display_id":"d1"}"#).unwrap();
        assert_eq!(kind, "update_display_data");
        let (kind, content) = to_iopub(r#"{"op":"clear","wait":true}"#).unwrap();
        assert_eq!(
            (kind, content["wait"].as_bool()),
            ("clear_output", Some(true))
        );
    }

    #[test]
    fn ignores_fields_it_does_not_know() {
        let line = r#"{"op":"clear","data":{},"display_id":"x","wait":true,"later":1}"#;
        assert_eq!(to_iopub(line).unwrap().0, "clear_output");
    }

    #[test]
    fn rejects_bad_requests() {
        assert!(to_iopub("not json").is_err());
        assert!(to_iopub(r#"{"op":"update","data":{}}"#).is_err());
        assert!(to_iopub(r#"{"op":"explode"}"#).is_err());
    }
}
