//! What the subcommands' flags share: the engine's knobs ([`engine_args`]) and the value
//! parsers ([`parse`]).

pub mod engine_args;
pub mod parse;

pub use engine_args::{EngineArgs, random_seed};
