//! The Asterisk REST Interface adapter: typed REST ([`rest`]), typed events
//! ([`events`], models in [`models`]) and the event WebSocket with reconnection
//! ([`ws`]); `answer` reads what came back, `resend` sends again what a closed
//! socket lost; [`AsteriskNodes`] names the servers one hotline drives. It knows
//! nothing about calls or routing.

mod answer;
pub mod events;
pub mod models;
mod nodes;
pub mod request;
mod resend;
pub mod rest;
pub mod socket_rest;
pub mod ws;

pub use events::AriEvent;
pub use nodes::AsteriskNodes;
pub use request::AriRequest;
pub use rest::{AriClient, AriClientSettings, AriCredentials, AriError, Gone, RecordingFile};
pub use socket_rest::SocketRole;
pub use ws::{AriMessage, EventSink, EventSocketState, run_events, run_request_socket};
