//! The production calendar: the statutory rule alone, and the rule with each shipped
//! decree against the calendar the government published for that year, day by day.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::{date, shipped_calendar};
use crate::routing::calendar::{
    CalendarSource, DayKind, Holiday, ProductionCalendar, StatutoryDay, statutory_day,
};

/// What a date is in the five-day week, the way a published calendar colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Published {
    /// Monday to Friday, eight hours.
    Working,
    /// A working day one hour shorter.
    Shortened,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A holiday or a day off by transfer (also on a weekend).
    Off,
    /// A Saturday or Sunday worked by transfer; `true` if one hour shorter.
    WorkedWeekend(bool),
}

/// The published calendar of a year, as news agencies, КонсультантПлюс and the
/// xmlcalendar data set print it (sources in docs/calendar-format.md): the days off
/// that are not ordinary weekends, the shortened days and the worked weekend days.
struct PublishedYear {
    year: i32,
    off: &'static [&'static str],
    shortened: &'static [&'static str],
    worked_weekends: &'static [&'static str],
    working_days: u32,
}

const PUBLISHED: &[PublishedYear] = &[
    PublishedYear {
        year: 2025,
        off: &[
            "01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08", "02-23",
            "03-08", "05-01", "05-02", "05-08", "05-09", "06-12", "06-13", "11-03", "11-04",
            "12-31",
        ],
        shortened: &["03-07", "04-30", "06-11", "11-01"],
        worked_weekends: &["11-01"],
        working_days: 247,
    },
    PublishedYear {
        year: 2026,
        off: &[
            "01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08", "01-09",
            "02-23", "03-08", "03-09", "05-01", "05-09", "05-11", "06-12", "11-04", "12-31",
        ],
        shortened: &["04-30", "05-08", "06-11", "11-03"],
        worked_weekends: &[],
        working_days: 247,
    },
    PublishedYear {
        year: 2027,
        off: &[
            "01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08", "02-22",
            "02-23", "03-08", "05-01", "05-03", "05-09", "05-10", "06-12", "06-14", "11-04",
            "11-05", "12-31",
        ],
        shortened: &["02-20", "04-30", "06-11", "11-03"],
        worked_weekends: &["02-20"],
        working_days: 247,
    },
];

impl PublishedYear {
    fn status(&self, day: NaiveDate) -> Published {
        let key = format!("{:02}-{:02}", day.month(), day.day());
        let listed = |days: &[&str]| days.contains(&key.as_str());
        if listed(self.off) {
            Published::Off
        } else if listed(self.worked_weekends) {
            Published::WorkedWeekend(listed(self.shortened))
        } else if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            Published::Weekend
        } else if listed(self.shortened) {
            Published::Shortened
        } else {
            Published::Working
        }
    }
}

/// What the calendar makes of a date, in the published calendar's terms.
fn status(calendar: &ProductionCalendar, day: NaiveDate) -> Published {
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    match calendar.day(day).map(|entry| entry.kind) {
        Some(DayKind::Holiday | DayKind::DayOff) => Published::Off,
        Some(DayKind::Working { shortened, .. }) => Published::WorkedWeekend(shortened),
        Some(DayKind::Shortened) => Published::Shortened,
        None if weekend => Published::Weekend,
        None => Published::Working,
    }
}

fn days_of(year: i32) -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a year");
    first.iter_days().take_while(move |day| day.year() == year)
}

#[test]
fn rule_and_each_shipped_decree_give_the_published_calendar_day_by_day() {
    let calendar = shipped_calendar();
    for published in PUBLISHED {
        assert!(calendar.is_confirmed(published.year), "{}", published.year);
        let wrong: Vec<String> = days_of(published.year)
            .filter_map(|day| {
                let (ours, theirs) = (status(&calendar, day), published.status(day));
                (ours != theirs)
                    .then(|| format!("{day} {}: {ours:?}, published {theirs:?}", day.weekday()))
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{}:\n{}",
            published.year,
            wrong.join("\n")
        );
        assert_eq!(
            calendar.working_days_in(published.year),
            published.working_days,
            "{}",
            published.year
        );
    }
}

#[test]
fn the_rule_alone_knows_next_years_holidays() {
    let calendar = ProductionCalendar::default();
    // The days of the issue that a 2026-only calendar got wrong.
    for (day, holiday) in [
        ("2027-01-01", Holiday::NewYearHolidays),
        ("2027-01-04", Holiday::NewYearHolidays),
        ("2027-01-07", Holiday::Christmas),
        ("2027-02-23", Holiday::DefenderOfTheFatherlandDay),
    ] {
        assert_eq!(
            statutory_day(date(day)),
            Some(StatutoryDay::Holiday(holiday))
        );
        let entry = calendar.day(date(day)).expect("a holiday");
        assert_eq!(
            (entry.kind, entry.source),
            (DayKind::Holiday, CalendarSource::Rule)
        );
    }
    assert!(!calendar.is_confirmed(2027));
    // Weekend holidays move to the next working day by art. 112 part 2.
    assert_eq!(
        statutory_day(date("2027-05-03")),
        Some(StatutoryDay::MovedDayOff(Holiday::SpringAndLabourDay))
    );
    assert_eq!(
        statutory_day(date("2027-06-14")),
        Some(StatutoryDay::MovedDayOff(Holiday::RussiaDay))
    );
    // ...but not the January ones: Saturday 2 January 2027 moves only by decree.
    assert_eq!(statutory_day(date("2027-01-11")), None);
    // Shortened: the day right before a holiday, not a Friday before a weekend.
    assert_eq!(
        statutory_day(date("2027-06-11")),
        Some(StatutoryDay::Shortened)
    );
    assert_eq!(
        statutory_day(date("2027-03-05")),
        None,
        "8 March 2027 is a Monday"
    );
    assert_eq!(
        statutory_day(date("2026-12-31")),
        Some(StatutoryDay::Shortened),
        "by rule; the 2026 decree makes it a day off"
    );
}

#[test]
fn without_its_decree_a_year_differs_from_the_published_one_only_on_the_decrees_days() {
    // 2027 by rule alone: exactly the decree's transfers are missing.
    let rule_only = ProductionCalendar::default();
    let published = PUBLISHED.iter().find(|p| p.year == 2027).expect("2027");
    let differing: Vec<NaiveDate> = days_of(2027)
        .filter(|day| status(&rule_only, *day) != published.status(*day))
        .collect();
    let expected: Vec<NaiveDate> = ["2027-02-20", "2027-02-22", "2027-11-05", "2027-12-31"]
        .into_iter()
        .map(date)
        .collect();
    assert_eq!(differing, expected);
}

#[test]
fn properties_of_every_year_from_2025_to_2040() {
    let rule_only = ProductionCalendar::default();
    let shipped = shipped_calendar();
    for year in 2025..=2040 {
        let calendar = if shipped.is_confirmed(year) {
            &shipped
        } else {
            &rule_only
        };
        for day in 1..=8 {
            let date = NaiveDate::from_ymd_opt(year, 1, day).expect("January");
            assert_eq!(status(calendar, date), Published::Off, "{date}");
        }
        for date in days_of(year) {
            let Some(entry) = calendar.day(date) else {
                continue;
            };
            // The day a shortened day stands for precedes a holiday of art. 112.
            let stands_for = match entry.kind {
                DayKind::Shortened => Some(date),
                DayKind::Working {
                    shortened: true, ..
                } => calendar
                    .decrees
                    .get(&year)
                    .and_then(|decree| decree.transfers.iter().find(|t| t.from == date))
                    .map(|transfer| transfer.to),
                _ => None,
            };
            if let Some(stands_for) = stands_for {
                let next = stands_for.succ_opt().expect("a next day");
                assert!(
                    Holiday::on(next).is_some(),
                    "{date} shortened before {next}"
                );
                assert!(calendar.is_working_day(date), "{date} shortened and off");
            }
            // A holiday's day off lands on a weekday after it, in the same run of
            // days off, never on a working day elsewhere.
            if let Some(StatutoryDay::MovedDayOff(_)) = statutory_day(date) {
                assert_ne!(date.weekday(), Weekday::Sat);
                let before = date.checked_sub_days(Days::new(1)).expect("a day before");
                assert!(
                    !rule_only.is_working_day(before),
                    "{date}: moved after a working day"
                );
            }
        }
        let working = calendar.working_days_in(year);
        if shipped.is_confirmed(year) {
            assert!(
                (247..=249).contains(&working),
                "{year}: {working} working days"
            );
        } else {
            // Without a decree the January weekends are not given back: up to two
            // more working days than the decree will leave.
            assert!(
                (246..=251).contains(&working),
                "{year}: {working} working days by rule"
            );
        }
    }
}

#[test]
fn unconfirmed_years_are_due_from_the_first_of_october_before() {
    let mut calendar = shipped_calendar();
    calendar.decrees.remove(&2027);
    assert_eq!(
        calendar.unconfirmed_years_due(date("2026-09-30")),
        Vec::<i32>::new()
    );
    assert_eq!(calendar.unconfirmed_years_due(date("2026-10-01")), [2027]);
    assert_eq!(calendar.unconfirmed_years_due(date("2027-03-01")), [2027]);
    assert_eq!(
        calendar.unconfirmed_years_due(date("2027-10-01")),
        [2027, 2028]
    );
    assert_eq!(
        shipped_calendar().unconfirmed_years_due(date("2026-12-03")),
        Vec::<i32>::new()
    );
    // Over a range: every year due on any of its days.
    assert_eq!(
        calendar.unconfirmed_years_due_within(date("2026-09-20"), 14),
        [2027]
    );
    assert_eq!(
        calendar.unconfirmed_years_due_within(date("2026-05-04"), 14),
        Vec::<i32>::new()
    );
    assert_eq!(
        shipped_calendar().unconfirmed_years_due_within(date("2027-12-25"), 14),
        [2028]
    );
}

#[test]
fn a_regional_day_off_closes_over_the_decree_and_a_typed_row_over_the_rule() {
    use crate::routing::calendar::{CalendarDay, RegionalDayOff};
    let mut calendar = shipped_calendar();
    calendar.regional.insert(
        date("2027-04-27"),
        RegionalDayOff {
            note: "Радоница".into(),
            act: "Закон области № 1-ОЗ".into(),
        },
    );
    calendar.days.insert(
        date("2027-05-03"),
        CalendarDay::Working {
            hours_of_weekday: 1,
            note: "исправлено".into(),
        },
    );
    let regional = calendar.day(date("2027-04-27")).expect("regional");
    assert_eq!(
        (regional.kind, regional.source, regional.act),
        (
            DayKind::Holiday,
            CalendarSource::Regional,
            Some("Закон области № 1-ОЗ")
        )
    );
    let typed = calendar.day(date("2027-05-03")).expect("row");
    assert_eq!(typed.source, CalendarSource::Row);
    assert!(calendar.is_working_day(date("2027-05-03")));
}
