//! The command line: parse the arguments and dispatch to the command (`commands/`, one module
//! each). Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage, configuration or policy
//! errors.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// A run makes millions of small allocations from several threads (facts, syntax trees, script
// values); mimalloc makes them several times cheaper than the system allocator. Its version 2
// (the `v2` feature) holds less memory than version 3 for guardrail's mix and is no slower
// (BENCHMARKS.md). It counts what each thread holds, which bounds a policy's memory.
#[global_allocator]
static ALLOCATOR: guardrail::alloc::Counting = guardrail::alloc::Counting(mimalloc::MiMalloc);

#[derive(Parser)]
#[command(
    name = "guardrail",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("GUARDRAIL_COMMIT"), ")"),
    about = "Policy-as-code linter for the architecture of Rust services",
    after_help = "Exit codes, for every command:\n  0  nothing at or above --fail-on\n  1  findings at or above --fail-on\n  2  the run could not be trusted: a usage or configuration error, a file a target compiles that\n     could not be read, a policy that failed"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a workspace against every enabled policy.
    #[command(
        after_help = "Examples:\n  guardrail check\n  guardrail check examples/shop --format json\n  guardrail check --fail-on warning --color never\n  helm template api ./chart | guardrail check --k8s-stdin"
    )]
    Check(commands::check::Args),
    /// Record today's findings so that `check --baseline` reports only new ones.
    #[command(
        after_help = "Example:\n  guardrail baseline && git add guardrail-baseline.json\n  guardrail check --baseline guardrail-baseline.json"
    )]
    Baseline(commands::baseline::Args),
    /// Print the facts model as JSON, to see what policies can query.
    #[command(after_help = "Example:\n  guardrail facts | jq '.files[].rust.calls[] | select(.name == \"spawn\")'")]
    Facts(commands::facts::Args),
    /// Show how each binary was joined to its Dockerfile, compose service and Kubernetes
    /// workloads, and the evidence for each link.
    #[command(after_help = "Example:\n  guardrail services --format json")]
    Services(commands::services::Args),
    /// Draw the architecture: layers, dependencies, and the edges that break a rule in red.
    #[command(
        after_help = "Examples:\n  guardrail graph > architecture.mmd\n  guardrail graph --level module --format dot | dot -Tsvg > architecture.svg"
    )]
    Graph(commands::graph::Args),
    /// Run policies against fixture workspaces with `expect:`/`ok:` markers.
    #[command(
        after_help = "Layout: DIR/<policy-id>/<case>/ holds a small workspace.\nWithout DIR: the project's `fixtures` directories and `policies` from guardrail.toml, \nas `guardrail new-policy` sets them up.\nExample:\n  guardrail test\n  guardrail test fixtures --policies my-policies"
    )]
    Test(commands::test::Args),
    /// List the rules: id, default severity, origin, summary.
    #[command(after_help = "Example:\n  guardrail list | grep error")]
    List(commands::list::Args),
    /// Start using guardrail: a commented guardrail.toml with the workspace's crates, and a
    /// GitHub workflow. Prints the pre-commit entry to add.
    #[command(after_help = "Example:\n  guardrail init && git add guardrail.toml .github/workflows/guardrail.yml")]
    Init(commands::init::Args),
    /// Start a policy: <dir>/<id>.rhai and two fixtures that already pass `guardrail test`.
    #[command(
        after_help = "Example:\n  guardrail new-policy no-todo --dir policies --fixtures fixtures\n  guardrail test fixtures --policies policies"
    )]
    NewPolicy(commands::new_policy::Args),
    /// Print a rule's documentation.
    #[command(after_help = "Example:\n  guardrail explain probe-route")]
    Explain(commands::explain::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(args) => commands::check::run(args),
        Command::Baseline(args) => commands::baseline::run(args),
        Command::Facts(args) => commands::facts::run(args),
        Command::Services(args) => commands::services::run(args),
        Command::Graph(args) => commands::graph::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::List(args) => commands::list::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::NewPolicy(args) => commands::new_policy::run(args),
        Command::Explain(args) => commands::explain::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn every_option_and_argument_has_help_text() {
        let command = Cli::command();
        for sub in command.get_subcommands() {
            assert!(sub.get_about().is_some(), "`{}` has no description", sub.get_name());
            for arg in sub.get_arguments().filter(|a| !matches!(a.get_id().as_str(), "help" | "version")) {
                assert!(arg.get_help().is_some(), "`guardrail {} {}` has no help text", sub.get_name(), arg.get_id());
            }
        }
    }
}
