//! The production calendar: how each date differs from the ordinary five-day week, for
//! any year, and how sure the service is of it.
//!
//! A date's entry comes from the first of three layers that says something about it:
//!
//! 1. **Regional days off** ([`ProductionCalendar::regional`]): extra non-working days
//!    the region declares by its own act. They close every organisation that follows
//!    the production calendar.
//! 2. **Dated rows** ([`ProductionCalendar::days`]): a day an administrator typed in
//!    (`2027-06-15 holiday …` in a calendar file) reads exactly as written.
//! 3. **The decree of the date's year and the statutory rule** ([`Decree`],
//!    [`statutory_day`]). The government's annual decree on transferring days off is
//!    imported as data (`hotline calendar import calendar/YYYY.txt`): each
//!    [`DayOffTransfer`] moves a weekend day off to a weekday, as the decree words it
//!    ("с субботы 1 ноября на понедельник 3 ноября"): the weekday becomes a day off, the
//!    weekend day (unless it is a holiday itself) a working day that stands for that
//!    weekday, with its hours and, if that weekday is the day before a holiday, one hour
//!    shorter. The rest of the year is the statutory rule, for every year, decree or
//!    not:
//!    - the non-working holidays of Labour Code art. 112 part 1: 1–6 and 8 January (New
//!      Year holidays), 7 January (Christmas), 23 February, 8 March, 1 May, 9 May,
//!      12 June, 4 November;
//!    - art. 112 part 2: a holiday on a Saturday or Sunday moves the day off to the
//!      next working day, except the January holidays (1–8 January), which only the
//!      annual decree moves (and unless the decree moves that very day elsewhere, as
//!      the 2025 decree did with 23 February and 8 March);
//!    - art. 95: the working day immediately before a non-working holiday is one hour
//!      shorter (so a Friday before a Saturday holiday is, a Friday before a Monday
//!      holiday is not: the Sunday in between is what immediately precedes it).
//!
//! A year with no decree loaded is **unconfirmed** ([`ProductionCalendar::is_confirmed`]):
//! it runs on the rule alone, which is right on every day the decree does not move,
//! and the service says so (reasons, `hotline directory check`, `/health`, the console)
//! from 1 October of the year before ([`ProductionCalendar::unconfirmed_years_due`]).
//! The rule never invents a transfer.
//!
//! Pure: dates are parameters; nothing here reads the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The region's time zone: where "today" is read when asking which calendar years are
/// due, and the zone reasons leave unnamed.
pub const REGION_ZONE: Tz = chrono_tz::Asia::Irkutsk;

/// How a listed date differs from the ordinary week: a row of a decree or, with
/// [`ProductionCalendar::day`], of any layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalendarDay {
    /// Non-working day (public holiday or day off by transfer).
    Holiday {
        /// Name of the holiday, for reasons.
        note: String,
    },
    /// Working day on a weekend; the hours of `hours_of_weekday` (ISO 1..=7) apply.
    Working {
        /// ISO weekday whose hours apply (1 = Monday).
        hours_of_weekday: u8,
        /// Why, for reasons.
        note: String,
    },
    /// Pre-holiday day: the day's last interval closes one hour earlier.
    Shortened {
        /// Why, for reasons.
        note: String,
    },
}

/// A day off the region declares by its own act, on top of the federal calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionalDayOff {
    /// What the day is ("День памяти …"), for reasons.
    pub note: String,
    /// The regional act that declares it (law or decree, number and date), so that a
    /// reason and an auditor can check it.
    pub act: String,
}

/// The shared production calendar: the decrees loaded, the region's own days, and the
/// statutory rule behind both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductionCalendar {
    /// Days typed in as they are (the `production_calendar` rows), by date. They
    /// override the decree and the rule on their dates.
    pub days: BTreeMap<NaiveDate, CalendarDay>,
    /// The loaded decrees by year. A year not here is unconfirmed and runs on the rule.
    pub decrees: BTreeMap<i32, Decree>,
    /// The region's extra days off, by date.
    pub regional: BTreeMap<NaiveDate, RegionalDayOff>,
}

/// The government's decree on transferring days off for one year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decree {
    /// The decree as the calendar file names it ("Постановление Правительства РФ от
    /// 24.09.2025 № 1466 …"), so that a reason and an auditor can check it.
    pub source: String,
    /// The days off it moves. A decree moves a handful; they are searched in order.
    pub transfers: Vec<DayOffTransfer>,
}

impl Decree {
    /// The decrees of several years from their sources and their transfers (each
    /// filed under its day's year), as a table or a file lists them. Transfers whose
    /// year names no decree come back apart, for the caller to report.
    pub fn by_year(
        sources: impl IntoIterator<Item = (i32, String)>,
        transfers: impl IntoIterator<Item = DayOffTransfer>,
    ) -> (BTreeMap<i32, Decree>, Vec<DayOffTransfer>) {
        let mut decrees: BTreeMap<i32, Decree> = (sources.into_iter())
            .map(|(year, source)| {
                let transfers = Vec::new();
                (year, Decree { source, transfers })
            })
            .collect();
        let mut orphans = Vec::new();
        for transfer in transfers {
            match decrees.get_mut(&transfer.from.year()) {
                Some(decree) => decree.transfers.push(transfer),
                None => orphans.push(transfer),
            }
        }
        (decrees, orphans)
    }
}

/// One transfer of a decree: the day off of a Saturday or Sunday moves to a weekday.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayOffTransfer {
    /// The weekend day whose day off moves; it becomes a working day unless it is a
    /// holiday itself (the January holidays on a weekend).
    pub from: NaiveDate,
    /// The weekday that becomes a day off.
    pub to: NaiveDate,
    /// As the decree words it ("Перенос выходного дня с субботы 1 ноября на
    /// понедельник 3 ноября"), for reasons on both days.
    pub note: String,
}

/// Which layer a date's entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarSource {
    /// A regional day off.
    Regional,
    /// A dated row typed in by an administrator.
    Row,
    /// A transfer of the year's decree.
    Decree,
    /// The statutory rule (the year's decree, if loaded, does not move the date).
    Rule,
}

/// How a date differs from the ordinary week, whichever layer said so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// A holiday (or a day typed in as one): closed all day.
    Holiday,
    /// A day off moved here from a weekend, by the decree or by art. 112 part 2:
    /// closed all day.
    DayOff,
    /// A weekend day worked by transfer, with the hours of `hours_of`.
    Working {
        /// Whose hours apply.
        hours_of: Weekday,
        /// Also the working day before a holiday (art. 95): one hour shorter.
        shortened: bool,
    },
    /// The usual hours, one hour shorter (the working day before a holiday).
    Shortened,
}

/// One date's entry in the calendar, borrowed from it (or static, from the rule): a
/// status computation allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayEntry<'a> {
    /// How the date differs from the ordinary week.
    pub kind: DayKind,
    /// The holiday's name or the reason, for reasons ("День Победы").
    pub note: &'a str,
    /// The regional act, for a regional day off.
    pub act: Option<&'a str>,
    /// Which layer said so.
    pub source: CalendarSource,
}

/// A date of the statutory rule that differs from the ordinary week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatutoryDay {
    /// A non-working holiday of art. 112 part 1, on whatever weekday it falls.
    Holiday(Holiday),
    /// The working day a holiday that fell on a Saturday or Sunday moved to (art. 112
    /// part 2): a day off.
    MovedDayOff(Holiday),
    /// The working day immediately before a holiday, one hour shorter (art. 95).
    Shortened,
}

/// The non-working holidays of Labour Code art. 112 part 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holiday {
    /// 1–6 and 8 January.
    NewYearHolidays,
    /// 7 January.
    Christmas,
    /// 23 February.
    DefenderOfTheFatherlandDay,
    /// 8 March.
    InternationalWomensDay,
    /// 1 May.
    SpringAndLabourDay,
    /// 9 May.
    VictoryDay,
    /// 12 June.
    RussiaDay,
    /// 4 November.
    NationalUnityDay,
}

impl Holiday {
    /// The holidays that move to the next working day when they fall on a weekend
    /// (all but the January ones), with their dates: (month, day).
    const MOVABLE: [(u32, u32, Holiday); 6] = [
        (2, 23, Holiday::DefenderOfTheFatherlandDay),
        (3, 8, Holiday::InternationalWomensDay),
        (5, 1, Holiday::SpringAndLabourDay),
        (5, 9, Holiday::VictoryDay),
        (6, 12, Holiday::RussiaDay),
        (11, 4, Holiday::NationalUnityDay),
    ];

    /// The holiday on a date, if any (art. 112 part 1).
    pub fn on(date: NaiveDate) -> Option<Self> {
        match (date.month(), date.day()) {
            (1, 1..=6 | 8) => Some(Self::NewYearHolidays),
            (1, 7) => Some(Self::Christmas),
            (month, day) => Self::MOVABLE
                .iter()
                .find(|(m, d, _)| *m == month && *d == day)
                .map(|(_, _, holiday)| *holiday),
        }
    }

    /// Its name as the production calendar prints it.
    pub fn name_ru(self) -> &'static str {
        match self {
            Self::NewYearHolidays => "Новогодние каникулы",
            Self::Christmas => "Рождество Христово",
            Self::DefenderOfTheFatherlandDay => "День защитника Отечества",
            Self::InternationalWomensDay => "Международный женский день",
            Self::SpringAndLabourDay => "Праздник Весны и Труда",
            Self::VictoryDay => "День Победы",
            Self::RussiaDay => "День России",
            Self::NationalUnityDay => "День народного единства",
        }
    }

    /// The note of the day off it moves to when it falls on a weekend.
    fn moved_note_ru(self) -> &'static str {
        match self {
            Self::DefenderOfTheFatherlandDay => "Перенос выходного дня с 23 февраля",
            Self::InternationalWomensDay => "Перенос выходного дня с 8 марта",
            Self::SpringAndLabourDay => "Перенос выходного дня с 1 мая",
            Self::VictoryDay => "Перенос выходного дня с 9 мая",
            Self::RussiaDay => "Перенос выходного дня с 12 июня",
            Self::NationalUnityDay => "Перенос выходного дня с 4 ноября",
            // January holidays never move by the rule.
            Self::NewYearHolidays | Self::Christmas => "Перенос выходного дня",
        }
    }
}

/// The note of a shortened pre-holiday day.
pub const SHORTENED_NOTE: &str = "Предпраздничный день";

/// Saturday or Sunday.
fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The statutory rule for one date (art. 112 and 95), with no decree: `None` on an
/// ordinary day. Defined for every year chrono can represent.
pub fn statutory_day(date: NaiveDate) -> Option<StatutoryDay> {
    statutory_day_with(date, &[])
}

/// The statutory rule around a decree's transfers: a holiday whose weekend day the
/// decree moves does not move by the rule, and a weekday the decree made a day off is
/// not a working day for the rule's "next working day".
fn statutory_day_with(date: NaiveDate, transfers: &[DayOffTransfer]) -> Option<StatutoryDay> {
    if let Some(holiday) = Holiday::on(date) {
        return Some(StatutoryDay::Holiday(holiday));
    }
    if is_weekend(date) {
        return None;
    }
    if let Some(holiday) = moved_to(date, transfers) {
        return Some(StatutoryDay::MovedDayOff(holiday));
    }
    let tomorrow = date.succ_opt()?;
    Holiday::on(tomorrow).map(|_| StatutoryDay::Shortened)
}

/// A weekday that is neither a holiday nor a decree's day off: is it the day off a
/// weekend holiday moved to? Only the first working day after a run of days off can
/// be, so the days before `date` are walked back while they are days off. The
/// movable holidays are at least eight days apart, so a run holds at most one.
fn moved_to(date: NaiveDate, transfers: &[DayOffTransfer]) -> Option<Holiday> {
    let moved_by_decree = |day: NaiveDate| transfers.iter().any(|t| t.to == day);
    let moved_elsewhere = |day: NaiveDate| transfers.iter().any(|t| t.from == day);
    let mut day = date.pred_opt()?;
    while is_weekend(day) || Holiday::on(day).is_some() || moved_by_decree(day) {
        if is_weekend(day)
            && let Some(holiday) = Holiday::on(day)
            && !matches!(holiday, Holiday::NewYearHolidays | Holiday::Christmas)
            && !moved_elsewhere(day)
        {
            return Some(holiday);
        }
        day = day.pred_opt()?;
    }
    None
}

impl ProductionCalendar {
    /// The calendar's entry for a date: the region's day off, else a typed-in row, else
    /// the year's decree transfers, else the statutory rule; `None` on an ordinary day.
    pub fn day(&self, date: NaiveDate) -> Option<DayEntry<'_>> {
        // Most directories have no regional days: skip the lookup for them.
        if !self.regional.is_empty()
            && let Some(day) = self.regional.get(&date)
        {
            return Some(DayEntry {
                kind: DayKind::Holiday,
                note: &day.note,
                act: Some(&day.act),
                source: CalendarSource::Regional,
            });
        }
        if let Some(row) = self.days.get(&date) {
            let (kind, note) = match row {
                CalendarDay::Holiday { note } => (DayKind::Holiday, note),
                CalendarDay::Working {
                    hours_of_weekday,
                    note,
                } => {
                    let kind = DayKind::Working {
                        hours_of: iso_weekday(*hours_of_weekday),
                        shortened: false,
                    };
                    (kind, note)
                }
                CalendarDay::Shortened { note } => (DayKind::Shortened, note),
            };
            return Some(DayEntry {
                kind,
                note,
                act: None,
                source: CalendarSource::Row,
            });
        }
        let transfers = match self.decrees.get(&date.year()) {
            Some(decree) => decree.transfers.as_slice(),
            None => &[],
        };
        let decreed = |kind, note| {
            Some(DayEntry {
                kind,
                note,
                act: None,
                source: CalendarSource::Decree,
            })
        };
        if let Some(transfer) = transfers.iter().find(|t| t.to == date) {
            return decreed(DayKind::DayOff, &transfer.note);
        }
        if let Some(transfer) = transfers.iter().find(|t| t.from == date)
            && Holiday::on(date).is_none()
        {
            // The worked weekend day stands for the weekday whose day off it took.
            let hours_of = transfer.to.weekday();
            let shortened = transfer.to.succ_opt().and_then(Holiday::on).is_some();
            return decreed(
                DayKind::Working {
                    hours_of,
                    shortened,
                },
                &transfer.note,
            );
        }
        let (kind, note) = match statutory_day_with(date, transfers)? {
            StatutoryDay::Holiday(holiday) => (DayKind::Holiday, holiday.name_ru()),
            StatutoryDay::MovedDayOff(holiday) => (DayKind::DayOff, holiday.moved_note_ru()),
            StatutoryDay::Shortened => (DayKind::Shortened, SHORTENED_NOTE),
        };
        Some(DayEntry {
            kind,
            note,
            act: None,
            source: CalendarSource::Rule,
        })
    }

    /// Whether the year's decree is loaded.
    pub fn is_confirmed(&self, year: i32) -> bool {
        self.decrees.contains_key(&year)
    }

    /// The unconfirmed years someone must see on `today`: this year, and from
    /// 1 October the next one too, when their decree is not loaded.
    pub fn unconfirmed_years_due(&self, today: NaiveDate) -> Vec<i32> {
        self.unconfirmed_years_due_within(today, 1)
    }

    /// The same at an instant, read as a date of the region ([`REGION_ZONE`]).
    pub fn unconfirmed_years_due_at(&self, at: DateTime<Utc>) -> Vec<i32> {
        self.unconfirmed_years_due(at.with_timezone(&REGION_ZONE).date_naive())
    }

    /// The same over a range of days (as `hotline directory check` looks at one): every
    /// year due on some day of it.
    pub fn unconfirmed_years_due_within(&self, from: NaiveDate, days: u32) -> Vec<i32> {
        let to = from
            .checked_add_days(Days::new(days.saturating_sub(1).into()))
            .unwrap_or(from);
        let mut due: Vec<i32> = (from.year()..=to.year())
            .chain((to.month() >= 10).then_some(to.year() + 1))
            .filter(|year| !self.is_confirmed(*year))
            .collect();
        due.dedup();
        due
    }

    /// Whether a date is a working day of the five-day week (Monday to Friday, or a
    /// worked weekend day), whatever its hours.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.day(date).map(|entry| entry.kind) {
            Some(DayKind::Holiday | DayKind::DayOff) => false,
            Some(DayKind::Working { .. } | DayKind::Shortened) => true,
            None => !is_weekend(date),
        }
    }

    /// The working days of a year in the five-day week, the figure the published
    /// calendar gives ("247 рабочих дней").
    pub fn working_days_in(&self, year: i32) -> u32 {
        let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return 0;
        };
        first
            .iter_days()
            .take_while(|date| date.year() == year)
            .filter(|date| self.is_working_day(*date))
            .count() as u32
    }
}

/// ISO weekday number (1 = Monday) to [`Weekday`]. The database and `validated()` keep
/// it in 1..=7; anything else falls back to Monday, the database's default.
pub(crate) fn iso_weekday(iso: u8) -> Weekday {
    iso.checked_sub(1)
        .and_then(|index| Weekday::try_from(index).ok())
        .unwrap_or(Weekday::Mon)
}
