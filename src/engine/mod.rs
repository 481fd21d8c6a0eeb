//! Evaluate: every policy compiled once, run in parallel against the immutable facts, each in
//! the sandbox with its own deadline. A policy that fails is a problem naming it; the others
//! still report.

mod api;
mod api_arch;
mod api_deploy;
mod api_migration;
mod api_state;
mod context;
pub mod policy;
mod routes;
pub mod sandbox;
mod script_values;
mod settings;

pub use policy::{Origin, Policy};
pub use script_values::FactsHandle;
pub use settings::{is_preview, resolve_settings};

use crate::discover::{Config, Limits};
use crate::facts::Facts;
use crate::findings::Finding;
use crate::location::Location;
use crate::problem::Problem;
use crate::rule::RuleSettings;
use crate::symbol::Symbol;
use context::PolicyContext;
use rayon::prelude::*;
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, Scope};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What evaluating policies produced: unsorted, unfiltered findings, problems, and the time
/// each policy took.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub times: Vec<(String, Duration)>,
}

/// The engine with the policy API, and the policies of a run.
pub struct PolicySet {
    engine: Engine,
    pub policies: Vec<Policy>,
    limits: Limits,
}

impl PolicySet {
    /// Built-in policies plus those of the configured directories (relative to `root`).
    /// `extra_dirs` are policy directories given outside the configuration (`guardrail test`).
    pub fn load(root: &Path, config: &Config, extra_dirs: &[PathBuf]) -> (PolicySet, Vec<Problem>) {
        let mut engine = sandbox::engine(&config.limits);
        api::register(&mut engine);
        let (mut policies, mut problems) = policy::builtin(&engine);
        // Directories the configuration names come from the tree and stay inside it; those given
        // on the command line are the user's own choice.
        let configured = config.policy_dirs.iter().cloned().map(|(dir, at)| (dir, at, Some(root)));
        let extra = extra_dirs
            .iter()
            .map(|dir| (dir.clone(), Location::file(Symbol::from(dir.to_string_lossy().as_ref())), None));
        for (dir, named_at, confined_to) in configured.chain(extra) {
            let shown = dir.to_string_lossy();
            let full = match confined_to {
                None => root.join(&dir),
                Some(root) => {
                    match crate::tree::inside(root, &dir).filter(|d| !d.exists() || crate::tree::stays_under(root, d)) {
                        Some(full) => full,
                        None => {
                            let message = format!(
                            "policy directory \"{shown}\" is outside the checked tree; a configuration may only name directories inside it (give others with --policies)"
                        );
                            problems.push(Problem { location: named_at, message });
                            continue;
                        }
                    }
                }
            };
            let (found, found_problems) = policy::from_dir(&engine, &full, &shown, &named_at, confined_to);
            problems.extend(found_problems);
            for policy in found {
                if policies.iter().any(|p| p.doc.id == policy.doc.id) {
                    let message = format!("policy id \"{}\" is already defined by another policy", policy.doc.id);
                    problems.push(Problem { location: Location::file(policy.path), message });
                } else {
                    policies.push(policy);
                }
            }
        }
        (PolicySet { engine, policies, limits: config.limits }, problems)
    }

    /// Runs every enabled policy; findings come back unsorted and unfiltered.
    pub fn evaluate(&self, facts: &Arc<Facts>, settings: &BTreeMap<String, RuleSettings>) -> Evaluation {
        let results: Vec<Evaluation> = self
            .policies
            .par_iter()
            .filter_map(|policy| Some((policy, settings.get(&policy.doc.id)?)))
            .filter_map(|(policy, rule)| Some((policy, rule.severity?, rule)))
            .map(|(policy, severity, rule)| {
                let (ceiling, params) = (rule.ceiling, rule.params.clone());
                let ctx =
                    PolicyContext::new(&policy.doc.id, severity, ceiling, params, self.limits.policy_max_findings);
                let started = std::time::Instant::now();
                let outcome = catch_unwind(AssertUnwindSafe(|| self.run(policy, facts, &ctx)));
                let elapsed = (policy.doc.id.clone(), started.elapsed());
                let sink = ctx.take();
                let mut problems = Vec::new();
                let failure = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(error)) => Some(self.failure(policy, &error)),
                    Err(_) => Some(Problem {
                        location: Location::file(policy.path),
                        message: format!("internal error: guardrail panicked while running policy `{}`", policy.doc.id),
                    }),
                };
                if let Some(failure) = failure {
                    // How far a stopped policy got depends on the machine (a deadline): its
                    // partial findings would make the report differ from run to run.
                    problems.push(failure);
                    return Evaluation { findings: Vec::new(), problems, times: vec![elapsed] };
                }
                if sink.dropped > 0 {
                    problems.push(Problem {
                        location: Location::file(policy.path),
                        message: format!(
                            "policy `{}` reported more than {} findings or {} MiB of text; {} more were dropped",
                            policy.doc.id,
                            self.limits.policy_max_findings,
                            context::MAX_REPORTED_TEXT >> 20,
                            sink.dropped
                        ),
                    });
                }
                if sink.dropped_related > 0 {
                    problems.push(Problem {
                        location: Location::file(policy.path),
                        message: format!(
                            "policy `{}` gave findings more than {} related locations; {} were dropped",
                            policy.doc.id,
                            context::MAX_RELATED,
                            sink.dropped_related
                        ),
                    });
                }
                Evaluation { findings: sink.findings, problems, times: vec![elapsed] }
            })
            .collect();
        let mut all = Evaluation::default();
        for result in results {
            all.findings.extend(result.findings);
            all.problems.extend(result.problems);
            all.times.extend(result.times);
        }
        all
    }

    fn run(&self, policy: &Policy, facts: &Arc<Facts>, ctx: &PolicyContext) -> Result<(), Box<EvalAltResult>> {
        let timeout = Duration::from_millis(self.limits.policy_timeout_ms);
        sandbox::with_deadline(timeout, || {
            let mut scope = Scope::new();
            let args = (FactsHandle(facts.clone()), ctx.clone());
            self.engine.call_fn_with_options::<Dynamic>(CallFnOptions::new(), &mut scope, &policy.ast, "check", args)
        })
        .map(drop)
    }

    fn failure(&self, policy: &Policy, error: &EvalAltResult) -> Problem {
        let id = &policy.doc.id;
        let message = match innermost(error) {
            // A native query that finds the deadline passed throws the same token.
            EvalAltResult::ErrorTerminated(token, _) | EvalAltResult::ErrorRuntime(token, _)
                if token.to_string() == sandbox::DEADLINE_TOKEN =>
            {
                format!("policy `{id}` ran longer than its time limit of {} ms and was stopped", self.limits.policy_timeout_ms)
            }
            EvalAltResult::ErrorTerminated(token, _) if token.to_string() == sandbox::MEMORY_TOKEN => format!(
                "policy `{id}` held more than its limit of {} MiB of memory and was stopped",
                sandbox::MAX_POLICY_MEMORY >> 20
            ),
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "policy `{id}` exceeded its limit of {} operations and was stopped",
                self.limits.policy_max_operations
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) => format!(
                "policy `{id}` exceeded a size limit: {what} too large (limits: strings {} bytes, arrays and maps {} items)",
                sandbox::MAX_STRING_SIZE,
                sandbox::MAX_ARRAY_SIZE
            ),
            EvalAltResult::ErrorTooManyModules(_) => {
                format!("policy `{id}` imports a module; a policy cannot read files, so `import` is refused")
            }
            other => format!("policy `{id}` failed: {other}"),
        };
        let position = match innermost_position(error) {
            none if none.is_none() => sandbox::last_position(),
            position => position,
        };
        Problem { location: policy.location(position), message }
    }
}

/// Errors inside called functions wrap the inner error, which says what happened.
fn innermost(error: &EvalAltResult) -> &EvalAltResult {
    match error {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => innermost(inner),
        other => other,
    }
}

/// Errors inside called functions wrap the inner error; its position is the useful one.
fn innermost_position(error: &EvalAltResult) -> rhai::Position {
    match error {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, position) => {
            let inner_position = innermost_position(inner);
            if inner_position.is_none() {
                *position
            } else {
                inner_position
            }
        }
        other => other.position(),
    }
}
