//! Ctrl-C during a command: the first one asks every node to start no new
//! step (the steps in flight finish); the second stops waiting at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Listens for Ctrl-C (SIGINT) and SIGTERM for the rest of the command.
    pub fn listen(on_first: impl Fn() + Send + 'static) -> Interrupt {
        let interrupt = Interrupt::default();
        let flag = interrupt.0.clone();
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = terminated => {},
            }
            flag.store(true, Ordering::SeqCst);
            on_first();
            // A second signal: stop waiting. The nodes finish their step anyway.
            let _ = tokio::signal::ctrl_c().await;
            std::process::exit(130);
        });
        interrupt
    }

    /// What the first signal does; the flow tests call it between steps.
    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
