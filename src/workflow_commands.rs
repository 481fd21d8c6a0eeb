//! GitHub Actions reads workflow commands out of a job's log: a line that starts with `::` (after
//! leading white space) and, anywhere in a line, `##[`. Text a pull request controls — policy
//! messages, help, `print` output, file names — must never be read as one, or a policy could
//! set outputs, mask findings or forge annotations.

/// Whether this process runs in a GitHub Actions job.
pub fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true")
}

/// `text` between `::stop-commands::<token>` and `::<token>::`: the runner reads no command in
/// between. The token is random and absent from `text`, so nothing in it can end the block.
pub fn without_commands(text: &str) -> String {
    let mut token = random_token();
    while text.contains(&token) {
        token = random_token();
    }
    let newline = if text.ends_with('\n') || text.is_empty() { "" } else { "\n" };
    format!("::stop-commands::{token}\n{text}{newline}::{token}::\n")
}

/// One line for a log: control characters (a newline that would start a new line) escaped,
/// and `##[` broken so that no part of the line is a command.
pub fn log_line(text: &str) -> String {
    // Everything a log could read as a line break or hide is escaped (controls, U+2028, ...);
    // quotes and backslashes stay as written (`Expecting ':'`).
    let escaped: String = text
        .chars()
        .map(|c| if matches!(c, '\'' | '"' | '\\') { c.to_string() } else { c.escape_debug().to_string() })
        .collect();
    let escaped = escaped.replace("##[", "# #[");
    if escaped.trim_start().starts_with("::") {
        format!(" {escaped}").replacen("::", ": :", 1)
    } else {
        escaped
    }
}

/// 128 bits from the standard library's per-process random hash keys, the time and the pid.
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (0..2u8)
        .map(|half| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u128(nanos);
            hasher.write_u32(std::process::id());
            hasher.write_u8(half);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_text_cannot_end_the_block_and_lines_cannot_be_commands() {
        let wrapped = without_commands("a\n::error::x\n");
        let lines: Vec<&str> = wrapped.lines().collect();
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(lines[1..], ["a", "::error::x", &format!("::{token}::")]);
        assert_ne!(without_commands(""), without_commands(""), "a new token each time");
        assert_eq!(log_line("  ::set-output name=x::1"), "   : :set-output name=x::1");
        assert_eq!(log_line("ok ##[error]no\n::warning::x"), "ok # #[error]no\\n::warning::x");
        assert_eq!(log_line("Expecting ':' in \"a\\b\"\r\u{1b}"), "Expecting ':' in \"a\\b\"\\r\\u{1b}");
        assert_eq!(log_line("a\u{2028}::error::x\u{85}é"), "a\\u{2028}::error::x\\u{85}é");
    }
}
