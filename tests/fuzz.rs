//! Property tests that feed the parsers what an attacker or a broken editor might: arbitrary
//! bytes, token soup, and mutations of real files. The properties: no panic; a file its parser
//! (syn, saphyr, toml) rejects becomes a problem, one it accepts does not; every location lies
//! inside the file, and a Dockerfile instruction on a line that starts with it. `PROPTEST_CASES` sets the
//! number of cases (256 by default; run with more locally, e.g. `PROPTEST_CASES=20000`).

use guardrail::discover::config::Config;
use guardrail::extract::{self, line_comments, CommentStyle};
use guardrail::facts::FileFacts;
use guardrail::file_kind::FileKind;
use guardrail::symbol::Symbol;
use proptest::prelude::*;
use saphyr::LoadableYamlNode;

const RUST_SEED: &str = include_str!("../examples/shop/crates/api/src/handlers.rs");
const K8S_SEED: &str = include_str!("../examples/shop/deploy/k8s/api.yaml");
const COMPOSE_SEED: &str = include_str!("../examples/shop/compose.yaml");
const DOCKER_SEED: &str = include_str!("../examples/shop/crates/api/Dockerfile");

/// Every location a file's facts point at lies within the file, and a Dockerfile's
/// instructions sit on lines that start with their keyword.
fn locations_in_bounds(facts: &FileFacts, text: &[u8]) {
    let lines = text.split(|b| *b == b'\n').count() as u32;
    for problem in facts.problems.iter().chain(&facts.notes) {
        assert!(problem.location.line <= lines, "problem at line {} of {lines}", problem.location.line);
    }
    for call in &facts.rust.calls {
        let location = facts.location(call.span);
        assert!(location.line >= 1 && location.end_line <= lines);
        assert!(location.start_byte <= location.end_byte && location.end_byte as usize <= text.len());
    }
    let text_lines: Vec<String> =
        String::from_utf8_lossy(text).lines().map(|l| l.trim().to_ascii_uppercase()).collect();
    // An instruction starts at its line, or after lines that only continue (a lone `\`) or comment.
    let starts = |line: u32, keyword: &str| {
        let rest = &text_lines[line as usize - 1..];
        // Comment lines inside a continuation are dropped, as Docker drops them.
        let after_continuations = rest.iter().find(|l| !matches!(l.as_str(), "" | "\\" | "`") && !l.starts_with('#'));
        rest[0].starts_with(keyword) || after_continuations.is_some_and(|l| l.starts_with(keyword))
    };
    for stage in facts.dockerfile.iter().flat_map(|d| &d.stages) {
        assert!(starts(stage.location.line, "FROM"), "a stage at line {}", stage.location.line);
        for instruction in &stage.instructions {
            let (keyword, line) = (&instruction.keyword, instruction.location.line);
            assert!(starts(line, keyword), "{keyword} at line {line}");
            if instruction.exec.is_some() {
                assert!(instruction.args.trim_start().starts_with('['), "exec form without [: {}", instruction.args);
            }
        }
    }
}

/// The promises for one file: no panic; every location inside the file; a file that is not
/// text, or that the parser itself rejects, becomes a problem rather than silence; a file the
/// parser accepts raises no parse problem.
fn run(kind: FileKind, name: &str, bytes: &[u8]) {
    let facts = extract::extract(Symbol::intern(name), kind, bytes);
    if let Some(facts) = &facts {
        locations_in_bounds(facts, bytes);
    }
    let problems: Vec<&str> = facts.iter().flat_map(|f| &f.problems).map(|p| p.message.as_str()).collect();
    let Ok(text) = std::str::from_utf8(bytes) else {
        // rustc and Docker read UTF-8 alone.
        if matches!(kind, FileKind::Rust | FileKind::Dockerfile) {
            assert!(problems.iter().any(|m| m.contains("UTF-")), "{name}: bytes that are not UTF-8: {problems:?}");
        }
        return;
    };
    match kind {
        // Too deep or too long a chain is refused before syn sees it.
        FileKind::Rust if problems.iter().all(|m| m.starts_with("does not parse as Rust")) => {
            let parses = syn::parse_file(text).is_ok();
            let refused = problems.iter().any(|m| m.starts_with("does not parse as Rust"));
            assert_eq!(refused, !parses, "{name}: syn says parses = {parses}, problems: {problems:?}");
        }
        FileKind::Kubernetes | FileKind::Compose => {
            let parses = saphyr::MarkedYaml::load_from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).is_ok();
            let refused = problems.iter().any(|m| m.starts_with("invalid YAML"));
            if parses {
                assert!(!refused, "{name}: YAML that parses was refused: {problems:?}");
            }
            // A closing bracket out-dented is read as kubectl reads it; a template gets a note.
            let relaxed = text.lines().any(|l| !l.trim().is_empty() && l.trim().chars().all(|c| "]}, ".contains(c)));
            let says_manifest = text.contains("apiVersion") && text.contains("kind");
            let noted = facts.iter().any(|f| !f.notes.is_empty());
            if !parses && !relaxed && says_manifest && !noted {
                assert!(refused, "{name}: YAML that does not parse, without a problem: {problems:?}");
            }
        }
        _ => {}
    }
}

/// A seed file with a slice replaced by arbitrary text: mostly-valid input, the interesting kind.
fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    (0..seed.len(), 0..64usize, ".{0,40}").prop_map(move |(at, len, insert)| {
        let mut text = seed.to_owned();
        let start = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text.replace_range(start..end.max(start), &insert);
        text
    })
}

fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "fn",
        "async",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "::",
        "use",
        "mod",
        ";",
        "tokio",
        "spawn",
        "!",
        "select",
        "=>",
        "=",
        ",",
        "\"s\"",
        "'a'",
        "'a",
        "#[cfg(test)]",
        "//",
        "/*",
        "*/",
        "r#\"",
        "\"#",
        "impl",
        "\n",
    ]);
    prop::collection::vec(tokens, 0..200).prop_map(|t| t.join(" "))
}

proptest! {
    #[test]
    fn rust_extraction_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(FileKind::Rust, "a.rs", &bytes);
    }

    #[test]
    fn rust_extraction_never_panics_on_text(text in "(?s).{0,512}") {
        run(FileKind::Rust, "a.rs", text.as_bytes());
    }

    #[test]
    fn rust_extraction_never_panics_on_token_soup(text in token_soup()) {
        run(FileKind::Rust, "a.rs", text.as_bytes());
    }

    #[test]
    fn rust_extraction_never_panics_on_mutated_code(text in mutated(RUST_SEED)) {
        run(FileKind::Rust, "handlers.rs", text.as_bytes());
    }

    #[test]
    fn kubernetes_extraction_never_panics(text in mutated(K8S_SEED)) {
        run(FileKind::Kubernetes, "api.yaml", text.as_bytes());
    }

    #[test]
    fn compose_extraction_never_panics(text in mutated(COMPOSE_SEED)) {
        run(FileKind::Compose, "compose.yaml", text.as_bytes());
    }

    #[test]
    fn dockerfile_parsing_never_panics(text in mutated(DOCKER_SEED)) {
        run(FileKind::Dockerfile, "Dockerfile", text.as_bytes());
    }

    #[test]
    fn yaml_extraction_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut text = b"apiVersion: v1\nkind: Pod\n".to_vec();
        text.extend(bytes);
        run(FileKind::Kubernetes, "pod.yaml", &text);
        run(FileKind::Compose, "compose.yaml", &text);
        run(FileKind::Dockerfile, "Dockerfile", &text);
    }

    #[test]
    fn comment_scanning_never_panics(text in "(.{0,40}\n){0,4}") {
        for style in [CommentStyle::Rust, CommentStyle::Yaml, CommentStyle::Dockerfile] {
            let comments = line_comments(&text, style);
            prop_assert_eq!(comments.len(), text.lines().count());
            for (line, comment) in text.lines().zip(comments) {
                if let Some(comment) = comment {
                    prop_assert!(comment.column < line.chars().count());
                }
            }
        }
    }

    #[test]
    fn config_loading_never_panics(text in ".{0,200}") {
        let (_, problems) = Config::parse(Symbol::intern("guardrail.toml"), &text);
        for problem in problems {
            prop_assert!(problem.location.line as usize <= text.lines().count().max(1) + 1);
        }
    }

    #[test]
    fn config_loading_never_panics_on_near_valid_input(text in mutated("exclude = [\"gen/**\"]\n[rules.unbounded-channel]\nseverity = \"warning\"\ninclude_tests = true\n[limits]\npolicy_timeout_ms = 500\n[[architecture.layers]]\nname = \"a\"\nmembers = [\"x\"]\n")) {
        let (_, problems) = Config::parse(Symbol::intern("guardrail.toml"), &text);
        if text.parse::<toml::Table>().is_err() {
            prop_assert!(!problems.is_empty(), "TOML that does not parse, without a problem");
        }
        for problem in problems {
            prop_assert!(problem.location.line >= 1 && problem.location.line as usize <= text.lines().count() + 1);
        }
    }
}

/// Runs `f` on a thread with the stack extraction has in a run (a stack overflow aborts the
/// whole test process: that is the failure these properties look for).
fn on_worker_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(64 << 20).spawn(f).unwrap().join().unwrap();
}

/// Code nested by a random mix of what the parser and the visitor recurse on, each repeated
/// up to thousands of times: brackets, generics, closures, prefix operators, chains, else-if.
fn deep_rust() -> impl Strategy<Value = String> {
    let layer = prop::sample::select(vec![
        ("(", ")"),
        ("[", "]"),
        ("{ ", " }"),
        ("Vec::<", ">::new()"),
        ("|| ", ""),
        ("|a, b| ", ""),
        ("move || ", ""),
        ("!", ""),
        ("-", ""),
        ("&&", ""),
        ("*", ""),
        ("async { ", " }"),
        ("if a { 1 } else ", ""),
        ("", ".b()"),
        ("", " + 1"),
        ("", "?"),
        ("return ", ""),
    ]);
    prop::collection::vec((layer, 1..20_000usize), 1..6).prop_map(|layers| {
        let (mut open, mut close) = (String::new(), String::new());
        for ((prefix, suffix), times) in layers {
            open.push_str(&prefix.repeat(times));
            close.insert_str(0, &suffix.repeat(times));
        }
        format!(
            "pub fn f() {{\n    let x = {open}1{close};\n}}\ntype T = Vec<{}u8{}>;\n",
            "Vec<".repeat(50),
            ">".repeat(50)
        )
    })
}

/// YAML shapes that were slow or deep: merges of large maps, nested flow collections,
/// anchors, and a byte-order mark.
fn odd_yaml() -> impl Strategy<Value = Vec<u8>> {
    (0..3000usize, 0..300usize, any::<bool>(), 0..3u8).prop_map(|(keys, depth, merge, encoding)| {
        let map: String = (0..keys).map(|i| format!("  k{i}: v\n")).collect();
        let merged = if merge { "    <<: *base\n" } else { "" };
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbase: &base\n{map}data:\n  nested: {}1{}\n  m:\n{merged}    own: 1\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        match encoding {
            0 => text.into_bytes(),
            1 => [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect(),
            _ => [0xef, 0xbb, 0xbf].into_iter().chain(text.into_bytes()).collect(),
        }
    })
}

/// Dockerfile soup: continuations, heredocs, comments inside continuations, escape directives.
fn dockerfile_soup() -> impl Strategy<Value = String> {
    let lines = prop::sample::select(vec![
        "FROM rust:1 AS build",
        "RUN cargo build --release --bin api \\",
        "    && strip target/release/api",
        "# comment inside",
        "RUN <<EOF",
        "RUN <<-'EOT' bash",
        "EOF",
        "\tEOT",
        "COPY --from=build /app/target/release/api /usr/local/bin/api",
        "CMD [\"/usr/local/bin/api\"]",
        "CMD /usr/local/bin/api --port 80",
        "ENTRYPOINT [\"tini\", \"--\"",
        "# escape=`",
        "HEALTHCHECK CMD curl -f localhost || exit 1",
        "\\",
        "",
    ]);
    prop::collection::vec(lines, 0..80).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn deeply_nested_rust_is_parsed_or_refused_never_a_crash(text in deep_rust()) {
        on_worker_stack(move || run(FileKind::Rust, "deep.rs", text.as_bytes()));
    }

    #[test]
    fn odd_yaml_is_read_or_refused_in_linear_time(bytes in odd_yaml()) {
        let started = std::time::Instant::now();
        on_worker_stack(move || {
            run(FileKind::Kubernetes, "odd.yaml", &bytes);
            run(FileKind::Compose, "compose.yaml", &bytes);
        });
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn dockerfile_soup_never_panics(text in dockerfile_soup()) {
        run(FileKind::Dockerfile, "Dockerfile", text.as_bytes());
    }
}
