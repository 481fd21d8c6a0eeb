//! Looking into macro bodies: most service code lives inside `tokio::select!`, `join!`,
//! `vec![..]` or `json!`, and a linter that stops at the `!` misses it.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Block, Expr, Stmt, Token};

/// What a macro body could be parsed into.
pub enum Body {
    Exprs(Vec<Expr>),
    Stmts(Vec<Stmt>),
}

/// Parses a macro body as comma-separated expressions, else as statements, else splits it at
/// top-level `,` `;` `=>` and parses each piece (and the right side of a top-level `=`): the
/// shape of `select!` arms (`Some(x) = rx.recv() => { .. }`).
pub fn parse_body(tokens: &TokenStream) -> Body {
    if let Ok(exprs) = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens.clone()) {
        return Body::Exprs(exprs.into_iter().collect());
    }
    if let Ok(stmts) = Block::parse_within.parse2(tokens.clone()) {
        return Body::Stmts(stmts);
    }
    Body::Exprs(pieces(tokens).iter().filter_map(|piece| parse_piece(piece)).collect())
}

fn parse_piece(piece: &[TokenTree]) -> Option<Expr> {
    let stream: TokenStream = piece.iter().cloned().collect();
    if let Ok(expr) = syn::parse2::<Expr>(stream) {
        return Some(expr);
    }
    let eq = piece.iter().position(|tt| is_lone_punct(tt, '='))?;
    syn::parse2::<Expr>(piece[eq + 1..].iter().cloned().collect()).ok()
}

fn is_lone_punct(tt: &TokenTree, ch: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == ch && p.spacing() == proc_macro2::Spacing::Alone)
}

fn pieces(tokens: &TokenStream) -> Vec<Vec<TokenTree>> {
    let mut pieces = vec![Vec::new()];
    let mut previous_joint_eq = false;
    for tt in tokens.clone() {
        let is_arrow = previous_joint_eq && is_lone_punct(&tt, '>');
        previous_joint_eq =
            matches!(&tt, TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Joint);
        if is_arrow {
            let current = pieces.last_mut().expect("pieces is never empty");
            current.pop();
            pieces.push(Vec::new());
        } else if is_lone_punct(&tt, ',') || is_lone_punct(&tt, ';') {
            pieces.push(Vec::new());
        } else {
            let current = pieces.last_mut().expect("pieces is never empty");
            // An arm body in braces ends the arm even without a comma: `x => { .. } y = ..`.
            let ends_arm =
                current.is_empty() && matches!(&tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace);
            current.push(tt);
            if ends_arm {
                pieces.push(Vec::new());
            }
        }
    }
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(source: &str) -> usize {
        match parse_body(&source.parse().unwrap()) {
            Body::Exprs(exprs) => exprs.len(),
            Body::Stmts(stmts) => stmts.len(),
        }
    }

    #[test]
    fn parses_expression_lists_statements_and_select_arms() {
        assert_eq!(count("a(), b(1)"), 2);
        assert_eq!(count("let x = 1; f(x);"), 2);
        let select = "biased;
            Some(msg) = rx.recv() => { handle(msg) }
            _ = tokio::signal::ctrl_c() => break,
            else => { stop() }";
        // biased, `Some(msg) = rx.recv()`, { handle(msg) }, `_ = ctrl_c()`, break, { stop() }
        assert_eq!(count(select), 6);
    }
}
