//! FastAGI: the hotline's routing for Asterisk installations whose own dialplan
//! keeps call control and will not hand calls to a Stasis app.
//!
//! The dialplan (see `asterisk-dialplan/agi-example.conf`) asks
//! `AGI(agi://127.0.0.1:4573/route,…)` who takes the call; the `route` script asks
//! the same routing policy and directory as the Stasis app and answers with channel
//! variables; the dialplan rings with `Dial()` and reports each attempt with
//! `AGI(…/result)`, which writes the same journal rows (`via = 'agi'`).
//!
//! # Layout (the shape of mini-redis)
//! - [`frame`]: the wire format, pure: the `agi_*` environment and command replies
//!   (`200`, `100`, `510`, `511`, multi-line `520`, `HANGUP`), with line limits.
//! - [`command`]: the typed commands we send and the one place values are quoted and
//!   escaped, so nothing can break out into another command.
//! - [`connection`]: buffered frames over one socket, with a per-command timeout.
//! - [`server`]: the listener: session limit, per-session timeout, graceful shutdown.
//! - [`scripts`]: `route` and `result`, each a pure plan plus thin I/O.

pub mod command;
pub mod connection;
pub mod frame;
pub mod scripts;
pub mod server;

#[cfg(test)]
mod tests;

pub use command::{AgiText, Command, CommandError, VariableName};
pub use connection::{Connection, ConnectionError};
pub use frame::{Environment, FrameError, Reply, ReplyFrame};
pub use scripts::{AgiContext, CallFlow, ScriptError};
pub use server::{AgiServer, AgiServerSettings};
