//! Why a throw-away Kannel could not start or could not carry a message.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a throw-away Kannel could not start or could not carry a message.
///
/// Errors that come from a running Kannel carry the last lines of its logs (and of the
/// fakesmsc run, for a batch), so that a failing test shows what the gateway saw.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KannelError {
    /// A Kannel program is missing.
    #[error("Kannel is not installed ({} is missing): apt-get install kannel kannel-extras", .missing.display())]
    NotInstalled {
        /// The program that was looked for.
        missing: PathBuf,
    },

    /// The application URL cannot be handed to Kannel as a `get-url`.
    #[error("the application URL {url:?} cannot be used: {reason}")]
    InvalidAppUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A message cannot be carried by fakesmsc's line protocol.
    #[error("message {index} (from {from:?}) cannot be sent through fakesmsc: {reason}")]
    InvalidMessage {
        /// Its position in the batch, from 0.
        index: usize,
        /// Its sender as given.
        from: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An operating-system call failed.
    #[error("could not {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A loopback port chosen for bearerbox was taken before bearerbox could bind it, on
    /// every attempt.
    #[error("a loopback port chosen for bearerbox was taken before it could bind it, on every attempt\n{logs}")]
    PortInUse {
        /// The last lines of the Kannel logs.
        logs: String,
    },

    /// Kannel did not become ready before the deadline.
    #[error("Kannel did not become ready within {} s: {reason}\n{logs}", .waited.as_secs())]
    NotReady {
        /// How long it was given.
        waited: Duration,
        /// What was still missing.
        reason: String,
        /// The last lines of the Kannel logs.
        logs: String,
    },

    /// A Kannel program exited on its own.
    #[error("{program} exited unexpectedly ({status})\n{logs}")]
    Exited {
        /// `bearerbox`, `smsbox` or `fakesmsc`.
        program: &'static str,
        /// Its exit status.
        status: String,
        /// The last lines of the Kannel logs and of fakesmsc's output.
        logs: String,
    },

    /// Some replies did not arrive before the deadline.
    #[error(
        "{} of {total} replies did not arrive within {} s (still waiting for senders {missing:?}); \
         is the application answering?\n{logs}",
        .missing.len(),
        .waited.as_secs()
    )]
    NoReply {
        /// How many messages the batch had.
        total: usize,
        /// The senders whose replies are missing, in batch order.
        missing: Vec<String>,
        /// How long the batch was given.
        waited: Duration,
        /// The last lines of the Kannel logs and of fakesmsc's output.
        logs: String,
    },
}

impl KannelError {
    /// An [`KannelError::Io`] saying what was being done.
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(io::Error) -> KannelError {
        let action = action.into();
        move |source| KannelError::Io { action, source }
    }
}
