//! `guardrail init` and `guardrail new-policy`: the files a new user or policy author starts
//! from. Nothing is overwritten unless asked.

use std::path::{Path, PathBuf};

/// A file to write: where, and what.
pub struct Scaffold {
    pub path: PathBuf,
    pub text: String,
}

/// Writes every file, or none when any exists already and `force` is off.
pub fn write_all(files: &[Scaffold], force: bool) -> Result<(), String> {
    let existing: Vec<String> =
        files.iter().filter(|f| f.path.exists()).map(|f| f.path.display().to_string()).collect();
    if !force && !existing.is_empty() {
        return Err(format!("not overwriting {} (use --force)", existing.join(", ")));
    }
    for file in files {
        if let Some(dir) = file.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&file.path, &file.text).map_err(|e| format!("cannot write {}: {e}", file.path.display()))?;
    }
    Ok(())
}

/// `text` (a `guardrail.toml`, or none yet) with `dir` in the top-level array `key`: added to
/// the array when the key is there, else as a new first line (top-level keys come before any
/// table). Unchanged when `dir` is there already.
pub fn with_directory(text: Option<&str>, key: &str, dir: &str) -> String {
    let text = text.unwrap_or_default();
    let quoted = format!("\"{dir}\"");
    let is_key = |line: &str| line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    match lines.iter_mut().find(|line| is_key(line)) {
        Some(line) if line.contains(&quoted) => {}
        Some(line) => {
            if let Some(open) = line.find('[') {
                let empty = line[open + 1..].trim_start().starts_with(']');
                line.insert_str(open + 1, &if empty { quoted } else { format!("{quoted}, ") });
            }
        }
        None => lines.insert(0, format!("{key} = [{quoted}]")),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `guardrail.toml` with the workspace's crates as a first layer list, and a workflow.
pub fn init(root: &Path, crates: &[String]) -> Vec<Scaffold> {
    let members = crates.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let config = format!(
        r#"# guardrail configuration. Every key is optional; `guardrail list` shows the rules.

# Paths to skip, in addition to .gitignore and target/.
exclude = []

# Directories of your own policies (one .rhai file each; `guardrail new-policy <id>` starts one).
policies = []

# Per rule: severity = "off" | "note" | "warning" | "error", and the rule's own parameters.
# [rules.blocking-in-async]
# severity = "error"
# include_tests = false

# The intended architecture. Order the layers top to bottom and split the crates among them;
# this starts with all of them in one layer.
# [architecture]
# [[architecture.layers]]
# name = "app"
# members = [{members}]
#
# [[architecture.forbid]]
# from = ["my-domain"]
# to = ["sqlx", "axum"]
# reason = "the domain stays free of I/O"
"#
    );
    let workflow = concat!(
        r#"# guardrail on every pull request (annotations on the changed lines, a job summary) and on
# every push to the default branch (results in GitHub code scanning).
name: guardrail
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
  security-events: write
jobs:
  guardrail:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@93cb6efe18208431cddfb8368fd83d5badbf9bfd # v5.0.1
        with:
          fetch-depth: 0
      - uses: guardrail-rs/guardrail@v"#,
        env!("CARGO_PKG_VERSION"),
        r#"
        with:
          # A pull request from a fork gets a read-only token, which cannot upload to code
          # scanning: its findings still come as annotations and in the job summary.
          sarif: ${{ github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository }}
"#
    );
    vec![
        Scaffold { path: root.join("guardrail.toml"), text: config },
        Scaffold { path: root.join(".github/workflows/guardrail.yml"), text: workflow.to_owned() },
    ]
}

/// The `.pre-commit-config.yaml` entry to add by hand (the file is usually shared).
pub const PRE_COMMIT_SNIPPET: &str = concat!(
    "repos:\n  - repo: https://github.com/guardrail-rs/guardrail\n    rev: v",
    env!("CARGO_PKG_VERSION"),
    "\n    hooks:\n      - id: guardrail-system\n"
);

/// Whether `id` is a valid rule id: lowercase words joined by `-`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// A policy that reports `todo!()` outside tests, with a fixture that must report and one that
/// must stay silent — a working start to edit.
pub fn new_policy(policies: &Path, fixtures: &Path, id: &str) -> Vec<Scaffold> {
    let policy = format!(
        r#"// {id}: describe in one line what this policy reports.
const META = #{{
    id: "{id}",
    severity: "warning",
    // The template's example: `guardrail explain {id}` says so until META is yours.
    summary: "todo!() left in code that ships (the new-policy template's example: edit this META)",
    rationale: "todo!() compiles, then panics on the first request that reaches it.",
    example: "fn refund() -> Result<(), Error> {{ todo!() }}",
    fix: "implement it, or return an error the caller can handle",
    params: #{{ include_tests: false }},
}};

fn check(facts, ctx) {{
    let include_tests = ctx.param("include_tests");
    for site in facts.macros("todo") {{
        if site.in_test && !include_tests {{
            continue;
        }}
        ctx.report(site, "todo!() panics when it is reached", #{{ help: "return an error instead" }});
    }}
}}
"#
    );
    let manifest =
        |name: &str| format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n");
    let failing = format!("pub fn refund() -> Result<(), String> {{\n    todo!() // expect: {id}\n}}\n");
    let passing = format!(
        "pub fn refund() -> Result<(), String> {{\n    Err(\"refunds are not supported yet\".into())\n}}\n\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn later() {{\n        todo!() // ok: {id}\n    }}\n}}\n"
    );
    let case = fixtures.join(id);
    vec![
        Scaffold { path: policies.join(format!("{id}.rhai")), text: policy },
        Scaffold { path: case.join("fails/Cargo.toml"), text: manifest("fails") },
        Scaffold { path: case.join("fails/src/lib.rs"), text: failing },
        Scaffold { path: case.join("passes/Cargo.toml"), text: manifest("passes") },
        Scaffold { path: case.join("passes/src/lib.rs"), text: passing },
    ]
}

#[cfg(test)]
mod tests {
    use super::with_directory;

    #[test]
    fn directories_are_added_to_the_configuration_once() {
        assert_eq!(with_directory(None, "policies", "policies"), "policies = [\"policies\"]\n");
        let config = "exclude = []\npolicies = []\n\n[rules.x]\nseverity = \"off\"\n";
        let once = with_directory(Some(config), "policies", "policies");
        assert_eq!(once, "exclude = []\npolicies = [\"policies\"]\n\n[rules.x]\nseverity = \"off\"\n");
        assert_eq!(with_directory(Some(&once), "policies", "policies"), once);
        let more = with_directory(Some(&once), "policies", "ci/checks");
        assert!(more.contains("policies = [\"ci/checks\", \"policies\"]"), "{more}");
        let fixtures = with_directory(Some(&once), "fixtures", "fixtures");
        assert!(fixtures.starts_with("fixtures = [\"fixtures\"]\nexclude = []\n"), "{fixtures}");
    }
}
