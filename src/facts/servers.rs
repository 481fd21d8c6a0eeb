//! The call that starts the network server a binary runs, if it runs one (`bin.server` for
//! policies): rules that ask "is this a service" — SIGTERM handling, unbounded queues — share
//! one answer.
//!
//! A server counts when its start is reachable from the binary's entry points through the call
//! graph (`bin.reaches`), outside test code: a server in a library function the binary never
//! calls, a test helper that binds a free port, another binary's entry, are not this binary's.

use super::{Binary, CallFact, Fact, InContext, Located, MethodCallFact, Table};

/// Calls that start a server whose lifetime is the process's.
const SERVER_STARTS: [&str; 19] = [
    "axum::serve",
    "axum::Server::bind",
    "axum_server::bind",
    "axum_server::bind_rustls",
    "axum_server::from_tcp",
    "hyper::Server::bind",
    "hyper::server::Server::bind",
    "hyper::server::conn::http1::Builder::new",
    "hyper::server::conn::http2::Builder::new",
    "hyper_util::server::conn::auto::Builder::new",
    "tonic::transport::Server::builder",
    "warp::serve",
    "actix_web::HttpServer::new",
    "actix_server::Server::build",
    "poem::Server::new",
    "salvo::Server::new",
    "rocket::build",
    "rocket::ignite",
    "tide::new",
];

/// Listeners that make a server of a hand-written accept loop: TCP, and Unix sockets (a daemon's
/// control socket is a server too).
const LISTENERS: [&str; 6] = [
    "tokio::net::TcpListener::bind",
    "std::net::TcpListener::bind",
    "async_std::net::TcpListener::bind",
    "tokio::net::UnixListener::bind",
    "std::os::unix::net::UnixListener::bind",
    "async_std::os::unix::net::UnixListener::bind",
];

/// Code `binary` runs, outside tests.
fn run_by<T: InContext + Located>(fact: &Fact<T>, binary: &Binary) -> bool {
    !fact.in_test() && fact.reached_by(binary)
}

/// The call that starts the server `binary` runs: a known server start, or a listener bound
/// where connections are accepted; `None` when it runs none.
pub fn server(
    calls: &Table<CallFact>,
    method_calls: &Table<MethodCallFact>,
    binary: &Binary,
) -> Option<Fact<CallFact>> {
    let first = |path: &str| calls.resolved(path).find(|call| binary.includes(call.file()) && run_by(call, binary));
    if let Some(start) = SERVER_STARTS.iter().find_map(|path| first(path)) {
        return Some(start);
    }
    let accepts =
        ["accept", "incoming"].iter().any(|name| method_calls.named_in(name, binary).any(|call| run_by(&call, binary)));
    if accepts {
        return LISTENERS.iter().find_map(|path| first(path));
    }
    None
}
