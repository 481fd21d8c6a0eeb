//! `ctx`: what a policy gets besides the facts — its parameters, and `report`, a native sink
//! (findings never pile up in script arrays, which Rhai's size checks make quadratic).

use super::script_values::PackageHandle;
use crate::facts::{
    AttributeFact, Binary, CallFact, ComposeService, Container, Fact, FnFact, Instruction, K8sObject, Located,
    MacroFact, MethodCallFact, MigrationStep, Probe, Stage, StateFact, UseFact,
};
use crate::findings::{Finding, Related, Severity};
use crate::location::Location;
use rhai::{Dynamic, Engine, EvalAltResult, Map};
use std::sync::{Arc, Mutex};

/// What one evaluation of one policy collects.
#[derive(Debug, Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    /// Findings dropped over the limit of findings or of reported text.
    pub dropped: usize,
    /// Related locations dropped over [`MAX_RELATED`] per finding.
    pub dropped_related: usize,
    /// Bytes of text (messages, help, related messages) the findings hold.
    text_bytes: usize,
}

#[derive(Clone)]
pub struct PolicyContext {
    rule: Arc<str>,
    /// Of a finding that names none.
    severity: Severity,
    /// The most a finding may name: see [`crate::rule::RuleSettings::ceiling`].
    ceiling: Severity,
    params: Arc<Map>,
    max_findings: usize,
    sink: Arc<Mutex<Sink>>,
}

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Longest message, help or related text a finding keeps; the rest is cut with an ellipsis.
pub const MAX_TEXT: usize = 2_000;
/// Related locations a finding keeps; more are dropped and the run says so.
pub const MAX_RELATED: usize = 16;
/// Text one policy's findings may hold in all: with the other limits, what bounds the memory
/// and the size of the report a policy can produce (100,000 findings of 2,000 characters with
/// 16 related locations each would be gigabytes).
pub const MAX_REPORTED_TEXT: usize = 16 << 20;

fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn error<T>(message: String) -> RhaiResult<T> {
    Err(message.into())
}

impl PolicyContext {
    pub fn new(rule: &str, severity: Severity, ceiling: Severity, params: Map, max_findings: usize) -> Self {
        let (rule, params) = (Arc::from(rule), Arc::new(params));
        PolicyContext { rule, severity, ceiling, params, max_findings, sink: Arc::default() }
    }

    pub fn take(&self) -> Sink {
        std::mem::take(&mut *self.sink.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn register(engine: &mut Engine) {
        engine
            .register_type_with_name::<PolicyContext>("Context")
            .register_get("rule", |c: &mut PolicyContext| c.rule.to_string())
            .register_fn("param", |c: &mut PolicyContext, name: &str| -> RhaiResult<Dynamic> {
                c.params
                    .get(name)
                    .cloned()
                    .map_or_else(|| error(format!("unknown parameter \"{name}\": declare it in META.params")), Ok)
            })
            .register_fn("report", |c: &mut PolicyContext, at: Dynamic, message: &str| {
                c.report(at, message, Map::new())
            })
            .register_fn("report", |c: &mut PolicyContext, at: Dynamic, message: &str, options: Map| {
                c.report(at, message, options)
            });
    }

    fn report(&mut self, at: Dynamic, message: &str, mut options: Map) -> RhaiResult<()> {
        let location = location_of(&at)?;
        let help = options.remove("help").map(|h| bounded(&h.to_string()));
        let severity = match options.remove("severity") {
            None => self.severity,
            Some(name) => name.to_string().parse::<Severity>().or_else(error)?.min(self.ceiling),
        };
        let mut dropped_related = 0;
        let related = match options.remove("related") {
            None => Vec::new(),
            Some(list) => {
                let list = list
                    .try_cast::<rhai::Array>()
                    .map_or_else(|| error("related must be an array of #{ at, message }".into()), Ok)?;
                dropped_related = list.len().saturating_sub(MAX_RELATED);
                list.into_iter().take(MAX_RELATED).map(related).collect::<RhaiResult<Vec<_>>>()?
            }
        };
        if let Some(key) = options.keys().next() {
            return error(format!("unknown report option \"{key}\": expected help, severity or related"));
        }
        let message = bounded(message);
        let text_bytes = message.len()
            + help.as_ref().map_or(0, String::len)
            + related.iter().map(|r| r.message.len() + r.location.path.len()).sum::<usize>();
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if sink.findings.len() >= self.max_findings || sink.text_bytes + text_bytes > MAX_REPORTED_TEXT {
            sink.dropped += 1;
            return Ok(());
        }
        sink.text_bytes += text_bytes;
        sink.dropped_related += dropped_related;
        sink.findings.push(Finding {
            rule: self.rule.to_string(),
            severity,
            message,
            location,
            help,
            related,
            fingerprint: String::new(),
        });
        Ok(())
    }
}

fn related(entry: Dynamic) -> RhaiResult<Related> {
    let Some(mut map) = entry.try_cast::<Map>() else {
        return error("each related entry must be #{ at: <fact>, message: \"..\" }".into());
    };
    let at = map.remove("at").map_or_else(|| error("related entry without `at`".into()), Ok)?;
    let message = map.remove("message").map(|m| bounded(&m.to_string())).unwrap_or_default();
    Ok(Related { location: location_of(&at)?, message })
}

/// The location of any fact, a `Location`, a package (its `Cargo.toml`), or a binary (its
/// `main`, else its root file).
fn location_of(at: &Dynamic) -> RhaiResult<Location> {
    fn fact<T: Located>(at: &Dynamic) -> Option<Location> {
        at.read_lock::<Fact<T>>().map(|f| f.location())
    }
    let found = fact::<CallFact>(at)
        .or_else(|| fact::<MethodCallFact>(at))
        .or_else(|| fact::<MacroFact>(at))
        .or_else(|| fact::<FnFact>(at))
        .or_else(|| fact::<AttributeFact>(at))
        .or_else(|| fact::<UseFact>(at))
        .or_else(|| fact::<StateFact>(at))
        .or_else(|| fact::<K8sObject>(at))
        .or_else(|| fact::<ComposeService>(at))
        .or_else(|| fact::<MigrationStep>(at))
        .or_else(|| at.read_lock::<Container>().map(|c| c.location.clone()))
        .or_else(|| at.read_lock::<Probe>().map(|p| p.location.clone()))
        .or_else(|| at.read_lock::<Stage>().map(|s| s.location.clone()))
        .or_else(|| at.read_lock::<Instruction>().map(|i| i.location.clone()))
        .or_else(|| at.read_lock::<Location>().map(|l| l.clone()))
        .or_else(|| at.read_lock::<PackageHandle>().map(|p| Location::file(p.package().manifest_path)))
        .or_else(|| {
            at.read_lock::<Binary>()
                .map(|b| b.main.as_ref().map_or_else(|| Location::file(b.src_path), |m| m.location()))
        });
    found.map_or_else(
        || error(format!("cannot report at a value of type {}: pass a fact or a location", at.type_name())),
        Ok,
    )
}
