//! The binary form of a Rust file's facts in the cache.
//!
//! Hand-written rather than serde: the facts' serde attributes shape the JSON of `guardrail
//! facts` (flattened contexts, untagged literals, omitted empties), which compact binary formats
//! cannot read back. Every struct is written through [`codec_struct!`], which destructures and
//! rebuilds it field by field, so a field added to a fact is a compile error here, not a field
//! silently lost by the cache.
//!
//! Numbers are LEB128 varints; strings are indexes into a table of the entry's distinct strings.
//! Decoding never trusts its input: every length and index is checked, and any inconsistency is
//! [`Corrupt`], which makes the entry a miss.

use crate::facts::{
    Argument, ArgumentRange, AttributeFact, BindingUse, CallFact, CallStore, CodeContext, ContextId, Driver, FileFacts,
    FnFact, Handoff, Literal, MacroFact, MethodCallFact, ModDecl, ParamFlow, PathFact, RareList, RustFacts,
    SenderField, SqlText, StateFact, Suppression, TupleBinding, UseFact, Wait,
};
use crate::file_kind::FileKind;
use crate::findings::{Checked, Finding, LeftOut, Related, Severity};
use crate::location::{LineTable, Location, Span};
use crate::problem::Problem;
use crate::symbol::Symbol;
use std::collections::HashMap;

/// The entry cannot be decoded: truncated, written by another version, or damaged.
#[derive(Debug)]
pub struct Corrupt;

/// Writes values, each distinct string once: facts repeat module paths, function names and
/// resolved paths many times over, and an entry is written and read on every run.
#[derive(Default)]
pub struct Writer<'a> {
    body: Vec<u8>,
    strings: Vec<&'a str>,
    string_ids: HashMap<&'a str, u32>,
}

impl<'a> Writer<'a> {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.body.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.body.push(value as u8);
    }

    fn str(&mut self, text: &'a str) {
        let next = self.strings.len() as u32;
        let id = *self.string_ids.entry(text).or_insert(next);
        if id == next {
            self.strings.push(text);
        }
        self.varint(u64::from(id));
    }

    /// The string table, then the values.
    pub fn finish(self) -> Vec<u8> {
        let table: usize = self.strings.iter().map(|s| s.len() + 2).sum();
        let mut out = Writer { body: Vec::with_capacity(table + self.body.len() + 8), ..Writer::default() };
        out.varint(self.strings.len() as u64);
        for text in &self.strings {
            out.varint(text.len() as u64);
            out.body.extend_from_slice(text.as_bytes());
        }
        out.body.extend_from_slice(&self.body);
        out.body
    }
}

/// Reads back what a [`Writer`] wrote.
pub struct Reader<'a> {
    bytes: &'a [u8],
    strings: Vec<&'a str>,
    /// Each distinct string interned once, on first use.
    symbols: Vec<Option<Symbol>>,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<Self, Corrupt> {
        let mut reader = Reader { bytes, strings: Vec::new(), symbols: Vec::new() };
        let count = reader.len()?;
        reader.strings.reserve(count);
        for _ in 0..count {
            let n = reader.len()?;
            let text = std::str::from_utf8(reader.take(n)?).map_err(|_| Corrupt)?;
            reader.strings.push(text);
        }
        reader.symbols = vec![None; count];
        Ok(reader)
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        if n > self.bytes.len() {
            return Err(Corrupt);
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, Corrupt> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, Corrupt> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Corrupt)
    }

    /// A length prefix; every encoded value takes at least one byte, so a length beyond the
    /// bytes left is corrupt (and cannot make us allocate what the entry does not hold).
    fn len(&mut self) -> Result<usize, Corrupt> {
        let n = usize::try_from(self.varint()?).map_err(|_| Corrupt)?;
        if n > self.bytes.len() {
            return Err(Corrupt);
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<&'a str, Corrupt> {
        let id = self.string_id()?;
        Ok(self.strings[id])
    }

    fn string_id(&mut self) -> Result<usize, Corrupt> {
        let id = usize::try_from(self.varint()?).map_err(|_| Corrupt)?;
        if id < self.strings.len() {
            Ok(id)
        } else {
            Err(Corrupt)
        }
    }

    fn symbol(&mut self) -> Result<Symbol, Corrupt> {
        let id = self.string_id()?;
        let text = self.strings[id];
        Ok(*self.symbols[id].get_or_insert_with(|| Symbol::intern(text)))
    }
}

pub trait Codec: Sized {
    fn encode<'a>(&'a self, out: &mut Writer<'a>);
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt>;
}

impl Codec for u32 {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.varint(u64::from(*self));
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        u32::try_from(input.varint()?).map_err(|_| Corrupt)
    }
}

impl Codec for usize {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.varint(*self as u64);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        usize::try_from(input.varint()?).map_err(|_| Corrupt)
    }
}

impl Codec for i64 {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.varint(*self as u64);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Ok(input.varint()? as i64)
    }
}

impl Codec for f64 {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.varint(self.to_bits());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Ok(f64::from_bits(input.varint()?))
    }
}

impl Codec for bool {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.body.push(u8::from(*self));
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        match input.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Corrupt),
        }
    }
}

impl Codec for String {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.str(self);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        input.str().map(str::to_owned)
    }
}

impl Codec for Symbol {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.str(self.as_str());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        input.symbol()
    }
}

/// The length, then the items.
fn encode_slice<'a, T: Codec>(items: &'a [T], out: &mut Writer<'a>) {
    out.varint(items.len() as u64);
    items.iter().for_each(|item| item.encode(out));
}

impl<T: Codec> Codec for Vec<T> {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        encode_slice(self, out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        let n = input.len()?;
        // Exactly sized: decoded facts stay in memory for the whole run. `n` is bounded by the
        // bytes left, so a corrupt length cannot ask for more than the entry could hold.
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(T::decode(input)?);
        }
        Ok(items)
    }
}

impl<T: Codec> Codec for Box<[T]> {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        encode_slice(self, out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Vec::decode(input).map(Vec::into_boxed_slice)
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.body.push(u8::from(self.is_some()));
        if let Some(value) = self {
            value.encode(out);
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Ok(if bool::decode(input)? { Some(T::decode(input)?) } else { None })
    }
}

impl<T: Codec> Codec for RareList<T> {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        encode_slice(self, out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Vec::decode(input).map(RareList::from)
    }
}

impl Codec for Literal {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        match self {
            Literal::Str(text) => {
                out.body.push(0);
                text.encode(out);
            }
            Literal::Int(value) => {
                out.body.push(1);
                value.encode(out);
            }
            Literal::Float(value) => {
                out.body.push(2);
                value.encode(out);
            }
            Literal::Bool(value) => {
                out.body.push(3);
                value.encode(out);
            }
            Literal::Other(()) => out.body.push(4),
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        match input.byte()? {
            0 => Symbol::decode(input).map(Literal::Str),
            1 => i64::decode(input).map(Literal::Int),
            2 => f64::decode(input).map(Literal::Float),
            3 => bool::decode(input).map(Literal::Bool),
            4 => Ok(Literal::Other(())),
            _ => Err(Corrupt),
        }
    }
}

/// Line starts and wide characters as the distance from the one before: one byte for most.
impl Codec for LineTable {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.varint(self.line_starts().len() as u64);
        let mut previous = 0;
        for &start in self.line_starts() {
            out.varint(u64::from(start - previous));
            previous = start;
        }
        out.varint(self.wide_chars().len() as u64);
        let mut previous = 0;
        for &(at, extra) in self.wide_chars() {
            out.varint(u64::from(at - previous));
            out.body.push(extra);
            previous = at;
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        let lines = input.len()?;
        let (mut line_starts, mut at) = (Vec::with_capacity(lines), 0u32);
        for _ in 0..lines {
            at = at.checked_add(u32::decode(input)?).ok_or(Corrupt)?;
            line_starts.push(at);
        }
        let wide = input.len()?;
        let (mut wide_chars, mut at) = (Vec::with_capacity(wide), 0u32);
        for _ in 0..wide {
            at = at.checked_add(u32::decode(input)?).ok_or(Corrupt)?;
            wide_chars.push((at, input.byte()?));
        }
        LineTable::from_parts(line_starts, wide_chars).ok_or(Corrupt)
    }
}

impl Codec for Driver {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.body.push(*self as u8);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        const ALL: [Driver; 6] =
            [Driver::Once, Driver::Iteration, Driver::Timer, Driver::Message, Driver::Event, Driver::Connection];
        ALL.get(usize::from(input.byte()?)).copied().ok_or(Corrupt)
    }
}

impl Codec for ContextId {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        self.0.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        u32::decode(input).map(ContextId)
    }
}

/// Implements [`Codec`] for a struct from the list of its fields, which must be complete: the
/// struct is destructured and rebuilt without `..`. A decoded value that fails the optional
/// `checked by` predicate is [`Corrupt`].
macro_rules! codec_struct {
    ($name:ident { $($field:ident),* $(,)? } $(checked by $consistent:path)?) => {
        impl Codec for $name {
            fn encode<'a>(&'a self, out: &mut Writer<'a>) {
                let $name { $($field),* } = self;
                $($field.encode(out);)*
            }
            fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
                let value = $name { $($field: Codec::decode(input)?),* };
                $(if !$consistent(&value) {
                    return Err(Corrupt);
                })?
                Ok(value)
            }
        }
    };
}

codec_struct!(Location { path, line, column, end_line, end_column, start_byte, end_byte });
codec_struct!(CodeContext { in_async, in_test, function, module, driver });
codec_struct!(UseFact { path, name, is_glob, is_pub, module, in_test, span });
codec_struct!(PathFact { written, resolved, module, in_test, span });
codec_struct!(Argument { value, root });
codec_struct!(CallFact { written, resolved, glob_candidates, name, args, context, span });
codec_struct!(MethodCallFact {
    name,
    receiver_root,
    receiver_field,
    receiver_type,
    receiver_args,
    args,
    context,
    span
});
codec_struct!(StateFact { name, owner, ty, module, in_test, span });
codec_struct!(MacroFact { written, resolved, name, context, span });
codec_struct!(SqlText { words, context, span });
codec_struct!(FnFact { name, is_async, is_pub, is_method, takes_self, owner, module, attributes, in_test, span });
codec_struct!(AttributeFact { written, resolved, name, args, tokens, item, module, in_test, span });
codec_struct!(ModDecl { name, inline, path_attr, in_test, span });
codec_struct!(ArgumentRange { start, len });
codec_struct!(Span { start, end });
codec_struct!(TupleBinding { call, names, first, item_type });
codec_struct!(BindingUse {
    sends,
    sends_in_loop,
    escapes,
    stored_in,
    to_app_state,
    handoffs,
    returned,
    statics,
    send_lines
});
codec_struct!(Handoff { callee, method, position, driver });
codec_struct!(SenderField { field, item_type });
codec_struct!(CallStore { call, owner, field });
codec_struct!(Wait { context, line });
codec_struct!(ParamFlow { owner, function, module, position, uses, item_type });
codec_struct!(RustFacts { uses, calls, method_calls, macros, fns, attributes, modules, paths, arguments, contexts, bindings, states, app_states, param_flows, sender_fields, call_stores, sql_texts, migration_dirs, waits, generated, lines }
    checked by RustFacts::is_consistent);
codec_struct!(Suppression { rule, reason, target_line, target_end_line, location });
codec_struct!(Problem { location, message });
codec_struct!(Related { location, message });
codec_struct!(Finding { rule, severity, message, location, help, related, fingerprint });
codec_struct!(Checked { findings, problems, notes, files, suppressed, left_out });

impl Codec for Severity {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        out.str(self.as_str());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        input.str()?.parse().map_err(|_| Corrupt)
    }
}

/// The mechanism is read back as the name [`LeftOut::MECHANISMS`] holds.
impl Codec for LeftOut {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        let LeftOut { by, count, message, items } = self;
        out.str(by);
        count.encode(out);
        message.encode(out);
        items.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        let name = input.str()?;
        let by = LeftOut::MECHANISMS.into_iter().find(|known| *known == name).ok_or(Corrupt)?;
        Ok(LeftOut { by, count: Codec::decode(input)?, message: Codec::decode(input)?, items: Codec::decode(input)? })
    }
}

/// The facts of a Rust file; deployment facts are not cached (see the module docs of
/// [`crate::cache`]), so a Rust file's are always empty.
impl Codec for FileFacts {
    fn encode<'a>(&'a self, out: &mut Writer<'a>) {
        let FileFacts {
            path,
            kind: _,
            lines,
            rust,
            kubernetes: _,
            dockerfile: _,
            compose: _,
            image_builds: _,
            execs: _,
            migration: _,
            says_development: _,
            suppressions,
            problems,
            notes,
        } = self;
        path.encode(out);
        lines.encode(out);
        rust.encode(out);
        suppressions.encode(out);
        problems.encode(out);
        notes.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, Corrupt> {
        // Only Rust files are cached: what else a file can hold stays empty.
        let path = Codec::decode(input)?;
        Ok(FileFacts {
            lines: Codec::decode(input)?,
            rust: Codec::decode(input)?,
            suppressions: Codec::decode(input)?,
            problems: Codec::decode(input)?,
            notes: Codec::decode(input)?,
            ..FileFacts::new(path, FileKind::Rust)
        })
    }
}
