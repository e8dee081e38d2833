//! The reasons, in Russian and English. Each function writes one decision's reason
//! (see [`Reason::texts`]); nothing here runs per candidate.
//!
//! [`Reason::texts`]: super::Reason::texts

use std::fmt::{self, Write as _};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};

use super::calendar::ProductionCalendar;
use super::decision::{Listed, ReasonText};
use super::index::TopicRoster;
use super::model::{
    HuntStrategy, Line, LineNumber, MenuItem, Organisation, Topic, TopicCode, TopicRouting,
    TransferMode,
};
use super::schedule::{
    ClockTime, ClosedWhy, DayRule, NEXT_OPENING_LIMIT_DAYS, OpenState, Opening, ScheduleStatus,
};

/// How many organisations or people a reason names before "and N more".
const MAX_LISTED: usize = 3;

const RU_WEEKDAYS: [&str; 7] = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"];
const EN_WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn ru_weekday(weekday: Weekday) -> &'static str {
    RU_WEEKDAYS[weekday.num_days_from_monday() as usize]
}

fn en_weekday(weekday: Weekday) -> &'static str {
    EN_WEEKDAYS[weekday.num_days_from_monday() as usize]
}

/// A reason with room for a typical sentence in each language, so that writing it
/// does not reallocate.
fn reason() -> ReasonText {
    ReasonText {
        ru: String::with_capacity(256),
        en: String::with_capacity(192),
    }
}

/// Russian noun form after a number: 1 сотрудник, 2 сотрудника, 5 сотрудников.
fn ru_plural(count: usize, [one, few, many]: [&str; 3]) -> &str {
    match (count % 10, count % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// `dd.mm`, the way Russian offices write a date within the year.
struct DayMonth(NaiveDate);

impl fmt::Display for DayMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}.{:02}", self.0.day(), self.0.month())
    }
}

fn topic_prefix(out: &mut ReasonText, topic: &Topic) {
    let _ = write!(out.ru, "Тема «{}»: ", topic.name_ru);
    let _ = write!(out.en, "Topic “{}”: ", topic.name_en);
}

pub(super) fn strategy_en(strategy: HuntStrategy) -> &'static str {
    match strategy {
        HuntStrategy::Sequential => "one after another",
        HuntStrategy::RingAll => "all at once",
        HuntStrategy::LeastRecent => "one after another, least recently called first",
    }
}

fn strategy_ru(strategy: HuntStrategy) -> &'static str {
    match strategy {
        HuntStrategy::Sequential => "по очереди",
        HuntStrategy::RingAll => "одновременно",
        HuntStrategy::LeastRecent => "по очереди, первым — кому дольше всех не звонили",
    }
}

/// The topic's roster and the calendar its hours were read with: what a reason
/// about hours is written from.
#[derive(Clone, Copy)]
pub(super) struct Hours<'a> {
    pub(super) roster: &'a TopicRoster,
    pub(super) calendar: &'a ProductionCalendar,
}

/// "Министерство здравоохранения работает (пн 09:00–13:00)" or "… не работает:
/// перерыв до 14:00", with the day's rule when it is not the ordinary week, and
/// the calendar's basis when the year's decree is not loaded.
fn organisation_status(
    out: &mut ReasonText,
    calendar: &ProductionCalendar,
    org: &Organisation,
    status: &ScheduleStatus<'_>,
) {
    let weekday = status.local.date().weekday();
    let (ru, en) = (&mut out.ru, &mut out.en);
    match status.state {
        OpenState::Open { interval } => {
            let _ = write!(
                ru,
                "{} работает ({} {interval}",
                org.name,
                ru_weekday(weekday)
            );
            let _ = write!(
                en,
                "{} is open ({} {interval}",
                org.name,
                en_weekday(weekday)
            );
            day_rule(out, status.rule);
            if let Some(year) = unconfirmed_basis(calendar, org, status.rule, status.local) {
                out.ru.push_str("; ");
                out.en.push_str("; ");
                by_rule(out, year);
            }
            out.ru.push(')');
            out.en.push(')');
        }
        OpenState::Closed { why } => {
            let _ = write!(ru, "{} не работает: ", org.name);
            let _ = write!(en, "{} is closed: ", org.name);
            closed_why(out, why, status.rule, weekday);
            if let Some(year) = unconfirmed_basis(calendar, org, status.rule, status.local) {
                out.ru.push(' ');
                out.en.push(' ');
                by_rule(out, year);
            }
        }
    }
}

/// The year whose decree is missing, when the status of the day comes from the
/// statutory rule alone: the organisation follows the calendar, no override or
/// regional act decides the day, and the local date's year has no decree loaded.
fn unconfirmed_basis(
    calendar: &ProductionCalendar,
    org: &Organisation,
    rule: DayRule<'_>,
    local: NaiveDateTime,
) -> Option<i32> {
    let decided_locally = matches!(
        rule,
        DayRule::OverrideClosed { .. }
            | DayRule::OverrideHours { .. }
            | DayRule::RegionalDayOff { .. }
    );
    let year = local.date().year();
    (org.follows_production_calendar && !decided_locally && !calendar.is_confirmed(year))
        .then_some(year)
}

/// "по производственному календарю (правило ТК РФ, постановление на 2027 год не
/// загружено)".
fn by_rule(out: &mut ReasonText, year: i32) {
    let _ = write!(
        out.ru,
        "по производственному календарю (правило ТК РФ, постановление на {year} год не загружено)"
    );
    let _ = write!(
        out.en,
        "by the production calendar (Labour Code rule, the {year} decree is not loaded)"
    );
}

fn closed_why(out: &mut ReasonText, why: ClosedWhy, rule: DayRule<'_>, weekday: Weekday) {
    let (ru, en) = (&mut out.ru, &mut out.en);
    match (why, rule) {
        (ClosedWhy::DayOff, DayRule::WeeklyHours) => {
            let _ = write!(ru, "выходной ({})", ru_weekday(weekday));
            let _ = write!(en, "day off ({})", en_weekday(weekday));
            return;
        }
        (ClosedWhy::DayOff, DayRule::Holiday { note }) => {
            let _ = write!(ru, "нерабочий праздничный день «{note}»");
            let _ = write!(en, "public holiday «{note}»");
            return;
        }
        (ClosedWhy::DayOff, DayRule::DayOff { note }) => {
            let _ = write!(ru, "нерабочий день («{note}»)");
            let _ = write!(en, "day off («{note}»)");
            return;
        }
        (ClosedWhy::DayOff, DayRule::RegionalDayOff { note, act }) => {
            let _ = write!(ru, "региональный нерабочий день «{note}» ({act})");
            let _ = write!(en, "regional day off «{note}» ({act})");
            return;
        }
        (ClosedWhy::DayOff, DayRule::OverrideClosed { note }) => {
            let _ = write!(ru, "закрыто по особому графику «{note}»");
            let _ = write!(en, "closed by a schedule override «{note}»");
            return;
        }
        (ClosedWhy::DayOff, _) => {
            ru.push_str("в этот день нет рабочих часов");
            en.push_str("no working hours this day");
        }
        (ClosedWhy::BeforeOpening { opens }, _) => {
            let _ = write!(ru, "откроется в {}", ClockTime(opens));
            let _ = write!(en, "opens at {}", ClockTime(opens));
        }
        (ClosedWhy::Break { reopens }, _) => {
            let _ = write!(ru, "перерыв до {}", ClockTime(reopens));
            let _ = write!(en, "break until {}", ClockTime(reopens));
        }
        (ClosedWhy::AfterClosing { closed }, _) => {
            let _ = write!(ru, "рабочий день окончен в {}", ClockTime(closed));
            let _ = write!(en, "closed since {}", ClockTime(closed));
        }
    }
    day_rule(out, rule);
}

/// "; предпраздничный день, на час короче" and the like; nothing on an ordinary day.
fn day_rule(out: &mut ReasonText, rule: DayRule<'_>) {
    let (ru, en) = (&mut out.ru, &mut out.en);
    match rule {
        DayRule::WeeklyHours
        | DayRule::Holiday { .. }
        | DayRule::DayOff { .. }
        | DayRule::RegionalDayOff { .. }
        | DayRule::OverrideClosed { .. } => {}
        DayRule::TransferredWorkingDay {
            hours_of,
            shortened,
            ..
        } => {
            let _ = write!(
                ru,
                "; перенесённый рабочий день, часы как в {}",
                ru_weekday(hours_of)
            );
            let _ = write!(
                en,
                "; transferred working day with {} hours",
                en_weekday(hours_of)
            );
            if shortened {
                ru.push_str(", предпраздничный, на час короче");
                en.push_str(", pre-holiday, one hour shorter");
            }
        }
        DayRule::ShortenedDay { .. } => {
            ru.push_str("; предпраздничный день, на час короче");
            en.push_str("; shortened pre-holiday day, one hour shorter");
        }
        DayRule::OverrideHours { note } => {
            let _ = write!(ru, "; особый график «{note}»");
            let _ = write!(en, "; special hours «{note}»");
        }
    }
}

fn specialists_take_it(out: &mut ReasonText) {
    out.ru.push_str(" Звонок принимают специалисты.");
    out.en.push_str(" Specialists take the call.");
}

/// Automatic or manual transfer to `count` candidates.
pub(super) fn to_staff(
    Hours { roster, calendar }: Hours<'_>,
    first_organisation: usize,
    status: &ScheduleStatus<'_>,
    routing: TopicRouting,
    listed: Listed,
) -> ReasonText {
    let mut out = reason();
    topic_prefix(&mut out, &roster.topic);
    let org = &roster.organisations[first_organisation].organisation;
    organisation_status(&mut out, calendar, org, status);
    let count = listed.count;
    let staff_ru = ru_plural(count, ["сотрудник", "сотрудника", "сотрудников"]);
    let timeout = routing.attempt_timeout_seconds;
    match routing.transfer_mode {
        TransferMode::Automatic => {
            let _ = write!(
                out.ru,
                "; автоматический перевод, {count} {staff_ru} {}, по {timeout} с на попытку",
                strategy_ru(routing.strategy)
            );
            let _ = write!(
                out.en,
                "; automatic transfer, {count} staff {}, {timeout} s per attempt",
                strategy_en(routing.strategy)
            );
        }
        TransferMode::Manual => {
            let _ = write!(
                out.ru,
                "; ручной перевод: специалист соединит с ответственным ({count} {staff_ru} на месте)"
            );
            let _ = write!(
                out.en,
                "; manual transfer: a specialist connects the caller ({count} staff available)"
            );
        }
    }
    if listed.more {
        let _ = write!(
            out.ru,
            "; доступны и другие, в списке первые {count} по порядку"
        );
        let _ = write!(
            out.en,
            "; more are reachable, the list holds the first {count} in order"
        );
    }
    out
}

/// Nobody covering the topic is open; when the first of them opens again.
pub(super) fn after_hours(
    Hours { roster, calendar }: Hours<'_>,
    statuses: &[ScheduleStatus<'_>],
    opening: Option<(&Organisation, Opening<'_>)>,
) -> ReasonText {
    let mut out = reason();
    topic_prefix(&mut out, &roster.topic);
    out.ru.push_str("нерабочее время. ");
    out.en.push_str("after hours. ");
    for (listed, (org, status)) in roster.organisations.iter().zip(statuses).enumerate() {
        if listed == MAX_LISTED {
            let more = roster.organisations.len() - MAX_LISTED;
            let ru = ["организация", "организации", "организаций"];
            and_more(&mut out, more, ru);
            break;
        }
        if listed > 0 {
            out.ru.push_str("; ");
            out.en.push_str("; ");
        }
        organisation_status(&mut out, calendar, &org.organisation, status);
    }
    out.ru.push('.');
    out.en.push('.');
    match opening {
        Some((org, opening)) => {
            let date = opening.local.date();
            let time = ClockTime(opening.local.time());
            let (weekday, day) = (date.weekday(), DayMonth(date));
            let _ = write!(
                out.ru,
                " Ближайшее открытие: {}, {} {day} в {time}",
                org.name,
                ru_weekday(weekday)
            );
            let _ = write!(
                out.en,
                " Next opening: {}, {} {day} at {time}",
                org.name,
                en_weekday(weekday)
            );
            if org.time_zone != crate::routing::calendar::REGION_ZONE {
                let _ = write!(out.ru, " ({})", org.time_zone.name());
                let _ = write!(out.en, " ({})", org.time_zone.name());
            }
            if let Some(year) = unconfirmed_basis(calendar, org, opening.rule, opening.local) {
                out.ru.push_str(", ");
                out.en.push_str(", ");
                by_rule(&mut out, year);
            }
            out.ru.push('.');
            out.en.push('.');
        }
        None => {
            let days = NEXT_OPENING_LIMIT_DAYS;
            let _ = write!(out.ru, " В ближайшие {days} дней ни одна не откроется.");
            let _ = write!(out.en, " None opens within {days} days.");
        }
    }
    specialists_take_it(&mut out);
    out
}

/// "; и ещё 2 организации" / "; and 2 more".
fn and_more(out: &mut ReasonText, count: usize, ru_forms: [&str; 3]) {
    let _ = write!(out.ru, "; и ещё {count} {}", ru_plural(count, ru_forms));
    let _ = write!(out.en, "; and {count} more");
}

/// An organisation is open, but its staff on the topic are all absent or inactive.
pub(super) fn nobody_reachable(
    Hours { roster, calendar }: Hours<'_>,
    statuses: &[ScheduleStatus<'_>],
    open: usize,
) -> ReasonText {
    let mut out = reason();
    topic_prefix(&mut out, &roster.topic);
    organisation_status(
        &mut out,
        calendar,
        &roster.organisations[open].organisation,
        &statuses[open],
    );
    out.ru.push_str(", но никто из ответственных не доступен: ");
    out.en
        .push_str(", but no responsible staff member is reachable: ");
    let unreachable = roster
        .staff
        .iter()
        .filter(|entry| statuses[entry.organisation].is_open());
    let total = unreachable.clone().count();
    for (listed, entry) in unreachable.take(MAX_LISTED).enumerate() {
        if listed > 0 {
            out.ru.push_str("; ");
            out.en.push_str("; ");
        }
        let today = statuses[entry.organisation].local.date();
        let staff = &entry.staff;
        let _ = write!(out.ru, "{} — ", staff.full_name);
        let _ = write!(out.en, "{} — ", staff.full_name);
        if !staff.active {
            out.ru.push_str("запись неактивна");
            out.en.push_str("inactive");
        } else if let Some(absence) = entry.absence_on(today) {
            let last = DayMonth(absence.last_day);
            let what = if absence.reason.is_empty() {
                "отсутствует"
            } else {
                &absence.reason
            };
            let _ = write!(out.ru, "{what} по {last}");
            let _ = write!(out.en, "absent ({what}) through {last}");
        } else {
            // Cannot happen (they would be a candidate); say so rather than panic.
            out.ru.push_str("доступен");
            out.en.push_str("reachable");
        }
    }
    if total > MAX_LISTED {
        let ru = ["сотрудник", "сотрудника", "сотрудников"];
        and_more(&mut out, total - MAX_LISTED, ru);
    }
    out.ru.push('.');
    out.en.push('.');
    specialists_take_it(&mut out);
    out
}

/// A topic with an agency but nobody named for it anywhere.
pub(super) fn nobody_covers(topic: &Topic) -> ReasonText {
    let mut out = reason();
    topic_prefix(&mut out, topic);
    out.ru
        .push_str("в справочнике нет ответственных сотрудников по теме.");
    out.en
        .push_str("the directory names no responsible staff for the topic.");
    specialists_take_it(&mut out);
    out
}

pub(super) fn unknown_line(line: &LineNumber) -> ReasonText {
    let mut out = reason();
    let _ = write!(out.ru, "Линии {line} нет в справочнике.");
    let _ = write!(out.en, "Line {line} is not in the directory.");
    specialists_take_it(&mut out);
    out
}

pub(super) fn no_input(line: &Line) -> ReasonText {
    let mut out = reason();
    let _ = write!(
        out.ru,
        "Линия {}: абонент не выбрал пункт меню.",
        line.number
    );
    let _ = write!(
        out.en,
        "Line {}: the caller chose nothing from the menu.",
        line.number
    );
    specialists_take_it(&mut out);
    out
}

pub(super) fn invalid_digit(line: &Line, digit: char) -> ReasonText {
    let mut out = reason();
    let _ = write!(out.ru, "Линия {}: цифры «{digit}» нет в меню.", line.number);
    let _ = write!(
        out.en,
        "Line {}: digit '{digit}' is not on the menu.",
        line.number
    );
    specialists_take_it(&mut out);
    out
}

pub(super) fn specialist_requested(line: &Line, item: &MenuItem) -> ReasonText {
    let mut out = reason();
    let (number, digit, label) = (&line.number, item.digit, &item.label_ru);
    let _ = write!(
        out.ru,
        "Линия {number}: цифра «{digit}» («{label}») — соединение со специалистом."
    );
    let _ = write!(
        out.en,
        "Line {number}: digit '{digit}' («{label}») asks for a specialist."
    );
    specialists_take_it(&mut out);
    out
}

pub(super) fn unknown_topic(code: &TopicCode) -> ReasonText {
    let mut out = reason();
    let _ = write!(out.ru, "Темы `{code}` нет в справочнике.");
    let _ = write!(out.en, "Topic `{code}` is not in the directory.");
    specialists_take_it(&mut out);
    out
}

pub(super) fn specialist_topic(topic: &Topic) -> ReasonText {
    let mut out = reason();
    topic_prefix(&mut out, topic);
    out.ru
        .push_str("у темы нет ответственного ведомства, консультируют специалисты контакт-центра.");
    out.en
        .push_str("the topic has no responsible agency; the contact-center specialists advise.");
    out
}
