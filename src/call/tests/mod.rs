//! The call state machine driven through virtual time, with real routing decisions
//! taken on the routing tests' directory (see `routing::tests` for who works when).

mod hunt;
mod menu;
mod queue;
mod recording;
mod teardown;
mod transfer;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::routing::tests::{at, directory};
use crate::routing::{NoRecency, RouteRequest, decide};

/// Tuesday 12 May 2026, 10:00 in Irkutsk: minzdrav, hospital and polyclinic work;
/// Петров (minzdrav) is on leave.
const WORKING: &str = "2026-05-12T10:00:00+08:00";
/// Tuesday 12 May 2026, 22:00 in Irkutsk: everyone is closed.
const NIGHT: &str = "2026-05-12T22:00:00+08:00";

/// One call, a virtual clock, and the routing instant decisions are taken at.
struct Harness {
    call: Call,
    now: DateTime<Utc>,
    route_at: DateTime<Utc>,
}

impl Harness {
    fn new(line: &str, route_at: &str) -> Self {
        Self::with_settings(line, route_at, CallSettings::default())
    }

    /// A call whose specialists' turn goes through the queue.
    fn queued(line: &str, route_at: &str) -> Self {
        let settings = CallSettings {
            specialist_queue: true,
            ..CallSettings::default()
        };
        Self::with_settings(line, route_at, settings)
    }

    fn with_settings(line: &str, route_at: &str, settings: CallSettings) -> Self {
        let now = at("2026-11-28T12:00:00+08:00");
        let start = CallStart {
            caller: ChannelId("c1".into()),
            line: LineNumber(line.into()),
            caller_number: "79021234567".into(),
            menu_prompt: format!("hotline/menu-{line}"),
            greeting_prompt: Some(format!("hotline/greeting-{line}")),
            digit_timeout_seconds: 5,
            menu_attempts: 2,
            record_calls: false,
        };
        Self {
            call: Call::new(start, settings, now),
            now,
            route_at: at(route_at),
        }
    }

    /// A call to a line that records its calls.
    fn recorded(line: &str, route_at: &str) -> Self {
        let mut harness = Self::new(line, route_at);
        let mut start = harness.call.start.clone();
        start.record_calls = true;
        harness.call = Call::new(start, CallSettings::default(), harness.now);
        harness
    }

    /// The same call, adopted from an instance that died.
    fn adopted(line: &str, route_at: &str) -> Self {
        let mut harness = Self::new(line, route_at);
        let start = harness.call.start.clone();
        harness.call = Call::adopted(start, CallSettings::default(), harness.now);
        harness
    }

    /// Drains the commands; answers `Decide` with the real policy, as the driver does.
    fn commands(&mut self) -> Vec<CallCommand> {
        let mut out = Vec::new();
        while let Some(command) = self.call.poll_command() {
            if let CallCommand::Decide(choice) = &command {
                let request = RouteRequest {
                    line: self.call.line().clone(),
                    choice: choice.clone(),
                    at: self.route_at,
                };
                let decision = decide(&directory(), &request, &NoRecency);
                self.call.handle_decision(self.now, decision);
            }
            if let CallCommand::DecideTransfer(topic) = &command {
                let request = RouteRequest {
                    line: self.call.line().clone(),
                    choice: MenuChoice::Topic(topic.clone()),
                    at: self.route_at,
                };
                let decision = decide(&directory(), &request, &NoRecency);
                self.call.handle_transfer_decision(self.now, decision);
            }
            out.push(command);
        }
        out
    }

    fn input(&mut self, input: CallInput) -> Vec<CallCommand> {
        self.call.handle_input(self.now, input);
        self.commands()
    }

    /// Moves virtual time on by `seconds`, firing the timeout if it is due.
    fn advance(&mut self, seconds: i64) -> Vec<CallCommand> {
        self.now += Duration::seconds(seconds);
        if self.call.poll_timeout().is_some_and(|t| t <= self.now) {
            self.call.handle_timeout(self.now);
        }
        self.commands()
    }

    /// Plays the menu to its end and presses `digit`.
    fn choose(&mut self, digit: char) -> Vec<CallCommand> {
        let menu = played(&self.commands());
        self.input(CallInput::PlaybackFinished(menu));
        self.input(CallInput::Dtmf(digit))
    }
}

fn played(commands: &[CallCommand]) -> PlaybackId {
    commands
        .iter()
        .rev()
        .find_map(|c| match c {
            CallCommand::Play { playback, .. } => Some(playback.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no playback in {commands:#?}"))
}

fn sounds_of(commands: &[CallCommand]) -> Vec<String> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::Play { sounds, .. } => Some(sounds.join("+")),
            _ => None,
        })
        .collect()
}

fn dialled(commands: &[CallCommand]) -> Vec<(String, String)> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::CreateLeg { leg, target, .. } => Some((leg.0.clone(), target.to_string())),
            _ => None,
        })
        .collect()
}

fn journal(commands: &[CallCommand]) -> Vec<&JournalEntry> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::Journal(entry) => Some(entry),
            _ => None,
        })
        .collect()
}

fn leg(id: &str) -> ChannelId {
    ChannelId(id.into())
}

/// Chooses `digit` and plays the announcement: returns the first dial commands.
fn hunt(h: &mut Harness, digit: char) -> Vec<CallCommand> {
    let announced = h.choose(digit);
    h.input(CallInput::PlaybackFinished(played(&announced)))
}
