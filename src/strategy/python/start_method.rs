//! `--start-method`: how py-processes and py-pool start their worker processes
//! (`multiprocessing.get_context(METHOD)`). Without it they use the interpreter's own default
//! (`fork` on Linux up to 3.13, `forkserver` from 3.14), and meta.json records which one ran.
//!
//! - `fork`: the child is a copy of the interpreter (copy-on-write): cheapest to start, and
//!   it inherits everything, threads' locks included.
//! - `forkserver`: a server process (started once per interpreter, before the clock) forks
//!   each child from a clean copy of itself; the children are the server's, not the script's.
//! - `spawn`: each child is a fresh interpreter that imports the script: an interpreter
//!   start-up per child, inside the clock.

use serde::{Deserialize, Serialize};

use super::PythonInfo;

/// One of multiprocessing's start methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartMethod {
    Fork,
    Forkserver,
    Spawn,
}

impl StartMethod {
    pub const ALL: [StartMethod; 3] = [
        StartMethod::Fork,
        StartMethod::Forkserver,
        StartMethod::Spawn,
    ];

    /// multiprocessing's name for it.
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Fork => "fork",
            StartMethod::Forkserver => "forkserver",
            StartMethod::Spawn => "spawn",
        }
    }
}

impl std::fmt::Display for StartMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for StartMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        StartMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown start method '{s}' (expected fork, forkserver or spawn)")
            })
    }
}

/// meta.json's description of an interpreter, with the start method its multiprocessing arms
/// used: the requested one, else the interpreter's own default (as probed).
pub fn recorded(info: PythonInfo, requested: Option<StartMethod>) -> PythonInfo {
    match requested {
        Some(m) => PythonInfo {
            start_method: m.name().to_string(),
            ..info
        },
        None => info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_reads_back_from_its_name() {
        for m in StartMethod::ALL {
            assert_eq!(m.to_string().parse::<StartMethod>(), Ok(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{m}\""));
            assert_eq!(serde_json::from_str::<StartMethod>(&json).unwrap(), m);
        }
        assert_eq!(" spawn ".parse(), Ok(StartMethod::Spawn));
    }

    #[test]
    fn an_unknown_method_is_one_line_listing_the_three() {
        for bad in ["bogus", "Fork", "", "fork,spawn"] {
            let e = bad.parse::<StartMethod>().unwrap_err();
            assert!(!e.contains('\n'), "{e}");
            for m in StartMethod::ALL {
                assert!(e.contains(m.name()), "{e}");
            }
        }
    }
}
