//! Gaps in the directory: what `hotline directory check` prints before a shift goes
//! wrong, rather than after a caller was left with the specialists.
//!
//! A snapshot can be valid (every reference resolves, see
//! [`DirectorySnapshot::validated`]) and still route badly. [`check`] looks for:
//!
//! - menu digits that lead nowhere (an unknown topic) and lines with an empty menu;
//!   a digit without a topic is fine, it asks for a specialist;
//! - topics with a responsible agency but no staff anywhere;
//! - for each day of a range, each working interval of each organisation with staff
//!   on a topic in which none of those staff is reachable (inactive, or absent that
//!   local day) — the call would go to `nobody_reachable`;
//! - topics with staff whose organisations are never open in the whole range;
//! - no active contact-center specialist at all (nobody to fall back to).
//!
//! Pure: the range is a parameter; absences and holidays are read per local date of
//! each organisation, exactly as the policy reads them.

use std::fmt;

use chrono::{Days, NaiveDate};

use super::index::{RosterEntry, TopicRoster};
use super::model::{DirectorySnapshot, Interval, LineNumber, OrganisationCode, TopicCode};

/// One gap found by [`check`]. Messages are in English with the directory's Russian
/// names, as roster editors know them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gap {
    /// A menu digit leads to a topic the directory does not have.
    MenuDigitToUnknownTopic {
        /// The line.
        line: LineNumber,
        /// The digit.
        digit: char,
        /// The missing topic.
        topic: TopicCode,
    },
    /// A line whose menu offers nothing: every call ends as `invalid_digit`/`no_input`.
    EmptyMenu {
        /// The line.
        line: LineNumber,
    },
    /// A topic with a responsible agency but no staff on it in any organisation.
    TopicWithoutStaff {
        /// The topic.
        topic: TopicCode,
        /// Its Russian name.
        name_ru: String,
    },
    /// A working interval of an organisation with staff on the topic in which none of
    /// them can be reached.
    NobodyReachable {
        /// The topic.
        topic: TopicCode,
        /// The organisation.
        organisation: OrganisationCode,
        /// Its name.
        organisation_name: String,
        /// The local date.
        date: NaiveDate,
        /// The working interval.
        interval: Interval,
        /// Why each of its staff on the topic is out.
        unreachable: Vec<Unreachable>,
    },
    /// A topic with staff whose organisations are closed on every day of the range.
    TopicNeverOpen {
        /// The topic.
        topic: TopicCode,
        /// Its Russian name.
        name_ru: String,
        /// First day checked.
        from: NaiveDate,
        /// Last day checked.
        to: NaiveDate,
    },
    /// Nobody to take the calls staff cannot.
    NoActiveSpecialists,
}

/// A warning of `hotline directory check`: a production calendar year due soon (this
/// year, or from 1 October the next) runs on the statutory rule alone because its
/// decree is not loaded. Days the decree will move would be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnconfirmedYear(pub i32);

impl fmt::Display for UnconfirmedYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let year = self.0;
        write!(
            f,
            "warning: production calendar {year} is unconfirmed: no decree loaded, days off follow \
             the Labour Code rule only; import it: hotline calendar import calendar/{year}.txt \
             (производственный календарь на {year} год не подтверждён: постановление о переносе \
             выходных не загружено)"
        )
    }
}

/// A staff member who cannot take calls on a day, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    /// Their full name.
    pub name: String,
    /// Why.
    pub why: UnreachableWhy,
}

/// Why a staff member cannot take calls on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnreachableWhy {
    /// Taken off the rosters (`active = false`).
    Inactive,
    /// On leave, sick, on a trip.
    Absent {
        /// The absence's reason as entered ("отпуск").
        reason: String,
        /// The absence's last day.
        last_day: NaiveDate,
    },
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            UnreachableWhy::Inactive => write!(f, "{} inactive", self.name),
            UnreachableWhy::Absent { reason, last_day } if reason.is_empty() => {
                write!(f, "{} absent until {last_day}", self.name)
            }
            UnreachableWhy::Absent { reason, last_day } => {
                write!(f, "{} absent ({reason}) until {last_day}", self.name)
            }
        }
    }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MenuDigitToUnknownTopic { line, digit, topic } => write!(
                f,
                "line {line}: digit {digit} leads to unknown topic `{topic}` (цифра ведёт к несуществующей теме)"
            ),
            Self::EmptyMenu { line } => {
                write!(f, "line {line}: the menu is empty (в меню нет ни одного пункта)")
            }
            Self::TopicWithoutStaff { topic, name_ru } => write!(
                f,
                "{topic} («{name_ru}»): no organisation has staff on the topic (нет ответственных сотрудников)"
            ),
            Self::NobodyReachable {
                topic,
                organisation_name,
                date,
                interval,
                unreachable,
                ..
            } => {
                write!(
                    f,
                    "{topic}: {organisation_name} {date} {interval} nobody reachable ("
                )?;
                for (index, person) in unreachable.iter().enumerate() {
                    if index > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{person}")?;
                }
                f.write_str(")")
            }
            Self::TopicNeverOpen {
                topic,
                name_ru,
                from,
                to,
            } => write!(
                f,
                "{topic} («{name_ru}»): none of its organisations is open from {from} to {to} (ни одна организация не работает)"
            ),
            Self::NoActiveSpecialists => f.write_str(
                "no active contact-center specialist: nobody takes the calls staff cannot (нет активных специалистов)",
            ),
        }
    }
}

/// Finds the gaps of a snapshot over `days` days starting at `from` (local dates of
/// each organisation). Lines, then topics by code, then days, then organisations in
/// the topic's order.
pub fn check(snapshot: &DirectorySnapshot, from: NaiveDate, days: u32) -> Vec<Gap> {
    let mut gaps = Vec::new();
    check_menus(snapshot, &mut gaps);
    let index = snapshot.routing_index();
    let mut rosters: Vec<&TopicRoster> = index.rosters.values().map(|r| &**r).collect();
    rosters.sort_by(|a, b| a.topic.code.cmp(&b.topic.code));
    let dates: Vec<NaiveDate> = (0..days)
        .map_while(|offset| from.checked_add_days(Days::new(offset.into())))
        .collect();
    for roster in rosters.into_iter().filter(|r| r.topic.agency.is_some()) {
        check_topic(snapshot, roster, &dates, &mut gaps);
    }
    if !snapshot
        .specialists
        .iter()
        .any(|specialist| specialist.active)
    {
        gaps.push(Gap::NoActiveSpecialists);
    }
    gaps
}

fn check_menus(snapshot: &DirectorySnapshot, gaps: &mut Vec<Gap>) {
    for line in snapshot.lines.values() {
        if line.menu.is_empty() {
            gaps.push(Gap::EmptyMenu {
                line: line.number.clone(),
            });
        }
        for item in line.menu.values() {
            if let Some(topic) = &item.topic
                && !snapshot.topics.contains_key(topic)
            {
                gaps.push(Gap::MenuDigitToUnknownTopic {
                    line: line.number.clone(),
                    digit: item.digit,
                    topic: topic.clone(),
                });
            }
        }
    }
}

fn check_topic(
    snapshot: &DirectorySnapshot,
    roster: &TopicRoster,
    dates: &[NaiveDate],
    gaps: &mut Vec<Gap>,
) {
    let topic = &roster.topic;
    if roster.organisations.is_empty() {
        gaps.push(Gap::TopicWithoutStaff {
            topic: topic.code.clone(),
            name_ru: topic.name_ru.clone(),
        });
        return;
    }
    let mut ever_open = false;
    for &date in dates {
        for org in &roster.organisations {
            let day = org.organisation.day_schedule(&snapshot.calendar, date);
            if day.intervals.is_empty() {
                continue;
            }
            ever_open = true;
            let staff = &roster.staff[org.staff.clone()];
            if staff.iter().any(|entry| entry.reachable_on(date)) {
                continue;
            }
            let unreachable: Vec<Unreachable> =
                staff.iter().map(|entry| unreachable(entry, date)).collect();
            for interval in day.intervals.iter() {
                gaps.push(Gap::NobodyReachable {
                    topic: topic.code.clone(),
                    organisation: org.organisation.code.clone(),
                    organisation_name: org.organisation.name.clone(),
                    date,
                    interval: *interval,
                    unreachable: unreachable.clone(),
                });
            }
        }
    }
    if !ever_open && let (Some(first), Some(last)) = (dates.first(), dates.last()) {
        gaps.push(Gap::TopicNeverOpen {
            topic: topic.code.clone(),
            name_ru: topic.name_ru.clone(),
            from: *first,
            to: *last,
        });
    }
}

/// Why someone the check found unreachable on a date is out: inactive, or else (as
/// they are unreachable) absent.
fn unreachable(entry: &RosterEntry, date: NaiveDate) -> Unreachable {
    let absence = entry.absence_on(date).filter(|_| entry.staff.active);
    let why = match absence {
        Some(absence) => UnreachableWhy::Absent {
            reason: absence.reason.clone(),
            last_day: absence.last_day,
        },
        None => UnreachableWhy::Inactive,
    };
    Unreachable {
        name: entry.staff.full_name.clone(),
        why,
    }
}
