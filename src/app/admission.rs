//! Load shedding: whether a new call may enter the app, or goes straight to the
//! dialplan fallback because Asterisk is already overloaded.
//!
//! Why: past its capacity, every call slows down together. REST requests wait in
//! Asterisk's queues, digits reach staff seconds late, callers hang up before staff
//! ring, and nearly every call fails, not just the excess. Handing new calls to the
//! dialplan's specialists' fallback at once (two requests instead of a dozen) keeps
//! the calls already in the app working.
//!
//! The signal is the recent round trip of our own REST requests, measured on our
//! side (no clock shared with Asterisk is needed): a few milliseconds when Asterisk
//! keeps up, hundreds when it does not. Shedding starts above `shed_above` and stops
//! only below half of it, so a call rate near the limit does not flap.

use std::time::Duration;

/// The admission gate for new calls. Pure: the caller passes the latest latency.
#[derive(Clone, Debug)]
pub struct Admission {
    shed_above: Option<Duration>,
    shedding: bool,
}

/// What to do with a new call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Take it into the app.
    Admit,
    /// Hand it to the dialplan fallback; `latency` is why.
    Shed {
        /// The REST round trip that made us shed.
        latency: Duration,
    },
}

impl Admission {
    /// A gate that sheds above `shed_above`; `None` admits every call.
    pub fn new(shed_above: Option<Duration>) -> Self {
        Self {
            shed_above,
            shedding: false,
        }
    }

    /// Decides for one new call, given the recent REST round trip.
    pub fn decide(&mut self, latency: Duration) -> Verdict {
        let Some(limit) = self.shed_above else {
            return Verdict::Admit;
        };
        self.shedding = if self.shedding {
            latency >= limit / 2
        } else {
            latency > limit
        };
        if self.shedding {
            Verdict::Shed { latency }
        } else {
            Verdict::Admit
        }
    }

    /// True while new calls are being shed.
    pub fn is_shedding(&self) -> bool {
        self.shedding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn sheds_above_the_limit_and_admits_again_only_below_half_of_it() {
        let mut gate = Admission::new(Some(ms(200)));
        // (latency, expected shedding after it)
        let steps = [
            (3, false),
            (200, false), // at the limit: still admitted
            (201, true),
            (150, true), // below the limit, above half: still shedding
            (100, true), // exactly half: still shedding
            (99, false),
            (150, false), // below the limit again: admitted
            (900, true),
        ];
        for (latency, shedding) in steps {
            let verdict = gate.decide(ms(latency));
            assert_eq!(gate.is_shedding(), shedding, "after {latency} ms");
            let expected = if shedding {
                Verdict::Shed {
                    latency: ms(latency),
                }
            } else {
                Verdict::Admit
            };
            assert_eq!(verdict, expected, "at {latency} ms");
        }
    }

    #[test]
    fn without_a_limit_every_call_is_admitted() {
        let mut gate = Admission::new(None);
        assert_eq!(gate.decide(Duration::from_secs(30)), Verdict::Admit);
        assert!(!gate.is_shedding());
    }
}
