//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), as a PodDisruptionBudget
//! or a Service selects pods by their labels.

use super::YamlNode;

/// Labels the controller adds to every pod: a selector on them cannot be judged from the
/// template, so a term on one that the template lacks counts as met.
pub(super) const CONTROLLER_LABELS: [&str; 4] = [
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
];

/// Whether `selector` selects pods labelled `labels`. A null selector selects nothing; an empty
/// one everything when `empty_selects_all` (policy/v1), else nothing (policy/v1beta1). What it
/// cannot judge — an unknown operator, a malformed term, a value templated into a string —
/// counts as selecting them: a false alarm costs more than a missed join.
pub fn selects(selector: Option<&YamlNode>, labels: &[(String, String)], empty_selects_all: bool) -> bool {
    let Some(selector) = selector else { return false };
    if !selector.is_map() {
        return false;
    }
    let label = |key: &str| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let mut terms = 0;
    if let Some(match_labels) = selector.get("matchLabels") {
        if !match_labels.is_map() {
            return true;
        }
        for (key, wanted) in match_labels.entries() {
            terms += 1;
            match label(key) {
                None if CONTROLLER_LABELS.contains(&key) => {}
                None => return false,
                Some(have) if wanted.scalar_text().as_deref() != Some(have) => return false,
                Some(_) => {}
            }
        }
    }
    if let Some(expressions) = selector.get("matchExpressions") {
        if !expressions.is_seq() {
            return true;
        }
        for expression in expressions.as_seq() {
            terms += 1;
            let (Some(key), Some(operator)) = (
                expression.get("key").and_then(YamlNode::as_str),
                expression.get("operator").and_then(YamlNode::as_str),
            ) else {
                continue;
            };
            let have = label(key);
            if have.is_none() && CONTROLLER_LABELS.contains(&key) {
                continue;
            }
            let among_values = || {
                let values = expression.get("values").filter(|v| v.is_seq())?;
                Some(have.is_some_and(|have| values.as_seq().iter().any(|v| v.scalar_text().as_deref() == Some(have))))
            };
            let met = match operator {
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                "In" => among_values().unwrap_or(true),
                "NotIn" => among_values().is_none_or(|found| !found),
                _ => true,
            };
            if !met {
                return false;
            }
        }
    }
    terms > 0 || empty_selects_all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::YamlValue;
    use crate::location::Location;

    fn node(value: YamlValue) -> YamlNode {
        YamlNode { location: Location::file(crate::symbol::Symbol::intern("pdb.yaml")), value }
    }

    fn text(s: &str) -> YamlNode {
        node(YamlValue::Str(s.to_owned()))
    }

    fn map(entries: Vec<(&str, YamlNode)>) -> YamlNode {
        let location = Location::file(crate::symbol::Symbol::intern("pdb.yaml"));
        node(YamlValue::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), location.clone(), v)).collect()))
    }

    fn expression(key: &str, operator: &str, values: &[&str]) -> YamlNode {
        let mut entries = vec![("key", text(key)), ("operator", text(operator))];
        if !values.is_empty() {
            entries.push(("values", node(YamlValue::Seq(values.iter().map(|v| text(v)).collect()))));
        }
        map(entries)
    }

    fn match_labels(pairs: &[(&str, YamlNode)]) -> YamlNode {
        map(vec![("matchLabels", map(pairs.to_vec()))])
    }

    fn match_expressions(expressions: Vec<YamlNode>) -> YamlNode {
        map(vec![("matchExpressions", node(YamlValue::Seq(expressions)))])
    }

    fn pod(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn match_labels_need_every_pair() {
        let api = pod(&[("app", "api"), ("tier", "web")]);
        assert!(selects(Some(&match_labels(&[("app", text("api"))])), &api, true));
        assert!(selects(Some(&match_labels(&[("app", text("api")), ("tier", text("web"))])), &api, true));
        assert!(!selects(Some(&match_labels(&[("app", text("api")), ("tier", text("db"))])), &api, true));
        assert!(!selects(Some(&match_labels(&[("app", text("worker"))])), &api, true));
        let two = match_labels(&[("version", node(YamlValue::Int(2)))]);
        assert!(selects(Some(&two), &pod(&[("version", "2")]), true), "numbers compare as text");
        let hashed = match_labels(&[("app", text("api")), ("pod-template-hash", text("abc"))]);
        assert!(selects(Some(&hashed), &api, true), "a label the controller adds");
    }

    #[test]
    fn match_expressions_apply_each_operator() {
        let api = pod(&[("app", "api"), ("tier", "web")]);
        let one = |key, operator, values: &[&str]| match_expressions(vec![expression(key, operator, values)]);
        assert!(selects(Some(&one("app", "In", &["api", "worker"])), &api, true));
        assert!(!selects(Some(&one("app", "In", &["worker"])), &api, true));
        assert!(!selects(Some(&one("app", "NotIn", &["api"])), &api, true));
        assert!(selects(Some(&one("track", "NotIn", &["canary"])), &api, true));
        assert!(selects(Some(&one("tier", "Exists", &[])), &api, true));
        assert!(!selects(Some(&one("track", "Exists", &[])), &api, true));
        assert!(!selects(Some(&one("tier", "DoesNotExist", &[])), &api, true));
        let both = map(vec![
            ("matchLabels", map(vec![("app", text("api"))])),
            ("matchExpressions", node(YamlValue::Seq(vec![expression("tier", "In", &["db"])]))),
        ]);
        assert!(!selects(Some(&both), &api, true), "every term must hold");
    }

    #[test]
    fn what_cannot_be_judged_selects_and_emptiness_follows_the_api_version() {
        let api = pod(&[("app", "api")]);
        let unknown = match_expressions(vec![expression("app", "Matches", &["a"])]);
        assert!(selects(Some(&unknown), &api, true));
        let templated = map(vec![("matchLabels", text("{{ .Values.selector }}"))]);
        assert!(selects(Some(&templated), &api, true));
        assert!(selects(Some(&map(vec![])), &api, true));
        assert!(!selects(Some(&map(vec![])), &api, false), "policy/v1beta1: an empty selector selects nothing");
        assert!(!selects(None, &api, true), "a null selector selects nothing");
        assert!(!selects(Some(&text("app=api")), &api, true), "not a selector");
    }
}
