//! A line on stderr that says the run is still going, for long runs in a terminal; never in
//! CI, when stderr is not a terminal, or for machine-readable output.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

pub struct Progress {
    done: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    const QUIET_FOR: Duration = Duration::from_millis(800);

    pub fn start(human: bool) -> Progress {
        use std::io::IsTerminal;
        let wanted = human && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if !wanted {
            return Progress { done: None, thread: None };
        }
        let (done, finished) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            if !matches!(finished.recv_timeout(Self::QUIET_FOR), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let tick = Duration::from_millis(250);
            while let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(tick) {
                eprint!("\rguardrail: checking… {:.1} s", started.elapsed().as_secs_f64());
            }
            eprint!("\r\x1b[K");
        });
        Progress { done: Some(done), thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
