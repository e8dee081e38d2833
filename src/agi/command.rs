//! The AGI commands we send, typed, and the one place that turns them into bytes.
//!
//! Asterisk reads a command as one line and splits it into words at spaces, except
//! inside double quotes, where `\"` and `\\` stand for a quote and a backslash
//! (`parse_args()` in `res_agi.c`). So a value is safe to send when it is quoted,
//! its `"` and `\` are escaped, and it holds no line break or other control
//! character: it then reaches Asterisk as exactly one argument of exactly one
//! command. [`AgiText`] refuses control characters when built (or replaces them,
//! for free text), [`VariableName`] allows only `[A-Za-z_][A-Za-z0-9_]*`, and
//! [`Command::encode`] quotes and escapes.
//!
//! One more trap: Asterisk reads commands into a 2048-byte buffer, and the part of
//! an over-long line beyond it is read as the *next command*. [`Command::encode`]
//! therefore refuses any command longer than [`MAX_COMMAND`] instead of sending it.
//!
//! # Several variables in one round trip
//! Every command is a round trip, and Asterisk reads the socket through a stdio
//! buffer, so commands cannot be pipelined: a second command written before the
//! first reply waits in that buffer until more bytes arrive (measured on Asterisk
//! 22). A script therefore sets its variables with [`Command::SetVariables`]
//! (`SET VARIABLE "ARRAY(A,B)" "a,b"`: the `ARRAY` function splits the value the
//! way applications split their arguments, so `\`, `,`, quotes and brackets in a
//! value are escaped for it first, then the whole is quoted for AGI) and reads them
//! with [`Command::GetVariables`] (`GET FULL VARIABLE` of `${LEN(${A})}:${A}…`:
//! each value comes with its byte length, so no value can fake a separator).
//! [`set_all`] packs a list of assignments into as few commands as fit.

use std::fmt::{self, Write as _};

/// Longest command line we send, newline included; Asterisk's buffer
/// (`AGI_BUF_LEN`) is 2048 bytes and splits anything longer into two commands.
pub const MAX_COMMAND: usize = 2000;

/// Longest variable name accepted (Asterisk has no hard limit; ours are short).
pub const MAX_VARIABLE_NAME: usize = 80;

/// Why a command was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A value holds a control character (newline, CR, NUL, ...) that could end
    /// the command line early.
    #[error("value holds control character U+{code:04X} at byte {at}")]
    ControlCharacter {
        /// The character's code point.
        code: u32,
        /// Its byte offset in the value.
        at: usize,
    },
    /// A variable name outside `[A-Za-z_][A-Za-z0-9_]*` (1..=80): it would be sent
    /// unquoted, so it must not contain anything but a plain name.
    #[error("{name:?} is not a plain channel variable name")]
    BadVariableName {
        /// The refused name (at most 80 characters of it).
        name: String,
    },
    /// The encoded command is longer than [`MAX_COMMAND`]; Asterisk would split it.
    #[error("command is {len} bytes long, more than the {MAX_COMMAND} Asterisk reads as one")]
    TooLong {
        /// The encoded length.
        len: usize,
    },
}

/// A channel variable's name, safe to send unquoted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariableName(String);

impl VariableName {
    /// Accepts `[A-Za-z_][A-Za-z0-9_]*`, 1..=80 bytes: no function call syntax, no
    /// spaces, nothing Asterisk would read as a second argument.
    pub fn new(name: impl Into<String>) -> Result<Self, CommandError> {
        let name = name.into();
        let mut bytes = name.bytes();
        let valid = (1..=MAX_VARIABLE_NAME).contains(&name.len())
            && bytes
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(Self(name))
        } else {
            Err(CommandError::BadVariableName {
                name: name.chars().take(80).collect(),
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VariableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that can travel as one quoted AGI argument: no control characters (nor the
/// Unicode line and paragraph separators). Quotes and backslashes are allowed; they
/// are escaped when the command is encoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AgiText(String);

impl AgiText {
    /// Accepts `text` if it holds no control character; otherwise says where one is.
    pub fn new(text: impl Into<String>) -> Result<Self, CommandError> {
        let text = text.into();
        match text.char_indices().find(|&(_, c)| is_forbidden(c)) {
            Some((at, c)) => Err(CommandError::ControlCharacter {
                code: u32::from(c),
                at,
            }),
            None => Ok(Self(text)),
        }
    }

    /// Free text (a reason, a name from the directory): every control character
    /// becomes a space, so it always makes a valid value.
    pub fn lossy(text: &str) -> Self {
        Self(
            text.chars()
                .map(|c| if is_forbidden(c) { ' ' } else { c })
                .collect(),
        )
    }

    /// Cuts the text to at most `max_bytes` bytes at a character boundary, with `…`
    /// at the end when something was cut; used for free text that must leave room
    /// in the command line.
    pub fn truncated(mut self, max_bytes: usize) -> Self {
        const ELLIPSIS: &str = "…";
        if self.0.len() <= max_bytes {
            return self;
        }
        let mut cut = max_bytes.saturating_sub(ELLIPSIS.len());
        while !self.0.is_char_boundary(cut) {
            cut -= 1;
        }
        self.0.truncate(cut);
        if max_bytes >= ELLIPSIS.len() {
            self.0.push_str(ELLIPSIS);
        }
        self
    }

    /// The text as Asterisk will store it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The commands the scripts send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `SET VARIABLE name "value"`: how a script hands its results to the dialplan.
    SetVariable {
        /// Which variable.
        name: VariableName,
        /// Its new value (empty clears it).
        value: AgiText,
    },
    /// `GET VARIABLE name`: reads what the dialplan (or `Dial`) left on the channel.
    GetVariable {
        /// Which variable.
        name: VariableName,
    },
    /// `VERBOSE "message" level`: a line in Asterisk's own log, for the admin.
    Verbose {
        /// The line.
        message: AgiText,
        /// Verbosity level 1..=4.
        level: u8,
    },
    /// `NOOP`: a round trip that does nothing; a liveness probe.
    Noop,
    /// `SET VARIABLE "ARRAY(n1,…)" "v1,…"`: several variables in one round trip, set
    /// in order. Built by [`set_all`], which keeps it under [`MAX_COMMAND`].
    SetVariables {
        /// The assignments, two or more.
        pairs: Vec<(VariableName, AgiText)>,
    },
    /// `GET FULL VARIABLE "${LEN(${n1})}:${n1}…"`: several variables in one round
    /// trip; [`split_lengths`] takes the reply apart. An unset variable reads as
    /// empty.
    GetVariables {
        /// Which variables, in the order their values come back.
        names: Vec<VariableName>,
    },
}

impl Command {
    /// Sets `name` to `value`.
    pub fn set(name: VariableName, value: AgiText) -> Self {
        Self::SetVariable { name, value }
    }

    /// Reads `name`.
    pub fn get(name: VariableName) -> Self {
        Self::GetVariable { name }
    }

    /// The command line, newline included, or why it cannot be sent.
    pub fn encode(&self) -> Result<String, CommandError> {
        let line = match self {
            Command::SetVariable { name, value } => {
                format!("SET VARIABLE {name} {}\n", quote(value))
            }
            Command::GetVariable { name } => format!("GET VARIABLE {name}\n"),
            Command::Verbose { message, level } => {
                format!("VERBOSE {} {}\n", quote(message), (*level).clamp(1, 4))
            }
            Command::Noop => "NOOP\n".to_owned(),
            Command::SetVariables { pairs } => {
                let mut line = String::with_capacity(MAX_COMMAND);
                line.push_str(ARRAY_HEAD);
                for (i, (name, _)) in pairs.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(name.as_str());
                }
                line.push_str(ARRAY_MIDDLE);
                for (i, (_, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    push_array_value(&mut line, value.as_str());
                }
                line.push_str("\"\n");
                line
            }
            Command::GetVariables { names } => {
                let mut line = String::from("GET FULL VARIABLE \"");
                for name in names {
                    // `${LEN(${NAME})}:${NAME}`; names need no escaping.
                    write!(line, "${{LEN(${{{name}}})}}:${{{name}}}").expect("to a String");
                }
                line.push_str("\"\n");
                line
            }
        };
        if line.len() > MAX_COMMAND {
            return Err(CommandError::TooLong { len: line.len() });
        }
        Ok(line)
    }
}

/// Where a [`Command::SetVariables`] line starts, up to its first variable name.
const ARRAY_HEAD: &str = "SET VARIABLE \"ARRAY(";
/// Between the names and the values.
const ARRAY_MIDDLE: &str = ")\" \"";
/// The most variables one `ARRAY` takes (Asterisk declares 100 argument slots).
const MAX_ARRAY: usize = 64;

/// What `ARRAY` (`ast_app_separate_args`) reads as syntax in a value: escaped with
/// `\` so it stays text. Escaping a character that needs none is harmless.
fn array_special(c: char) -> bool {
    matches!(
        c,
        '\\' | ',' | '(' | ')' | '"' | '\'' | '[' | ']' | '{' | '}' | '|'
    )
}

/// Appends `value` escaped for `ARRAY` and then for AGI's quoted word.
fn push_array_value(line: &mut String, value: &str) {
    for c in value.chars() {
        if array_special(c) {
            // `\c` for ARRAY, whose `\` AGI needs as `\\`.
            line.push_str("\\\\");
        }
        if matches!(c, '"' | '\\') {
            line.push('\\');
        }
        line.push(c);
    }
}

/// The bytes [`push_array_value`] writes for `value`.
fn array_value_len(value: &str) -> usize {
    value
        .chars()
        .map(|c| {
            let escape = if array_special(c) { 2 } else { 0 };
            let quote = usize::from(matches!(c, '"' | '\\'));
            c.len_utf8() + escape + quote
        })
        .sum()
}

/// The commands that set `pairs` in order, in as few round trips as fit: runs of
/// assignments become one [`Command::SetVariables`] each, no longer than
/// [`MAX_COMMAND`]; an assignment alone in its run (or too long to share one) goes
/// as a plain `SET VARIABLE`. A later variable is never set before an earlier one,
/// so a script that sets its "done" flag last keeps that guarantee.
pub fn set_all(pairs: impl IntoIterator<Item = (VariableName, AgiText)>) -> Vec<Command> {
    // `SET VARIABLE "ARRAY(` `)" "` `"\n`: an ARRAY line without its names and values.
    const FIXED: usize = ARRAY_HEAD.len() + ARRAY_MIDDLE.len() + 2;
    let mut commands = Vec::new();
    let mut run: Vec<(VariableName, AgiText)> = Vec::new();
    let mut run_len = FIXED;
    let flush =
        |run: &mut Vec<(VariableName, AgiText)>, commands: &mut Vec<Command>| match run.len() {
            0 => {}
            1 => {
                let (name, value) = run.pop().expect("one");
                commands.push(Command::set(name, value));
            }
            _ => commands.push(Command::SetVariables {
                pairs: std::mem::take(run),
            }),
        };
    for (name, value) in pairs {
        let len = name.as_str().len() + array_value_len(value.as_str());
        // Unless first in its run, a comma before the name and one before the value.
        if !run.is_empty() && (run_len + len + 2 > MAX_COMMAND || run.len() == MAX_ARRAY) {
            flush(&mut run, &mut commands);
            run_len = FIXED;
        }
        run_len += len + if run.is_empty() { 0 } else { 2 };
        run.push((name, value));
    }
    flush(&mut run, &mut commands);
    commands
}

/// The values of a [`Command::GetVariables`] reply (`3:abc0:12:…`), or `None` if it
/// does not hold exactly `count` length-prefixed values (Asterisk cut it short).
pub fn split_lengths(mut data: &str, count: usize) -> Option<Vec<String>> {
    let mut values = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, rest) = data.split_once(':')?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let len: usize = len.parse().ok()?;
        let value = rest.get(..len)?;
        values.push(value.to_owned());
        data = &rest[len..];
    }
    data.is_empty().then_some(values)
}

/// How `ARRAY` splits the value it is given into values: a model of
/// `ast_app_separate_args` (commas separate outside quotes and parentheses; `"`
/// toggles quoting and is dropped; `\` makes the next character plain and is
/// dropped). Tests and the fuzz target use it beside [`split_like_asterisk`].
pub fn split_like_array(value: &str) -> Vec<String> {
    let mut values = vec![String::new()];
    let (mut quoted, mut escaped, mut depth) = (false, false, 0usize);
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else {
            match c {
                '\\' => {
                    escaped = true;
                    continue;
                }
                '"' => {
                    quoted = !quoted;
                    continue;
                }
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                ',' if !quoted && depth == 0 => {
                    values.push(String::new());
                    continue;
                }
                _ => {}
            }
        }
        values.last_mut().expect("never empty").push(c);
    }
    values
}

/// The assignments Asterisk makes for a `SET VARIABLE` line, plain or `ARRAY`:
/// [`split_like_asterisk`], then [`split_like_array`] for `ARRAY`'s value. `None`
/// for any other line. The model tests and the fuzz target check encoding against.
pub fn assignments_like_asterisk(line: &str) -> Option<Vec<(String, String)>> {
    let words = split_like_asterisk(line);
    let [set, variable, name, value] = words.as_slice() else {
        return None;
    };
    if (set.as_str(), variable.as_str()) != ("SET", "VARIABLE") {
        return None;
    }
    Some(
        match name
            .strip_prefix("ARRAY(")
            .and_then(|n| n.strip_suffix(')'))
        {
            Some(names) => names
                .split(',')
                .map(str::to_owned)
                .zip(split_like_array(value))
                .collect(),
            None => vec![(name.clone(), value.clone())],
        },
    )
}

/// `"text"` with `"` and `\` escaped as `res_agi.c`'s `parse_args()` expects.
fn quote(text: &AgiText) -> String {
    let mut quoted = String::with_capacity(text.0.len() + 2);
    quoted.push('"');
    for c in text.0.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// How Asterisk splits a command line into words: a model of `parse_args()` in
/// `res_agi.c` (quotes group, `\` escapes the next character, spaces and tabs
/// separate), reading only up to the first newline as Asterisk does. Tests and the
/// fuzz target use it to prove that an encoded command reaches Asterisk as exactly
/// the words we meant.
pub fn split_like_asterisk(line: &str) -> Vec<String> {
    let line = line.split('\n').next().unwrap_or_default();
    let mut words: Vec<String> = Vec::new();
    let (mut quoted, mut escaped, mut between_words) = (false, false, true);
    for c in line.chars() {
        match c {
            '"' if !escaped => {
                quoted = !quoted;
                if quoted && between_words {
                    words.push(String::new());
                    between_words = false;
                }
            }
            ' ' | '\t' if !quoted && !escaped => between_words = true,
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            _ => {
                if between_words {
                    words.push(String::new());
                    between_words = false;
                }
                words.last_mut().expect("a word was started").push(c);
            }
        }
        escaped = false;
    }
    words
}
