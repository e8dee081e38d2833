-- The demo directory behind `hotline seed-demo`: what an administrator would type in
-- psql for a small real roster. Run by seed_demo() inside one transaction, after the
-- directory tables (all but production_calendar) were emptied.
--
-- Dial targets are the sandbox Asterisk's endpoints: PJSIP/staff01..staff08 for
-- responsible staff and PJSIP/spec01..spec03 for contact-center specialists.
-- All organisations work in Asia/Irkutsk and follow the production calendar, so
-- `hotline route` shows working hours, lunch breaks, holidays (2026-05-11),
-- shortened days (2026-05-08) and after hours.

INSERT INTO line (number, name, menu_prompt, greeting_prompt) VALUES
    ('122', 'Единый контакт-центр 122', 'hotline/menu-122', 'hotline/greeting-122'),
    ('117', 'Единый контакт-центр 117', 'hotline/menu-117', 'hotline/greeting-117');

INSERT INTO organisation (code, name, kind, parent) VALUES
    ('minzdrav', 'Министерство здравоохранения Иркутской области', 'regional_agency', NULL),
    ('minsoc', 'Министерство социального развития, опеки и попечительства Иркутской области', 'regional_agency', NULL),
    ('adm-irkutsk', 'Администрация г. Иркутска', 'municipal_body', NULL),
    ('okb', 'ГБУЗ «Иркутская ордена «Знак Почёта» областная клиническая больница»', 'institution', 'minzdrav'),
    ('kcson-irkutsk', 'ОГБУСО «Комплексный центр социального обслуживания населения г. Иркутска»', 'institution', 'minsoc');

-- Government bodies: Mon–Thu 09:00–18:00, Fri 09:00–17:00, lunch 13:00–14:00.
INSERT INTO working_hours (organisation, weekday, opens, closes)
SELECT org, weekday, opens::time, CASE WHEN weekday = 5 AND opens = '14:00' THEN '17:00'::time ELSE closes::time END
FROM unnest(ARRAY['minzdrav', 'minsoc', 'adm-irkutsk']) AS org,
     generate_series(1, 5) AS weekday,
     (VALUES ('09:00', '13:00'), ('14:00', '18:00')) AS slot (opens, closes);

-- The hospital's hotline: Mon–Sat 08:00–20:00 without a break.
INSERT INTO working_hours (organisation, weekday, opens, closes)
SELECT 'okb', weekday, '08:00', '20:00' FROM generate_series(1, 6) AS weekday;

-- The social centre: Mon–Fri 09:00–17:00 without a break.
INSERT INTO working_hours (organisation, weekday, opens, closes)
SELECT 'kcson-irkutsk', weekday, '09:00', '17:00' FROM generate_series(1, 5) AS weekday;

INSERT INTO schedule_override (organisation, day, closed, opens, closes, note) VALUES
    ('okb', '2026-05-09', false, '10:00', '16:00', 'Дежурство в День Победы'),
    ('kcson-irkutsk', '2026-05-29', true, NULL, NULL, 'Санитарный день');

INSERT INTO topic (code, name_ru, name_en, agency, transfer_mode, strategy, attempt_timeout_seconds) VALUES
    ('health', 'Здравоохранение', 'Healthcare', 'minzdrav', 'automatic', 'sequential', 20),
    ('displaced_support',
     'Социальная поддержка граждан, прибывших с территорий Украины, ДНР, ЛНР, Запорожской и Херсонской областей',
     'Social support for people who arrived from Ukraine, the DNR, the LNR, Zaporozhye and Kherson regions',
     'minsoc', 'automatic', 'sequential', 20),
    ('contract_service', 'Консультации по военной службе по контракту',
     'Consultations on contract military service', NULL, 'automatic', 'sequential', 20),
    ('municipal_services', 'Вопросы местного значения г. Иркутска',
     'Municipal services of the city of Irkutsk', 'adm-irkutsk', 'manual', 'sequential', 30);

-- The ministry first, then its institution; the social centre rings all its staff at once.
INSERT INTO topic_organisation (topic, organisation, priority, transfer_mode, strategy, attempt_timeout_seconds) VALUES
    ('health', 'minzdrav', 10, NULL, NULL, NULL),
    ('health', 'okb', 20, NULL, NULL, NULL),
    ('displaced_support', 'minsoc', 10, NULL, NULL, NULL),
    ('displaced_support', 'kcson-irkutsk', 20, NULL, 'ring_all', 25),
    ('municipal_services', 'adm-irkutsk', 10, NULL, NULL, NULL);

-- The menus, as the prompts hotline/menu-122 and hotline/menu-117 announce them.
INSERT INTO menu_item (line, digit, topic, label_ru) VALUES
    ('122', '1', 'health', 'Здравоохранение'),
    ('122', '2', 'displaced_support', 'Социальная поддержка граждан, прибывших с территорий Украины, ДНР, ЛНР, Запорожской и Херсонской областей'),
    ('122', '0', NULL, 'Связь со специалистом'),
    ('117', '1', 'contract_service', 'Консультации по военной службе по контракту'),
    ('117', '2', 'health', 'Здравоохранение'),
    ('117', '3', 'displaced_support', 'Социальная поддержка граждан, прибывших с территорий Украины, ДНР, ЛНР, Запорожской и Херсонской областей'),
    ('117', '0', NULL, 'Связь со специалистом');

INSERT INTO staff (full_name, position, organisation, endpoint, priority, active) VALUES
    ('Петрова Елена Викторовна', 'Консультант отдела организации медицинской помощи взрослому населению', 'minzdrav', 'PJSIP/staff01', 10, true),
    ('Сидоров Андрей Николаевич', 'Главный специалист-эксперт отдела организации медицинской помощи', 'minzdrav', 'PJSIP/staff02', 20, true),
    ('Кузнецова Ольга Александровна', 'Заведующая справочно-информационной службой', 'okb', 'PJSIP/staff03', 10, true),
    ('Новикова Марина Геннадьевна', 'Начальник отдела социальной поддержки граждан, прибывших в Иркутскую область', 'minsoc', 'PJSIP/staff04', 10, true),
    ('Лебедев Павел Алексеевич', 'Консультант отдела социальной поддержки', 'minsoc', 'PJSIP/staff05', 20, false),
    ('Морозова Татьяна Ивановна', 'Специалист по социальной работе', 'kcson-irkutsk', 'PJSIP/staff06', 10, true),
    ('Григорьев Сергей Владимирович', 'Заведующий отделением срочного социального обслуживания', 'kcson-irkutsk', 'PJSIP/staff07', 10, true),
    ('Белова Светлана Юрьевна', 'Главный специалист отдела по работе с обращениями граждан', 'adm-irkutsk', 'PJSIP/staff08', 10, true);

INSERT INTO staff_topic (staff, topic)
SELECT staff.id, topic
FROM staff
JOIN (VALUES ('PJSIP/staff01', 'health'), ('PJSIP/staff02', 'health'), ('PJSIP/staff03', 'health'),
             ('PJSIP/staff04', 'displaced_support'), ('PJSIP/staff05', 'displaced_support'),
             ('PJSIP/staff06', 'displaced_support'), ('PJSIP/staff07', 'displaced_support'),
             ('PJSIP/staff08', 'municipal_services')) AS covers (endpoint, topic)
  ON covers.endpoint = staff.endpoint;

INSERT INTO staff_absence (staff, first_day, last_day, reason)
SELECT id, '2026-05-04', '2026-05-15', 'Ежегодный оплачиваемый отпуск'
FROM staff WHERE endpoint = 'PJSIP/staff01';

INSERT INTO specialist (full_name, endpoint) VALUES
    ('Смирнова Анна Игоревна', 'PJSIP/spec01'),
    ('Васильев Дмитрий Олегович', 'PJSIP/spec02'),
    ('Фёдорова Ирина Павловна', 'PJSIP/spec03');
