//! Helm templates read as written, for a chart `helm template` could not render: every template
//! action (`{{ … }}`) becomes YAML that keeps the lines and columns of the text around it, so
//! that what the template writes outright (a container without a livenessProbe) is still
//! checked and reported at its own line.
//!
//! - An action inside a line's text becomes underscores of its width: `image: {{ .Values.image }}`
//!   is a string, as it will be once rendered.
//! - A line of actions alone is blank, unless it writes the value of the key above it
//!   (`resources:` then `{{- toYaml .Values.resources | nindent 12 }}`): then it becomes a
//!   placeholder key, so that the key holds something, as it will once rendered.
//!
//! Both branches of an `if` are read; what only a value decides (a probe in `values.yaml`) is
//! taken to be there. So this finds less than rendering would, never more.

/// Action keywords that write nothing.
const SILENT: [&str; 9] = ["if", "else", "end", "range", "with", "define", "block", "break", "continue"];

/// `text` with its template actions turned into YAML of the same lines.
pub fn as_written(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_action = false;
    let mut previous_key: Option<usize> = None;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |body| (body, "\n"));
        let Stripped { kept, actions, has_text, ends_in_action } = strip_actions(body, in_action);
        in_action = ends_in_action;
        let indent = body.len() - body.trim_start().len();
        if !actions.is_empty() && !has_text {
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
            kept.push_str(&"_".repeat(inside.chars().count()));
            // An action's words are on the line it opens on; the lines it goes on over (a
            // comment, mostly) write nothing of their own.
            let words = inside.strip_prefix("{{").map_or("", |words| words.trim_end_matches("}}"));
            actions.push(words.trim_matches('-').trim().to_owned());
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
        let width = "{{ .Release.Name }}".len();
        assert_eq!(written.lines().nth(3), Some(format!("  name: {}", "_".repeat(width)).as_str()));
        assert_eq!(written.lines().nth(9), Some(format!("          image: \"{}\"", "_".repeat(width)).as_str()));
        assert_eq!(written.lines().nth(10).map(str::trim), Some(""));
        assert_eq!(written.lines().nth(14), Some("            __template_line_15__: written"));
        let documents = crate::extract::deploy::yaml::load(crate::facts::Symbol::intern("t.yaml"), &written).unwrap();
        let objects = crate::extract::deploy::k8s::objects(documents);
        let container = &objects[0].containers[0];
        assert_eq!((container.name.as_str(), container.has_resources, container.probes.len()), ("api", true, 1));
        assert_eq!(container.location.line, 9);
    }
}
