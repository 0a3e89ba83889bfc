//! `exercises/info.toml`: every exercise's metadata in one file (as rustlings keeps its
//! `info.toml`): name, topic, difficulty, the notebook that teaches it, the file to edit, and
//! hints in levels. Embedded at compile time so the grader works from any directory.

use std::sync::OnceLock;

const INFO: &str = include_str!("../../info.toml");

/// One exercise's metadata.
#[derive(Clone, Debug)]
pub struct Info {
    pub name: String,
    pub topic: String,
    pub difficulty: u32,
    pub notebook: String,
    /// The file the learner edits, relative to `exercises/`.
    pub file: String,
    pub summary: String,
    pub hints: Vec<String>,
}

/// Every exercise, in teaching order.
pub fn all() -> &'static [Info] {
    static ALL: OnceLock<Vec<Info>> = OnceLock::new();
    ALL.get_or_init(|| parse(INFO).unwrap_or_else(|e| panic!("exercises/info.toml: {e}")))
}

/// The metadata of exercise `name`.
pub fn get(name: &str) -> Option<&'static Info> {
    all().iter().find(|i| i.name == name)
}

fn parse(text: &str) -> Result<Vec<Info>, String> {
    let doc: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let list = doc
        .get("exercises")
        .and_then(|v| v.as_array())
        .ok_or("expected [[exercises]] tables")?;
    list.iter()
        .map(|t| {
            let s = |key: &str| {
                t.get(key)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .ok_or(format!("an exercise is missing `{key}`"))
            };
            let hints = t
                .get("hints")
                .and_then(|v| v.as_array())
                .ok_or("an exercise is missing `hints`")?
                .iter()
                .map(|h| {
                    h.as_str()
                        .map(|s| s.trim().to_string())
                        .ok_or("hints are strings")
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Info {
                name: s("name")?,
                topic: s("topic")?,
                difficulty: t
                    .get("difficulty")
                    .and_then(|v| v.as_integer())
                    .ok_or("an exercise is missing `difficulty`")?
                    as u32,
                notebook: s("notebook")?,
                file: s("file")?,
                summary: s("summary")?,
                hints,
            })
        })
        .collect()
}
