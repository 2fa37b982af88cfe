//! The tokio runtime consoles run on: one thread with a current-thread runtime, started on
//! first use. The session benchmark measured it the cheapest shape for idle consoles, and it
//! keeps console decoding off the GTK main thread and away from the driver's own thread.

use std::future::Future;
use std::sync::OnceLock;

static RUNTIME: OnceLock<Result<tokio::runtime::Handle, String>> = OnceLock::new();

fn start() -> Result<tokio::runtime::Handle, String> {
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("hangar-console".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => {
                    let _ = handle_tx.send(Ok(runtime.handle().clone()));
                    // Runs for the life of the process; tasks are spawned through the handle.
                    runtime.block_on(std::future::pending::<()>());
                }
                Err(error) => {
                    let _ = handle_tx.send(Err(error.to_string()));
                }
            }
        })
        .map_err(|error| error.to_string())?;
    handle_rx.recv().map_err(|error| error.to_string())?
}

/// The consoles' runtime, or why it could not start.
pub fn handle() -> Result<tokio::runtime::Handle, String> {
    RUNTIME.get_or_init(start).clone()
}

/// Runs `future` on the consoles' runtime (driver calls need tokio's timers) and waits for it
/// from the GTK main loop; `Err` with the reason if the runtime is unavailable or the task
/// panicked.
pub async fn run<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = handle()?;
    handle
        .spawn(future)
        .await
        .map_err(|error| error.to_string())
}
