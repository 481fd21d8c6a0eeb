//! Where a fact lives: the one type every fact, finding and diagnostic points with.

use crate::symbol::Symbol;
use serde::Serialize;

/// A span in a file, relative to the checked root.
///
/// Lines and columns are 1-based; columns count characters (Unicode scalar values), as rustc
/// does. Byte offsets are 0-based and half-open, for code frames.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: Symbol,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub start_byte: u32,
    pub end_byte: u32,
}

impl Location {
    /// A location that covers a whole file (used when a diagnostic has no better place).
    pub fn file(path: Symbol) -> Self {
        Location { path, line: 1, column: 1, end_line: 1, end_column: 1, start_byte: 0, end_byte: 0 }
    }
}

/// Where a code fact sits in its file, as byte offsets (0-based, half-open): a quarter of a
/// [`Location`], which the file's [`LineTable`] turns it into when it is asked for. A million
/// lines hold three quarters of a million code facts, and few of them are ever reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// What turns a [`Span`] of one file into a [`Location`] without the file's text: where each
/// line starts, and where the characters of more than one byte are (columns count characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineTable {
    /// The byte offset of each line's start; the first is 0.
    line_starts: Vec<u32>,
    /// (byte offset, bytes beyond the first) of each character of more than one byte.
    wide_chars: Vec<(u32, u8)>,
}

impl LineTable {
    /// Rebuilds a table from its parts; `None` unless lines start at 0 and in increasing order,
    /// and wide characters are in increasing order.
    pub fn from_parts(line_starts: Vec<u32>, wide_chars: Vec<(u32, u8)>) -> Option<Self> {
        let valid = line_starts.first() == Some(&0)
            && line_starts.windows(2).all(|pair| pair[0] < pair[1])
            && wide_chars.windows(2).all(|pair| pair[0].0 < pair[1].0);
        valid.then_some(LineTable { line_starts, wide_chars })
    }

    pub fn line_starts(&self) -> &[u32] {
        &self.line_starts
    }

    pub fn wide_chars(&self) -> &[(u32, u8)] {
        &self.wide_chars
    }

    /// The location of `span` in the file `path` this table was made from.
    pub fn location(&self, path: Symbol, span: Span) -> Location {
        let (line, column) = self.position(span.start);
        let (end_line, end_column) = self.position(span.end);
        Location { path, line, column, end_line, end_column, start_byte: span.start, end_byte: span.end }
    }

    /// 1-based (line, column) of a byte offset.
    fn position(&self, byte: u32) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&start| start <= byte).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or_default().min(byte);
        let first_wide = self.wide_chars.partition_point(|(at, _)| *at < start);
        let wide = &self.wide_chars[first_wide..];
        let beyond: u32 =
            wide[..wide.partition_point(|(at, _)| *at < byte)].iter().map(|(_, extra)| u32::from(*extra)).sum();
        (line as u32, (byte - start).saturating_sub(beyond).saturating_add(1))
    }

    /// Drops the spare capacity: the table stays in memory for the whole run.
    pub fn shrink_to_fit(&mut self) {
        crate::alloc::fit_exactly(&mut self.line_starts);
        crate::alloc::fit_exactly(&mut self.wide_chars);
    }
}

/// Converts between (line, char column) and byte offsets for one file's text.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Characters are bytes: columns convert to offsets without walking the line.
    ascii: bool,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts, ascii: text.is_ascii() }
    }

    /// The text a byte span covers.
    pub fn text_of(&self, span: Span) -> &'a str {
        self.text.get(span.start as usize..span.end as usize).unwrap_or_default()
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> &'a str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1) as usize) else {
            return "";
        };
        // The next line starts after this one's `\n`.
        let end = self.line_starts.get(line as usize).map_or(self.text.len(), |next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// Byte offset of a 1-based line and a 0-based character column, clamped to the text.
    pub fn byte_offset(&self, line: u32, char_column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1) as usize) else {
            return self.text.len();
        };
        let line_text = self.line_text(line);
        let within = if self.ascii {
            char_column.min(line_text.len())
        } else {
            line_text.char_indices().nth(char_column).map_or(line_text.len(), |(i, _)| i)
        };
        start + within
    }

    /// 1-based (line, column) of a byte offset.
    pub fn position(&self, byte: usize) -> (u32, u32) {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte);
        let start = self.line_starts[line - 1];
        let before = &self.text[start..byte];
        let column = if self.ascii { before.len() } else { before.chars().count() } + 1;
        (line as u32, column as u32)
    }

    /// A location from 1-based start and end lines with 0-based character columns
    /// (the convention of `proc_macro2::LineColumn`).
    pub fn location(
        &self,
        path: Symbol,
        (line, column): (u32, usize),
        (end_line, end_column): (u32, usize),
    ) -> Location {
        // Parsers may point one past the end (an unexpected end of input): keep to real lines.
        let last = self.line_starts.len() as u32;
        let (line, end_line) = (line.clamp(1, last), end_line.clamp(1, last));
        Location {
            path,
            line,
            column: column as u32 + 1,
            end_line,
            end_column: end_column as u32 + 1,
            start_byte: self.byte_offset(line, column) as u32,
            end_byte: self.byte_offset(end_line, end_column) as u32,
        }
    }

    /// What turns spans of this text into locations once the text is gone.
    pub fn line_table(&self) -> LineTable {
        let line_starts = self.line_starts.iter().map(|&start| start as u32).collect();
        let wide_chars = if self.ascii {
            Vec::new()
        } else {
            let wide = self.text.char_indices().filter(|(_, c)| c.len_utf8() > 1);
            wide.map(|(at, c)| (at as u32, c.len_utf8() as u8 - 1)).collect()
        };
        LineTable { line_starts, wide_chars }
    }

    /// The byte offsets of 1-based start and end lines with 0-based character columns, kept to
    /// real lines as [`LineIndex::location`] does.
    pub fn span(&self, (line, column): (u32, usize), (end_line, end_column): (u32, usize)) -> Span {
        let last = self.line_starts.len() as u32;
        let (line, end_line) = (line.clamp(1, last), end_line.clamp(1, last));
        Span { start: self.byte_offset(line, column) as u32, end: self.byte_offset(end_line, end_column) as u32 }
    }

    /// A location for a byte range.
    pub fn location_of_bytes(&self, path: Symbol, start: usize, end: usize) -> Location {
        let (line, column) = self.position(start);
        let (end_line, end_column) = self.position(end);
        Location { path, line, column, end_line, end_column, start_byte: start as u32, end_byte: end as u32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_bytes_follow_utf8() {
        let text = "let é = 1;\nfoo();\n";
        let index = LineIndex::new(text);
        let path = Symbol::intern("a.rs");
        let loc = index.location(path, (1, 8), (1, 9));
        assert_eq!((loc.line, loc.column), (1, 9));
        assert_eq!(&text[loc.start_byte as usize..loc.end_byte as usize], "1");
        assert_eq!(index.position(12), (2, 1));
        assert_eq!(index.line_text(2), "foo();");
        assert_eq!(index.line_text(9), "");
    }

    #[test]
    fn a_line_table_gives_a_span_the_location_the_text_gives_it() {
        let text = "let é = 1;\r\n  \"ü€\" + x\n\nfoo(); // 𝄞 z\n";
        let index = LineIndex::new(text);
        let (table, path) = (index.line_table(), Symbol::intern("a.rs"));
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        for &start in &boundaries {
            for &end in boundaries.iter().filter(|&&end| end >= start) {
                let span = Span { start: start as u32, end: end as u32 };
                assert_eq!(table.location(path, span), index.location_of_bytes(path, start, end), "{start}..{end}");
            }
        }
        let rebuilt = LineTable::from_parts(table.line_starts().to_vec(), table.wide_chars().to_vec());
        assert_eq!(rebuilt.as_ref(), Some(&table));
        assert_eq!(LineTable::from_parts(vec![1, 5], Vec::new()), None);
        assert_eq!(LineTable::from_parts(vec![0, 5, 5], Vec::new()), None);
        assert_eq!(LineTable::from_parts(vec![0], vec![(4, 1), (2, 1)]), None);
        // A span from a damaged cache entry still has a location, if a wrong one.
        let location = LineTable::default().location(path, Span { start: u32::MAX, end: 3 });
        assert_eq!((location.line, location.end_line, location.end_column), (1, 1, 4));
    }

    #[test]
    fn positions_past_the_end_are_kept_to_the_last_line() {
        // Found by the property tests: a YAML error "at" the line after the last one.
        let index = LineIndex::new("a: [\n");
        let loc = index.location(Symbol::intern("c.yaml"), (3, 0), (3, 1));
        assert_eq!((loc.line, loc.end_line), (2, 2));
    }
}
