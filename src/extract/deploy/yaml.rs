//! YAML with positions: saphyr's marked nodes turned into a small owned tree where every node
//! knows its location, `<<` merge keys are applied (compose files rely on them), and anchor
//! expansion is bounded by saphyr's alias budget (a "billion laughs" document is an error).

use crate::facts::{YamlNode, YamlValue};
use crate::location::{LineIndex, Location};
use crate::problem::Problem;
use crate::symbol::Symbol;
use foldhash::HashSet;
use foldhash::HashSetExt;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// Nodes one file may produce after merges; a document past it is reported, not loaded.
const MAX_NODES: usize = 1_000_000;

/// Parses every document of a YAML (or JSON) file.
pub fn load(path: Symbol, text: &str) -> Result<Vec<YamlNode>, Problem> {
    let index = LineIndex::new(text);
    let documents = MarkedYaml::load_from_str(text).or_else(|error| {
        // What PyYAML, Go's YAML and so docker compose and kubectl accept: the closing bracket
        // of a flow collection back at its key's indentation. Positions stay those of `text`.
        let relaxed = with_closing_brackets_indented(text).ok_or(error)?;
        MarkedYaml::load_from_str(&relaxed)
    });
    let documents = documents.map_err(|error| {
        let marker = error.marker();
        let location =
            index.location(path, (marker.line() as u32, marker.col()), (marker.line() as u32, marker.col() + 1));
        // A "billion laughs" document is valid YAML that expands past saphyr's alias budget.
        let message = if error.info().contains("alias expansion") {
            "YAML aliases expand to more nodes than guardrail reads (a \"billion laughs\" document); the file was not checked".to_owned()
        } else {
            format!("invalid YAML: {}; the file was not checked", error.info())
        };
        Problem { location, message }
    })?;
    let mut converter = Converter { path, index: &index, budget: MAX_NODES };
    documents
        .iter()
        .map(|doc| {
            converter.node(doc).ok_or_else(|| Problem {
                location: Location::file(path),
                message: format!("YAML expands to more than {MAX_NODES} nodes; the file was not checked"),
            })
        })
        .collect()
}

/// `text` with each line that only closes flow collections (`]`, `},` ...) indented like the
/// line before it; `None` when there is no such line. Lines keep their numbers and every other
/// line its columns.
fn with_closing_brackets_indented(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut previous_indent = 0;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        let closes_only = !trimmed.is_empty() && trimmed.chars().all(|c| matches!(c, ']' | '}' | ',' | ' '));
        if closes_only && indent < previous_indent {
            out.push_str(&" ".repeat(previous_indent));
            out.push_str(line.trim_start());
            changed = true;
        } else {
            out.push_str(line);
            if !trimmed.is_empty() {
                previous_indent = indent;
            }
        }
    }
    changed.then_some(out)
}

struct Converter<'a> {
    path: Symbol,
    index: &'a LineIndex<'a>,
    budget: usize,
}

impl Converter<'_> {
    fn location(&self, node: &MarkedYaml) -> Location {
        let (start, end) = (node.span.start, node.span.end);
        self.index.location(self.path, (start.line() as u32, start.col()), (end.line() as u32, end.col()))
    }

    fn node(&mut self, node: &MarkedYaml) -> Option<YamlNode> {
        self.budget = self.budget.checked_sub(1)?;
        let value = match &node.data {
            YamlData::Value(scalar) => scalar_value(scalar),
            YamlData::Representation(text, ..) => YamlValue::Str(text.to_string()),
            YamlData::Tagged(_, inner) => return self.node(inner),
            YamlData::Sequence(items) => YamlValue::Seq(items.iter().map(|i| self.node(i)).collect::<Option<_>>()?),
            YamlData::Mapping(map) => {
                let mut entries: Vec<(String, Location, YamlNode)> = Vec::new();
                let mut merged = Vec::new();
                for (key, value) in map {
                    let name = key_text(key);
                    if name == "<<" {
                        merged.push(self.node(value)?);
                    } else {
                        entries.push((name, self.location(key), self.node(value)?));
                    }
                }
                // `<<: *base` or `<<: [*a, *b]`: explicit keys win, then earlier merges. The keys
                // seen are a set: two maps of n keys merge in linear time, not n².
                let mut seen: HashSet<String> =
                    if merged.is_empty() { HashSet::new() } else { entries.iter().map(|(k, ..)| k.clone()).collect() };
                for source in merged {
                    let maps = match source.value {
                        YamlValue::Seq(items) => items,
                        other => vec![YamlNode { location: source.location, value: other }],
                    };
                    for map in maps {
                        if let YamlValue::Map(more) = map.value {
                            for entry in more {
                                if seen.insert(entry.0.clone()) {
                                    entries.push(entry);
                                }
                            }
                        }
                    }
                }
                YamlValue::Map(entries)
            }
            YamlData::Alias(_) | YamlData::BadValue => YamlValue::Null,
        };
        Some(YamlNode { location: self.location(node), value })
    }
}

fn scalar_value(scalar: &Scalar) -> YamlValue {
    match scalar {
        Scalar::Null => YamlValue::Null,
        Scalar::Boolean(b) => YamlValue::Bool(*b),
        Scalar::Integer(i) => YamlValue::Int(*i),
        Scalar::FloatingPoint(f) => YamlValue::Float(f.into_inner()),
        Scalar::String(s) => YamlValue::Str(s.to_string()),
    }
}

fn key_text(key: &MarkedYaml) -> String {
    match &key.data {
        YamlData::Value(Scalar::String(s)) => s.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Representation(text, ..) => text.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_applies_merge_keys() {
        let text = "base: &base\n  healthcheck: {test: [CMD, true]}\n  image: a\nservices:\n  api:\n    <<: *base\n    image: b\n";
        let docs = load(Symbol::intern("compose.yaml"), text).unwrap();
        let api = docs[0].get("services").and_then(|s| s.get("api")).unwrap();
        assert_eq!(api.get("image").and_then(YamlNode::as_str), Some("b"));
        assert!(api.get("healthcheck").is_some());
        let image = api.get("image").unwrap();
        assert_eq!((image.location.line, image.location.column), (7, 12));
    }

    #[test]
    fn an_alias_bomb_is_an_error_not_a_hang() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let error = load(Symbol::intern("bomb.yaml"), &text).unwrap_err();
        assert!(error.message.contains("invalid YAML") || error.message.contains("nodes"), "{}", error.message);
    }

    #[test]
    fn a_flow_sequence_closed_at_its_keys_indentation_is_read() {
        let text = "services:\n  test:\n    image: example/app:1\n    command: [\n      \"serve\",\n      \"--port=80\"\n    ]\n    ports: [80]\n";
        let docs = load(Symbol::intern("compose.yaml"), text).unwrap();
        let test = docs[0].at_path("services.test").unwrap();
        let command: Vec<&str> = test.get("command").unwrap().as_seq().iter().filter_map(YamlNode::as_str).collect();
        assert_eq!(command, ["serve", "--port=80"]);
        let ports = test.get("ports").unwrap();
        assert_eq!((ports.location.line, ports.location.column), (8, 12));
    }

    #[test]
    fn invalid_yaml_points_at_the_error() {
        let error = load(Symbol::intern("bad.yaml"), "a: [1, 2\nb: c\n").unwrap_err();
        assert!(error.message.starts_with("invalid YAML"), "{}", error.message);
        assert!(error.location.line >= 1);
    }
}
