//! Which line of a template or manifest a rendered line came from. Neither helm nor kustomize
//! says, so it is found by structure: each line's key path (`spec:` › `template:` › … ›
//! `- name:`) is compared with the key paths of the lines written in the source, where a key's
//! value may be a template (`image: {{ .Values.image }}` rendered as `image: api:1.2`). Among
//! lines with the same path the one of the same rank wins: the third container rendered maps to
//! the third written (cycling when a `range` repeats lines). A line the source does not write
//! (a block a helper `include`s) maps to the nearest enclosing key it does write; nothing in
//! common maps to the source's first line.

use super::Rendered;
use crate::location::{LineIndex, Location};
use crate::sources::Sources;

/// The location in `rendered.source` of the rendered location `at`.
pub fn locate(rendered: &Rendered, at: &Location, sources: &Sources) -> Location {
    let Some(source) = sources.get(rendered.source) else { return Location::file(rendered.source) };
    let source_index = LineIndex::new(&source);
    let line_count = source.lines().count().max(1) as u32;
    let (first, last) = rendered.source_lines.unwrap_or((1, line_count));
    let written: Vec<(u32, Vec<&str>)> = (first..=last.min(line_count))
        .filter(|&line| key(source_index.line_text(line)).is_some())
        .flat_map(|line| {
            let path = key_path(&source_index, line, first);
            // `- name: api` is both the item (`… › -`) and its key (`… › - › name:`).
            let item = path.iter().rposition(|&(step, at)| step == "-" && at == line);
            let item = item.map(|at| (line, keys(&path[..=at])));
            std::iter::once((line, keys(&path))).chain(item)
        })
        .collect();
    let rendered_index = LineIndex::new(&rendered.text);
    let mut path = key_path(&rendered_index, at.line, 1);
    let found = loop {
        let Some(&(_, end)) = path.last() else { break None };
        let wanted = keys(&path);
        let candidates: Vec<u32> = written.iter().filter(|(_, p)| *p == wanted).map(|(line, _)| *line).collect();
        if !candidates.is_empty() {
            let rank = (1..end)
                .filter(|&line| key(rendered_index.line_text(line)).is_some())
                .filter(|&line| keys(&key_path(&rendered_index, line, 1)) == wanted)
                .count();
            break Some(candidates[rank % candidates.len()]);
        }
        path.pop();
    };
    let line = found.unwrap_or(first);
    let text = source_index.line_text(line);
    let indent = text.len() - text.trim_start().len();
    let start = source_index.byte_offset(line, 0) + indent;
    source_index.location_of_bytes(rendered.source, start, start + text.trim().len())
}

/// The steps from the document's top down to `line`'s own key (or its nearest enclosing key),
/// each with the line it is on: keys, and `-` for each sequence item. An item's key at the dash
/// (`- name: api`) is a step of its own, so the item's keys compare in any order (kustomize
/// sorts them: `- image: …` then `name: api`).
fn key_path<'a>(index: &LineIndex<'a>, line: u32, first: u32) -> Vec<(&'a str, u32)> {
    let lines = enclosing_lines(index, line, first);
    let mut steps = Vec::new();
    for (n, &at) in lines.iter().enumerate() {
        let Some(written) = key(index.line_text(at)) else { continue };
        match written.strip_prefix("- ") {
            Some(own) => {
                steps.push(("-", at));
                // The dash line holds the keys below it as siblings of its own key.
                if n + 1 == lines.len() {
                    steps.push((own, at));
                }
            }
            None => steps.push((written, at)),
        }
    }
    steps
}

fn keys<'a>(path: &[(&'a str, u32)]) -> Vec<&'a str> {
    path.iter().map(|(key, _)| *key).collect()
}

/// The lines that hold `line`, from the top of its document down to `line` itself (or the
/// nearest key above it when it sets none).
fn enclosing_lines(index: &LineIndex, line: u32, first: u32) -> Vec<u32> {
    let mut lines = Vec::new();
    let mut inner: Option<&str> = None;
    for above in (first..=line).rev() {
        let text = index.line_text(above);
        if text.trim() == "---" {
            break;
        }
        if key(text).is_some() && inner.is_none_or(|inner| holds(text, inner)) {
            lines.push(above);
            inner = Some(text);
        }
    }
    lines.reverse();
    lines
}

/// Whether the line `outer` holds the line `inner` below it. The keys of a sequence item sit
/// one column right of its dash, so `- name: api` holds the `image:` under it; a sequence's
/// dash may sit at its key's own column.
fn holds(outer: &str, inner: &str) -> bool {
    let (outer_dash, outer_content) = columns(outer);
    let outer_column = outer_dash.map_or(outer_content, |dash| dash + 1);
    match columns(inner) {
        (Some(dash), _) => outer_column <= dash,
        (None, content) => outer_column < content,
    }
}

/// The column of a line's sequence dash, if any, and of its content.
fn columns(text: &str) -> (Option<usize>, usize) {
    let content = text.trim_start();
    let leading = text.len() - content.len();
    match content.strip_prefix("- ") {
        Some(item) => (Some(leading), leading + 2 + item.len() - item.trim_start().len()),
        None => (None, leading),
    }
}

/// The key a YAML line sets, with a sequence dash if it has one: `- name:` of `- name: api`.
/// Comments, template directives (`{{- if … }}`) and plain items set none.
fn key(line: &str) -> Option<&str> {
    let line = line.trim();
    let colon = line.find(": ").or_else(|| line.strip_suffix(':').map(|_| line.len() - 1))?;
    let key = &line[..=colon];
    let name = key.strip_prefix("- ").unwrap_or(key);
    let plain = !name.contains(' ') || name.starts_with('"') || name.starts_with('\'');
    (plain && !name.contains("{{") && !name.starts_with('#')).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::Symbol;
    use std::sync::Arc;

    fn locate_in(template: &str, rendered: &str, line: u32) -> (u32, String) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("deployment.yaml"), template).unwrap();
        let sources = Sources::new(dir.path());
        let rendered = Rendered {
            shown: Symbol::intern("deployment.yaml (helm template)"),
            source: Symbol::intern("deployment.yaml"),
            source_lines: None,
            text: Arc::from(rendered),
            tool: "helm template",
        };
        let at = Location { line, ..Location::file(rendered.shown) };
        let found = locate(&rendered, &at, &sources);
        let text = template.lines().nth(found.line as usize - 1).unwrap();
        (found.line, text[found.column as usize - 1..found.end_column as usize - 1].to_owned())
    }

    const TEMPLATE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n        - name: {{ .Chart.Name }}\n          image: \"{{ .Values.image }}\"\n          {{- include \"api.env\" . | nindent 10 }}\n          ports:\n            - name: http\n              containerPort: 8080\n";
    const RENDERED: &str = "---\n# Source: api/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: prod\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"api:1.2\"\n          env:\n            - name: RUST_LOG\n              value: info\n          ports:\n            - name: http\n              containerPort: 8080\n";

    #[test]
    fn a_rendered_line_maps_to_the_line_that_wrote_it() {
        assert_eq!(locate_in(TEMPLATE, RENDERED, 8), (6, "replicas: {{ .Values.replicas }}".into()));
        assert_eq!(locate_in(TEMPLATE, RENDERED, 12), (10, "- name: {{ .Chart.Name }}".into()));
        assert_eq!(locate_in(TEMPLATE, RENDERED, 18), (14, "- name: http".into()));
        assert_eq!(locate_in(TEMPLATE, RENDERED, 19), (15, "containerPort: 8080".into()));
    }

    #[test]
    fn a_line_a_helper_wrote_maps_to_the_key_it_is_under() {
        // `env:` and its items come from the helper; the container holds them.
        assert_eq!(locate_in(TEMPLATE, RENDERED, 16), (10, "- name: {{ .Chart.Name }}".into()));
        assert_eq!(locate_in(TEMPLATE, RENDERED, 15), (10, "- name: {{ .Chart.Name }}".into()));
    }

    #[test]
    fn the_same_key_maps_by_rank_and_by_document() {
        let template = "kind: Service\nmetadata:\n  name: {{ .Release.Name }}\n---\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n";
        let rendered = "---\nkind: Service\nmetadata:\n  name: prod\n---\nkind: Deployment\nmetadata:\n  name: prod\n";
        assert_eq!(locate_in(template, rendered, 8), (7, "name: {{ .Release.Name }}".into()));
        assert_eq!(locate_in(template, rendered, 4), (3, "name: {{ .Release.Name }}".into()));
    }

    #[test]
    fn nothing_in_common_is_the_first_line() {
        assert_eq!(locate_in("{{ include \"all\" . }}\n", RENDERED, 8), (1, "{{ include \"all\" . }}".into()));
    }
}
