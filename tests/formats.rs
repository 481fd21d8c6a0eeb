//! Output formats and report narrowing: SARIF (validated by Microsoft's SARIF multitool with
//! GitHub's ingestion rules), GitHub annotations, JUnit, the baseline, diff mode, file arguments.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";
/// Another queue requests fill, added below the first.
const MORE: &str =
    "pub fn more(app: axum::Router<More>) -> axum::Router {\n    let (a, _b) = flume::unbounded::<u8>();\n    \
     app.route(\"/more\", axum::routing::post(more_push)).with_state(More { a })\n}\n\
     #[derive(Clone)]\npub struct More { a: flume::Sender<u8> }\n\
     async fn more_push(axum::extract::State(more): axum::extract::State<More>) { more.a.send(1).ok(); }\n";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop")
}

/// The SARIF multitool, installed from npm into target/tools on first use.
fn sarif_multitool() -> PathBuf {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/sarif");
    let binary = tools.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if !binary.exists() {
        std::fs::create_dir_all(&tools).unwrap();
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&tools)
            .arg("@microsoft/sarif-multitool@5.7.0")
            .status()
            .expect("npm is needed to install the SARIF validator");
        assert!(status.success(), "npm install @microsoft/sarif-multitool failed");
        let mut permissions = std::fs::metadata(&binary).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&binary, permissions).unwrap();
    }
    binary
}

#[test]
fn sarif_passes_the_multitool_with_github_rules() {
    let output = guardrail(&["check", ".", "--format", "sarif", "--category", "shop"], &example());
    assert_eq!(output.code, 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("guardrail.sarif");
    std::fs::write(&file, &output.stdout).unwrap();
    let validation = Command::new(sarif_multitool())
        .args(["validate", "--rule-kind", "Gh;Sarif", "--output"])
        .arg(dir.path().join("validation.sarif"))
        .arg(&file)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("validation.sarif")).unwrap()).unwrap();
    let problems: Vec<&Value> =
        log["runs"][0]["results"].as_array().unwrap().iter().filter(|r| r["level"] == "error").collect();
    assert!(
        problems.is_empty(),
        "SARIF validation errors: {problems:#?}\n{}",
        String::from_utf8_lossy(&validation.stdout)
    );

    let sarif: Value = serde_json::from_str(&output.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "shop/");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let channel = results.iter().find(|r| r["ruleId"] == "unbounded-channel").unwrap();
    let rule = &rules[channel["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "unbounded-channel");
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert!(rule["help"]["markdown"].as_str().unwrap().contains("**How to fix:**"));
    let location = &channel["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "crates/api/src/main.rs");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        (location["region"]["startLine"].as_u64(), location["region"]["startColumn"].as_u64()),
        (Some(38), Some(34))
    );
    assert_eq!(channel["partialFingerprints"]["guardrail/v1"].as_str().unwrap().len(), 16);
    assert_eq!(results.len(), 11);
}

/// (command, file, line, title, message) of each workflow command.
fn annotations(stdout: &str) -> Vec<(String, String, u64, String, String)> {
    let unescape = |s: &str| {
        s.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
    };
    stdout
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("::").expect("a workflow command");
            let (head, message) = rest.split_once("::").unwrap();
            let (command, properties) = head.split_once(' ').unwrap();
            let property = |name: &str| {
                properties.split(',').find_map(|p| p.strip_prefix(&format!("{name}="))).map(unescape).unwrap()
            };
            (
                command.to_owned(),
                property("file"),
                property("line").parse().unwrap(),
                property("title"),
                unescape(message),
            )
        })
        .collect()
}

#[test]
fn github_annotations_parse_back_to_the_findings() {
    let output = guardrail(&["check", ".", "--format", "github"], &example());
    assert_eq!(output.code, 1);
    let parsed = annotations(&output.stdout);
    assert_eq!(parsed.len(), 11);
    let channel = parsed.iter().find(|a| a.3 == "guardrail: unbounded-channel").unwrap();
    assert_eq!((channel.0.as_str(), channel.1.as_str(), channel.2), ("error", "crates/api/src/main.rs", 38));
    assert!(channel.4.starts_with("unbounded channel `tokio::sync::mpsc::unbounded_channel`"), "{}", channel.4);
    assert!(channel.4.contains("\nuse tokio::sync::mpsc::channel(capacity)"), "help on its own line: {}", channel.4);
    let blocking = parsed.iter().find(|a| a.3 == "guardrail: blocking-in-async").unwrap();
    assert_eq!((blocking.0.as_str(), blocking.1.as_str(), blocking.2), ("warning", "crates/api/src/handlers.rs", 66));
}

#[test]
fn junit_has_a_failing_case_per_finding() {
    let output = guardrail(&["check", ".", "--format", "junit"], &example());
    assert!(
        output.stdout.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"guardrail\" tests=\"11\" failures=\"11\">"
        ),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("<testcase classname=\"unbounded-channel\" name=\"crates/api/src/main.rs:38:34\">"));
    assert_eq!(output.stdout.matches("<testcase ").count(), 11);
    assert_eq!(output.stdout.matches("<failure ").count(), 11);
    let clean = workspace(&[("src/lib.rs", "pub fn ok() {}\n")]);
    let output = guardrail(&["check", ".", "--format", "junit"], clean.path());
    assert!(output.stdout.contains("tests=\"1\" failures=\"0\""), "{}", output.stdout);
}

#[test]
fn output_writes_further_formats_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let summary = dir.path().join("summary.md");
    let output = guardrail(
        &[
            "check",
            ".",
            "--format",
            "github",
            "--output",
            &format!("sarif={}", sarif.display()),
            "--output",
            &format!("markdown={}", summary.display()),
        ],
        &example(),
    );
    assert_eq!(output.code, 1);
    assert_eq!(annotations(&output.stdout).len(), 11);
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 11);
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.starts_with("## guardrail\n\n**7 errors, 4 warnings, 0 notes** in 16 files.\n"), "{summary}");
    assert!(summary.contains("| `unbounded-channel` | error | 1 |"), "{summary}");
    assert!(summary.contains("```mermaid\nflowchart TD\n"), "{summary}");
    let bad = guardrail(&["check", ".", "--output", "pdf=x.pdf"], &example());
    assert_eq!(bad.code, 2);
}

#[test]
fn a_baseline_hides_known_findings_and_reports_stale_entries() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED)]);
    let baseline = guardrail(&["baseline", "."], dir.path());
    assert_eq!(baseline.code, 0, "{}", baseline.stderr);
    let file = std::fs::read_to_string(dir.path().join("guardrail-baseline.json")).unwrap();
    assert!(file.starts_with("{\n  \"version\": 1,\n  \"findings\": [\n    {\"rule\":\"unbounded-channel\",\"path\":\"src/lib.rs\",\"fingerprint\":\""), "{file}");

    std::fs::write(dir.path().join("src/lib.rs"), format!("// moved down\n{UNBOUNDED}{MORE}")).unwrap();
    let (code, report) = check_json(dir.path(), &["--baseline", "guardrail-baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report), [finding("unbounded-channel", "src/lib.rs", 10)]);
    assert_eq!(report["summary"]["baselined"], 1);

    std::fs::write(dir.path().join("src/lib.rs"), "pub fn fixed() {}\n").unwrap();
    let (code, report) = check_json(dir.path(), &["--baseline", "guardrail-baseline.json"]);
    assert_eq!((code, findings(&report)), (0, vec![]));
    let note = report["notes"][0]["message"].as_str().unwrap();
    assert!(note.contains("no longer matches a finding"), "{note}");
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn diff_mode_reports_only_what_the_branch_changed() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED)]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "legacy"]);
    git(dir.path(), &["checkout", "-qb", "feature"]);
    let changed = format!("{UNBOUNDED}\n{MORE}");
    std::fs::write(dir.path().join("src/lib.rs"), changed).unwrap();
    std::fs::write(dir.path().join("src/new.rs"), UNBOUNDED).unwrap();
    git(dir.path(), &["add", "src/lib.rs"]);
    git(dir.path(), &["commit", "-qm", "feature"]);
    let (code, all) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&all).len()), (1, 3));
    let (code, report) = check_json(dir.path(), &["--diff-base", "main"]);
    assert_eq!(code, 1);
    // The legacy finding on line 2 is hidden; the new line and the untracked file are not.
    assert_eq!(
        findings(&report),
        [finding("unbounded-channel", "src/lib.rs", 10), finding("unbounded-channel", "src/new.rs", 2)]
    );
    let (code, report) = check_json(dir.path(), &["--diff-base", "no-such-ref"]);
    assert_eq!(code, 2);
    assert!(
        errors(&report)[0].2.contains("git merge-base --end-of-options no-such-ref HEAD failed"),
        "{:?}",
        errors(&report)
    );
}

#[test]
fn file_arguments_narrow_the_report_but_not_the_facts() {
    let dir = workspace(&[("src/lib.rs", UNBOUNDED), ("src/other.rs", UNBOUNDED)]);
    let output = guardrail(&["check", "src/other.rs", "--format", "json"], dir.path());
    assert_eq!(output.code, 1);
    assert_eq!(findings(&output.json()), [finding("unbounded-channel", "src/other.rs", 2)]);
    assert_eq!(output.json()["summary"]["files"], 2);
    assert_eq!(guardrail(&["check", "src/missing.rs"], dir.path()).code, 2);
}

/// The workflow commands a GitHub runner would read from a log: lines starting with `::` (after
/// white space) or holding `##[`, except between `::stop-commands::T` and `::T::`.
fn workflow_commands(log: &str) -> Vec<String> {
    let mut stopped: Option<String> = None;
    let mut commands = Vec::new();
    for line in log.lines() {
        let trimmed = line.trim_start();
        if let Some(token) = &stopped {
            if trimmed == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = trimmed.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_owned());
        } else if trimmed.starts_with("::") || line.contains("##[") {
            commands.push(line.to_owned());
        }
    }
    commands
}

#[cfg(unix)]
#[test]
fn policy_text_and_file_names_never_become_workflow_commands() {
    let body = "fn check(facts, ctx) {\n    print(\"##[error]printed\");\n    print(\"::warning::printed\");\n    for site in facts.calls(\"channel\") {\n        ctx.report(site, \"::error::forged\\n::set-output name=x::1 \\u0001\\u000b\", #{ help: \"  ::add-mask::x\\n##[warning]forged\" });\n    }\n}";
    let policy = format!(
        "const META = #{{ id: \"loud\", severity: \"error\", summary: \"s\", rationale: \"r\", example: \"e\", fix: \"f\" }};\n{body}\n"
    );
    let dir = workspace(&[
        ("src/lib.rs", "pub mod x;\n"),
        ("guardrail.toml", "policies = [\"p\"]\n"),
        ("p/loud.rhai", &policy),
    ]);
    std::fs::write(dir.path().join("src/x\n::error::named.rs"), UNBOUNDED).unwrap();
    std::fs::write(dir.path().join("src/x.rs"), UNBOUNDED).unwrap();
    // Without the cache: a remembered result would not run the policy, whose prints are checked.
    let run = |format: &str| {
        let args = ["check", ".", "--format", format, "--color", "never", "--timings", "--no-cache"];
        guardrail_with(&args, dir.path(), |command| {
            command.env("GITHUB_ACTIONS", "true");
        })
    };
    for format in ["human", "json", "sarif", "junit", "markdown"] {
        let output = run(format);
        assert_eq!(output.code, 1, "{format}: {}", output.stderr);
        assert!(output.stdout.starts_with("::stop-commands::"), "{format}");
        assert_eq!(workflow_commands(&output.stdout), Vec::<String>::new(), "{format}");
        assert_eq!(workflow_commands(&output.stderr), Vec::<String>::new(), "{format} stderr");
        assert!(output.stderr.contains("printed"), "print still reaches stderr");
    }
    let output = run("github");
    let commands = workflow_commands(&output.stdout);
    assert_eq!(commands.len(), 4, "{commands:#?}");
    for command in &commands {
        assert!(command.starts_with("::error file=src/x"), "{command}");
        assert!(!command.contains("##[") && !command[2..].contains("\n"), "{command}");
    }
    assert_eq!(workflow_commands(&output.stderr), Vec::<String>::new());

    // JUnit is XML whatever a message holds: a strict parser reads it.
    let junit = guardrail(&["check", ".", "--format", "junit"], dir.path()).stdout;
    let mut parser = std::process::Command::new("python3")
        .args(["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(parser.stdin.as_mut().unwrap(), junit.as_bytes()).unwrap();
    assert!(parser.wait().unwrap().success(), "not XML:\n{junit}");
}
