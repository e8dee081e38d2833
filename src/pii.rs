//! [`Pii<T>`]: personal data (a citizen's phone number) that must not reach logs.
//!
//! `Debug` and `Display` print only a redacted form (the last two digits), so a
//! `tracing` field `caller = %Pii(number)` is safe; code that really needs the value
//! (the journal, the callee's display) reads `.0` explicitly.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Wraps personal data so that formatting it for logs redacts it. It serialises as
/// the bare value (the journal, its spool and the database need the number), so a
/// struct carrying a `Pii` field can derive `Debug` and be logged whole safely.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pii<T>(pub T);

impl<T: AsRef<str>> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.as_ref();
        let tail: String = text
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if text.chars().count() <= 2 {
            f.write_str("***")
        } else {
            write!(f, "***{tail}")
        }
    }
}

impl<T: AsRef<str>> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pii({self})")
    }
}

impl From<&str> for Pii<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Pii<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Comparing with plain text (tests, matching) reveals nothing in a log.
impl PartialEq<str> for Pii<String> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Pii<String> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Pii;

    #[test]
    fn a_phone_number_never_shows_in_full() {
        let number = Pii("79021234567");
        assert_eq!(number.to_string(), "***67");
        assert_eq!(format!("{number:?}"), "Pii(***67)");
        assert!(!format!("{number} {number:?}").contains("902123"));
        assert_eq!(Pii("7").to_string(), "***");
    }
}
