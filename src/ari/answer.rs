//! What came back for an ARI request, whichever way it went (HTTP, a socket, or
//! nothing), and its reading into a body or an [`AriError`].

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::rest::AriError;
use super::socket_rest::SocketReply;

/// What came back for a request, by the way it went.
pub(super) enum Answer {
    /// Over HTTP: status and body.
    Http(StatusCode, Vec<u8>),
    /// On a socket, its `RESTResponse`.
    Socket(SocketReply),
    /// None came: why.
    Lost(&'static str),
}

impl Answer {
    /// The body of a successful answer, whichever way it came; an error status
    /// becomes [`AriError::Status`] with Asterisk's message.
    pub(super) fn body(self, method: &Method, path: &str) -> Result<Vec<u8>, AriError> {
        let (status, bytes) = match self {
            Self::Http(status, bytes) => (status, bytes),
            Self::Socket(reply) => {
                let status = StatusCode::from_u16(reply.status).map_err(|_| AriError::Socket {
                    method: method.clone(),
                    path: path.to_owned(),
                    reason: "an invalid status code",
                })?;
                (status, reply.body.into_bytes())
            }
            Self::Lost(reason) => {
                return Err(AriError::Socket {
                    method: method.clone(),
                    path: path.to_owned(),
                    reason,
                });
            }
        };
        if status.is_success() {
            return Ok(bytes);
        }
        let message = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        Err(AriError::Status {
            method: method.clone(),
            path: path.to_owned(),
            status,
            message,
        })
    }
}
