//! One FastAGI session's socket: buffered reads into frames, command writes, and a
//! time limit on every exchange.
//!
//! Generic over the stream so tests drive it through `tokio::io::duplex` with byte
//! literals, and the server through a `TcpStream`.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};

use super::command::{Command, CommandError};
use super::frame::{Environment, FrameError, Reply, ReplyFrame};

/// Why a session could not go on. Each ends that session only.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// Asterisk sent something that is not AGI.
    #[error("protocol: {0}")]
    Frame(#[from] FrameError),
    /// A command we were about to send is unsafe; nothing was sent.
    #[error("command refused: {0}")]
    Command(#[from] CommandError),
    /// Asterisk did not answer within the per-command timeout.
    #[error("no answer from Asterisk within {0:?}")]
    Timeout(Duration),
    /// Asterisk closed the connection between frames.
    #[error("Asterisk closed the connection")]
    Closed,
    /// Asterisk closed the connection in the middle of a frame.
    #[error("Asterisk closed the connection in the middle of a frame ({0} bytes pending)")]
    Truncated(usize),
}

/// Reads frames from and writes commands to one AGI peer.
#[derive(Debug)]
pub struct Connection<S> {
    /// Writes are buffered so a command goes out in one segment; reads pass through.
    stream: BufWriter<S>,
    /// Bytes read but not yet parsed into a frame.
    buffer: Vec<u8>,
    /// Set once Asterisk sent `HANGUP`: later commands may be answered with 511,
    /// and scripts should stop doing anything that needs a live channel.
    hung_up: bool,
    /// How long one exchange (the environment, or a command and its reply) may take.
    command_timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// A connection over `stream` whose exchanges each time out after
    /// `command_timeout`.
    pub fn new(stream: S, command_timeout: Duration) -> Self {
        Self {
            stream: BufWriter::new(stream),
            buffer: Vec::with_capacity(4096),
            hung_up: false,
            command_timeout,
        }
    }

    /// True once Asterisk said the channel hung up.
    pub fn hung_up(&self) -> bool {
        self.hung_up
    }

    /// Reads the `agi_*` block that opens the session.
    pub async fn read_environment(&mut self) -> Result<Environment, ConnectionError> {
        let limit = self.command_timeout;
        tokio::time::timeout(limit, async {
            loop {
                if let Some((environment, used)) = Environment::parse(&self.buffer)? {
                    self.buffer.drain(..used);
                    return Ok(environment);
                }
                self.read_more().await?;
            }
        })
        .await
        .map_err(|_| ConnectionError::Timeout(limit))?
    }

    /// Sends `command` and waits for its reply, skipping `100 Trying` and noting a
    /// `HANGUP` that comes before it.
    pub async fn send(&mut self, command: &Command) -> Result<Reply, ConnectionError> {
        let line = command.encode()?;
        let limit = self.command_timeout;
        tokio::time::timeout(limit, async {
            self.stream.write_all(line.as_bytes()).await?;
            self.stream.flush().await?;
            loop {
                match self.read_frame().await? {
                    ReplyFrame::Reply(reply) => return Ok(reply),
                    ReplyFrame::Trying => {}
                    ReplyFrame::Hangup => self.hung_up = true,
                }
            }
        })
        .await
        .map_err(|_| ConnectionError::Timeout(limit))?
    }

    /// Flushes and closes our side; Asterisk then returns from `AGI()`.
    pub async fn shutdown(&mut self) -> Result<(), ConnectionError> {
        self.stream.shutdown().await?;
        Ok(())
    }

    async fn read_frame(&mut self) -> Result<ReplyFrame, ConnectionError> {
        loop {
            if let Some((frame, used)) = ReplyFrame::parse(&self.buffer)? {
                self.buffer.drain(..used);
                return Ok(frame);
            }
            self.read_more().await?;
        }
    }

    /// Appends what the socket has to the buffer; end of stream is an error here
    /// because we only read when a frame is expected.
    async fn read_more(&mut self) -> Result<(), ConnectionError> {
        self.buffer.reserve(4096);
        if self.stream.read_buf(&mut self.buffer).await? == 0 {
            return Err(if self.buffer.is_empty() {
                ConnectionError::Closed
            } else {
                ConnectionError::Truncated(self.buffer.len())
            });
        }
        Ok(())
    }
}
