-- The official 2026 production calendar of the Russian Federation
-- (Government decree No. 1466 of 24.09.2025).
--
-- Only days that differ from the ordinary week are listed: public holidays (also
-- those falling on a weekend, so that an organisation working weekends closes on
-- them), days off by transfer, and shortened pre-holiday days. Plain Saturdays and
-- Sundays inside the holiday periods (10-11 Jan, 21-22 Feb, 7 Mar, 2-3 May, 10 May,
-- 13-14 Jun) are ordinary weekends and follow each organisation's weekly hours.
-- Later years are imported with `hotline calendar import FILE`.
INSERT INTO production_calendar (day, kind, note) VALUES
    ('2026-01-01', 'holiday', 'Новогодние каникулы'),
    ('2026-01-02', 'holiday', 'Новогодние каникулы'),
    ('2026-01-03', 'holiday', 'Новогодние каникулы'),
    ('2026-01-04', 'holiday', 'Новогодние каникулы'),
    ('2026-01-05', 'holiday', 'Новогодние каникулы'),
    ('2026-01-06', 'holiday', 'Новогодние каникулы'),
    ('2026-01-07', 'holiday', 'Рождество Христово'),
    ('2026-01-08', 'holiday', 'Новогодние каникулы'),
    ('2026-01-09', 'holiday', 'Перенос выходного дня с 3 января'),
    ('2026-02-23', 'holiday', 'День защитника Отечества'),
    ('2026-03-08', 'holiday', 'Международный женский день'),
    ('2026-03-09', 'holiday', 'Перенос выходного дня с 8 марта'),
    ('2026-04-30', 'shortened', 'Предпраздничный день'),
    ('2026-05-01', 'holiday', 'Праздник Весны и Труда'),
    ('2026-05-08', 'shortened', 'Предпраздничный день'),
    ('2026-05-09', 'holiday', 'День Победы'),
    ('2026-05-11', 'holiday', 'Перенос выходного дня с 9 мая'),
    ('2026-06-11', 'shortened', 'Предпраздничный день'),
    ('2026-06-12', 'holiday', 'День России'),
    ('2026-11-03', 'shortened', 'Предпраздничный день'),
    ('2026-11-04', 'holiday', 'День народного единства'),
    ('2026-12-31', 'holiday', 'Перенос выходного дня с 4 января');
