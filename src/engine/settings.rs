//! Rule settings: each rule's effective severity and parameters, from its defaults and
//! `[rules.<id>]`; unknown rules, unknown parameters and mistyped values point into the file.

use super::{Origin, Policy};
use crate::discover::{Config, Level};
use crate::findings::Severity;
use crate::problem::Problem;
use crate::rule::{RuleDoc, RuleSettings};
use rhai::{Dynamic, Map};
use std::collections::BTreeMap;

/// Settings for every policy and native rule. A built-in policy in preview
/// ([`crate::measured`]) runs only with `preview` (the command line's `--preview`, or
/// `preview = true`), or when `[rules.<id>]` enables it or sets its severity.
pub fn resolve_settings(
    config: &Config,
    policies: &[Policy],
    native: &[RuleDoc],
    preview: bool,
) -> (BTreeMap<String, RuleSettings>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut settings = BTreeMap::new();
    let rules = policies.iter().map(|p| (&p.doc, Some(p))).chain(native.iter().map(|doc| (doc, None)));
    for (doc, policy) in rules {
        let configured = config.rules.get(&doc.id);
        let (severity, ceiling) = match configured.and_then(|r| r.level) {
            Some(Level::Off) => (None, Severity::Error),
            Some(Level::On(severity)) => (Some(severity), severity),
            None => (Some(doc.severity), Severity::Error),
        };
        let asked_for = configured.is_some_and(|r| r.enabled == Some(true) || matches!(r.level, Some(Level::On(_))));
        let in_preview = policy.is_some_and(|p| p.origin == Origin::Builtin && is_preview(&doc.id));
        let turned_off = configured.is_some_and(|r| r.enabled == Some(false));
        let severity = severity.filter(|_| !turned_off && (!in_preview || preview || config.preview || asked_for));
        let defaults = policy.map(|p| &p.params);
        let mut params: Map = defaults.into_iter().flatten().map(|(k, v)| (k.as_str().into(), v.clone())).collect();
        for (name, (value, location)) in configured.into_iter().flat_map(|r| &r.params) {
            let value = to_dynamic(value);
            let problem = match params.get(name.as_str()) {
                None => {
                    let known: Vec<&str> = params.keys().map(|k| k.as_str()).collect();
                    let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                    Some(format!("rule `{}` has no parameter \"{name}\" (parameters: severity, {known})", doc.id))
                }
                Some(default) if default.type_name() != value.type_name() => Some(format!(
                    "parameter \"{name}\" of rule `{}` must be of type {}, like its default {default}",
                    doc.id,
                    default.type_name()
                )),
                Some(_) => None,
            };
            match problem {
                Some(message) => problems.push(Problem { location: location.clone(), message }),
                None => {
                    params.insert(name.as_str().into(), value);
                }
            }
        }
        settings.insert(doc.id.clone(), RuleSettings { severity, ceiling, params });
    }
    for (id, rule) in &config.rules {
        if !settings.contains_key(id) {
            let location = rule.location.clone().expect("configured rules carry their location");
            let message = format!("unknown rule \"{id}\"; `guardrail list` shows the rules");
            problems.push(Problem { location, message });
        }
    }
    (settings, problems)
}

/// Whether the built-in rule `id` is in preview.
pub fn is_preview(id: &str) -> bool {
    crate::measured::tier(id) == crate::measured::Tier::Preview
}

fn to_dynamic(value: &toml::Value) -> Dynamic {
    match value {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => d.to_string().into(),
        toml::Value::Array(items) => items.iter().map(to_dynamic).collect::<rhai::Array>().into(),
        toml::Value::Table(table) => {
            table.iter().map(|(k, v)| (k.as_str().into(), to_dynamic(v))).collect::<Map>().into()
        }
    }
}
