//! How messages count things: `1 file`, `2 files`.

/// A count and its noun, in the plural unless the count is one.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
