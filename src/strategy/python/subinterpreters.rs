//! py-interpreters needs subinterpreters with a GIL of their own (CPython 3.13+): which
//! interpreters have them, and the one line that says which do not. An interpreter without
//! them is skipped for this strategy alone, never an error, as py-dask is without Dask.

use std::sync::Arc;

use super::{INTERPRETERS, Interpreter};
use crate::strategy::{StrategyInfo, WorkerLimit};

/// py-interpreters: every subinterpreter is a whole interpreter with the workload script loaded,
/// created before every trial. On the reference machine (2 cores, busy) 64 took 6 s and 290 MB,
/// 256 took 23 s and 1.1 GB.
pub const LIMIT: WorkerLimit = WorkerLimit {
    max: 64,
    why: "one subinterpreter per worker, each a whole interpreter with the script loaded (about 4.5 MB and 0.1 s of start-up per trial); 256 took 23 s to create on a 2-core machine",
};

/// Whether the strategy named `strategy` can run on `interp`: every strategy but
/// py-interpreters runs anywhere; py-interpreters needs the module the info probe found
/// (`_interpreters`, `concurrent.interpreters`).
pub fn runs_on(strategy: &str, interp: &Interpreter) -> bool {
    strategy != INTERPRETERS.name || interp.info.subinterpreters.is_some()
}

/// The versions (`3.11`) of the interpreters of `pythons` that cannot run py-interpreters.
pub fn lacking(pythons: &[Arc<Interpreter>]) -> Vec<String> {
    pythons
        .iter()
        .filter(|p| !runs_on(INTERPRETERS.name, p))
        .map(|p| short_version(p))
        .collect()
}

/// The one line for the interpreters that lack subinterpreters, by version (`3.8, 3.11`),
/// or `None` when none lacks them.
pub fn skip_line(versions_without: &[String]) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    for v in versions_without {
        if !names.contains(&v.as_str()) {
            names.push(v);
        }
    }
    if names.is_empty() {
        return None;
    }
    Some(format!(
        "concbench: skipping {} on {}: subinterpreters with their own GIL need CPython 3.13+",
        INTERPRETERS.name,
        names.join(", ")
    ))
}

/// `3.11` of `3.11.7`.
fn short_version(interp: &Interpreter) -> String {
    let mm: Vec<&str> = interp.info.version.split('.').take(2).collect();
    mm.join(".")
}

/// For a run that wants py-interpreters on `pythons`: the one line naming those without
/// subinterpreters (on stderr), and, when none has them, why the strategy cannot run.
pub fn announce(pythons: &[Arc<Interpreter>]) -> Option<String> {
    let without = lacking(pythons);
    if let Some(line) = skip_line(&without) {
        eprintln!("{line}");
    }
    (!pythons.is_empty() && without.len() == pythons.len()).then(|| {
        format!(
            "CPython {} has no subinterpreters with their own GIL (3.13+; pass one with --python)",
            without.join(", ")
        )
    })
}

/// When `strategies` lists py-interpreters: one line on stderr naming the interpreters of
/// `pythons` it skips, and the strategy dropped from `strategies` when none has them.
pub fn interpreters_for(strategies: &mut Vec<&'static StrategyInfo>, pythons: &[Arc<Interpreter>]) {
    if !strategies.iter().any(|s| s.name == INTERPRETERS.name) || pythons.is_empty() {
        return;
    }
    if announce(pythons).is_some() {
        strategies.retain(|s| s.name != INTERPRETERS.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_names_each_version_once() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(skip_line(&[]), None);
        assert_eq!(
            skip_line(&v(&["3.8", "3.9", "3.11", "3.9"])).as_deref(),
            Some(
                "concbench: skipping py-interpreters on 3.8, 3.9, 3.11: subinterpreters with their own GIL need CPython 3.13+"
            )
        );
    }
}
