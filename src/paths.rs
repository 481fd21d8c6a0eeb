//! Paths as reports show them: relative to the root, `/`-separated.

/// Joins relative paths with `/`, resolving `.` and `..` (a path leaving the root stays as is).
pub fn join(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(join("deploy", "../crates/api/Dockerfile"), "crates/api/Dockerfile");
        assert_eq!(join("", "./Dockerfile"), "Dockerfile");
        assert_eq!(join("src", "net/imp.rs"), "src/net/imp.rs");
    }
}
