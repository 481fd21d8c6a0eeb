//! Helm charts and kustomizations are checked as they render, and reported where they are
//! written: the template or manifest line, with the rendered line beside it. helm is not
//! packaged here, so a stub on PATH prints a recorded `helm template` output; kustomize runs in
//! the real kubectl (`.ci/run` installs it).
#![cfg(unix)]

mod common;

use common::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const CHART: &str = "apiVersion: v2\nname: api\nversion: 0.1.0\n";

/// Line 10 is the container; it has a readiness probe and no liveness probe.
const TEMPLATE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: \"{{ .Values.image }}\"
          readinessProbe:
            httpGet:
              path: /ready
              port: 8080
";

/// What `helm template` prints for [`TEMPLATE`]: the container is on line 12.
const RENDERED: &str = "---
# Source: api/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chart
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: \"api:1.2\"
          readinessProbe:
            httpGet:
              path: /ready
              port: 8080
";

fn chart_files<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut files = vec![
        ("src/lib.rs", ""),
        ("deploy/chart/Chart.yaml", CHART),
        ("deploy/chart/values.yaml", "image: api:1.2\nreplicas: 3\n"),
        ("deploy/chart/templates/deployment.yaml", TEMPLATE),
    ];
    files.extend_from_slice(extra);
    files
}

/// A directory holding a `helm` that records its arguments and prints `output` (exiting with
/// `status`), to put first on PATH.
fn stub_helm(output: &str, status: i32) -> (tempfile::TempDir, PathBuf) {
    let bin = tempfile::tempdir().unwrap();
    let recorded = bin.path().join("output.yaml");
    std::fs::write(&recorded, output).unwrap();
    let arguments = bin.path().join("arguments");
    let stream = if status == 0 { "" } else { ">&2" };
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{}'\n/bin/cat '{}' {stream}\nexit {status}\n",
        arguments.display(),
        recorded.display()
    );
    let helm = bin.path().join("helm");
    std::fs::write(&helm, script).unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, arguments)
}

/// `check --format json` of `dir` with `path_dirs` as the whole PATH.
fn check_with_path(dir: &Path, path_dirs: &[&Path]) -> (i32, Value) {
    let path = std::env::join_paths(path_dirs).unwrap();
    let output = guardrail_with(&["check", ".", "--format", "json"], dir, |command| {
        command.env("PATH", path);
    });
    (output.code, output.json())
}

fn related(report: &Value, finding: usize) -> Vec<(String, u64, String)> {
    let list = report["findings"][finding]["related"].as_array().unwrap();
    list.iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["line"].as_u64().unwrap(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_chart_is_checked_as_helm_renders_it_and_reported_in_its_template() {
    let dir = workspace(&chart_files(&[]));
    let (bin, arguments) = stub_helm(RENDERED, 0);
    let (code, report) = check_with_path(dir.path(), &[bin.path()]);
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/chart/templates/deployment.yaml", 10)]);
    assert_eq!(
        related(&report, 0),
        [(
            "deploy/chart/templates/deployment.yaml (helm template)".to_owned(),
            12,
            "as `helm template` renders it".to_owned()
        )]
    );
    // The templates' own note is gone with the rendering: nothing is left unchecked.
    assert_eq!((code, located(&report, "notes"), errors(&report)), (0, vec![], vec![]));
    assert_eq!(std::fs::read_to_string(arguments).unwrap().trim(), "template --skip-tests -- chart ./chart");
}

#[test]
fn a_suppression_in_the_template_hides_the_rendered_finding() {
    let suppressed = TEMPLATE.replace(
        "        - name: {{ .Chart.Name }}\n",
        "        # guardrail-allow(k8s-liveness-probe): restarts are the operator's job\n        - name: {{ .Chart.Name }}\n",
    );
    let dir = workspace(&chart_files(&[("deploy/chart/templates/deployment.yaml", &suppressed)]));
    let (bin, _) = stub_helm(RENDERED, 0);
    let (code, report) = check_with_path(dir.path(), &[bin.path()]);
    assert_eq!((code, findings(&report), errors(&report)), (0, vec![], vec![]));
    assert_eq!(report["summary"]["suppressed"], 1, "{report}");
}

#[test]
fn values_files_and_the_release_come_from_the_configuration() {
    let config = "[[helm]]\nchart = \"deploy/chart\"\nvalues = [\"deploy/values-prod.yaml\"]\nrelease = \"api\"\n";
    let dir = workspace(&chart_files(&[("guardrail.toml", config), ("deploy/values-prod.yaml", "replicas: 5\n")]));
    let (bin, arguments) = stub_helm(RENDERED, 0);
    let (code, report) = check_with_path(dir.path(), &[bin.path()]);
    assert_eq!(
        (code, findings(&report)),
        (0, vec![finding("k8s-liveness-probe", "deploy/chart/templates/deployment.yaml", 10)])
    );
    assert_eq!(related(&report, 0)[0].0, "deploy/chart/templates/deployment.yaml (helm template -f values-prod.yaml)");
    assert_eq!(
        std::fs::read_to_string(arguments).unwrap().trim(),
        "template --skip-tests --values=./values/0.yaml -- api ./chart"
    );
}

#[test]
fn a_helm_table_that_names_no_chart_is_an_error_in_the_configuration() {
    let config = "exclude = []\n[[helm]]\nchart = \"deploy/charts\"\n";
    let dir = workspace(&chart_files(&[("guardrail.toml", config)]));
    let (bin, _) = stub_helm(RENDERED, 0);
    let (code, report) = check_with_path(dir.path(), &[bin.path()]);
    assert_eq!(code, 2);
    assert_eq!(
        errors(&report),
        [("guardrail.toml".to_owned(), 2, "[[helm]] names `deploy/charts`, which holds no Chart.yaml".to_owned())]
    );
}

#[test]
fn without_helm_charts_are_read_as_written_with_one_note() {
    let second = [
        ("ops/chart/Chart.yaml", CHART),
        ("ops/chart/templates/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"),
    ];
    let dir = workspace(&chart_files(&second));
    let empty = tempfile::tempdir().unwrap();
    let (code, report) = check_with_path(dir.path(), &[empty.path()]);
    // What the template writes outright (a container without a livenessProbe) is found at its line.
    assert_eq!(
        (code, findings(&report), errors(&report)),
        (0, vec![finding("k8s-liveness-probe", "deploy/chart/templates/deployment.yaml", 10)], vec![])
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert_eq!(message, "container `«.Chart.Name»` of Deployment `«.Release.Name»` has no livenessProbe");
    let notes = located(&report, "notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].0, "deploy/chart/Chart.yaml");
    assert!(notes[0].2.starts_with("2 Helm charts were read as written: helm is not on PATH"), "{notes:?}");
}

#[test]
fn a_chart_helm_cannot_render_is_an_error_and_its_templates_are_checked_as_written() {
    let dir = workspace(&chart_files(&[]));
    let (bin, _) = stub_helm("Error: An error occurred while checking for chart dependencies. found in Chart.yaml, but missing in charts/ directory: redis\n", 1);
    let (code, report) = check_with_path(dir.path(), &[bin.path()]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/chart/templates/deployment.yaml", 10)]);
    assert_eq!(
        errors(&report),
        [(
            "deploy/chart/Chart.yaml".to_owned(),
            1,
            "Helm chart `deploy/chart` was not rendered: `helm template` failed: An error occurred while checking for \
             chart dependencies. found in Chart.yaml, but missing in charts/ directory: redis; its templates were \
             checked as written, with every template expression read as a placeholder"
                .to_owned()
        )]
    );
    assert_eq!(located(&report, "notes"), []);
}

/// A base with one Deployment (its container on line 9 has no liveness probe), two overlays
/// that prefix its name, and a patch in each that is no whole object.
fn kustomize_files<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1.2\n          readinessProbe:\n            tcpSocket:\n              port: 8080\n";
    const PATCH: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:2.0\n";
    const OVERLAY_PROD: &str =
        "resources:\n  - ../../base\nnamePrefix: prod-\npatchesStrategicMerge:\n  - replicas.yaml\n";
    const OVERLAY_STAGING: &str =
        "resources:\n  - ../../base\nnamePrefix: staging-\npatchesStrategicMerge:\n  - replicas.yaml\n";
    let mut files = vec![
        ("src/lib.rs", ""),
        ("deploy/base/deployment.yaml", BASE),
        ("deploy/base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
        ("deploy/overlays/prod/kustomization.yaml", OVERLAY_PROD),
        ("deploy/overlays/prod/replicas.yaml", PATCH),
        ("deploy/overlays/staging/kustomization.yaml", OVERLAY_STAGING),
        ("deploy/overlays/staging/replicas.yaml", PATCH),
    ];
    files.extend_from_slice(extra);
    files
}

fn kubectl_dir() -> PathBuf {
    let found =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).find(|dir| dir.join("kubectl").is_file());
    found.expect("these tests need kubectl on PATH (Debian: apt-get install kubernetes-client; .ci/run installs it)")
}

#[test]
fn kustomize_overlays_are_checked_as_rendered_and_reported_once_in_the_base() {
    let dir = workspace(&kustomize_files(&[]));
    let kubectl = kubectl_dir();
    let (code, report) = check_with_path(dir.path(), &[&kubectl]);
    // Once for both overlays, in the base; the patches (partial objects) never.
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/base/deployment.yaml", 9)]);
    let rendered = &related(&report, 0)[0];
    assert!(rendered.0.starts_with("deploy/base/deployment.yaml (kubectl kustomize deploy/overlays/"), "{rendered:?}");
    assert_eq!(rendered.2, "as `kubectl kustomize` renders it");
    assert_eq!((code, located(&report, "notes"), errors(&report)), (0, vec![], vec![]));
}

#[test]
fn a_generated_base_is_judged_generated_as_kustomize_renders_it() {
    let generated = "# Generated by `helm template api charts/api`: re-run `make manifests` rather than editing.\n\
                     apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      \
                     containers:\n        - name: api\n          image: api:1.2\n          readinessProbe:\n            \
                     tcpSocket:\n              port: 8080\n";
    let kubectl = kubectl_dir();
    let dir = workspace(&kustomize_files(&[("deploy/base/deployment.yaml", generated)]));
    let (code, report) = check_with_path(dir.path(), &[&kubectl]);
    assert_eq!((code, findings(&report), errors(&report)), (0, vec![], vec![]));
    // The same base without its opening comment (one line shorter) lacks a liveness probe.
    let written_by_hand = generated.split_once('\n').unwrap().1;
    let dir = workspace(&kustomize_files(&[("deploy/base/deployment.yaml", written_by_hand)]));
    let (_, report) = check_with_path(dir.path(), &[&kubectl]);
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/base/deployment.yaml", 9)]);
}

#[test]
fn without_kubectl_resources_are_checked_as_written_and_patches_not_at_all() {
    let dir = workspace(&kustomize_files(&[]));
    let empty = tempfile::tempdir().unwrap();
    let (code, report) = check_with_path(dir.path(), &[empty.path()]);
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/base/deployment.yaml", 9)]);
    assert_eq!(related(&report, 0), []);
    let notes = located(&report, "notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].2.starts_with("2 kustomizations were not rendered: kubectl is not on PATH"), "{notes:?}");
    assert_eq!((code, errors(&report)), (0, vec![]));
}

#[test]
fn a_kustomization_naming_a_path_the_tree_lacks_is_not_rendered_for_kustomize_would_fetch_it() {
    let missing = "resources:\n  - ../../base\n  - github.com/example/deploy/monitoring\npatchesStrategicMerge:\n  - replicas.yaml\n";
    let dir = workspace(&kustomize_files(&[("deploy/overlays/prod/kustomization.yaml", missing)]));
    let kubectl = kubectl_dir();
    let (code, report) = check_with_path(dir.path(), &[&kubectl]);
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/base/deployment.yaml", 9)]);
    let notes = located(&report, "notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].2.contains("it names `github.com/example/deploy/monitoring`"), "{notes:?}");
    assert_eq!((code, errors(&report)), (0, vec![]));
}

#[test]
fn a_kustomization_with_a_remote_resource_is_not_rendered() {
    let remote = "resources:\n  - ../../base\n  - https://github.com/example/deploy//monitoring?ref=v1\npatchesStrategicMerge:\n  - replicas.yaml\n";
    let dir = workspace(&kustomize_files(&[("deploy/overlays/prod/kustomization.yaml", remote)]));
    let kubectl = kubectl_dir();
    let (code, report) = check_with_path(dir.path(), &[&kubectl]);
    assert_eq!(findings(&report), [finding("k8s-liveness-probe", "deploy/base/deployment.yaml", 9)]);
    assert_eq!(
        located(&report, "notes"),
        [(
            "deploy/overlays/prod/kustomization.yaml".to_owned(),
            1,
            "kustomization `deploy/overlays/prod` was not rendered: it names \
             `https://github.com/example/deploy//monitoring?ref=v1`, which guardrail does not fetch or read; its \
             resources were checked as they are"
                .to_owned()
        )]
    );
    assert_eq!((code, errors(&report)), (0, vec![]));
}
