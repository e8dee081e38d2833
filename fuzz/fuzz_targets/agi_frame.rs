//! Fuzz target: the FastAGI frame parsers and command encoding.
//!
//! Feeds arbitrary bytes to a session the way `Connection` does (the environment
//! first, then reply frames one after another) and checks the parsers' contract:
//! no panic, consumed byte counts within the input and ending on a newline. Then, if
//! the input is UTF-8, checks that any text, made a value, reaches Asterisk as
//! exactly one word of exactly one `SET VARIABLE`, and as exactly its own value in an
//! `ARRAY` assignment.

#![no_main]

use hotline::agi::command::{assignments_like_asterisk, set_all, split_like_asterisk};
use hotline::agi::{AgiText, Command, Environment, ReplyFrame, VariableName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    if let Ok(Some((_, used))) = Environment::parse(rest) {
        assert!(used > 0 && used <= rest.len() && rest[used - 1] == b'\n');
        rest = &rest[used..];
    }
    while let Ok(Some((_, used))) = ReplyFrame::parse(rest) {
        assert!(used > 0 && used <= rest.len() && rest[used - 1] == b'\n');
        rest = &rest[used..];
    }

    if let Ok(text) = std::str::from_utf8(data) {
        let value = AgiText::new(text).unwrap_or_else(|_| AgiText::lossy(text));
        let name = VariableName::new("HOTLINE_FUZZ").unwrap();
        if let Ok(line) = Command::set(name, value.clone()).encode() {
            assert_eq!(line.matches('\n').count(), 1);
            assert_eq!(
                split_like_asterisk(&line),
                ["SET", "VARIABLE", "HOTLINE_FUZZ", value.as_str()]
            );
        }
        // The same text beside others in one `ARRAY` assignment, as the scripts send.
        let other = AgiText::new("x,(y)").unwrap();
        let pairs = vec![
            (VariableName::new("A").unwrap(), other.clone()),
            (VariableName::new("B").unwrap(), value.clone()),
            (VariableName::new("C").unwrap(), other.clone()),
        ];
        // Only a value too long for any one command is refused, as `set` refuses it.
        let Ok(lines) = set_all(pairs)
            .iter()
            .map(Command::encode)
            .collect::<Result<Vec<_>, _>>()
        else {
            return;
        };
        let mut sent = Vec::new();
        for line in lines {
            assert_eq!(line.matches('\n').count(), 1);
            sent.extend(assignments_like_asterisk(&line).unwrap());
        }
        let expected = [("A", other.as_str()), ("B", value.as_str()), ("C", other.as_str())];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(sent, expected);
    }
});
