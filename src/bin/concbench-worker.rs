//! `concbench-worker`: the child the `processes` strategy starts. The same loop as the hidden
//! `concbench worker` subcommand (`concbench::worker`), in a binary that holds nothing else,
//! so that what `processes` pays to start a worker is close to what starting any small
//! program costs here (see `cargo bench -- overhead`: `overhead/spawn_floor`).
//!
//! Arguments, all optional: `--index N --parent PID --fault KIND[@INDEX]`. No argument parser:
//! it would cost start-up time for three flags only concbench itself passes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut index = 0usize;
    let mut parent = None;
    let mut fault = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let ok = match (flag.as_str(), value.as_deref()) {
            ("--index", Some(v)) => v.parse().map(|v| index = v).is_ok(),
            ("--parent", Some(v)) => v.parse().map(|v| parent = Some(v)).is_ok(),
            ("--fault", Some(v)) => v.parse().map(|v| fault = Some(v)).is_ok(),
            _ => false,
        };
        if !ok {
            eprintln!(
                "concbench-worker: bad argument '{flag}' (started by concbench, not by hand)"
            );
            return ExitCode::from(2);
        }
    }
    ExitCode::from(concbench::worker::worker_main(index, fault, parent) as u8)
}
