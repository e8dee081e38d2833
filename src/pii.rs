//! [`Pii<T>`]: personal data (a citizen's phone number) that must not reach logs.
//!
//! `Debug` and `Display` print only a redacted form (the last two digits), so a
//! `tracing` field `caller = %Pii(number)` is safe; code that really needs the value
//! (the journal, the callee's display) reads `.0` explicitly.

use std::fmt;

/// Wraps personal data so that formatting it for logs redacts it.
#[derive(Clone, PartialEq, Eq, Hash)]
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
