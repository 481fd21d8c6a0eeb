//! Attacks a pull request's author can make on a guardrail run in CI (they control every file of
//! the checkout; the job holds secrets), each as a test: it failed before the defence existed.
//! SECURITY.md lists the promise each one holds.

mod common;

use common::*;

/// A queue request handlers fill: the router state holds its sender, a handler sends.
const UNBOUNDED: &str = "pub fn queue(app: axum::Router<Queue>) -> axum::Router {\n    let (tx, _rx) = std::sync::mpsc::channel::<u8>();\n    \
     app.route(\"/\", axum::routing::post(push)).with_state(Queue { tx })\n}\n\
     #[derive(Clone)]\npub struct Queue { tx: std::sync::mpsc::Sender<u8> }\n\
     async fn push(axum::extract::State(queue): axum::extract::State<Queue>) { queue.tx.send(1).ok(); }\n";

#[cfg(unix)]
#[test]
fn a_baseline_linked_out_of_the_tree_is_refused_and_its_text_never_shown() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials");
    std::fs::write(&secret, "TOKEN_f00dcafe\n").unwrap();
    let dir = workspace(&[("src/lib.rs", UNBOUNDED)]);
    std::os::unix::fs::symlink(&secret, dir.path().join("guardrail-baseline.json")).unwrap();
    let output = guardrail(&["check", ".", "--baseline", "guardrail-baseline.json", "--format", "json"], dir.path());
    assert_eq!(output.code, 2);
    assert!(!output.stdout.contains("f00dcafe") && !output.stderr.contains("f00dcafe"), "{}", output.stdout);
    let errs = errors(&output.json());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].2.contains("symbolic link out of the checked tree"), "{errs:?}");

    // A file of the tree that is not a baseline: its position and what is wrong, none of its text.
    std::fs::remove_file(dir.path().join("guardrail-baseline.json")).unwrap();
    for text in [
        "{\"version\": \"TOKEN_f00dcafe\", \"findings\": []}",
        "TOKEN_f00dcafe",
        "{\"findings\": [\"TOKEN_f00dcafe\"]}",
    ] {
        std::fs::write(dir.path().join("guardrail-baseline.json"), text).unwrap();
        let output =
            guardrail(&["check", ".", "--baseline", "guardrail-baseline.json", "--format", "json"], dir.path());
        assert_eq!(output.code, 2);
        assert!(!output.stdout.contains("f00dcafe"), "{}", output.stdout);
        let errs = errors(&output.json());
        assert_eq!((errs.len(), errs[0].0.as_str(), errs[0].1), (1, "guardrail-baseline.json", 1), "{errs:?}");
        assert!(errs[0].2.contains("not a guardrail baseline") && errs[0].2.contains("column"), "{errs:?}");
    }
}

#[test]
fn only_comments_suppress_never_a_string_that_looks_like_one() {
    // The line above the channel is inside a raw string (and a YAML block scalar, a heredoc):
    // it must not hide the queue, the missing probe or the missing health check.
    let code = UNBOUNDED.replace(
        "    let (tx, _rx)",
        "    let _doc = r#\"\n// guardrail-allow(unbounded-channel): looks like a comment\n\"#; let (tx, _rx)",
    );
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations:\n    note: |\n      \
        # guardrail-allow(k8s-liveness-probe): in a block scalar\nspec:\n  template:\n    spec:\n      containers:\n        \
        - name: api\n          image: api:1\n";
    let dir = workspace(&[("src/lib.rs", &code), ("deploy/api.yaml", deployment)]);
    let (_, report) = check_json(dir.path(), &[]);
    let reported = findings(&report);
    assert!(reported.contains(&finding("unbounded-channel", "src/lib.rs", 4)), "{reported:?}");
    assert!(reported.iter().any(|f| f.0 == "k8s-liveness-probe" && f.1 == "deploy/api.yaml"), "{reported:?}");
    assert_eq!(report["summary"]["suppressed"], 0, "{report}");
}

#[test]
fn a_null_probe_or_a_comment_naming_one_is_no_probe() {
    let deployment =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      \
        containers:\n        - name: api\n          image: api:1\n          livenessProbe: null\n          \
        # readinessProbe: {httpGet: {path: /ready, port: 8080}}\n          readinessProbe:\n";
    let merged = "x-probes: &probes\n  livenessProbe: ~\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  \
        template:\n    spec:\n      containers:\n        - name: worker\n          image: worker:1\n          <<: *probes\n          \
        readinessProbe: {httpGet: {path: /ready, port: 8080}}\n";
    let dir = workspace(&[
        ("src/lib.rs", "pub fn f() {}\n"),
        ("deploy/api.yaml", deployment),
        ("deploy/worker.yaml", merged),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    let probes: Vec<_> = findings(&report).into_iter().filter(|f| f.0.ends_with("-probe")).collect();
    assert_eq!(
        probes,
        [
            finding("k8s-liveness-probe", "deploy/api.yaml", 9),
            finding("k8s-readiness-probe", "deploy/api.yaml", 9),
            finding("k8s-liveness-probe", "deploy/worker.yaml", 11),
        ]
    );
}

/// A directory of fake programs that record their arguments (one per line) and environment in
/// `<name>.args` and `<name>.env` beside them, then run `then` (or exit 0 printing nothing).
#[cfg(unix)]
fn fake_programs(programs: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (name, then) in programs {
        let log = dir.path().join(name);
        let script = format!(
            "#!/bin/sh\nfor arg in \"$@\"; do printf '%s\\n' \"$arg\"; done >> '{log}.args'\necho --- >> '{log}.args'\nenv >> '{log}.env'\n{}\n",
            then.map_or("exit 0".to_owned(), |real| format!("exec '{real}' \"$@\"")),
            log = log.display(),
        );
        std::fs::write(dir.path().join(name), script).unwrap();
        std::fs::set_permissions(dir.path().join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// What the fake `name` recorded: its runs' arguments, and its environment.
#[cfg(unix)]
fn recorded(fakes: &tempfile::TempDir, name: &str) -> (Vec<Vec<String>>, String) {
    let args = std::fs::read_to_string(fakes.path().join(format!("{name}.args"))).unwrap_or_default();
    let runs = args.split("---\n").filter(|run| !run.is_empty()).map(|run| run.lines().map(str::to_owned).collect());
    (runs.collect(), std::fs::read_to_string(fakes.path().join(format!("{name}.env"))).unwrap_or_default())
}

/// `which name` from the test's own PATH.
#[cfg(unix)]
fn real(name: &str) -> String {
    let found = std::process::Command::new("sh").args(["-c", &format!("command -v {name}")]).output().unwrap();
    String::from_utf8(found.stdout).unwrap().trim().to_owned()
}

#[cfg(unix)]
#[test]
fn no_string_of_the_tree_reaches_a_program_as_an_option_and_no_secret_reaches_it_at_all() {
    let kustomization = "resources:\n- service.yaml\n";
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports: [{port: 80}]\n";
    let dir = workspace(&[
        ("src/main.rs", "fn main() {}\n"),
        ("-o/tmp/overwritten/kustomization.yaml", kustomization),
        ("-o/tmp/overwritten/service.yaml", service),
        ("deploy/kustomization.yaml", kustomization),
        ("deploy/service.yaml", service),
        ("charts/api/Chart.yaml", "apiVersion: v2\nname: api\nversion: 0.1.0\n"),
        (
            "charts/api/templates/service.yaml",
            "{{ if true }}\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n{{ end }}\n",
        ),
    ]);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| real("cargo"));
    let git = real("git");
    let fakes = fake_programs(&[("kubectl", None), ("helm", None), ("cargo", Some(&cargo)), ("git", Some(&git))]);
    for command in
        [&["init", "-q"][..], &["add", "."], &["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "base"]]
    {
        assert!(std::process::Command::new(&git).args(command).current_dir(dir.path()).status().unwrap().success());
    }
    let path = format!("{}:{}", fakes.path().display(), std::env::var("PATH").unwrap());
    let output = guardrail_with(&["check", ".", "--format", "json", "--diff-base", "HEAD"], dir.path(), |command| {
        command.env("PATH", &path).env("CARGO", fakes.path().join("cargo"));
        command.env("GITHUB_TOKEN", "ghs_secret_f00dcafe").env("AWS_SECRET_ACCESS_KEY", "f00dcafe");
    });
    let report = output.json();

    // The kustomization whose path starts with `-` is refused by name, never handed to kubectl.
    let errs = errors(&report);
    assert!(
        errs.iter().any(|e| e.0 == "-o/tmp/overwritten/kustomization.yaml" && e.2.contains("starts with `-`")),
        "{errs:?}"
    );
    let (kubectl, kubectl_env) = recorded(&fakes, "kubectl");
    assert_eq!(kubectl, [["kustomize", "--", "./deploy"]]);
    let (helm, helm_env) = recorded(&fakes, "helm");
    assert_eq!(helm, [["template", "--skip-tests", "--", "api", "./chart"]]);
    let (cargo_runs, cargo_env) = recorded(&fakes, "cargo");
    assert!(!cargo_runs.is_empty() && cargo_runs.iter().all(|run| run[0] == "metadata"), "{cargo_runs:?}");
    let (git_runs, git_env) = recorded(&fakes, "git");
    assert!(git_runs.iter().any(|run| run.contains(&"merge-base".to_owned())), "{git_runs:?}");

    // Each started with a cleared environment: no secret, no home of the user's but git's.
    let user_home = std::env::var("HOME").unwrap_or_default();
    for (program, env) in [("kubectl", &kubectl_env), ("helm", &helm_env), ("cargo", &cargo_env), ("git", &git_env)] {
        assert!(!env.contains("f00dcafe"), "{program} was given a secret:\n{env}");
        let names: Vec<&str> = env.lines().filter_map(|line| line.split_once('=').map(|(name, _)| name)).collect();
        assert!(names.contains(&"PATH") && names.contains(&"LANG"), "{program}: {names:?}");
        let home = env.lines().find_map(|line| line.strip_prefix("HOME=")).unwrap_or_default();
        if program == "git" {
            assert_eq!(home, user_home);
        } else {
            assert!(home.contains("guardrail-") && home != user_home, "{program}'s home: {home}");
        }
    }
    assert!(!std::path::Path::new("/tmp/overwritten").exists());
}

#[cfg(unix)]
#[test]
fn a_chart_a_dangling_link_keeps_from_rendering_is_an_error_and_checked_as_written() {
    let chart = "apiVersion: v2\nname: api\nversion: 0.1.0\n";
    let template =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    \
        spec:\n      containers:\n        - name: api\n          image: \"{{ .Values.image }}\"\n";
    let dir = workspace(&[
        ("src/lib.rs", "pub fn f() {}\n"),
        ("deploy/chart/Chart.yaml", chart),
        ("deploy/chart/templates/deployment.yaml", template),
    ]);
    std::os::unix::fs::symlink("/nonexistent/values.yaml", dir.path().join("deploy/chart/values.yaml")).unwrap();
    let helm = fake_programs(&[("helm", None)]);
    let path = format!("{}:{}", helm.path().display(), std::env::var("PATH").unwrap());
    let output = guardrail_with(&["check", ".", "--format", "json"], dir.path(), |command| {
        command.env("PATH", &path);
    });
    let report = output.json();
    assert_eq!(output.code, 2, "{report}");
    let errs = errors(&report);
    assert!(errs.iter().any(|e| e.0 == "deploy/chart/Chart.yaml" && e.2.contains("was not rendered")), "{errs:?}");
    let probes: Vec<_> = findings(&report).into_iter().filter(|f| f.0.ends_with("-probe")).collect();
    assert_eq!(
        probes,
        [
            finding("k8s-liveness-probe", "deploy/chart/templates/deployment.yaml", 9),
            finding("k8s-readiness-probe", "deploy/chart/templates/deployment.yaml", 9),
        ]
    );
    assert_eq!(recorded(&helm, "helm").0.len(), 0, "helm is not run on a chart that cannot be copied");
}

/// A workspace whose crate `api` fills a queue from requests and whose Deployment has no probes.
fn service_tree() -> tempfile::TempDir {
    let deployment =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      \
        containers:\n        - name: api\n          image: api:1\n";
    workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/api\"]\n"),
        ("crates/api/Cargo.toml", "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("crates/api/src/lib.rs", UNBOUNDED),
        ("deploy/api.yaml", deployment),
    ])
}

#[cfg(unix)]
fn git_commit_all(dir: &std::path::Path) {
    for command in [
        &["init", "-q"][..],
        &["add", "-f", "."],
        &["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "base"],
    ] {
        let status = std::process::Command::new("git").args(command).current_dir(dir).status().unwrap();
        assert!(status.success(), "git {command:?}");
    }
}

#[cfg(unix)]
#[test]
fn ignore_files_cannot_hide_what_git_tracks() {
    let expected = [
        finding("unbounded-channel", "crates/api/src/lib.rs", 2),
        finding("k8s-liveness-probe", "deploy/api.yaml", 9),
        finding("k8s-readiness-probe", "deploy/api.yaml", 9),
    ];
    let dir = service_tree();
    let (_, clean) = check_json(dir.path(), &[]);
    assert_eq!(findings(&clean), expected);
    for ignore_file in [".ignore", ".gitignore", ".rgignore", "crates/.gitignore"] {
        std::fs::write(dir.path().join(ignore_file), "api/\ncrates/api/\ndeploy/\n").unwrap();
    }
    git_commit_all(dir.path());
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (1, expected.to_vec()), "{report}");
    assert_eq!(report["left_out"], serde_json::json!([]));
}

#[test]
fn outside_git_what_gitignore_leaves_out_is_named() {
    let dir = service_tree();
    std::fs::write(dir.path().join(".gitignore"), "deploy/\n").unwrap();
    std::fs::write(dir.path().join(".ignore"), "crates/\n").unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(findings(&report), [finding("unbounded-channel", "crates/api/src/lib.rs", 2)], "`.ignore` is not read");
    let left_out = &report["left_out"];
    assert_eq!(left_out.as_array().unwrap().len(), 1, "{left_out}");
    assert_eq!(left_out[0]["by"], "gitignore");
    assert_eq!(left_out[0]["items"], serde_json::json!(["deploy/api.yaml"]));
}

#[test]
fn every_exemption_names_what_it_left_out_in_every_format() {
    let dir = service_tree();
    let deployment = std::fs::read_to_string(dir.path().join("deploy/api.yaml")).unwrap();
    std::fs::write(dir.path().join("deploy/api.yaml"), format!("# Code generated by hand. DO NOT EDIT.\n{deployment}"))
        .unwrap();
    std::fs::create_dir_all(dir.path().join("e2e")).unwrap();
    std::fs::write(dir.path().join("e2e/worker.yaml"), deployment.replace("name: api", "name: worker")).unwrap();
    std::fs::write(dir.path().join("crates/api/src/extra.rs"), UNBOUNDED).unwrap();
    std::fs::write(dir.path().join("crates/api/gen.rs"), UNBOUNDED).unwrap();
    let config = "fixtures = [\"crates/api/src\"]\nexclude = [\"crates/api/gen.rs\"]\n[rules.k8s-resources]\nseverity = \"off\"\n";
    std::fs::write(dir.path().join("guardrail.toml"), config).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!((code, findings(&report)), (0, vec![]), "{report}");
    let by: Vec<(&str, u64, Vec<&str>)> = report["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let items = entry["items"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
            (entry["by"].as_str().unwrap(), entry["count"].as_u64().unwrap(), items)
        })
        .collect();
    assert_eq!(
        by,
        [
            ("exclude", 1, vec!["crates/api/gen.rs"]),
            ("fixtures", 2, vec!["crates/api/src/extra.rs", "crates/api/src/lib.rs"]),
            ("development", 1, vec!["e2e/worker.yaml"]),
            ("generated", 1, vec!["deploy/api.yaml"]),
            ("rule-off", 1, vec!["k8s-resources"]),
        ]
    );
    let human = guardrail(&["check", ".", "--color", "never"], dir.path());
    let lines: Vec<&str> = human.stdout.lines().filter(|line| line.starts_with("left out: ")).collect();
    assert_eq!(lines.len(), 5, "{}", human.stdout);
    assert!(lines[3].contains("says a tool generated it") && lines[3].ends_with(": deploy/api.yaml"), "{lines:?}");
    let sarif = guardrail(&["check", ".", "--format", "sarif"], dir.path());
    let notifications = &sarif.json()["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    let ids: Vec<&str> =
        notifications.as_array().unwrap().iter().map(|n| n["descriptor"]["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["left-out/exclude", "left-out/fixtures", "left-out/development", "left-out/generated", "left-out/rule-off"]
    );
}

#[cfg(unix)]
#[test]
fn pull_request_mode_keeps_what_a_change_broke_on_lines_it_did_not_touch() {
    // Base: the probes ask for the route the code serves. The change renames the route in code
    // only: the finding sits on the manifest's unchanged probe lines.
    let case = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/probe-route/fails-nested-axum");
    let read = |path: &str| std::fs::read_to_string(case.join(path)).unwrap();
    let manifest = read("deploy/api.yaml").replace("path: /ready # expect: probe-route", "path: /api/v1/healthz");
    let dir = workspace(&[
        ("Cargo.toml", &read("Cargo.toml")),
        ("src/main.rs", &read("src/main.rs")),
        ("src/routes.rs", &read("src/routes.rs")),
        ("deploy/api.yaml", &manifest),
    ]);
    git_commit_all(dir.path());
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").args(args).current_dir(dir.path()).status().unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["checkout", "-qb", "rename"]);
    let renamed = read("src/routes.rs").replace(".route(\"/healthz\"", ".route(\"/health\"");
    std::fs::write(dir.path().join("src/routes.rs"), renamed).unwrap();
    git(&["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "rename the health route"]);
    let base =
        std::process::Command::new("git").args(["rev-parse", "HEAD~1"]).current_dir(dir.path()).output().unwrap();
    let base = String::from_utf8(base.stdout).unwrap().trim().to_owned();

    let (_, everything) = check_json(dir.path(), &[]);
    assert_eq!(
        findings(&everything),
        [
            finding("k8s-disruption-budget", "deploy/api.yaml", 4),
            finding("probe-route", "deploy/api.yaml", 30),
            finding("probe-route", "deploy/api.yaml", 34),
        ]
    );
    let (code, report) = check_json(dir.path(), &["--diff-base", &base]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        findings(&report),
        [finding("probe-route", "deploy/api.yaml", 30), finding("probe-route", "deploy/api.yaml", 34)],
        "the disruption budget was missing before the change; the probes broke with it"
    );
    let left_out = &report["left_out"];
    assert_eq!((left_out[0]["by"].as_str(), left_out[0]["count"].as_u64()), (Some("diff"), Some(1)), "{left_out}");
    let human = guardrail(&["check", ".", "--diff-base", &base, "--color", "never"], dir.path());
    assert!(human.stdout.contains("left out: 1 finding on lines this change did not touch"), "{}", human.stdout);
}

#[test]
fn every_test_security_md_names_exists() {
    // `file::test` (a file of tests/) or `module::tests::test` (unit tests in src/), in backticks.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("SECURITY.md")).unwrap();
    let mut sources = String::new();
    for dir in ["tests", "src"] {
        for entry in walk_rs(&root.join(dir)) {
            sources.push_str(&std::fs::read_to_string(entry).unwrap());
        }
    }
    let mut named = 0;
    let mut file = "";
    for quoted in text.split('`').skip(1).step_by(2) {
        let Some((prefix, name)) = quoted.rsplit_once("::") else {
            // Later names in a cell may leave out their file (`a::x`, `y`); a test's name is a
            // sentence, a setting's (`max_file_size`) is not.
            let sentence = quoted.matches('_').count() >= 3;
            if !file.is_empty() && sentence && quoted.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                assert!(sources.contains(&format!("fn {quoted}(")), "SECURITY.md names `{quoted}`, which is no test");
                named += 1;
            }
            continue;
        };
        if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') || !name.contains('_') {
            continue;
        }
        file = prefix;
        assert!(sources.contains(&format!("fn {name}(")), "SECURITY.md names `{quoted}`, which is no test");
        named += 1;
    }
    assert!(named >= 30, "{named}");
}

fn walk_rs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk_rs(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}
