//! The command line: `kernel`, `install`, `uninstall` and `warm`, parsed with `lexopt`. Anything
//! it does not know is an error with the usage text, never silently ignored (an unknown
//! `--sysprefix` would otherwise install to the default place).

use lexopt::prelude::*;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage:
  faultline-kernel kernel --connection-file FILE
  faultline-kernel install [--user | --sys-prefix | --prefix DIR | --dir DIR] [--name NAME]
                           [--display-name TEXT] [--prelude DIR] [--cache-dir DIR] [--jupyter CMD]
  faultline-kernel uninstall [--name NAME] [--jupyter CMD]
  faultline-kernel warm      compile the prelude into the build cache, then exit";

#[derive(Debug, PartialEq)]
pub enum Command {
    Kernel { connection_file: PathBuf },
    Install(Install),
    Uninstall { name: String, jupyter: String },
    Warm,
    Help,
}

#[derive(Debug, PartialEq)]
pub struct Install {
    pub name: String,
    pub display_name: String,
    pub location: Location,
    pub prelude: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub jupyter: String,
}

/// Where the kernelspec goes: Jupyter's default, one of Jupyter's places, or a directory.
#[derive(Debug, PartialEq)]
pub enum Location {
    Default,
    User,
    SysPrefix,
    Prefix(PathBuf),
    Dir(PathBuf),
}

impl Location {
    /// The flags for `jupyter kernelspec install` (none for `Dir`, which skips Jupyter).
    pub fn jupyter_flags(&self) -> Vec<String> {
        match self {
            Location::User => vec!["--user".into()],
            Location::SysPrefix => vec!["--sys-prefix".into()],
            Location::Prefix(p) => vec!["--prefix".into(), p.display().to_string()],
            Location::Default | Location::Dir(_) => Vec::new(),
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut parser = lexopt::Parser::from_args(args);
    let command = match parser.next().map_err(text)? {
        Some(Value(c)) => c.string().map_err(text)?,
        Some(Long("help") | Short('h')) | None => return Ok(Command::Help),
        Some(other) => return Err(other.unexpected().to_string()),
    };
    match command.as_str() {
        "kernel" => kernel(&mut parser),
        "install" => install(&mut parser).map(Command::Install),
        "uninstall" => uninstall(&mut parser),
        "warm" => no_more(&mut parser).map(|()| Command::Warm),
        other => Err(format!("unknown command `{other}`")),
    }
    .map_err(|why| format!("{why}\n{USAGE}"))
}

fn kernel(parser: &mut lexopt::Parser) -> Result<Command, String> {
    let mut connection_file = None;
    while let Some(arg) = parser.next().map_err(text)? {
        match arg {
            Long("connection-file") => connection_file = Some(path(parser)?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    let connection_file = connection_file.ok_or("`kernel` needs --connection-file FILE")?;
    Ok(Command::Kernel { connection_file })
}

fn install(parser: &mut lexopt::Parser) -> Result<Install, String> {
    let mut out = Install {
        name: "faultline".into(),
        display_name: "Rust (Faultline)".into(),
        location: Location::Default,
        prelude: None,
        cache_dir: None,
        jupyter: "jupyter".into(),
    };
    while let Some(arg) = parser.next().map_err(text)? {
        let location = match arg {
            Long("user") => Location::User,
            Long("sys-prefix") => Location::SysPrefix,
            Long("prefix") => Location::Prefix(path(parser)?),
            Long("dir") => Location::Dir(path(parser)?),
            Long("name") => {
                out.name = string(parser)?;
                continue;
            }
            Long("display-name") => {
                out.display_name = string(parser)?;
                continue;
            }
            Long("prelude") => {
                out.prelude = Some(path(parser)?);
                continue;
            }
            Long("cache-dir") => {
                out.cache_dir = Some(path(parser)?);
                continue;
            }
            Long("jupyter") => {
                out.jupyter = string(parser)?;
                continue;
            }
            other => return Err(other.unexpected().to_string()),
        };
        if out.location != Location::Default {
            return Err("choose one place: --user, --sys-prefix, --prefix DIR or --dir DIR".into());
        }
        out.location = location;
    }
    Ok(out)
}

fn uninstall(parser: &mut lexopt::Parser) -> Result<Command, String> {
    let (mut name, mut jupyter) = ("faultline".to_owned(), "jupyter".to_owned());
    while let Some(arg) = parser.next().map_err(text)? {
        match arg {
            Long("name") => name = string(parser)?,
            Long("jupyter") => jupyter = string(parser)?,
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Command::Uninstall { name, jupyter })
}

fn no_more(parser: &mut lexopt::Parser) -> Result<(), String> {
    match parser.next().map_err(text)? {
        None => Ok(()),
        Some(other) => Err(other.unexpected().to_string()),
    }
}

fn string(parser: &mut lexopt::Parser) -> Result<String, String> {
    parser.value().map_err(text)?.string().map_err(text)
}

fn path(parser: &mut lexopt::Parser) -> Result<PathBuf, String> {
    parser.value().map(PathBuf::from).map_err(text)
}

fn text(e: lexopt::Error) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn install_reads_every_option() {
        let Ok(Command::Install(i)) =
            parse_str("install --sys-prefix --name fl --prelude /p --cache-dir /c --jupyter jj")
        else {
            panic!("not an install")
        };
        assert_eq!(i.location, Location::SysPrefix);
        assert_eq!(i.location.jupyter_flags(), ["--sys-prefix"]);
        assert_eq!((i.name.as_str(), i.jupyter.as_str()), ("fl", "jj"));
        assert_eq!(i.prelude, Some(PathBuf::from("/p")));
        assert_eq!(i.cache_dir, Some(PathBuf::from("/c")));
    }

    #[test]
    fn unknown_flags_and_missing_values_are_errors_with_the_usage() {
        for (line, says) in [
            ("install --sysprefix", "--sysprefix"),
            ("install --prefix", "--prefix"),
            ("install --user --prefix /x", "choose one place"),
            ("kernel", "--connection-file"),
            ("warm now", "now"),
            ("instal", "unknown command `instal`"),
        ] {
            let err = parse_str(line).unwrap_err();
            assert!(
                err.contains(says) && err.contains("usage:"),
                "{line}: {err}"
            );
        }
    }

    #[test]
    fn the_other_commands() {
        assert_eq!(
            parse_str("kernel --connection-file /tmp/c.json"),
            Ok(Command::Kernel {
                connection_file: "/tmp/c.json".into()
            })
        );
        assert_eq!(parse_str("warm"), Ok(Command::Warm));
        assert_eq!(parse_str(""), Ok(Command::Help));
        assert_eq!(
            parse_str("uninstall --name x"),
            Ok(Command::Uninstall {
                name: "x".into(),
                jupyter: "jupyter".into()
            })
        );
    }
}
