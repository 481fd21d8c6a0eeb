//! guardrail: a policy-as-code linter for the architecture of Rust services.
//!
//! The pipeline, one module per stage: [`discover`] → [`extract`] → [`link`] → [`engine`] →
//! [`filter`] → [`report`]; [`check`] runs it. [`fixtures`] is the policy test runner.
//!
//! The vocabulary every stage shares sits on a floor below them: [`location`], [`symbol`],
//! [`problem`], [`file_kind`], [`findings`] and [`rule`] (rule documentation and settings).
//! Modules import one another without a circle; `tests/layers.rs` holds them to it.

pub mod alloc;
pub mod arch;
pub mod cache;
pub mod check;
pub mod discover;
pub mod engine;
pub mod expand;
pub mod extract;
pub mod facts;
pub mod file_kind;
pub mod filter;
pub mod findings;
pub mod fixtures;
pub mod git;
pub mod left_out;
pub mod link;
pub mod location;
pub mod measured;
pub mod native;
pub mod paths;
pub mod problem;
pub mod report;
pub mod rule;
pub mod scaffold;
pub mod scratch;
pub mod shard;
pub mod sources;
pub mod symbol;
pub mod timings;
pub mod tree;
pub mod wording;
pub mod workflow_commands;
