//! A report as CSV, with the columns the console's table shows (Russian headings,
//! for the supervisor's spreadsheet), UTF-8 with a byte-order mark so that Excel
//! reads the Cyrillic right.

use super::CallReport;

/// The headings, in column order.
pub const HEADINGS: [&str; 24] = [
    "Период",
    "Код",
    "Группа",
    "Поступило",
    "Автоматически ответственным",
    "Переведено специалистом",
    "Ответили специалисты",
    "Брошено в меню",
    "Брошено в очереди",
    "Брошено при вызове сотрудника",
    "Прочие исходы",
    "Отвечено за порог",
    "Уровень обслуживания, %",
    "Среднее время ответа, с",
    "Среднее время разговора, с",
    "В нерабочее время",
    "Доля нерабочего времени, %",
    "Обращений зарегистрировано",
    "Обращений выполнено",
    "Обратных звонков запрошено",
    "Обратных звонков выполнено",
    "Средний срок выполнения, ч",
    "Не выполнено на конец периода",
    "Их средний возраст, ч",
];

/// The CSV text of `rows`; `name` gives a group's name by its key.
pub fn to_csv(rows: &[CallReport], name: impl Fn(&str) -> String) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(HEADINGS)
        .expect("writing to memory cannot fail");
    let percent = |share: Option<f64>| share.map_or(String::new(), |s| format!("{:.1}", s * 100.0));
    let one = |value: Option<f64>| value.map_or(String::new(), |v| format!("{v:.1}"));
    for row in rows {
        let record = [
            row.period_start.format("%Y-%m-%d %H:%M").to_string(),
            row.key.clone(),
            name(&row.key),
            row.offered.to_string(),
            row.answered_by_staff_automatically.to_string(),
            row.transferred_manually.to_string(),
            row.answered_by_specialists.to_string(),
            row.abandoned_in_menu.to_string(),
            row.abandoned_in_queue.to_string(),
            row.abandoned_while_staff_rang.to_string(),
            row.other_outcomes.to_string(),
            row.answered_within_threshold.to_string(),
            percent(row.service_level),
            one(row.average_speed_of_answer_seconds),
            one(row.average_handle_time_seconds),
            row.after_hours.to_string(),
            percent(row.after_hours_share),
            row.appeals_opened.to_string(),
            row.appeals_closed.to_string(),
            row.callbacks_opened.to_string(),
            row.callbacks_closed.to_string(),
            one(row.appeal_average_age_hours_at_close),
            row.appeals_open_at_end.to_string(),
            one(row.appeals_open_average_age_hours),
        ];
        writer
            .write_record(&record)
            .expect("writing to memory cannot fail");
    }
    let bytes = writer.into_inner().expect("flushing to memory cannot fail");
    let mut text = String::from('\u{feff}');
    text.push_str(&String::from_utf8(bytes).expect("every field is UTF-8"));
    text
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn a_row_has_every_column_and_names_with_commas_are_quoted() {
        let row = CallReport {
            period_start: NaiveDate::from_ymd_opt(2026, 11, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            key: "minzdrav".into(),
            offered: 4,
            answered_within_threshold: 3,
            service_level: Some(0.75),
            average_speed_of_answer_seconds: Some(12.34),
            ..CallReport::default()
        };
        let text = to_csv(&[row], |_| "Минздрав, область".to_owned());
        assert!(text.starts_with('\u{feff}'));
        let body = text.trim_start_matches('\u{feff}');
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), HEADINGS.len());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].len(), HEADINGS.len());
        assert_eq!(&records[0][2], "Минздрав, область");
        let lines: Vec<&str> = body.lines().collect();
        assert!(
            lines[1].starts_with("2026-11-01 00:00,minzdrav,\"Минздрав, область\",4,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",3,75.0,12.3,"), "{}", lines[1]);
    }
}
