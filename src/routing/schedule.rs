//! Working-hours arithmetic: is an organisation open at an instant, and which rule
//! said so.
//!
//! Everything is read in the organisation's own time zone: the instant (UTC) is first
//! turned into local wall-clock time, then the hours of that *local* date are chosen
//! by the first rule that applies:
//!
//! 1. a per-organisation [`ScheduleOverride`] for the date replaces everything
//!    (closed all day, or special duty hours);
//! 2. if the organisation follows the production calendar, the calendar's entry for
//!    the date ([`ProductionCalendar::day`]: a regional day off, the decree's row, or
//!    the statutory rule, for any year):
//!    - a holiday or day off closes it all day,
//!    - a transferred working day takes the hours of the weekday it names,
//!    - a shortened pre-holiday day takes the usual hours with the day's *last*
//!      interval closing one hour earlier (an interval that this empties is dropped);
//! 3. otherwise the regular weekly hours of the weekday.
//!
//! Intervals are half-open, `[opens, closes)`, with `closes: None` meaning 24:00: at
//! exactly 13:00 an office with hours 09:00–13:00 is closed, at 12:59:59 it is open.
//!
//! Daylight saving time: converting an instant to local time is always unambiguous,
//! so [`Organisation::status_at`] needs no special care. Only the way back, in
//! [`Organisation::next_opening`], meets local times that happen twice (the autumn
//! hour: the first occurrence still in the future is taken) or never (the spring
//! gap: the organisation opens at the end of the gap, the first instant whose local
//! time is at or past the opening time, which is exactly when `status_at` starts
//! saying "open").
//!
//! Pure: the instant is always a parameter, nothing here reads the clock.

use std::borrow::Cow;
use std::fmt;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

use super::calendar::{CalendarSource, DayKind, ProductionCalendar};
use super::model::{Interval, Organisation, ScheduleOverride};

/// Which rule chose the hours of a day. Carried in every status so that a decision
/// can say *why* an organisation is open or closed ("holiday «День Победы»").
/// The notes are borrowed from the snapshot: computing a status allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayRule<'a> {
    /// An ordinary day: the organisation's regular hours for this weekday (also every
    /// day of an organisation that ignores the production calendar).
    WeeklyHours,
    /// A non-working day of the production calendar: closed all day.
    Holiday {
        /// The holiday's name ("День Победы").
        note: &'a str,
    },
    /// A day off moved here from a weekend (by the decree, or a holiday's move by
    /// art. 112 part 2): closed all day.
    DayOff {
        /// As the decree words it ("Перенос выходного дня с 9 мая").
        note: &'a str,
    },
    /// A day off the region declared by its own act: closed all day.
    RegionalDayOff {
        /// What the day is.
        note: &'a str,
        /// The regional act.
        act: &'a str,
    },
    /// A weekend day made a working day by the calendar; another weekday's hours apply.
    TransferredWorkingDay {
        /// Whose hours apply (Monday unless the calendar says otherwise).
        hours_of: Weekday,
        /// Also the day before a holiday: the last interval one hour shorter.
        shortened: bool,
        /// The calendar's note.
        note: &'a str,
    },
    /// A pre-holiday day: the usual hours, the last interval one hour shorter.
    ShortenedDay {
        /// The calendar's note.
        note: &'a str,
    },
    /// A per-organisation override closes the whole day.
    OverrideClosed {
        /// Why ("санитарный день").
        note: &'a str,
    },
    /// A per-organisation override sets special duty hours for the day.
    OverrideHours {
        /// Why ("дежурство").
        note: &'a str,
    },
}

/// The working intervals of one local date, and the rule that chose them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySchedule<'a> {
    /// The local date.
    pub date: NaiveDate,
    /// Sorted, non-overlapping intervals; empty = closed all day. Borrowed from the
    /// snapshot except on shortened days, whose last interval is recomputed.
    pub intervals: Cow<'a, [Interval]>,
    /// Why these intervals.
    pub rule: DayRule<'a>,
}

/// Why an organisation is closed at a moment of a day that has a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClosedWhy {
    /// The day has no working intervals at all (weekend, holiday, closed override).
    DayOff,
    /// Earlier than the day's first interval.
    BeforeOpening {
        /// When the day's first interval opens.
        opens: NaiveTime,
    },
    /// Between two intervals of the day: a lunch break or any other gap.
    Break {
        /// When the next interval opens.
        reopens: NaiveTime,
    },
    /// After the day's last interval.
    AfterClosing {
        /// When the last interval closed.
        closed: NaiveTime,
    },
}

/// Open or closed, as a wall clock in the organisation would show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenState {
    /// Inside a working interval.
    Open {
        /// The interval the instant falls in (its end tells the caller how long is left).
        interval: Interval,
    },
    /// Outside every working interval.
    Closed {
        /// Where in the day the instant falls.
        why: ClosedWhy,
    },
}

/// An organisation's status at one instant, with everything needed to explain it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleStatus<'a> {
    /// The instant as the organisation's wall clock shows it; its date is the one used
    /// for the calendar, the overrides and staff absences.
    pub local: NaiveDateTime,
    /// The rule that chose the day's intervals.
    pub rule: DayRule<'a>,
    /// Open or closed, and where in the day.
    pub state: OpenState,
}

impl ScheduleStatus<'_> {
    /// True inside a working interval.
    #[inline]
    pub fn is_open(&self) -> bool {
        matches!(self.state, OpenState::Open { .. })
    }
}

/// The next instant an organisation opens, found by [`Organisation::next_opening`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening<'a> {
    /// The instant itself.
    pub at: DateTime<Utc>,
    /// The same instant on the organisation's wall clock, for "opens Mon 12.01 at 09:00".
    pub local: NaiveDateTime,
    /// The rule that chose that day's hours.
    pub rule: DayRule<'a>,
}

/// How far [`Organisation::next_opening`] looks ahead by default, in days: longer than
/// the longest run of days off in a Russian year (the New Year holidays, 11 days).
pub const NEXT_OPENING_LIMIT_DAYS: u32 = 14;

/// Converts an instant to the wall-clock time of a zone. Always unambiguous.
pub fn local_time(zone: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&zone).naive_local()
}

impl Interval {
    /// Whether a local time of the day falls inside `[opens, closes)`.
    pub fn contains(&self, time: NaiveTime) -> bool {
        self.opens <= time && self.closes.is_none_or(|closes| time < closes)
    }
}

impl Organisation {
    /// The intervals of one local date and the rule that chose them (see the module
    /// documentation for the order of the rules).
    pub fn day_schedule<'a>(
        &'a self,
        calendar: &'a ProductionCalendar,
        date: NaiveDate,
    ) -> DaySchedule<'a> {
        let (hours, rule) = self.hours_of_date(calendar, date);
        DaySchedule {
            date,
            intervals: hours.to_cow(),
            rule,
        }
    }

    fn hours_of_date<'a>(
        &'a self,
        calendar: &'a ProductionCalendar,
        date: NaiveDate,
    ) -> (DayHours<'a>, DayRule<'a>) {
        use DayHours::{Shortened, Usual};
        // Most organisations have no overrides at all: skip the lookup for them.
        if !self.overrides.is_empty() {
            match self.overrides.get(&date) {
                Some(ScheduleOverride::Closed { note }) => {
                    return (Usual(&[]), DayRule::OverrideClosed { note });
                }
                Some(ScheduleOverride::Hours { intervals, note }) => {
                    return (Usual(intervals), DayRule::OverrideHours { note });
                }
                None => {}
            }
        }
        let weekly = |weekday: Weekday| -> &'a [Interval] {
            &self.weekly_hours.days[weekday.num_days_from_monday() as usize]
        };
        if !self.follows_production_calendar {
            return (Usual(weekly(date.weekday())), DayRule::WeeklyHours);
        }
        let Some(entry) = calendar.day(date) else {
            return (Usual(weekly(date.weekday())), DayRule::WeeklyHours);
        };
        let note = entry.note;
        match (entry.kind, entry.source, entry.act) {
            (DayKind::Holiday, CalendarSource::Regional, act) => (
                Usual(&[]),
                DayRule::RegionalDayOff {
                    note,
                    act: act.unwrap_or_default(),
                },
            ),
            (DayKind::Holiday, ..) => (Usual(&[]), DayRule::Holiday { note }),
            (DayKind::DayOff, ..) => (Usual(&[]), DayRule::DayOff { note }),
            (
                DayKind::Working {
                    hours_of,
                    shortened,
                },
                ..,
            ) => {
                let hours = weekly(hours_of);
                let rule = DayRule::TransferredWorkingDay {
                    hours_of,
                    shortened,
                    note,
                };
                if shortened {
                    (Shortened(hours), rule)
                } else {
                    (Usual(hours), rule)
                }
            }
            (DayKind::Shortened, ..) => (
                Shortened(weekly(date.weekday())),
                DayRule::ShortenedDay { note },
            ),
        }
    }

    /// The status at a local wall-clock time of this organisation.
    pub fn status_at_local<'a>(
        &'a self,
        calendar: &'a ProductionCalendar,
        local: NaiveDateTime,
    ) -> ScheduleStatus<'a> {
        let (hours, rule) = self.hours_of_date(calendar, local.date());
        ScheduleStatus {
            local,
            rule,
            state: state_within_day(hours, local.time()),
        }
    }

    /// The status at an instant: converts it to this organisation's local time first.
    pub fn status_at<'a>(
        &'a self,
        calendar: &'a ProductionCalendar,
        at: DateTime<Utc>,
    ) -> ScheduleStatus<'a> {
        self.status_at_local(calendar, local_time(self.time_zone, at))
    }

    /// The first instant at or after `at` when the organisation is open: `at` itself if
    /// it is open now, otherwise the start of its next working interval. Looks at the
    /// local date of `at` and the `limit_days` days after it; `None` if it does not open
    /// in that window (a round-the-clock closure, a broken roster).
    pub fn next_opening<'a>(
        &'a self,
        calendar: &'a ProductionCalendar,
        at: DateTime<Utc>,
        limit_days: u32,
    ) -> Option<Opening<'a>> {
        let now = self.status_at(calendar, at);
        if now.is_open() {
            return Some(Opening {
                at,
                local: now.local,
                rule: now.rule,
            });
        }
        let today = now.local.date();
        for offset in 0..=limit_days {
            let date = today.checked_add_days(Days::new(offset.into()))?;
            let (hours, rule) = self.hours_of_date(calendar, date);
            for interval in hours.iter() {
                if offset == 0 && interval.opens <= now.local.time() {
                    continue; // already over today (we are closed, so it cannot be running)
                }
                let Some(opens_at) =
                    instant_of_local(self.time_zone, date.and_time(interval.opens), at)
                else {
                    continue;
                };
                // In a spring gap the opening is pushed to the end of the gap; an interval
                // lying wholly inside the gap never happens that day.
                let local = local_time(self.time_zone, opens_at);
                if local.date() == date && interval.contains(local.time()) {
                    return Some(Opening {
                        at: opens_at,
                        local,
                        rule,
                    });
                }
            }
        }
        None
    }
}

/// The working intervals of a day as the rules chose them, borrowed from the
/// snapshot: a status computation allocates nothing, even on a shortened day.
#[derive(Clone, Copy)]
enum DayHours<'a> {
    /// These intervals as they are.
    Usual(&'a [Interval]),
    /// A pre-holiday day: these intervals, the last one closing an hour earlier (and
    /// left out if that leaves nothing of it).
    Shortened(&'a [Interval]),
}

impl<'a> DayHours<'a> {
    /// The intervals in order.
    fn iter(self) -> impl Iterator<Item = Interval> + Clone + 'a {
        let (usual, shortened) = match self {
            Self::Usual(usual) => (usual, false),
            Self::Shortened(usual) => (usual, true),
        };
        let last = usual.len().saturating_sub(1);
        (usual.iter().enumerate()).filter_map(move |(index, interval)| {
            if shortened && index == last {
                shortened_by_an_hour(interval)
            } else {
                Some(*interval)
            }
        })
    }

    /// The intervals as a list, for [`DaySchedule`].
    fn to_cow(self) -> Cow<'a, [Interval]> {
        match self {
            Self::Usual(usual) => Cow::Borrowed(usual),
            Self::Shortened(_) => Cow::Owned(self.iter().collect()),
        }
    }
}

/// An interval closing one hour earlier; `None` if that leaves nothing of it.
fn shortened_by_an_hour(interval: &Interval) -> Option<Interval> {
    const MIDNIGHT_SECONDS: u32 = 24 * 3600;
    let closes_seconds = interval.closes.map_or(MIDNIGHT_SECONDS, |closes| {
        closes.num_seconds_from_midnight()
    });
    let new_closes_seconds = closes_seconds.checked_sub(3600)?;
    (new_closes_seconds > interval.opens.num_seconds_from_midnight()).then(|| Interval {
        opens: interval.opens,
        closes: NaiveTime::from_num_seconds_from_midnight_opt(new_closes_seconds, 0),
    })
}

/// Where a local time falls among a day's sorted intervals.
fn state_within_day(hours: DayHours<'_>, time: NaiveTime) -> OpenState {
    let mut intervals = hours.iter();
    let Some(first) = intervals.clone().next() else {
        return OpenState::Closed {
            why: ClosedWhy::DayOff,
        };
    };
    let mut last = first;
    for interval in intervals.by_ref() {
        if interval.contains(time) {
            return OpenState::Open { interval };
        }
        if time < interval.opens {
            let why = if interval == first {
                ClosedWhy::BeforeOpening {
                    opens: interval.opens,
                }
            } else {
                ClosedWhy::Break {
                    reopens: interval.opens,
                }
            };
            return OpenState::Closed { why };
        }
        last = interval;
    }
    OpenState::Closed {
        why: ClosedWhy::AfterClosing {
            // Not open and past every opening, so the last interval has a real end.
            closed: last.closes.unwrap_or(NaiveTime::MIN),
        },
    }
}

/// The first instant after `not_before` whose wall-clock time in `zone` is `local`,
/// or, if the clocks skip `local` (spring gap), the end of that gap.
fn instant_of_local(
    zone: Tz,
    local: NaiveDateTime,
    not_before: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let instant = match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => {
            let first = first.with_timezone(&Utc);
            if first > not_before {
                first
            } else {
                second.with_timezone(&Utc)
            }
        }
        LocalResult::None => end_of_gap(zone, local)?,
    };
    (instant > not_before).then_some(instant)
}

/// For a local time the clocks skip (spring forward), the transition instant: the
/// first instant whose local time is at or past `local`.
///
/// Read with the offset in force *after* the gap, `local` names an instant before the
/// transition; read with the offset *before* the gap, one after it. The transition
/// lies between the two and is found by bisection on whole seconds (a gap is an hour
/// or so, so about a dozen steps). Only runs on the rare day an opening time falls in
/// a gap.
fn end_of_gap(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let offset_seconds = |utc: NaiveDateTime| -> i64 {
        zone.offset_from_utc_datetime(&utc)
            .fix()
            .local_minus_utc()
            .into()
    };
    let before = offset_seconds(local - TimeDelta::days(1));
    let after = offset_seconds(local + TimeDelta::days(1));
    let local_seconds = local.and_utc().timestamp();
    let local_at = |utc_seconds: i64| -> Option<NaiveDateTime> {
        let utc = DateTime::from_timestamp(utc_seconds, 0)?;
        Some(local_time(zone, utc))
    };
    // Invariant: local(low) < local <= local(high).
    let mut low = local_seconds - after;
    let mut high = local_seconds - before;
    if low >= high {
        return DateTime::from_timestamp(high, 0);
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if local_at(middle)? >= local {
            high = middle;
        } else {
            low = middle;
        }
    }
    DateTime::from_timestamp(high, 0)
}

/// Displays a time of day as `HH:MM` (seconds only if not zero), the way rosters and
/// reasons write it.
#[derive(Clone, Copy, Debug)]
pub struct ClockTime(pub NaiveTime);

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Digits by hand rather than `{:02}`: reasons print several times per decision
        // and the formatting machinery's padding is most of their cost.
        let two_digits = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let [h1, h2] = two_digits(self.0.hour());
        let [m1, m2] = two_digits(self.0.minute());
        let [s1, s2] = two_digits(self.0.second());
        let text = [h1, h2, b':', m1, m2, b':', s1, s2];
        let length = if self.0.second() == 0 { 5 } else { 8 };
        // Only ASCII digits and colons were written.
        f.write_str(std::str::from_utf8(&text[..length]).map_err(|_| fmt::Error)?)
    }
}

/// `09:00–13:00`, with `24:00` for an interval that runs to midnight.
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–", ClockTime(self.opens))?;
        match self.closes {
            Some(closes) => write!(f, "{}", ClockTime(closes)),
            None => f.write_str("24:00"),
        }
    }
}
