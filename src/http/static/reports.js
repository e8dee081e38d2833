// Отчёты: таблица по периодам и группам (GET /api/reports/calls), выгрузка CSV,
// график (SVG с сервера) и пропущенные звонки для обратного звонка.
"use strict";

(async () => {
  await Console.start();
  const { api, el, formatTime, showMessage } = Console;

  // Столбцы таблицы — те же, что в CSV.
  const COLUMNS = [
    ["offered", "Поступило"],
    ["answered_by_staff_automatically", "Автоматически ответственным"],
    ["transferred_manually", "Переведено специалистом"],
    ["answered_by_specialists", "Ответили специалисты"],
    ["abandoned_in_menu", "Брошено в меню"],
    ["abandoned_in_queue", "Брошено в очереди"],
    ["abandoned_while_staff_rang", "Брошено при вызове сотрудника"],
    ["other_outcomes", "Прочие исходы"],
    ["service_level", "Уровень обслуживания"],
    ["average_speed_of_answer_seconds", "Среднее время ответа, с"],
    ["average_handle_time_seconds", "Среднее время разговора, с"],
    ["after_hours_share", "Нерабочее время"],
    ["appeals_opened", "Обращений"],
    ["appeals_closed", "Выполнено"],
    ["callbacks_opened", "Перезвонить"],
    ["appeal_average_age_hours_at_close", "Срок выполнения, ч"],
    ["appeals_open_at_end", "Не выполнено"],
    ["appeals_open_average_age_hours", "Их возраст, ч"],
  ];
  const WHERE = { menu: "в меню", queue: "в очереди", staff_ringing: "при вызове сотрудника" };

  const form = document.getElementById("report-form");
  const message = document.getElementById("report-message");
  const csv = document.getElementById("report-csv");
  const chart = document.getElementById("chart");
  const chartAgency = document.getElementById("chart-agency");
  const head = document.querySelector("#report thead tr");
  const body = document.querySelector("#report tbody");
  head.append(el("th", { text: "Период" }), el("th", { text: "Группа" }),
    ...COLUMNS.map(([, title]) => el("th", { text: title })));

  // По умолчанию — прошлый месяц.
  const today = new Date(Console.nowLocalInput().slice(0, 10) + "T00:00:00");
  const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
  const last = new Date(today.getFullYear(), today.getMonth(), 0);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  form.from.value = iso(first);
  form.to.value = iso(last);

  const directory = await api("GET", "/api/directory");
  chartAgency.append(el("option", { value: "", text: "Все звонки" }));
  for (const org of directory.organisations.filter((o) => o.kind !== "institution")) {
    chartAgency.append(el("option", { value: org.code, text: org.name }));
  }

  function params() {
    return new URLSearchParams({
      from: form.from.value, to: form.to.value, period: form.period.value,
      by: form.by.value, threshold: form.threshold.value,
    });
  }

  function cell(field, value) {
    if (value === null || value === undefined) return "—";
    if (field === "service_level" || field === "after_hours_share") return (value * 100).toFixed(1) + " %";
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(1);
    return String(value);
  }

  function periodLabel(start, period) {
    const [date, time] = start.split("T");
    const [y, m, d] = date.split("-");
    if (period === "month") return `${m}.${y}`;
    if (period === "hour") return `${d}.${m} ${time.slice(0, 5)}`;
    return `${d}.${m}.${y}`;
  }

  function drawChart() {
    const query = params();
    query.delete("by");
    if (chartAgency.value) query.set("agency", chartAgency.value);
    chart.src = "/api/reports/chart.svg?" + query;
  }

  async function load() {
    message.textContent = "";
    const query = params();
    csv.href = "/api/reports/calls.csv?" + query;
    try {
      const report = await api("GET", "/api/reports/calls?" + query);
      body.replaceChildren(...report.rows.map((row) => el("tr", {},
        el("td", { class: "nowrap", text: periodLabel(row.period_start, report.period) }),
        el("td", { text: row.name }),
        ...COLUMNS.map(([field]) => el("td", { class: "number", text: cell(field, row[field]) })))));
      document.getElementById("report-empty").classList.toggle("hidden", report.rows.length > 0);
      drawChart();
      const abandoned = await api("GET", "/api/reports/abandoned?" + query);
      document.querySelector("#abandoned tbody").replaceChildren(...abandoned.map((call) => el("tr", {},
        el("td", { class: "nowrap", text: formatTime(call.entered_at) }),
        el("td", { text: call.line }),
        el("td", { text: call.topic || "—" }),
        el("td", { text: WHERE[call.abandoned_in] || call.abandoned_in }),
        el("td", { class: "number", text: Math.round(call.waited_seconds) }),
        el("td", { class: "nowrap", text: call.caller_number || "скрыт" }))));
      document.getElementById("abandoned-empty").classList.toggle("hidden", abandoned.length > 0);
    } catch (failure) {
      showMessage(message, failure.message, "error");
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  chartAgency.addEventListener("change", drawChart);
  await load();
})();
