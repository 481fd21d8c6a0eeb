//! How a binary shuts down. Whether it meets SIGTERM, the signal orchestrators stop it with:
//! its framework handles signals itself, or its code handles SIGTERM (or only SIGINT), drains
//! or exits at once, or its images stop it with SIGINT. And how long it drains once stopped.

use super::{Binary, CallFact, Fact, Facts, Literal, MethodCallFact};

/// What `graceful-shutdown` asks of one binary.
#[derive(Default)]
pub struct SignalHandling {
    /// Its server's framework stops gracefully on SIGTERM by itself (actix-web unless told
    /// `disable_signals`, rocket).
    pub framework: bool,
    /// Every image that runs it sets `STOPSIGNAL SIGINT`, which the code handles.
    pub stopped_with_sigint: bool,
    /// The first code that handles SIGTERM: tokio's `SignalKind::terminate`, signal-hook, nix,
    /// async-signal, or ctrlc built with its `termination` feature.
    pub terminate: Option<Fact<CallFact>>,
    /// The first code that handles Ctrl-C: tokio's `ctrl_c`, or a ctrlc handler.
    pub sigint: Option<Fact<CallFact>>,
    /// `std::process::exit` in the fn that handles SIGTERM, when nothing drains the server.
    pub exit: Option<Fact<CallFact>>,
}

/// Crates whose calls handle Unix signals, by path prefix.
const SIGNAL_CRATES: [&str; 3] = ["signal_hook", "nix::sys::signal", "async_signal"];
/// Methods that stop a server gracefully (stop accepting, finish in-flight requests).
const DRAINS: [&str; 5] = [
    "with_graceful_shutdown",
    "serve_with_shutdown",
    "serve_with_incoming_shutdown",
    "graceful_shutdown",
    "shutdown_timeout",
];
/// How a Dockerfile writes SIGINT in `STOPSIGNAL`.
const SIGINT_NAMES: [&str; 3] = ["SIGINT", "INT", "2"];

impl Facts {
    pub fn signal_handling(&self, bin: &Binary) -> SignalHandling {
        let index = &self.index;
        let in_binary = |fact: &Fact<CallFact>| !fact.in_test() && bin.includes(fact.file());
        let first_call = |path: &str| index.calls.resolved(path).find(in_binary);
        let framework = bin.server.as_ref().is_some_and(|server| {
            let resolved = server.item().resolved;
            if ["actix_web::HttpServer::new", "actix_server::Server::build"].contains(&resolved.as_str()) {
                let told_not_to =
                    index.method_calls.named("disable_signals").any(|m| !m.in_test() && bin.includes(m.file()));
                return !told_not_to;
            }
            first_call("rocket::build").is_some()
                || index.attributes.resolved("rocket::launch").any(|a| !a.in_test() && bin.includes(a.file()))
        });
        let ctrlc = first_call("ctrlc::set_handler").or_else(|| first_call("ctrlc::try_set_handler"));
        let ctrlc_terminates =
            bin.reach.iter().filter_map(|name| self.packages.iter().find(|p| p.name == *name)).any(|p| {
                p.dependencies
                    .iter()
                    .filter(|d| d.name == "ctrlc")
                    .any(|d| d.features.iter().any(|f| f == "termination"))
            });
        let terminate = first_call("tokio::signal::unix::SignalKind::terminate")
            .or_else(|| SIGNAL_CRATES.iter().find_map(|prefix| index.calls.with_prefix(prefix).find(in_binary)))
            .or_else(|| ctrlc.clone().filter(|_| ctrlc_terminates));
        let exit = terminate.as_ref().and_then(|handler| {
            let drains = DRAINS.iter().any(|drain| index.method_calls.named_in(drain, bin).any(|m| !m.in_test()));
            let function = handler.context().function?;
            let beside = |exit: &Fact<CallFact>| {
                in_binary(exit) && exit.file().path == handler.file().path && exit.context().function == Some(function)
            };
            (!drains).then(|| index.calls.resolved("std::process::exit").find(beside)).flatten()
        });
        let sigint = first_call("tokio::signal::ctrl_c").or(ctrlc);
        SignalHandling { framework, stopped_with_sigint: self.stopped_with_sigint(bin), terminate, sigint, exit }
    }

    /// Whether the code handles SIGINT and every image of the binary's services (development
    /// ones aside) stops it with SIGINT: such a binary is never sent SIGTERM.
    fn stopped_with_sigint(&self, bin: &Binary) -> bool {
        let handles = ["tokio::signal::ctrl_c", "tokio::signal::unix::SignalKind::interrupt"]
            .iter()
            .any(|path| self.index.calls.resolved(path).any(|c| !c.in_test() && bin.includes(c.file())));
        if !handles {
            return false;
        }
        let own = |s: &&super::Service| s.bin.as_deref() == Some(bin.name.as_str()) && s.package == Some(bin.package);
        let dockerfiles = self.services.iter().filter(own).flat_map(|s| &s.dockerfiles);
        let images = dockerfiles.filter(|path| !self.for_development(**path)).filter_map(|path| {
            let dockerfile = self.index.dockerfiles.iter().find(|d| d.file().path == *path)?;
            let stage = dockerfile.item().stages.last()?;
            let signal = stage.instructions.iter().rev().find(|i| i.keyword == "STOPSIGNAL");
            Some(signal.is_some_and(|i| SIGINT_NAMES.contains(&i.args.as_str())))
        });
        let mut any = false;
        for stops_with_sigint in images {
            if !stops_with_sigint {
                return false;
            }
            any = true;
        }
        any
    }
}

/// How long a binary drains once it stops accepting: the longest literal timeout its code sets,
/// else its framework's default.
pub struct Drain {
    pub seconds: f64,
    pub at: DrainAt,
    /// What `at` shows, as a finding's related location says it.
    pub why: String,
}

/// Where a drain's length is set.
pub enum DrainAt {
    /// `Duration::from_secs(..)` in a fn named for shutting down, or the server start whose
    /// framework's default it is.
    Call(Fact<CallFact>),
    /// `.shutdown_timeout(..)`.
    Method(Fact<MethodCallFact>),
}

/// Frameworks that drain for a while unless told otherwise: the server start, and how long
/// (actix-web waits up to 30 s for in-flight requests after SIGTERM, `shutdown_timeout`).
const FRAMEWORK_DRAINS: [(&str, f64); 1] = [("actix_web::HttpServer::new", 30.0)];
/// `Duration` constructors a drain timeout is written with, and their unit in seconds.
const DURATIONS: [(&str, f64); 2] = [("from_secs", 1.0), ("from_millis", 0.001)];

impl Facts {
    /// How long `bin` drains (see [`Drain`]), if its code or framework says.
    pub fn drain_timeout(&self, bin: &Binary) -> Option<Drain> {
        let index = &self.index;
        let mut best: Option<Drain> = None;
        // The first of the longest.
        let consider = |best: &mut Option<Drain>, seconds: f64, at: DrainAt, why: String| {
            if best.as_ref().is_none_or(|b| seconds > b.seconds) {
                *best = Some(Drain { seconds, at, why });
            }
        };
        // Whether a fn drains, decided once per name: a service has hundreds of sleeps in
        // worker loops, in a handful of fns.
        let mut drains_in = std::collections::HashMap::new();
        for (name, unit) in DURATIONS {
            let constructor = format!("Duration::{name}");
            for site in index.calls.named_in(name, bin) {
                let Some(function) = site.context().function else { continue };
                let drains = *drains_in.entry(function).or_insert_with(|| {
                    let name = function.to_lowercase();
                    name.contains("shutdown") || name.contains("drain") || name.contains("graceful")
                });
                if !drains || site.in_test() || !site.item().resolved.ends_with(&constructor) || !site.reached_by(bin) {
                    continue;
                }
                if let Some(Literal::Int(value)) = site.args().value(0) {
                    let seconds = *value as f64 * unit;
                    let why = format!("the code drains for up to {} here", seconds_text(seconds));
                    consider(&mut best, seconds, DrainAt::Call(site.clone()), why);
                }
            }
        }
        let mut told = false;
        for site in index.method_calls.named_in("shutdown_timeout", bin) {
            if site.in_test() || !site.reached_by(bin) {
                continue;
            }
            told = true;
            if let Some(Literal::Int(value)) = site.args().value(0) {
                let seconds = *value as f64;
                let why = format!("the server drains for up to {} here", seconds_text(seconds));
                consider(&mut best, seconds, DrainAt::Method(site.clone()), why);
            }
        }
        if best.is_none() && !told {
            if let Some(server) = &bin.server {
                let resolved = server.item().resolved;
                if let Some((_, seconds)) = FRAMEWORK_DRAINS.iter().find(|(path, _)| *path == resolved.as_str()) {
                    let why = format!(
                        "`{resolved}` drains for up to {} by default (shutdown_timeout)",
                        seconds_text(*seconds)
                    );
                    consider(&mut best, *seconds, DrainAt::Call(server.clone()), why);
                }
            }
        }
        best
    }
}

/// `30s`, `0.5s`.
fn seconds_text(seconds: f64) -> String {
    format!("{seconds}s")
}
