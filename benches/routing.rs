//! How long `routing::decide` takes on a directory of regional size: 50 organisations
//! (agencies, their institutions, municipal bodies; lunch breaks; four time zones) and
//! 2,000 staff on 6 topics, some absent, some inactive.
//!
//! Two parts:
//! - criterion benchmarks per kind of instant (working hours, lunch, after hours,
//!   holiday, a year with no decree loaded), each deciding once per menu digit;
//! - a plain loop over 100,000 decisions on a mix of instants, timing each one, that
//!   prints p50/p90/p99/p99.9 (criterion reports means; the target is on p99) and
//!   whether the goal (p99 ≤ 2 µs, at most `MAX_CANDIDATES` staff listed) is met; then
//!   the same with each decision's reason written out, which the policy leaves to
//!   whoever reads it (the journal, a screen); each with the call history as the
//!   service keeps it (`CallHistory`: each topic's staff kept in least-recent order)
//!   and with bare `LastCalls`; and the cost of noting a call in the history.
//!
//! Run with `cargo bench --bench routing`.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use hotline::routing::model::*;
use hotline::routing::{
    CallHistory, CallRecency, LastCalls, MAX_CANDIDATES, MenuChoice, RouteRequest, decide,
};

const ORGANISATIONS: usize = 50;
const STAFF: usize = 2_000;
/// Issue 14's goal for one decision on this directory, reasons left unwritten.
const GOAL_P99_NS: u64 = 2_000;
const TOPICS: usize = 6;

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time")
}

fn interval(opens: (u32, u32), closes: (u32, u32)) -> Interval {
    Interval {
        opens: time(opens.0, opens.1),
        closes: (closes != (24, 0)).then(|| time(closes.0, closes.1)),
    }
}

fn week(weekdays: usize, intervals: &[Interval]) -> WeeklyHours {
    let mut hours = WeeklyHours::default();
    for day in hours.days.iter_mut().take(weekdays) {
        *day = intervals.to_vec();
    }
    hours
}

/// A handful of realistic schedules; organisations cycle through them.
fn schedules() -> Vec<(WeeklyHours, bool)> {
    vec![
        // Office with a lunch break.
        (
            week(5, &[interval((9, 0), (13, 0)), interval((14, 0), (18, 0))]),
            true,
        ),
        // Municipal office, earlier.
        (
            week(5, &[interval((8, 0), (12, 0)), interval((13, 0), (17, 0))]),
            true,
        ),
        // Hospital, six days.
        (week(6, &[interval((8, 0), (20, 0))]), true),
        // Polyclinic with a short lunch.
        (
            week(5, &[interval((8, 0), (12, 30)), interval((13, 0), (19, 0))]),
            true,
        ),
        // Round-the-clock duty service, ignoring the calendar.
        (week(7, &[interval((0, 0), (24, 0))]), false),
    ]
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

/// The 2026 calendar as the service has it: the statutory rule and the shipped decree.
fn calendar_2026() -> ProductionCalendar {
    let file = hotline::directory::calendar::parse_calendar(include_str!("../calendar/2026.txt"))
        .expect("the shipped 2026 decree parses");
    file.calendar()
}

fn code(prefix: &str, index: usize) -> OrganisationCode {
    OrganisationCode(format!("{prefix}{index:02}"))
}

/// 10 agencies, each with 3 institutions, and 10 municipal bodies.
fn organisations() -> Vec<Organisation> {
    let zones: [Tz; 4] = [
        chrono_tz::Asia::Irkutsk,
        chrono_tz::Asia::Irkutsk,
        chrono_tz::Asia::Vladivostok,
        chrono_tz::Europe::Moscow,
    ];
    let schedules = schedules();
    let mut list = Vec::with_capacity(ORGANISATIONS);
    for index in 0..ORGANISATIONS {
        let (code, kind, parent) = match index {
            0..10 => (
                code("agency", index),
                OrganisationKind::RegionalAgency,
                None,
            ),
            10..40 => {
                let parent = code("agency", (index - 10) / 3);
                (
                    code("inst", index),
                    OrganisationKind::Institution,
                    Some(parent),
                )
            }
            _ => (code("muni", index), OrganisationKind::MunicipalBody, None),
        };
        let (weekly_hours, follows_production_calendar) =
            schedules[index % schedules.len()].clone();
        let mut overrides = BTreeMap::new();
        if index % 7 == 0 {
            let note = "санитарный день".to_owned();
            overrides.insert(date(2026, 5, 13), ScheduleOverride::Closed { note });
        }
        list.push(Organisation {
            name: format!("Организация № {index}"),
            code,
            kind,
            parent,
            time_zone: zones[(index / 5) % zones.len()],
            follows_production_calendar,
            weekly_hours,
            overrides,
        });
    }
    list
}

/// Each organisation covers two topics (`index % 6` and the next one).
fn topics_of(organisation: usize) -> [usize; 2] {
    [organisation % TOPICS, (organisation + 1) % TOPICS]
}

fn topic_code(topic: usize) -> TopicCode {
    TopicCode(format!("topic{topic}"))
}

fn topics(organisations: &[Organisation]) -> HashMap<TopicCode, Topic> {
    let strategies = [
        HuntStrategy::Sequential,
        HuntStrategy::RingAll,
        HuntStrategy::LeastRecent,
    ];
    (0..TOPICS)
        .map(|topic| {
            let agency = topic % 10;
            let defaults = TopicRouting {
                transfer_mode: if topic == 5 {
                    TransferMode::Manual
                } else {
                    TransferMode::Automatic
                },
                strategy: strategies[topic % strategies.len()],
                attempt_timeout_seconds: 20,
            };
            // The agency first, then its institutions; others follow by code.
            let mut order = vec![TopicOrganisation {
                organisation: organisations[agency].code.clone(),
                priority: 10,
                routing: defaults,
            }];
            for institution in 0..3 {
                order.push(TopicOrganisation {
                    organisation: organisations[10 + agency * 3 + institution].code.clone(),
                    priority: 20,
                    routing: TopicRouting {
                        strategy: HuntStrategy::RingAll,
                        attempt_timeout_seconds: 15,
                        ..defaults
                    },
                });
            }
            let topic = Topic {
                code: topic_code(topic),
                name_ru: format!("Тема {topic}"),
                name_en: format!("Topic {topic}"),
                agency: Some(organisations[agency].code.clone()),
                defaults,
                organisations: order,
            };
            (topic.code.clone(), topic)
        })
        .collect()
}

fn staff(organisations: &[Organisation]) -> Vec<Arc<ResponsibleStaff>> {
    (0..STAFF)
        .map(|index| {
            let organisation = index % ORGANISATIONS;
            let [first, second] = topics_of(organisation);
            // Half cover both of their organisation's topics.
            let topics = if index % 2 == 0 {
                vec![first, second]
            } else {
                vec![first]
            };
            let mut absences = Vec::new();
            if index % 10 == 3 {
                // On leave around the benchmark's instants.
                absences.push(Absence {
                    first_day: date(2026, 5, 4 + (index % 9) as u32),
                    last_day: date(2026, 5, 12 + (index % 5) as u32),
                    reason: "отпуск".into(),
                });
            }
            if index % 10 == 7 {
                absences.push(Absence {
                    first_day: date(2026, 3, 1),
                    last_day: date(2026, 3, 14),
                    reason: "больничный".into(),
                });
            }
            Arc::new(ResponsibleStaff {
                id: StaffId(index as i64 + 1),
                full_name: format!("Сотрудник {index}"),
                position: "специалист".into(),
                organisation: organisations[organisation].code.clone(),
                endpoint: DialTarget::parse(&format!("PJSIP/staff{index:04}")).expect("endpoint"),
                priority: (index % 4) as i32 * 10,
                active: index % 25 != 0,
                topics: topics.into_iter().map(topic_code).collect(),
                absences,
            })
        })
        .collect()
}

fn directory() -> DirectorySnapshot {
    let organisations = organisations();
    let topics = topics(&organisations);
    let staff = staff(&organisations);
    let mut menu: BTreeMap<char, MenuItem> = (0..TOPICS)
        .map(|topic| {
            let digit = char::from(b'1' + topic as u8);
            let item = MenuItem {
                digit,
                topic: Some(topic_code(topic)),
                label_ru: format!("Тема {topic}"),
            };
            (digit, item)
        })
        .collect();
    menu.insert(
        '0',
        MenuItem {
            digit: '0',
            topic: None,
            label_ru: "Специалист".into(),
        },
    );
    let line = Line {
        number: LineNumber("122".into()),
        name: "Линия 122".into(),
        menu_prompt: "hotline/menu-122".into(),
        greeting_prompt: None,
        digit_timeout_seconds: 7,
        menu_attempts: 3,
        record_calls: false,
        menu,
    };
    let specialists = (1..=20)
        .map(|id| Specialist {
            id: SpecialistId(id),
            full_name: format!("Оператор {id}"),
            endpoint: DialTarget::parse(&format!("PJSIP/op{id}")).expect("endpoint"),
            active: id % 5 != 0,
        })
        .collect();
    DirectorySnapshot {
        lines: [(line.number.clone(), line)].into(),
        topics,
        organisations: organisations
            .into_iter()
            .map(|org| (org.code.clone(), Arc::new(org)))
            .collect(),
        calendar: calendar_2026(),
        staff,
        specialists,
        ..Default::default()
    }
    .validated()
    .expect("the synthetic directory is valid")
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("instant")
        .with_timezone(&Utc)
}

/// Instants by kind, Irkutsk time.
const INSTANTS: &[(&str, &str)] = &[
    ("working", "2026-05-12T10:00:00+08:00"),
    ("working", "2026-05-14T15:30:00+08:00"),
    ("lunch", "2026-05-12T13:30:00+08:00"),
    ("lunch", "2026-05-13T12:45:00+08:00"),
    ("after_hours", "2026-05-12T21:00:00+08:00"),
    ("after_hours", "2026-05-16T07:00:00+08:00"),
    ("holiday", "2026-05-09T11:00:00+08:00"),
    ("holiday", "2026-01-03T11:00:00+08:00"),
    ("shortened", "2026-05-08T17:30:00+08:00"),
    // A year with no decree loaded: the day comes from the Labour Code rule, computed
    // per call (a holiday, and a working day the rule has to clear).
    ("rule_only", "2028-01-05T11:00:00+08:00"),
    ("rule_only", "2028-03-14T10:00:00+08:00"),
];

/// A call history for the least-recent topics: half the staff were called.
fn recency() -> LastCalls {
    called_every(2)
}

/// A call history where every `nth` staff member was called; with 1, everyone was,
/// the worst case for `least_recent` (nobody never-called cuts the walk short).
fn called_every(nth: i64) -> LastCalls {
    let start = instant("2026-05-12T09:00:00+08:00");
    (0..STAFF as i64)
        .filter(|id| id % nth == 0)
        .map(|id| {
            (
                StaffId(id + 1),
                start + chrono::TimeDelta::seconds(id * 7 % 3600),
            )
        })
        .collect()
}

/// The requests for one kind of instant (or all), with a label each: every menu digit
/// (the six topics, the specialist, one not on the menu) at each instant.
fn requests(kind: Option<&str>) -> Vec<(String, RouteRequest)> {
    let mut list = Vec::new();
    for (label, at) in INSTANTS
        .iter()
        .filter(|(k, _)| kind.is_none_or(|kind| kind == *k))
    {
        for digit in ['1', '2', '3', '4', '5', '6', '0', '9'] {
            let request = RouteRequest {
                line: LineNumber("122".into()),
                choice: MenuChoice::Digit(digit),
                at: instant(at),
            };
            list.push((format!("{label} {at} digit {digit}"), request));
        }
    }
    list
}

/// The history as the service keeps it: the last calls and, for this snapshot, each
/// topic's staff in least-recent order.
fn kept(snapshot: &DirectorySnapshot, last: LastCalls) -> CallHistory {
    let mut history = CallHistory::new(last);
    history.follow(snapshot);
    history
}

fn by_kind(c: &mut Criterion) {
    let snapshot = directory();
    let recency = kept(&snapshot, recency());
    let mut group = c.benchmark_group("decide");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for kind in ["working", "lunch", "after_hours", "holiday", "rule_only"] {
        let requests = requests(Some(kind));
        group.bench_function(kind, |b| {
            let mut next = 0;
            b.iter(|| {
                next = (next + 1) % requests.len();
                black_box(decide(&snapshot, black_box(&requests[next].1), &recency))
            });
        });
    }
    group.finish();
}

/// Percentiles of a sorted list of nanoseconds.
fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

/// p50/p99 per decision, timed one by one over a mix of all instants and digits, then
/// the same without the least-recent topics, and the slowest requests; with half the
/// staff called before, then with everyone called.
fn percentiles(_: &mut Criterion) {
    let snapshot = directory();
    for (history, last) in [
        ("half the staff called before", recency()),
        ("everyone called before", called_every(1)),
    ] {
        let label = format!("{history}, CallHistory as the service keeps it");
        percentiles_with(
            &snapshot,
            &label,
            &kept(&snapshot, last.clone()),
            Timed::Judged,
        );
        let label = format!("{history}, bare LastCalls (no order kept)");
        percentiles_with(&snapshot, &label, &last, Timed::Decision);
    }
    let label = "half the staff called before, CallHistory";
    percentiles_with(
        &snapshot,
        label,
        &kept(&snapshot, recency()),
        Timed::WithReason,
    );
    noting_calls(&snapshot);
}

/// What keeping the orders costs: `CallHistory::called` per dial attempt, moving the
/// person in each of their topics' orders (everyone called before, each new call the
/// newest, as in service).
fn noting_calls(snapshot: &DirectorySnapshot) {
    const CALLS: usize = 100_000;
    let mut history = kept(snapshot, called_every(1));
    let start = instant("2026-05-12T11:00:00+08:00");
    let mut nanos = Vec::with_capacity(CALLS);
    for call in 0..CALLS {
        let staff = StaffId((call * 7919 % STAFF) as i64 + 1);
        let at = start + chrono::TimeDelta::seconds(call as i64);
        let started = Instant::now();
        history.called(black_box(staff), at);
        nanos.push(started.elapsed().as_nanos() as u64);
    }
    black_box(history.last_called_second(StaffId(1)));
    nanos.sort_unstable();
    println!(
        "CallHistory::called over {CALLS} calls (each person on 1-2 topics of 300-640 staff): \
         p50 {} ns, p99 {} ns",
        percentile(&nanos, 0.5),
        percentile(&nanos, 0.99)
    );
}

/// What one timed run covers, and whether the goal is judged on it.
#[derive(Clone, Copy, PartialEq)]
enum Timed {
    /// The decision as the service takes it (with `CallHistory`): the goal applies.
    Judged,
    /// The decision alone, for comparison (bare `LastCalls`, not what the service uses).
    Decision,
    /// The decision and its reason written out.
    WithReason,
}

fn percentiles_with(
    snapshot: &DirectorySnapshot,
    history: &str,
    recency: &impl CallRecency,
    timed: Timed,
) {
    let with_reason = timed == Timed::WithReason;
    const DECISIONS: usize = 100_000;
    let requests = requests(None);
    // Warm up caches and the branch predictor.
    for (_, request) in requests.iter().cycle().take(10_000) {
        black_box(decide(snapshot, request, recency));
    }
    let mut by_request: Vec<Vec<u64>> = vec![Vec::new(); requests.len()];
    let mut candidates = vec![0usize; requests.len()];
    let mut strategies = vec![None; requests.len()];
    for index in (0..requests.len()).cycle().take(DECISIONS) {
        // Timed: the decision (and, if asked, writing its reason) and dropping it.
        let started = Instant::now();
        let decision = black_box(decide(snapshot, &requests[index].1, recency));
        if with_reason {
            black_box(decision.reason.texts());
        }
        candidates[index] = decision.candidates.len();
        strategies[index] = decision.strategy;
        drop(decision);
        by_request[index].push(started.elapsed().as_nanos() as u64);
    }
    let summary = |nanos: &mut Vec<u64>| {
        nanos.sort_unstable();
        format!(
            "p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns",
            percentile(nanos, 0.50),
            percentile(nanos, 0.90),
            percentile(nanos, 0.99),
            percentile(nanos, 0.999),
        )
    };
    let mut all: Vec<u64> = by_request.iter().flatten().copied().collect();
    let average = candidates.iter().sum::<usize>() as f64 / candidates.len() as f64;
    let what = if with_reason {
        "decide + reason.texts()"
    } else {
        "decide"
    };
    println!(
        "{what} over {DECISIONS} decisions ({ORGANISATIONS} organisations, {STAFF} staff, \
         {TOPICS} topics, {} kinds of request, {average:.0} candidates listed on average, \
         {history}):\n  all: {}",
        requests.len(),
        summary(&mut all),
    );
    let p99 = percentile(&all, 0.99);
    let most = candidates.iter().copied().max().unwrap_or(0);
    // The goal is on the decision as the service takes it, reasons left unwritten.
    if timed == Timed::Judged {
        println!(
            "  goal p99 <= {GOAL_P99_NS} ns: {} ({p99} ns); at most {most} candidates listed \
         (the cap, MAX_CANDIDATES, is {MAX_CANDIDATES}): {}",
            if p99 <= GOAL_P99_NS { "met" } else { "MISSED" },
            if most <= MAX_CANDIDATES {
                "held"
            } else {
                "BROKEN"
            },
        );
    }
    let least_recent = |index: &usize| strategies[*index] == Some(HuntStrategy::LeastRecent);
    let mut others: Vec<u64> = (0..requests.len())
        .filter(|index| !least_recent(index))
        .flat_map(|index| by_request[index].iter().copied())
        .collect();
    println!("  without least_recent decisions: {}", summary(&mut others));
    let mut slowest: Vec<(u64, usize)> = by_request
        .iter_mut()
        .enumerate()
        .map(|(index, nanos)| {
            nanos.sort_unstable();
            (percentile(nanos, 0.5), index)
        })
        .collect();
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    let print = |(median, index): &(u64, usize)| {
        println!(
            "    {median:>6} ns  {}  ({} candidates, {:?})",
            requests[*index].0, candidates[*index], strategies[*index]
        );
    };
    println!("  slowest requests by median:");
    slowest.iter().take(4).for_each(print);
    println!("  slowest without least_recent:");
    slowest
        .iter()
        .filter(|(_, index)| !least_recent(index))
        .take(4)
        .for_each(print);
}

criterion_group!(benches, by_kind, percentiles);
criterion_main!(benches);
