//! What each named rule of the schema means, for people who edit rosters in SQL.
//!
//! Postgres names the constraint a refused edit broke, and prints the failing row or
//! key in its DETAIL. [`EditRefusal`] puts those together with a human explanation
//! (English / Russian) from [`constraint_message`], so the editor reads which row was
//! refused and why, not just an SQLSTATE.

use std::fmt;

use sqlx::postgres::PgDatabaseError;

/// Explanations of every constraint in the schema (including the ones Postgres names
/// itself: `*_pkey`, `*_fkey`, and those raised by triggers), "English / Russian".
/// A test checks that every constraint of the migrated database is listed here.
const CONSTRAINTS: &[(&str, &str)] = &[
    // line
    (
        "line_pkey",
        "each line number appears once / номер линии должен быть уникален",
    ),
    (
        "line_number_is_digits",
        "a line number is 2 to 6 digits, e.g. 122 / номер линии — от 2 до 6 цифр, например 122",
    ),
    (
        "line_name_not_blank",
        "a line needs a name / у линии должно быть название",
    ),
    (
        "line_menu_prompt_is_sound_name",
        "the menu prompt is an Asterisk sound name such as hotline/menu-122 (letters, digits, _ - /) / приветствие меню — имя звукового файла Asterisk, например hotline/menu-122 (латиница, цифры, _ - /)",
    ),
    (
        "line_greeting_prompt_is_sound_name",
        "the greeting is an Asterisk sound name such as hotline/greeting-122 (letters, digits, _ - /) / приветствие — имя звукового файла Asterisk, например hotline/greeting-122 (латиница, цифры, _ - /)",
    ),
    (
        "line_digit_timeout_in_range",
        "the wait for a digit is 1 to 60 seconds / ожидание цифры — от 1 до 60 секунд",
    ),
    (
        "line_menu_attempts_in_range",
        "the menu is offered 1 to 9 times / меню повторяется от 1 до 9 раз",
    ),
    (
        "line_recording_retention_in_range",
        "recordings are kept 1 to 3650 days / записи разговоров хранятся от 1 до 3650 дней",
    ),
    // organisation
    (
        "organisation_pkey",
        "each organisation code appears once / код организации должен быть уникален",
    ),
    (
        "organisation_code_is_lowercase_word",
        "an organisation code is a short lowercase word: a-z first, then a-z 0-9 _ - (up to 48) / код организации — короткое слово строчной латиницей: первая буква a-z, далее a-z 0-9 _ - (до 48)",
    ),
    (
        "organisation_name_not_blank",
        "an organisation needs a name / у организации должно быть название",
    ),
    (
        "organisation_institution_has_parent",
        "an institution must name its parent agency, and only an institution has one / подведомственное учреждение должно указывать вышестоящий орган (parent), а у органов власти его нет",
    ),
    (
        "organisation_not_own_parent",
        "an organisation cannot be its own parent / организация не может подчиняться сама себе",
    ),
    (
        "organisation_parent_fkey",
        "the parent must be an existing organisation (and cannot be removed while institutions refer to it) / вышестоящий орган должен существовать (и его нельзя удалить, пока на него ссылаются учреждения)",
    ),
    (
        "organisation_parent_is_agency",
        "the parent must be an agency or a municipal body, not an institution / вышестоящим может быть только орган власти или орган местного самоуправления, не учреждение",
    ),
    (
        "organisation_time_zone_known",
        "the time zone must be an IANA name such as Asia/Irkutsk / часовой пояс — имя IANA, например Asia/Irkutsk",
    ),
    // working_hours
    (
        "working_hours_organisation_fkey",
        "working hours must belong to an existing organisation / часы работы должны относиться к существующей организации",
    ),
    (
        "working_hours_weekday_iso",
        "the weekday is ISO: 1 = Monday ... 7 = Sunday / день недели по ISO: 1 — понедельник ... 7 — воскресенье",
    ),
    (
        "working_hours_opens_before_closes",
        "an interval must open before it closes; write one crossing midnight as two rows / интервал должен начинаться раньше, чем заканчивается; интервал через полночь записывается двумя строками",
    ),
    (
        "working_hours_no_overlap",
        "intervals of one organisation on one weekday must not overlap / интервалы одной организации в один день недели не должны пересекаться",
    ),
    // production_calendar
    (
        "production_calendar_pkey",
        "each date appears once in the production calendar / каждая дата встречается в производственном календаре один раз",
    ),
    (
        "production_calendar_hours_of_weekday_iso",
        "hours_of_weekday is ISO: 1 = Monday ... 7 = Sunday / hours_of_weekday по ISO: 1 — понедельник ... 7 — воскресенье",
    ),
    (
        "production_calendar_hours_only_for_working_days",
        "hours_of_weekday applies only to a transferred working day (kind working) / hours_of_weekday указывается только для перенесённого рабочего дня (kind = working)",
    ),
    // calendar_decree, calendar_transfer, regional_day_off
    (
        "calendar_decree_pkey",
        "each year has one decree / у каждого года одно постановление о переносе выходных",
    ),
    (
        "calendar_decree_year_in_range",
        "a decree's year is 1992 to 2200 / год постановления — от 1992 до 2200",
    ),
    (
        "calendar_decree_source_not_blank",
        "a decree needs its source: number and date / у постановления должен быть указан источник: номер и дата",
    ),
    (
        "calendar_transfer_pkey",
        "a weekend day's day off moves once / выходной день переносится только один раз",
    ),
    (
        "calendar_transfer_to_day_once",
        "two days off cannot move to the same day / два выходных нельзя перенести на один день",
    ),
    (
        "calendar_transfer_year_fkey",
        "a transfer belongs to a loaded decree of its year / перенос относится к загруженному постановлению своего года",
    ),
    (
        "calendar_transfer_within_its_year",
        "a transfer moves a day off within its decree's year / перенос выходного — в пределах года постановления",
    ),
    (
        "calendar_transfer_from_a_weekend",
        "a transfer moves the day off of a Saturday or Sunday / переносится выходной день субботы или воскресенья",
    ),
    (
        "calendar_transfer_to_a_weekday",
        "a day off moves to a weekday, Monday to Friday / выходной переносится на будний день, с понедельника по пятницу",
    ),
    (
        "regional_day_off_pkey",
        "each date appears once among the regional days off / каждая дата встречается среди региональных выходных один раз",
    ),
    (
        "regional_day_off_note_not_blank",
        "a regional day off needs its name / у регионального выходного должно быть название",
    ),
    (
        "regional_day_off_act_not_blank",
        "a regional day off names the regional act that declares it / у регионального выходного указывается региональный акт, который его устанавливает",
    ),
    // schedule_override
    (
        "schedule_override_pkey",
        "each override id appears once / идентификатор исключения должен быть уникален",
    ),
    (
        "schedule_override_organisation_fkey",
        "an override must belong to an existing organisation / исключение в графике должно относиться к существующей организации",
    ),
    (
        "schedule_override_closed_xor_hours",
        "an override is either closed (no hours) or has both opens and closes / исключение — либо выходной (closed, без часов), либо с указанием и opens, и closes",
    ),
    (
        "schedule_override_opens_before_closes",
        "an override interval must open before it closes / интервал исключения должен начинаться раньше, чем заканчивается",
    ),
    (
        "schedule_override_no_overlap",
        "overrides of one organisation on one day must not overlap, and a closed day cannot also have hours / исключения одной организации на один день не должны пересекаться, а выходной день не может иметь часов работы",
    ),
    // topic
    (
        "topic_pkey",
        "each topic code appears once / код темы должен быть уникален",
    ),
    (
        "topic_code_is_lowercase_word",
        "a topic code is a short lowercase word: a-z first, then a-z 0-9 _ - (up to 48) / код темы — короткое слово строчной латиницей: первая буква a-z, далее a-z 0-9 _ - (до 48)",
    ),
    (
        "topic_name_ru_not_blank",
        "a topic needs a Russian name / у темы должно быть название на русском",
    ),
    (
        "topic_name_en_not_blank",
        "a topic needs an English name / у темы должно быть название на английском",
    ),
    (
        "topic_agency_fkey",
        "the responsible agency must be an existing organisation (and cannot be removed while topics refer to it) / ответственный орган должен существовать (и его нельзя удалить, пока на него ссылаются темы)",
    ),
    (
        "topic_agency_is_agency",
        "the responsible agency must be an agency or a municipal body, not an institution / ответственным может быть только орган власти или орган местного самоуправления, не учреждение",
    ),
    (
        "topic_attempt_timeout_in_range",
        "an attempt rings 5 to 120 seconds / попытка дозвона длится от 5 до 120 секунд",
    ),
    // topic_organisation
    (
        "topic_organisation_pkey",
        "a topic has one settings row per organisation / у темы одна строка настроек на организацию",
    ),
    (
        "topic_organisation_topic_fkey",
        "settings must refer to an existing topic / настройки должны относиться к существующей теме",
    ),
    (
        "topic_organisation_organisation_fkey",
        "settings must refer to an existing organisation / настройки должны относиться к существующей организации",
    ),
    (
        "topic_organisation_attempt_timeout_in_range",
        "an attempt rings 5 to 120 seconds / попытка дозвона длится от 5 до 120 секунд",
    ),
    // menu_item
    (
        "menu_item_digit_once_per_line",
        "a DTMF digit is used once per line / цифра DTMF используется в меню линии только один раз",
    ),
    (
        "menu_item_digit_is_dtmf",
        "a menu digit is one of 0-9 * # / пункт меню — одна из цифр 0-9, * или #",
    ),
    (
        "menu_item_topic_once_per_line",
        "a topic appears once in a line's menu / тема встречается в меню линии только один раз",
    ),
    (
        "menu_item_label_not_blank",
        "a menu item needs a label / у пункта меню должна быть подпись",
    ),
    (
        "menu_item_line_fkey",
        "a menu item must belong to an existing line / пункт меню должен относиться к существующей линии",
    ),
    (
        "menu_item_topic_fkey",
        "a menu item must select an existing topic (and a topic cannot be removed while a menu selects it) / пункт меню должен вести к существующей теме (и тему нельзя удалить, пока она есть в меню)",
    ),
    // staff
    (
        "staff_pkey",
        "each staff id appears once / идентификатор сотрудника должен быть уникален",
    ),
    (
        "staff_full_name_not_blank",
        "a staff member needs a full name / у сотрудника должно быть ФИО",
    ),
    (
        "staff_organisation_fkey",
        "a staff member must work in an existing organisation (and it cannot be removed while staff work there) / сотрудник должен работать в существующей организации (и её нельзя удалить, пока в ней есть сотрудники)",
    ),
    (
        "staff_endpoint_is_single_safe_channel",
        "a dial target must be one channel like PJSIP/name; & , ( ) $ { } ; spaces and control characters are forbidden / номер для вызова — один канал вида PJSIP/имя; символы & , ( ) $ { } ; пробелы и управляющие символы запрещены",
    ),
    // staff_topic
    (
        "staff_topic_pkey",
        "a staff member covers a topic once / сотрудник закрепляется за темой один раз",
    ),
    (
        "staff_topic_staff_fkey",
        "the staff member must exist / сотрудник должен существовать",
    ),
    (
        "staff_topic_topic_fkey",
        "the topic must exist / тема должна существовать",
    ),
    // staff_absence
    (
        "staff_absence_pkey",
        "each absence id appears once / идентификатор отсутствия должен быть уникален",
    ),
    (
        "staff_absence_staff_fkey",
        "an absence must belong to an existing staff member / отсутствие должно относиться к существующему сотруднику",
    ),
    (
        "staff_absence_first_before_last",
        "an absence starts on or before its last day / первый день отсутствия не позже последнего",
    ),
    (
        "staff_absence_no_overlap",
        "absences of one staff member must not overlap / периоды отсутствия одного сотрудника не должны пересекаться",
    ),
    // specialist
    (
        "specialist_pkey",
        "each specialist id appears once / идентификатор специалиста должен быть уникален",
    ),
    (
        "specialist_full_name_not_blank",
        "a specialist needs a full name / у специалиста должно быть ФИО",
    ),
    (
        "specialist_endpoint_is_single_safe_channel",
        "a dial target must be one channel like PJSIP/name; & , ( ) $ { } ; spaces and control characters are forbidden / номер для вызова — один канал вида PJSIP/имя; символы & , ( ) $ { } ; пробелы и управляющие символы запрещены",
    ),
    (
        "specialist_endpoint_unique",
        "two specialists cannot share a dial target / у двух специалистов не может быть одного номера для вызова",
    ),
    // journal (written by the service, not by editors; listed so no refusal is unexplained)
    (
        "call_record_pkey",
        "each call record id appears once / идентификатор записи о вызове должен быть уникален",
    ),
    (
        "call_record_call_key_unique",
        "a call is journaled once per channel id / вызов записывается в журнал один раз на идентификатор канала",
    ),
    (
        "call_record_via_known",
        "a call arrives via ari, agi or dialplan (the fallback, imported) / вызов поступает через ari, agi или dialplan (резервный маршрут, импорт)",
    ),
    (
        "call_record_outcome_when_ended",
        "a call has an outcome exactly when it has ended / у вызова есть итог тогда и только тогда, когда он завершён",
    ),
    (
        "call_record_recording_removed_after_made",
        "only a call with a recording can have its recording removed / удалить можно только существующую запись разговора",
    ),
    (
        "active_console_pkey",
        "one active console per ARI app / один активный экземпляр на приложение ARI",
    ),
    (
        "active_console_url_is_http",
        "the console address is http(s)://host:port without a path / адрес консоли — http(s)://узел:порт без пути",
    ),
    (
        "recording_access_pkey",
        "each recording access appears once / каждое обращение к записи уникально",
    ),
    (
        "recording_access_call_key_fkey",
        "a recording access names a call in the journal / обращение к записи ссылается на вызов из журнала",
    ),
    (
        "dial_attempt_pkey",
        "each dial attempt id appears once / идентификатор попытки дозвона должен быть уникален",
    ),
    (
        "dial_attempt_call_key_fkey",
        "a dial attempt belongs to a journaled call / попытка дозвона относится к записанному вызову",
    ),
    (
        "dial_attempt_leg_unique",
        "each dialled leg is journaled once / каждый исходящий канал записывается один раз",
    ),
    (
        "dial_attempt_callee_kind_known",
        "a callee is staff or specialist / вызываемый — staff или specialist",
    ),
    (
        "dial_attempt_result_when_ended",
        "an attempt has a result exactly when it has ended / у попытки есть результат тогда и только тогда, когда она завершена",
    ),
    (
        "call_transfer_pkey",
        "each transfer id appears once / идентификатор перевода должен быть уникален",
    ),
    (
        "call_transfer_call_key_fkey",
        "a transfer belongs to a journaled call / перевод относится к записанному вызову",
    ),
    (
        "call_transfer_origin_known",
        "a transfer comes from the console, a phone feature code or a phone's transfer button / перевод выполняется из консоли, кодом с телефона или кнопкой перевода телефона",
    ),
    (
        "call_transfer_result_known",
        "a transfer ends answered, failed, cancelled (after consulting) or abandoned / перевод завершается ответом, неудачей, отменой после консультации или уходом абонента",
    ),
    (
        "call_transfer_number_once",
        "each transfer of a call has its own number / у каждого перевода вызова свой номер",
    ),
    (
        "call_transfer_result_when_ended",
        "a transfer has a result exactly when it has ended / у перевода есть результат тогда и только тогда, когда он завершён",
    ),
    // console (src/http): accounts, sessions, appeals
    (
        "console_user_pkey",
        "each console user id appears once / идентификатор пользователя консоли должен быть уникален",
    ),
    (
        "console_user_login_unique",
        "this login is taken / такой логин уже занят",
    ),
    (
        "console_user_login_format",
        "a login is 2 to 64 characters: lowercase latin letters, digits, . _ - (first a letter or digit) / логин — от 2 до 64 символов: строчная латиница, цифры, . _ - (первый — буква или цифра)",
    ),
    (
        "console_user_password_hash_is_argon2",
        "only argon2 password hashes are stored / хранится только хеш пароля argon2",
    ),
    (
        "console_user_full_name_not_blank",
        "a console user needs a full name / у пользователя консоли должно быть ФИО",
    ),
    (
        "console_user_role_known",
        "the role is specialist, staff or admin / роль — specialist (специалист), staff (сотрудник организации) или admin (администратор)",
    ),
    (
        "console_user_specialist_once",
        "a specialist has one console login / у специалиста может быть только одна учётная запись консоли",
    ),
    (
        "console_user_staff_has_organisation",
        "a staff member's login must name their organisation / для сотрудника организации нужно указать организацию",
    ),
    (
        "console_user_organisation_only_for_staff",
        "only staff logins belong to an organisation / организация указывается только для сотрудников организаций (роль staff)",
    ),
    (
        "console_user_specialist_only_for_specialists",
        "only a specialist login links to a specialist / ссылка на специалиста указывается только для роли specialist",
    ),
    (
        "console_user_organisation_known",
        "the organisation must exist in the directory / организация должна быть в справочнике",
    ),
    (
        "console_user_specialist_known",
        "the specialist must exist in the directory / специалист должен быть в справочнике",
    ),
    (
        "console_session_pkey",
        "each session id appears once / идентификатор сеанса должен быть уникален",
    ),
    (
        "console_session_secret_hash_is_sha256",
        "a session stores a SHA-256 of its secret / в сеансе хранится SHA-256 секрета",
    ),
    (
        "console_session_user_id_fkey",
        "a session belongs to an existing console user / сеанс относится к существующему пользователю консоли",
    ),
    (
        "console_session_expires_after_creation",
        "a session expires after it starts / сеанс истекает позже, чем начинается",
    ),
    (
        "console_login_failure_pkey",
        "each failed sign-in is counted once / каждая неудачная попытка входа учитывается один раз",
    ),
    (
        "dialplan_fallback_import_pkey",
        "each fallback file's import position is kept once / позиция импорта файла резервного маршрута хранится один раз",
    ),
    (
        "dialplan_fallback_import_position",
        "an import position is a byte offset, not negative / позиция импорта — смещение в байтах, не отрицательное",
    ),
    (
        "specialist_desk_pkey",
        "each specialist has one desk state / у специалиста одно состояние рабочего места",
    ),
    (
        "specialist_desk_specialist_id_fkey",
        "a desk state belongs to a specialist of the directory / состояние рабочего места относится к специалисту из справочника",
    ),
    (
        "specialist_desk_state_known",
        "a desk state is ready, paused or signed_out / состояние: ready, paused или signed_out",
    ),
    (
        "roster_audit_pkey",
        "each audit entry appears once / каждая запись журнала изменений уникальна",
    ),
    (
        "roster_audit_action_known",
        "an audited change is an insert, update or delete / изменение в журнале — добавление, изменение или удаление",
    ),
    (
        "appeal_pkey",
        "each appeal id appears once / номер обращения должен быть уникален",
    ),
    (
        "appeal_line_is_digits",
        "the line is a short number of 2 to 6 digits, e.g. 122 / линия — короткий номер из 2–6 цифр, например 122",
    ),
    (
        "appeal_topic_known",
        "the topic must exist in the directory / тема должна быть в справочнике",
    ),
    (
        "appeal_has_organisation",
        "an appeal needs a responsible organisation: choose one, or a topic that has a responsible agency / у обращения должна быть ответственная организация: укажите её или тему, у которой есть ответственный орган",
    ),
    (
        "appeal_organisation_known",
        "the responsible organisation must exist in the directory / ответственная организация должна быть в справочнике",
    ),
    (
        "appeal_caller_number_is_phone",
        "the caller's number is 2 to 20 digits with an optional leading + / номер заявителя — от 2 до 20 цифр, можно с + в начале",
    ),
    (
        "appeal_note_length",
        "the note is at most 4000 characters / текст обращения — не более 4000 символов",
    ),
    (
        "appeal_done_note_length",
        "the completion note is at most 4000 characters / отметка о выполнении — не более 4000 символов",
    ),
    (
        "appeal_status_known",
        "an appeal's status is new or done / статус обращения — new (новое) или done (выполнено)",
    ),
    (
        "appeal_done_fields_only_when_done",
        "who and when completed an appeal is recorded exactly when it is done / кто и когда выполнил обращение, указывается тогда и только тогда, когда оно выполнено",
    ),
    (
        "appeal_callback_needs_number",
        "a callback needs the caller's number / для обратного звонка нужен номер заявителя",
    ),
    (
        "appeal_created_by_fkey",
        "the appeal's author must be a console user (who cannot be deleted while their appeals exist; deactivate them instead) / автор обращения — пользователь консоли (его нельзя удалить, пока есть его обращения; отключите его)",
    ),
    (
        "appeal_done_by_fkey",
        "who completed the appeal must be a console user (who cannot be deleted while their appeals exist; deactivate them instead) / выполнивший обращение — пользователь консоли (его нельзя удалить, пока есть его обращения; отключите его)",
    ),
];

/// The human explanation ("English / Russian") of a constraint named in the schema,
/// or `None` for a name the schema does not define.
pub fn constraint_message(constraint_name: &str) -> Option<&'static str> {
    CONSTRAINTS
        .iter()
        .find(|(name, _)| *name == constraint_name)
        .map(|(_, message)| *message)
}

/// Every constraint name [`constraint_message`] explains; for the completeness test and
/// for documentation generators.
pub fn explained_constraints() -> impl Iterator<Item = &'static str> {
    CONSTRAINTS.iter().map(|(name, _)| *name)
}

/// An edit the database refused, taken apart into what a roster editor needs: which
/// table and row, which rule, and what the rule means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditRefusal {
    /// The table the refused row belongs to, when Postgres says.
    pub table: Option<String>,
    /// The broken rule's name, when it is a named constraint or trigger rule.
    pub constraint: Option<String>,
    /// The refused row or key from Postgres' DETAIL (`(5, Иванов, …)`, `(line, digit)=(122, 1) already exists`).
    pub row: Option<String>,
    /// The rule in words ([`constraint_message`]), when the constraint is known.
    pub explanation: Option<&'static str>,
    /// Postgres' own message, kept because it names the row for trigger rules.
    pub database_message: String,
    /// Postgres' hint, when the rule gave one.
    pub hint: Option<String>,
}

impl EditRefusal {
    /// Takes apart a database error; `None` for errors that are not a refusal by the
    /// server (connection lost, decoding, ...).
    pub fn from_error(error: &sqlx::Error) -> Option<Self> {
        let db_error = error.as_database_error()?;
        let pg = db_error.try_downcast_ref::<PgDatabaseError>()?;
        let constraint = pg.constraint().map(str::to_owned);
        Some(Self {
            table: pg.table().map(str::to_owned),
            explanation: constraint.as_deref().and_then(constraint_message),
            constraint,
            row: pg.detail().map(row_from_detail),
            database_message: pg.message().to_owned(),
            hint: pg.hint().map(str::to_owned),
        })
    }
}

/// The row or key part of a DETAIL line, without Postgres' framing words.
fn row_from_detail(detail: &str) -> String {
    let row = detail
        .strip_prefix("Failing row contains ")
        .or_else(|| detail.strip_prefix("Key "))
        .unwrap_or(detail);
    row.trim_end_matches('.').to_owned()
}

impl fmt::Display for EditRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.table, &self.row) {
            (Some(table), Some(row)) => writeln!(f, "refused row in {table}: {row}")?,
            (None, Some(row)) => writeln!(f, "refused row: {row}")?,
            (Some(table), None) => writeln!(f, "refused edit of {table}")?,
            (None, None) => writeln!(f, "refused edit")?,
        }
        match (&self.constraint, self.explanation) {
            (Some(name), Some(text)) => writeln!(f, "rule {name}: {text}")?,
            (Some(name), None) => writeln!(f, "rule {name}")?,
            (None, _) => {}
        }
        write!(f, "database: {}", self.database_message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// The message to show for a failed edit: the row and the rule when the server
/// refused it, the plain error otherwise.
pub fn refusal_message(error: &sqlx::Error) -> String {
    EditRefusal::from_error(error).map_or_else(|| error.to_string(), |refusal| refusal.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_the_dial_target_rule_in_both_languages() {
        let text = constraint_message("staff_endpoint_is_single_safe_channel").unwrap();
        assert!(text.contains("PJSIP/name"), "{text}");
        assert!(text.contains("PJSIP/имя"), "{text}");
        assert_eq!(constraint_message("no_such_rule"), None);
    }

    #[test]
    fn every_explanation_has_english_and_russian() {
        for (name, text) in CONSTRAINTS {
            assert!(text.contains(" / "), "{name} lacks a Russian half");
            assert!(
                text.chars().any(|c| ('а'..='я').contains(&c)),
                "{name}: Russian half is not Russian"
            );
        }
    }

    #[test]
    fn names_are_listed_once() {
        let mut names: Vec<_> = explained_constraints().collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn row_is_cut_out_of_detail() {
        assert_eq!(
            row_from_detail("Failing row contains (5, Иванов, PJSIP/a&b)."),
            "(5, Иванов, PJSIP/a&b)"
        );
        assert_eq!(
            row_from_detail("Key (line, digit)=(122, 1) already exists."),
            "(line, digit)=(122, 1) already exists"
        );
    }
}
