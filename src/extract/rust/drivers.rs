//! What repeats a loop, read from the calls it makes: an accept loop runs once per connection, a
//! loop over `stream.next().await` once per received item, `interval.tick().await` on a timer.
//! The rate of the first two is set outside the process; that is what makes a queue they fill
//! grow with traffic.

use crate::facts::Driver;
use proc_macro2::{Delimiter, TokenTree};
use syn::visit::{self, Visit};
use syn::{Expr, ExprForLoop, ExprLoop, ExprWhile};

/// Methods that wait for the next connection.
const ACCEPTS: [&str; 5] = ["accept", "accept_bi", "accept_uni", "accept_stream", "incoming"];
/// Awaited methods that wait for the next message or item from outside: a stream, a socket, a
/// gRPC or websocket stream, a consumer.
const RECEIVES: [&str; 9] =
    ["next", "message", "recv_from", "read", "read_buf", "read_message", "try_next", "recv_msg", "poll_recv"];
/// Awaited methods of timers.
const TICKS: [&str; 2] = ["tick", "sleep"];

/// A `loop`, `while` or `for`.
#[derive(Clone, Copy)]
pub enum Loop<'a> {
    Plain(&'a ExprLoop),
    While(&'a ExprWhile),
    For(&'a ExprForLoop),
}

/// The driver of a loop: the strongest its header and body show (nested loops, closures and fns
/// count as their own).
pub fn of_loop(looped: Loop<'_>) -> Driver {
    let mut scan = Scan { driver: Driver::Iteration, depth: 0 };
    match looped {
        Loop::Plain(ExprLoop { body, .. }) => scan.visit_block(body),
        Loop::While(ExprWhile { cond, body, .. }) => {
            scan.visit_expr(cond);
            scan.visit_block(body);
        }
        Loop::For(ExprForLoop { expr, body, .. }) => {
            scan.visit_expr(expr);
            scan.visit_block(body);
        }
    }
    scan.driver
}

struct Scan {
    driver: Driver,
    /// Nested loops, closures and fns: what they call repeats them, not the loop scanned.
    depth: u32,
}

impl Scan {
    fn nested(&mut self, visit: impl FnOnce(&mut Self)) {
        self.depth += 1;
        visit(self);
        self.depth -= 1;
    }
}

impl Scan {
    fn awaited(&mut self, method: &str) {
        let found = if ACCEPTS.contains(&method) {
            Driver::Connection
        } else if RECEIVES.contains(&method) {
            Driver::Message
        } else if TICKS.contains(&method) {
            Driver::Timer
        } else {
            Driver::Iteration
        };
        self.driver = self.driver.max(found);
    }

    /// `.method(..).await` written in a macro's tokens (`tokio::select! { m = s.next() => .. }`
    /// awaits each branch), scanned as tokens: the branches do not parse as one expression.
    fn scan_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (at, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Punct(dot) if dot.as_char() == '.' => {
                    let Some(TokenTree::Ident(method)) = tokens.get(at + 1) else { continue };
                    let called = matches!(tokens.get(at + 2), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                    // In select!, a branch's future is awaited without `.await`.
                    if called {
                        self.awaited(&method.to_string());
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_expr_await(&mut self, awaited: &'ast syn::ExprAwait) {
        if self.depth == 0 {
            if let Expr::MethodCall(call) = &*awaited.base {
                self.awaited(&call.method.to_string());
            }
        }
        visit::visit_expr_await(self, awaited);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.depth == 0 && mac.path.segments.last().is_some_and(|s| s.ident == "select") {
            self.scan_tokens(mac.tokens.clone());
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        // A blocking accept loop: `for stream in listener.incoming()`, `listener.accept()`.
        if self.depth == 0 && ACCEPTS.iter().any(|name| call.method == name) {
            self.driver = self.driver.max(Driver::Connection);
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_loop(&mut self, expr: &'ast ExprLoop) {
        self.nested(|scan| visit::visit_expr_loop(scan, expr));
    }

    fn visit_expr_while(&mut self, expr: &'ast ExprWhile) {
        self.nested(|scan| visit::visit_expr_while(scan, expr));
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast ExprForLoop) {
        self.nested(|scan| visit::visit_expr_for_loop(scan, expr));
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.nested(|scan| visit::visit_expr_closure(scan, closure));
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The methods a library calls once per event, by the trait they implement: a tracing `Layer`'s
/// `on_event` runs for every log record.
pub fn of_callback(trait_name: &str, method: &str) -> Driver {
    let per_event = match trait_name {
        "Layer" => matches!(method, "on_event" | "on_new_span" | "on_record" | "on_close"),
        "Subscriber" => matches!(method, "event" | "new_span" | "record"),
        "Log" => method == "log",
        _ => false,
    };
    if per_event {
        Driver::Event
    } else {
        Driver::Once
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(code: &str) -> Driver {
        match syn::parse_str::<Expr>(code).unwrap() {
            Expr::Loop(expr) => of_loop(Loop::Plain(&expr)),
            Expr::While(expr) => of_loop(Loop::While(&expr)),
            Expr::ForLoop(expr) => of_loop(Loop::For(&expr)),
            _ => panic!("not a loop: {code}"),
        }
    }

    #[test]
    fn loops_are_told_apart_by_what_they_wait_for() {
        assert_eq!(
            driver("loop { let (socket, _) = listener.accept().await?; spawn(serve(socket)); }"),
            Driver::Connection
        );
        assert_eq!(driver("for stream in listener.incoming() { handle(stream?); }"), Driver::Connection);
        assert_eq!(driver("while let Some(msg) = stream.next().await { tx.send(msg); }"), Driver::Message);
        assert_eq!(driver("while let Some(m) = inbound.message().await? { out.send(m); }"), Driver::Message);
        assert_eq!(driver("loop { interval.tick().await; tx.send(Tick); }"), Driver::Timer);
        assert_eq!(
            driver(
                "loop { tokio::select! { chunk = body.next() => { out.send(chunk); } _ = stop.cancelled() => break } }"
            ),
            Driver::Message
        );
        assert_eq!(driver("for item in items { tx.send(item); }"), Driver::Iteration);
        // What a nested loop or a closure waits for repeats it, not the loop around it.
        assert_eq!(
            driver("for shard in shards { spawn(async move { loop { s.next().await; } }); }"),
            Driver::Iteration
        );
    }

    #[test]
    fn per_event_callbacks_are_known_by_their_trait() {
        assert_eq!(of_callback("Layer", "on_event"), Driver::Event);
        assert_eq!(of_callback("Layer", "register_callsite"), Driver::Once);
        assert_eq!(of_callback("Service", "call"), Driver::Once);
    }
}
