//! `--shard K/N`: the shards of a workspace together report exactly what one run reports,
//! each finding once, and a shard reads what its packages need from other packages.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop")
}

/// (findings, files read) of one shard, or of the whole run for `None`.
fn shard(dir: &Path, shard: Option<&str>) -> (Vec<(String, String, u64)>, u64) {
    let mut args = vec!["--no-cache"];
    if let Some(spec) = shard {
        args.extend(["--shard", spec]);
    }
    let (code, report) = check_json(dir, &args);
    assert!(code <= 1, "{report}");
    assert_eq!(report["errors"], serde_json::json!([]));
    (findings(&report), report["summary"]["files"].as_u64().unwrap())
}

#[test]
fn the_shards_of_the_example_report_what_one_run_does_each_finding_once() {
    let (whole, files) = shard(&example(), None);
    assert_eq!(whole.len(), 11);
    for count in 1..=5 {
        let mut union = Vec::new();
        let mut fewest = files;
        for index in 1..=count {
            let (found, read) = shard(&example(), Some(&format!("{index}/{count}")));
            assert!(read <= files);
            fewest = fewest.min(read);
            union.extend(found);
        }
        union.sort();
        let mut expected = whole.clone();
        expected.sort();
        assert_eq!(union, expected, "{count} shards");
        if count > 1 {
            assert!(fewest < files, "{count} shards: some shard reads less than the whole tree");
        }
    }
}

#[test]
fn a_shard_reads_the_packages_its_packages_depend_on() {
    // `app` calls an unbounded channel through a re-export of `chan`: whichever shard owns
    // `app` must read `chan` to see it, and must not report `chan`'s own finding.
    let manifest = |name: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}")
    };
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"chan\", \"app\"]\nresolver = \"2\"\n"),
        ("guardrail.toml", EVERY_QUEUE),
        ("chan/Cargo.toml", &manifest("chan", "")),
        (
            "chan/src/lib.rs",
            "pub use std::sync::mpsc::channel as queue;\npub fn own() { let _ = std::sync::mpsc::channel::<u8>(); }\n",
        ),
        ("app/Cargo.toml", &manifest("app", "chan = { path = \"../chan\" }\n")),
        ("app/src/lib.rs", "// chan::queue() in a comment is no call\npub fn f() { let _ = chan::queue::<u8>(); }\n"),
    ]);
    let expected: BTreeSet<_> = [
        ("unbounded-channel".to_owned(), "app/src/lib.rs".to_owned(), 2),
        ("unbounded-channel".to_owned(), "chan/src/lib.rs".to_owned(), 2),
    ]
    .into();
    let (whole, _) = shard(dir.path(), None);
    assert_eq!(whole.into_iter().collect::<BTreeSet<_>>(), expected);
    let (first, first_read) = shard(dir.path(), Some("1/2"));
    let (second, second_read) = shard(dir.path(), Some("2/2"));
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(first.into_iter().chain(second).collect::<BTreeSet<_>>(), expected);
    // The shard of `app` read `chan` as well; the shard of `chan` did not read `app`.
    let mut reads = [first_read, second_read];
    reads.sort();
    assert_eq!(reads, [1, 2]);
}

#[test]
fn each_shard_has_its_own_sarif_category() {
    let output = guardrail(&["check", ".", "--format", "sarif", "--no-cache", "--shard", "2/3"], &example());
    let sarif: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "guardrail-shard-2-of-3/");
}

#[test]
fn a_shard_that_is_not_k_of_n_is_a_usage_error() {
    for bad in ["0/2", "3/2", "2", "one/two"] {
        let output = guardrail(&["check", ".", "--shard", bad], &example());
        assert_eq!(output.code, 2, "{bad}");
        assert!(output.stderr.contains("is not K/N"), "{bad}: {}", output.stderr);
    }
}
