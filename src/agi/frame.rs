//! The AGI wire format, parsed from bytes with no I/O: what Asterisk sends us.
//!
//! A FastAGI session opens with the **environment**: `agi_name: value` lines ended
//! by an empty line. After that, every command we send gets one **reply**:
//!
//! ```text
//! 200 result=1 (PJSIP/staff01) endpos=0   success, optional (data) and endpos
//! 100 result=0 Trying...                  intermediate; the real reply follows
//! 510 Invalid or unknown command
//! 511 Command Not Permitted on a dead channel or intercept routine
//! 520-Invalid command syntax.  Proper usage follows:
//! Usage: SET VARIABLE <variablename> <value>    (any number of lines)
//! 520 End of proper usage.
//! HANGUP                                  the channel hung up; may come at any time
//! ```
//!
//! Both parsers are incremental over a byte buffer, in the manner of mini-redis's
//! `Frame::check`/`parse`: they return `Ok(None)` when the buffer does not hold a
//! whole frame yet, `Ok(Some((frame, consumed)))` when it does, and an error as soon
//! as the bytes can no longer become a valid frame. Limits ([`MAX_LINE`],
//! [`MAX_FRAME`]) bound the memory a peer can make us hold, so a peer that never
//! sends a newline is refused after 8 KiB, not buffered for ever.
//!
//! Every line must be UTF-8, except the *values* of the caller-controlled variables
//! ([`CALLER_CONTROLLED`]): a caller name in cp1251 from an old trunk must not stop
//! the call from being routed, so those are decoded lossily.

use std::fmt;

/// Longest line accepted, newline included. Asterisk's own command buffer is 2 KiB;
/// environment values (a long caller name, an argument) stay well below this.
pub const MAX_LINE: usize = 8 * 1024;

/// Most bytes one frame (the whole environment, a multi-line 520 reply) may span.
pub const MAX_FRAME: usize = 64 * 1024;

/// Environment variables whose values come from the caller's side of the call and
/// may be in any encoding: decoded lossily (U+FFFD) instead of refusing the session.
pub const CALLER_CONTROLLED: &[&str] =
    &["agi_callerid", "agi_calleridname", "agi_dnid", "agi_rdnis"];

/// Why bytes from Asterisk are not an AGI frame. The session that sent them is
/// closed; no other session is affected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A line is longer than [`MAX_LINE`] (or no newline came within it).
    #[error("line {line} is longer than {MAX_LINE} bytes")]
    LineTooLong {
        /// 1-based line number within the frame.
        line: usize,
    },
    /// A frame is larger than [`MAX_FRAME`].
    #[error("frame is larger than {MAX_FRAME} bytes")]
    FrameTooLarge,
    /// A line is not valid UTF-8.
    #[error("line {line} is not valid UTF-8 (byte {byte} of the line)")]
    NotUtf8 {
        /// 1-based line number within the frame.
        line: usize,
        /// 0-based offset of the first invalid byte.
        byte: usize,
    },
    /// An environment line is not `agi_name: value`.
    #[error("environment line {line} is not `agi_name: value`: {text:?}")]
    MalformedEnvironment {
        /// 1-based line number.
        line: usize,
        /// The offending line (at most 80 characters of it).
        text: String,
    },
    /// A `200` reply does not read `200 result=N [(data)] [endpos=N]`.
    #[error("malformed 200 reply: {text:?}")]
    MalformedReply {
        /// The offending line (at most 80 characters of it).
        text: String,
    },
    /// A line that is no AGI reply at all.
    #[error("unexpected line from Asterisk: {text:?}")]
    UnexpectedLine {
        /// The offending line (at most 80 characters of it).
        text: String,
    },
}

/// The `agi_*` variables Asterisk sends when a session opens, in the order sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// Name (with its `agi_` prefix) and value, in order; names are unique.
    vars: Vec<(String, String)>,
}

impl Environment {
    /// Parses the environment block at the start of `buf`, up to and including its
    /// empty line. `Ok(None)`: not all of it has arrived yet.
    pub fn parse(buf: &[u8]) -> Result<Option<(Environment, usize)>, FrameError> {
        let mut vars: Vec<(String, String)> = Vec::new();
        let mut lines = Lines::new(buf);
        loop {
            let Some(raw) = lines.next_raw()? else {
                return Ok(None);
            };
            if raw.is_empty() {
                return Ok(Some((Environment { vars }, lines.consumed())));
            }
            let number = lines.number();
            let malformed = || FrameError::MalformedEnvironment {
                line: number,
                text: excerpt(&String::from_utf8_lossy(raw)),
            };
            // The name is ASCII by construction; find the separator in bytes so a
            // lossily decoded value cannot move it.
            let colon = raw.iter().position(|&b| b == b':').ok_or_else(malformed)?;
            let name = std::str::from_utf8(&raw[..colon]).map_err(|_| malformed())?;
            let valid_name = name.len() > 4
                && name.starts_with("agi_")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name || vars.iter().any(|(known, _)| known == name) {
                return Err(malformed());
            }
            let value = match &raw[colon + 1..] {
                [] => &[][..],
                [b' ', value @ ..] => value,
                _ => return Err(malformed()),
            };
            let value = if CALLER_CONTROLLED.contains(&name) {
                String::from_utf8_lossy(value).into_owned()
            } else {
                utf8(value, number, colon + 2)?.to_owned()
            };
            vars.push((name.to_owned(), value));
        }
    }

    /// The value of `name` (with its `agi_` prefix), if Asterisk sent it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }

    /// The script part of the FastAGI URL: `route` for `agi://host:4573/route`.
    pub fn network_script(&self) -> Option<&str> {
        self.get("agi_network_script")
    }

    /// The `AGI()` arguments, `agi_arg_1` onwards, up to the first number missing.
    pub fn args(&self) -> Vec<&str> {
        (1..)
            .map_while(|n| self.get(&format!("agi_arg_{n}")))
            .collect()
    }

    /// The channel's unique id: the journal's call key.
    pub fn unique_id(&self) -> Option<&str> {
        self.get("agi_uniqueid")
    }

    /// The caller's number, or `None` when Asterisk says `unknown`.
    pub fn caller_number(&self) -> Option<&str> {
        self.get("agi_callerid")
            .filter(|number| !number.is_empty() && *number != "unknown")
    }

    /// The channel's name, for logs.
    pub fn channel(&self) -> Option<&str> {
        self.get("agi_channel")
    }

    /// Every variable, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The answer to one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `200 result=N [(data)] [endpos=N]`: the command ran.
    Success {
        /// The command's result code (meaning depends on the command).
        result: i64,
        /// The text in parentheses: a variable's value, `timeout`, ...
        data: Option<String>,
        /// Where playback stopped, for the streaming commands.
        endpos: Option<u64>,
    },
    /// `510`: Asterisk does not know the command; a bug on our side.
    InvalidCommand {
        /// The rest of the line.
        message: String,
    },
    /// `511`: the channel hung up and the command needs a live one.
    DeadChannel {
        /// The rest of the line.
        message: String,
    },
    /// `520`: the command's syntax is wrong; Asterisk explains the proper usage.
    Usage {
        /// The usage lines between `520-…` and `520 End of proper usage.`; empty for
        /// the single-line form.
        lines: Vec<String>,
    },
}

impl Reply {
    /// The data of a `200` reply with result 1: how `GET VARIABLE` says "set, and
    /// this is its value". `None` for an unset variable or any other reply.
    pub fn value(&self) -> Option<&str> {
        match self {
            Reply::Success {
                result: 1,
                data: Some(data),
                ..
            } => Some(data),
            _ => None,
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Success { result, data, .. } => match data {
                Some(data) => write!(f, "200 result={result} ({data})"),
                None => write!(f, "200 result={result}"),
            },
            Reply::InvalidCommand { message } => write!(f, "510 {message}"),
            Reply::DeadChannel { message } => write!(f, "511 {message}"),
            Reply::Usage { lines } => write!(f, "520 usage: {}", lines.join(" / ")),
        }
    }
}

/// One unit Asterisk sends after the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyFrame {
    /// The final answer to the command in flight.
    Reply(Reply),
    /// `100 …`: Asterisk is working on it; the reply follows.
    Trying,
    /// `HANGUP`: the channel hung up. Not an answer: the reply to the command in
    /// flight (if any) still follows.
    Hangup,
}

impl ReplyFrame {
    /// Parses one frame at the start of `buf`. `Ok(None)`: incomplete.
    pub fn parse(buf: &[u8]) -> Result<Option<(ReplyFrame, usize)>, FrameError> {
        let mut lines = Lines::new(buf);
        let Some(first) = lines.next_str()? else {
            return Ok(None);
        };
        let frame = if first == "HANGUP" {
            ReplyFrame::Hangup
        } else if first == "100" || first.starts_with("100 ") {
            ReplyFrame::Trying
        } else if let Some(rest) = first.strip_prefix("200 ") {
            ReplyFrame::Reply(
                parse_success(rest).ok_or_else(|| FrameError::MalformedReply {
                    text: excerpt(first),
                })?,
            )
        } else if let Some(message) = status_message(first, "510") {
            ReplyFrame::Reply(Reply::InvalidCommand { message })
        } else if let Some(message) = status_message(first, "511") {
            ReplyFrame::Reply(Reply::DeadChannel { message })
        } else if first.starts_with("520-") {
            let mut usage = Vec::new();
            loop {
                let Some(line) = lines.next_str()? else {
                    return Ok(None);
                };
                if line.starts_with("520 ") || line == "520" {
                    break;
                }
                usage.push(line.to_owned());
            }
            ReplyFrame::Reply(Reply::Usage { lines: usage })
        } else if status_message(first, "520").is_some() {
            ReplyFrame::Reply(Reply::Usage { lines: Vec::new() })
        } else {
            return Err(FrameError::UnexpectedLine {
                text: excerpt(first),
            });
        };
        Ok(Some((frame, lines.consumed())))
    }
}

/// `510 text` or a bare `510` → `Some("text")`.
fn status_message(line: &str, code: &str) -> Option<String> {
    let rest = line.strip_prefix(code)?;
    if rest.is_empty() {
        Some(String::new())
    } else {
        rest.strip_prefix(' ').map(str::to_owned)
    }
}

/// `result=N [(data)] [endpos=N]` (after `200 `).
fn parse_success(rest: &str) -> Option<Reply> {
    let rest = rest.strip_prefix("result=")?;
    let number_end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    let result: i64 = rest[..number_end].parse().ok()?;
    let mut rest = &rest[number_end..];
    // endpos comes last; a data text that merely contains "endpos=" stays data
    // because then the tail is not all digits (it ends with the closing parenthesis).
    let mut endpos = None;
    if let Some((head, tail)) = rest.rsplit_once(" endpos=")
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
    {
        endpos = Some(tail.parse().ok()?);
        rest = head;
    }
    let data = if rest.is_empty() {
        None
    } else {
        Some(rest.strip_prefix(" (")?.strip_suffix(')')?.to_owned())
    };
    Some(Reply::Success {
        result,
        data,
        endpos,
    })
}

/// A cursor over the lines of a buffer, enforcing the limits.
struct Lines<'a> {
    buf: &'a [u8],
    /// Bytes of the buffer consumed by the lines returned so far.
    pos: usize,
    /// Lines returned so far.
    count: usize,
}

impl<'a> Lines<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            count: 0,
        }
    }

    /// The next whole line without its `\n` (and `\r`), or `None` if it has not
    /// fully arrived.
    fn next_raw(&mut self) -> Result<Option<&'a [u8]>, FrameError> {
        let rest = &self.buf[self.pos..];
        let line = self.count + 1;
        let Some(newline) = rest.iter().take(MAX_LINE).position(|&b| b == b'\n') else {
            if rest.len() >= MAX_LINE {
                return Err(FrameError::LineTooLong { line });
            }
            if self.buf.len() > MAX_FRAME {
                return Err(FrameError::FrameTooLarge);
            }
            return Ok(None);
        };
        if self.pos + newline + 1 > MAX_FRAME {
            return Err(FrameError::FrameTooLarge);
        }
        self.pos += newline + 1;
        self.count = line;
        let raw = &rest[..newline];
        Ok(Some(raw.strip_suffix(b"\r").unwrap_or(raw)))
    }

    /// Like [`Lines::next_raw`], as UTF-8.
    fn next_str(&mut self) -> Result<Option<&'a str>, FrameError> {
        match self.next_raw()? {
            Some(raw) => utf8(raw, self.count, 0).map(Some),
            None => Ok(None),
        }
    }

    /// 1-based number of the line last returned.
    fn number(&self) -> usize {
        self.count
    }

    fn consumed(&self) -> usize {
        self.pos
    }
}

/// `bytes` as UTF-8, or the error naming the line and the offset (`base` is the
/// offset of `bytes` within the line).
fn utf8(bytes: &[u8], line: usize, base: usize) -> Result<&str, FrameError> {
    std::str::from_utf8(bytes).map_err(|error| FrameError::NotUtf8 {
        line,
        byte: base + error.valid_up_to(),
    })
}

/// At most 80 characters of a line, for error messages.
fn excerpt(text: &str) -> String {
    text.chars().take(80).collect()
}
