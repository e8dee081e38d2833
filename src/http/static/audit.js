// Журнал изменений справочника (только администраторы): GET /api/audit, новые сверху,
// по 100 записей; «Показать ещё» — следующие.
"use strict";

(async () => {
  await Console.start(["admin"]);
  const { api, el, formatTime, showMessage } = Console;

  // Названия разделов справочника по таблицам базы.
  const TABLES = {
    "": "Все разделы",
    staff: "Ответственные сотрудники",
    staff_topic: "Темы сотрудников",
    staff_absence: "Отсутствия сотрудников",
    organisation: "Организации",
    working_hours: "Часы работы",
    schedule_override: "Особые дни организаций",
    topic: "Темы",
    topic_organisation: "Организации по темам",
    menu_item: "Пункты меню",
    line: "Линии",
    specialist: "Специалисты",
    production_calendar: "Производственный календарь",
    calendar_decree: "Постановления о переносе",
    calendar_transfer: "Переносы выходных",
    regional_day_off: "Региональные выходные",
    console_user: "Пользователи консоли",
  };
  const ACTIONS = { insert: "добавлено", update: "изменено", delete: "удалено" };

  const select = document.getElementById("audit-table");
  for (const [value, title] of Object.entries(TABLES)) {
    select.append(el("option", { value, text: title }));
  }
  const body = document.querySelector("#audit tbody");
  const empty = document.getElementById("audit-empty");
  const more = document.getElementById("audit-more");
  const message = document.getElementById("audit-message");
  let oldest = null;

  // Значения столбцов одной строкой на столбец: «endpoint: PJSIP/staff01».
  function values(object) {
    if (!object) return "";
    return Object.entries(object)
      .map(([column, value]) => `${column}: ${value === null ? "—" : typeof value === "object" ? JSON.stringify(value) : value}`)
      .join("\n");
  }

  async function load(reset) {
    if (reset) {
      body.replaceChildren();
      oldest = null;
    }
    const query = new URLSearchParams({ limit: "100" });
    if (select.value) query.set("table", select.value);
    if (oldest !== null) query.set("before", String(oldest));
    try {
      const entries = await api("GET", "/api/audit?" + query);
      for (const entry of entries) {
        const who = entry.console_user
          ? `${entry.console_user} (консоль; БД: ${entry.db_user})`
          : `${entry.db_user} (база данных)`;
        body.append(el("tr", { "data-id": entry.id },
          el("td", { text: formatTime(entry.changed_at) }),
          el("td", { text: TABLES[entry.table_name] || entry.table_name }),
          el("td", { text: ACTIONS[entry.action] || entry.action }),
          el("td", { text: entry.row_key }),
          el("td", { text: who }),
          el("td", { class: "values", text: values(entry.old_values) }),
          el("td", { class: "values", text: values(entry.new_values) })));
        oldest = entry.id;
      }
      empty.classList.toggle("hidden", body.children.length > 0);
      more.classList.toggle("hidden", entries.length < 100);
    } catch (failure) {
      showMessage(message, failure.message, "error");
    }
  }

  select.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));
  await load(true);
})();
