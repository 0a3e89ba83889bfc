//! Jupyter wire format: turning zeromq frames into verified messages and back.
//!
//! A message is `[identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content,
//! buffers…]`. Anything malformed, unsigned, wrongly signed or oversized is rejected here, before
//! a handler sees it, so one bad client cannot stop the kernel.

use crate::signing::Signer;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::fmt;

const DELIMITER: &[u8] = b"<IDS|MSG>";
/// Protocol version we speak, written into every header.
pub const PROTOCOL_VERSION: &str = "5.3";
/// Largest message accepted (all frames together). Cells and replies are far smaller; this only
/// stops a client from making the kernel hold arbitrary amounts of memory.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;
/// Routing identities a ROUTER peer may stack in front of the delimiter.
const MAX_IDENTITIES: usize = 16;

/// A verified message. `header` and `parent_header` stay JSON objects so that fields we do not
/// model (e.g. `subshell_id`) survive into the replies' parent headers.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub identities: Vec<Bytes>,
    pub header: Value,
    pub parent_header: Value,
    pub metadata: Value,
    pub content: Value,
    pub buffers: Vec<Bytes>,
}

#[derive(Debug, PartialEq)]
pub enum WireError {
    /// A correctly signed message over [`MAX_MESSAGE_BYTES`]: its content was not parsed, but
    /// the request (without content) is kept so it can be answered with an error.
    TooLarge(usize, Option<Box<Message>>),
    NoDelimiter,
    TooManyIdentities,
    MissingFrames,
    BadSignature,
    BadJson(&'static str),
    BadHeader(&'static str),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLarge(n, _) => write!(
                f,
                "message of {n} bytes exceeds the limit of {MAX_MESSAGE_BYTES} bytes"
            ),
            WireError::NoDelimiter => write!(f, "no <IDS|MSG> delimiter"),
            WireError::TooManyIdentities => write!(f, "too many routing identities"),
            WireError::MissingFrames => write!(f, "fewer than five frames after the delimiter"),
            WireError::BadSignature => write!(f, "missing or wrong HMAC signature"),
            WireError::BadJson(part) => write!(f, "{part} is not a JSON object"),
            WireError::BadHeader(field) => write!(f, "header lacks string field `{field}`"),
        }
    }
}

impl Message {
    /// Parses and verifies frames from a socket. `frames` includes routing identities. The
    /// transport has already bounded their total size (see `server::TRANSPORT_LIMIT`).
    pub fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<Message, WireError> {
        let size: usize = frames.iter().map(Bytes::len).sum();
        let split = frames
            .iter()
            .position(|f| f.as_ref() == DELIMITER)
            .ok_or(WireError::NoDelimiter)?;
        if split > MAX_IDENTITIES {
            return Err(WireError::TooManyIdentities);
        }
        let mut frames = frames.into_iter();
        let identities: Vec<Bytes> = frames.by_ref().take(split).collect();
        frames.next(); // the delimiter
        let rest: Vec<Bytes> = frames.collect();
        if rest.len() < 5 {
            return Err(WireError::MissingFrames);
        }
        let parts: Vec<&[u8]> = rest[1..5].iter().map(|b| b.as_ref()).collect();
        if !signer.verify(&parts, &rest[0]) {
            return Err(WireError::BadSignature);
        }
        let object = |bytes: &Bytes, name: &'static str| -> Result<Value, WireError> {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(v @ Value::Object(_)) => Ok(v),
                _ => Err(WireError::BadJson(name)),
            }
        };
        let header = object(&rest[1], "header")?;
        for field in ["msg_type", "msg_id", "session"] {
            if !header.get(field).is_some_and(Value::is_string) {
                return Err(WireError::BadHeader(field));
            }
        }
        if size > MAX_MESSAGE_BYTES {
            let request = Message {
                identities,
                header,
                parent_header: json!({}),
                metadata: json!({}),
                content: json!({}),
                buffers: Vec::new(),
            };
            return Err(WireError::TooLarge(size, Some(Box::new(request))));
        }
        Ok(Message {
            identities,
            header,
            parent_header: object(&rest[2], "parent_header")?,
            metadata: object(&rest[3], "metadata")?,
            content: object(&rest[4], "content")?,
            buffers: rest[5..].to_vec(),
        })
    }

    /// The signature frame of raw frames (the one after the delimiter), if there is one.
    pub fn signature_of(frames: &[Bytes]) -> Option<&Bytes> {
        let split = frames.iter().position(|f| f.as_ref() == DELIMITER)?;
        frames.get(split + 1)
    }

    /// Serialises and signs into frames ready for a socket.
    pub fn encode(&self, signer: &Signer) -> Vec<Bytes> {
        let parts: Vec<Vec<u8>> = [
            &self.header,
            &self.parent_header,
            &self.metadata,
            &self.content,
        ]
        .iter()
        .map(|v| serde_json::to_vec(v).expect("JSON values serialise"))
        .collect();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let signature = signer.sign(&refs);
        let mut frames = self.identities.clone();
        frames.push(Bytes::from_static(DELIMITER));
        frames.push(Bytes::from(signature));
        frames.extend(parts.into_iter().map(Bytes::from));
        frames.extend(self.buffers.iter().cloned());
        frames
    }

    pub fn msg_type(&self) -> &str {
        self.header["msg_type"].as_str().unwrap_or_default()
    }

    /// A new message caused by `self`: same routing identities, `self` as parent.
    pub fn child(&self, msg_type: &str, session: &str, content: Value) -> Message {
        Message {
            identities: self.identities.clone(),
            header: new_header(msg_type, session),
            parent_header: self.header.clone(),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        }
    }

    /// A content field as a string, empty when absent.
    pub fn str_field(&self, key: &str) -> &str {
        self.content[key].as_str().unwrap_or_default()
    }

    /// A boolean content field with a default.
    pub fn bool_field(&self, key: &str, default: bool) -> bool {
        self.content[key].as_bool().unwrap_or(default)
    }
}

/// A fresh header. `date` and `version` are required by the spec's schema.
pub fn new_header(msg_type: &str, session: &str) -> Value {
    let mut header = Map::new();
    header.insert("msg_id".into(), uuid::Uuid::new_v4().to_string().into());
    header.insert("session".into(), session.into());
    header.insert("username".into(), "kernel".into());
    header.insert("date".into(), iso8601_now().into());
    header.insert("msg_type".into(), msg_type.into());
    header.insert("version".into(), PROTOCOL_VERSION.into());
    Value::Object(header)
}

/// UTC now as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, without pulling in a date crate.
fn iso8601_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer::new("hmac-sha256", "key").unwrap()
    }

    fn sample() -> Message {
        Message {
            identities: vec![Bytes::from_static(b"peer")],
            header: new_header("kernel_info_request", "s"),
            parent_header: json!({}),
            metadata: json!({}),
            content: json!({}),
            buffers: vec![],
        }
    }

    #[test]
    fn round_trip() {
        let frames = sample().encode(&signer());
        let back = Message::decode(frames, &signer()).unwrap();
        assert_eq!(back.msg_type(), "kernel_info_request");
        assert_eq!(back.identities, vec![Bytes::from_static(b"peer")]);
    }

    #[test]
    fn rejects_tampering_and_garbage() {
        let mut frames = sample().encode(&signer());
        frames[5] = Bytes::from_static(b"{\"x\": 1}");
        assert_eq!(
            Message::decode(frames, &signer()).unwrap_err(),
            WireError::BadSignature
        );
        let frames = sample().encode(&Signer::new("hmac-sha256", "other").unwrap());
        assert_eq!(
            Message::decode(frames, &signer()).unwrap_err(),
            WireError::BadSignature
        );
        let garbage = vec![Bytes::from_static(b"junk")];
        assert_eq!(
            Message::decode(garbage, &signer()).unwrap_err(),
            WireError::NoDelimiter
        );
        let mut huge = sample();
        huge.content = json!({ "code": "x".repeat(MAX_MESSAGE_BYTES) });
        match Message::decode(huge.encode(&signer()), &signer()) {
            Err(WireError::TooLarge(_, Some(request))) => {
                assert_eq!(request.msg_type(), "kernel_info_request");
                assert_eq!(request.identities, vec![Bytes::from_static(b"peer")]);
            }
            other => panic!("expected TooLarge with the request, got {other:?}"),
        }
        let mut forged = huge.encode(&signer());
        forged[2] = Bytes::from_static(b"0000");
        assert_eq!(
            Message::decode(forged, &signer()).unwrap_err(),
            WireError::BadSignature
        );
    }

    /// Fuzz-style: random frame sets (some built around a real message) never panic the
    /// decoder, and only the untouched message decodes.
    #[test]
    fn random_frames_never_panic() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let good = sample().encode(&signer());
        for _ in 0..5_000 {
            let mut frames = if next() % 2 == 0 {
                good.clone()
            } else {
                Vec::new()
            };
            for _ in 0..next() % 4 {
                let len = (next() % 40) as usize;
                let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let at = (next() as usize) % (frames.len() + 1);
                frames.insert(at, Bytes::from(bytes));
            }
            if !frames.is_empty() && next() % 3 == 0 {
                let at = (next() as usize) % frames.len();
                frames.remove(at);
            }
            let decoded = Message::decode(frames.clone(), &signer());
            if frames != good {
                // Only extra identities in front of an intact message may still decode.
                if let Ok(message) = decoded {
                    assert_eq!(message.msg_type(), "kernel_info_request");
                }
            }
        }
    }

    #[test]
    fn dates_are_iso8601() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(iso8601_now().len(), "2024-01-01T00:00:00.000000Z".len());
    }
}
