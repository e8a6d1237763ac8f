//! The store's own tokio runtime, on a thread of its own (see the crate doc,
//! "How the synchronous methods run").

use std::future::Future;

use icaze_permits::store::StoreError;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// A multi-thread runtime that lives until this is dropped.
pub(crate) struct StoreRuntime {
    handle: Handle,
    // Invariant: dropping the sender ends the runtime's thread, which drops the
    // runtime there, outside any async context (dropping a runtime inside one
    // panics).
    _stop: oneshot::Sender<()>,
}

impl StoreRuntime {
    pub(crate) fn start(worker_threads: usize) -> Result<StoreRuntime, StoreError> {
        let (stop, stopped) = oneshot::channel::<()>();
        let (started, handle) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("icaze-postgres".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(worker_threads.max(1))
                    .thread_name("icaze-postgres-io")
                    .enable_all()
                    .build();
                match runtime {
                    Ok(runtime) => {
                        let _ = started.send(Ok(runtime.handle().clone()));
                        runtime.block_on(async {
                            let _ = stopped.await;
                        });
                    }
                    Err(e) => {
                        let _ = started.send(Err(e));
                    }
                }
            })
            .map_err(|e| StoreError::Damaged(format!("cannot start the database thread: {e}")))?;
        let handle = handle
            .recv()
            .map_err(|_| StoreError::WriterGone)?
            .map_err(|e| StoreError::Damaged(format!("cannot start the database runtime: {e}")))?;
        Ok(StoreRuntime { handle, _stop: stop })
    }

    /// The runtime's handle, for what must run there after the store's call
    /// returned (a lock's release).
    pub(crate) fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs `work` on the store's runtime and waits for it, from any thread
    /// that is not one of the store runtime's own.
    pub(crate) fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = answer.send(work.await);
        });
        answered.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Runs `work` on the store's runtime; its answer, awaited from any runtime.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.handle.spawn(work).await.map_err(|_| StoreError::WriterGone)?
    }
}
