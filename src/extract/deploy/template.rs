//! Helm templates read as written, for a chart `helm template` could not render: every template
//! action (`{{ … }}`) becomes YAML that keeps the lines and columns of the text around it, so
//! that what the template writes outright (a container without a livenessProbe) is still
//! checked and reported at its own line.
//!
//! - An action inside a line's text becomes a placeholder of its width that names it:
//!   `name: {{ .Release.Name }}` reads `name: «.Release.Name»`, a string, as it will be once
//!   rendered (and a finding names the container `«.Chart.Name»`).
//! - A line of actions alone is blank, unless it writes the value of the key above it
//!   (`resources:` then `{{- toYaml .Values.resources | nindent 12 }}`): then it becomes a
//!   placeholder key, so that the key holds something, as it will once rendered.
//! - Of an `if … else … end`, the first branch is read: both would write the same keys twice.
//!
//! What only a value decides (a probe in `values.yaml`) is taken to be there. So this finds
//! less than rendering would, never more.

/// Action keywords that write nothing.
const SILENT: [&str; 9] = ["if", "else", "end", "range", "with", "define", "block", "break", "continue"];
/// Action keywords that open a block an `end` closes.
const OPENS: [&str; 5] = ["if", "range", "with", "define", "block"];

/// `text` with its template actions turned into YAML of the same lines.
pub fn as_written(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_action = false;
    let mut previous_key: Option<usize> = None;
    // The open blocks, each with whether its `else` branch is being read past.
    let mut blocks: Vec<bool> = Vec::new();
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |body| (body, "\n"));
        let Stripped { kept, actions, has_text, ends_in_action } = strip_actions(body, in_action);
        in_action = ends_in_action;
        let skipping = blocks.contains(&true);
        for action in &actions {
            match action.split_whitespace().next().unwrap_or("") {
                "end" => drop(blocks.pop()),
                "else" => {
                    if let Some(in_else) = blocks.last_mut() {
                        *in_else = true;
                    }
                }
                first if OPENS.contains(&first) => blocks.push(false),
                _ => {}
            }
        }
        let indent = body.len() - body.trim_start().len();
        if skipping {
            out.push_str(&" ".repeat(body.len()));
        } else if !actions.is_empty() && !has_text {
            let writes = actions.iter().any(|action| !is_silent(action));
            let opens_value = previous_key.is_some_and(|key_indent| indent > key_indent);
            if writes && opens_value {
                out.push_str(&format!("{}__template_line_{}__: written", &body[..indent], number + 1));
                previous_key = None;
            } else {
                out.push_str(&" ".repeat(body.len()));
            }
        } else {
            let content = kept.trim();
            if !content.is_empty() && !content.starts_with('#') {
                previous_key = content.ends_with(':').then_some(indent);
            }
            out.push_str(&kept);
        }
        out.push_str(newline);
    }
    out
}

/// A line with its actions replaced.
struct Stripped {
    /// The line, each action (or its part on this line) replaced by underscores of its width.
    kept: String,
    /// The words of the actions that open on this line.
    actions: Vec<String>,
    /// Whether anything but actions and whitespace is on the line.
    has_text: bool,
    ends_in_action: bool,
}

fn strip_actions(line: &str, mut in_action: bool) -> Stripped {
    let mut kept = String::with_capacity(line.len());
    let mut actions = Vec::new();
    let mut has_text = false;
    let mut rest = line;
    while !rest.is_empty() {
        if in_action {
            let (inside, after) = match rest.find("}}") {
                Some(end) => (&rest[..end + 2], &rest[end + 2..]),
                None => (rest, ""),
            };
            // An action's words are on the line it opens on; the lines it goes on over (a
            // comment, mostly) write nothing of their own.
            let words = inside.strip_prefix("{{").map_or("", |words| words.trim_end_matches("}}"));
            let words = words.trim_matches('-').trim();
            kept.push_str(&placeholder(inside, words));
            actions.push(words.to_owned());
            in_action = !inside.ends_with("}}");
            rest = after;
        } else {
            match rest.find("{{") {
                Some(start) => {
                    has_text |= !rest[..start].trim().is_empty();
                    kept.push_str(&rest[..start]);
                    rest = &rest[start..];
                    in_action = true;
                }
                None => {
                    has_text |= !rest.trim().is_empty();
                    kept.push_str(rest);
                    rest = "";
                }
            }
        }
    }
    Stripped { kept, actions, has_text, ends_in_action: in_action }
}

/// What stands for an action (or its part on this line) of the text `inside`: one whose words
/// are all here reads `«words»`, with what YAML would read as syntax made `_`, padded to the
/// action's width; a part of an action spread over lines, underscores.
fn placeholder(inside: &str, words: &str) -> String {
    let width = inside.chars().count();
    if !(inside.starts_with("{{") && inside.ends_with("}}")) {
        return "_".repeat(width);
    }
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '$' | '|' | '(' | ')' | ' ');
    let named: String = words.chars().map(|c| if plain(c) { c } else { '_' }).collect();
    let text = format!("«{}»", named.trim());
    format!("{text:width$}")
}

/// Whether an action writes nothing: control flow, a comment, or a variable assignment.
fn is_silent(action: &str) -> bool {
    let mut words = action.split_whitespace();
    let first = words.next().unwrap_or("");
    let assigns = first.starts_with('$') && matches!(words.next(), Some(":=" | "="));
    action.is_empty() || first.starts_with("/*") || SILENT.contains(&first) || assigns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_become_yaml_of_the_same_lines() {
        let template = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image }}\"\n          {{- if .Values.probe }}\n          readinessProbe: {}\n          {{- end }}\n          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n          env: {{ toYaml .Values.env | nindent 12 }}\n{{/* a comment\nover lines */}}\n";
        let written = as_written(template);
        assert_eq!(written.lines().count(), template.lines().count());
        assert_eq!(written.lines().nth(3), Some("  name: «.Release.Name»    "));
        assert_eq!(written.lines().nth(9), Some("          image: \"«.Values.image»    \""));
        assert_eq!(written.lines().nth(10).map(str::trim), Some(""));
        assert_eq!(written.lines().nth(14), Some("            __template_line_15__: written"));
        let documents = crate::extract::deploy::yaml::load(crate::symbol::Symbol::intern("t.yaml"), &written).unwrap();
        let objects = crate::extract::deploy::k8s::objects(documents);
        let container = &objects[0].containers[0];
        assert_eq!((container.name.as_str(), container.has_resources, container.probes.len()), ("api", true, 1));
        assert_eq!(container.location.line, 9);
    }

    #[test]
    fn the_first_branch_of_an_if_is_read_and_the_else_left_out() {
        let template = "spec:\n  {{- if .Values.tls }}\n  volumeMounts:\n    - name: tls\n  {{- else if .Values.extra }}\n  volumeMounts:\n    - name: extra\n  {{- end }}\n  image: a\n";
        let written = as_written(template);
        assert_eq!(written.lines().filter(|l| l.contains("volumeMounts")).count(), 1, "{written}");
        assert!(written.contains("- name: tls") && !written.contains("extra"), "{written}");
        assert!(written.contains("  image: a"), "{written}");
    }
}
