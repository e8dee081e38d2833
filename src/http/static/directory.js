// Справочник: «кто примет звонок по теме X в момент T и почему» (решение политики
// маршрутизации с причиной), организации и сотрудники с отметкой, кто сейчас на месте.
"use strict";

(async () => {
  await Console.start();
  const { el } = Console;

  const MODES = {
    automatic: "Автоматический перевод ответственному сотруднику",
    manual: "Ручной перевод: звонок принимает специалист и переводит",
    after_hours: "Нерабочее время: звонок принимают специалисты",
    invalid_digit: "Неверный пункт меню",
    no_input: "Пункт меню не выбран",
    unknown_line: "Неизвестная линия",
    unknown_topic: "Неизвестная тема",
    specialist_requested: "Запрошен специалист",
    specialist_topic: "Тему ведут специалисты контакт-центра",
    nobody_reachable: "Нет доступных сотрудников: звонок принимают специалисты",
  };
  const KINDS = { regional_agency: "орган власти", municipal_body: "местное самоуправление", institution: "подведомственное учреждение" };

  const directory = await Console.api("GET", "/api/directory");
  // Администраторам: годы производственного календаря без загруженного постановления.
  document.getElementById("calendar-banner").replaceChildren(
    ...directory.calendar_warnings.map((w) => el("p", { class: "calendar-warning", text: w.message_ru })));
  const organisationNames = Object.fromEntries(directory.organisations.map((o) => [o.code, o.name]));
  const topicNames = Object.fromEntries(directory.topics.map((t) => [t.code, t.name_ru]));

  const line = document.getElementById("route-line");
  const digit = document.getElementById("route-digit");
  const topic = document.getElementById("route-topic");
  const at = document.getElementById("route-at");
  at.value = Console.nowLocalInput();

  for (const l of directory.lines) line.append(el("option", { value: l.number, text: l.number + " — " + l.name }));
  topic.append(el("option", { value: "", text: "— по пункту меню —" }));
  for (const t of directory.topics) topic.append(el("option", { value: t.code, text: t.name_ru }));

  function fillMenu() {
    const chosen = directory.lines.find((l) => l.number === line.value);
    digit.replaceChildren(el("option", { value: "", text: "— нет ввода —" }),
      ...(chosen ? chosen.menu : []).map((item) => el("option", { value: item.digit, text: item.digit + " — " + item.label_ru })));
  }
  line.addEventListener("change", fillMenu);
  fillMenu();
  if (digit.options.length > 1) digit.selectedIndex = 1;

  document.getElementById("route-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("route-error");
    error.textContent = "";
    const query = new URLSearchParams({ line: line.value, at: at.value + ":00" + Console.ZONE_OFFSET });
    if (topic.value) query.set("topic", topic.value);
    else if (digit.value) query.set("digit", digit.value);
    try {
      show(await Console.api("GET", "/api/route?" + query));
    } catch (failure) {
      Console.showMessage(error, failure.message, "error");
    }
  });

  function show(decision) {
    document.getElementById("decision").classList.remove("hidden");
    document.getElementById("decision-mode").textContent = MODES[decision.mode] || decision.mode;
    document.getElementById("decision-topic").textContent = decision.topic ? "Тема: " + decision.topic.name_ru : "";
    document.getElementById("decision-reason").textContent = decision.reason.ru;
    document.querySelector("#candidates tbody").replaceChildren(...decision.candidates.map((c, i) =>
      el("tr", {}, el("td", { text: i + 1 }), el("td", { text: c.name }), el("td", { text: c.position }),
        el("td", { text: c.organisation_name }))));
    document.getElementById("candidates").classList.toggle("hidden", decision.candidates.length === 0);
    const specialists = decision.fallback_specialists.map((s) => s.name).join(", ");
    document.getElementById("fallback").textContent = specialists
      ? (decision.candidates.length ? "Если никто не ответит — специалисты: " : "Звонок примут специалисты: ") + specialists
      : "Нет ни одного активного специалиста!";
  }

  document.getElementById("directory-at").textContent = "на " + Console.formatTime(directory.at);
  document.querySelector("#organisations tbody").replaceChildren(...directory.organisations.map((o) =>
    el("tr", {}, el("td", { text: o.name }), el("td", { class: "muted", text: KINDS[o.kind] || o.kind }),
      el("td", {}, el("span", { class: "tag " + (o.open ? "ok" : "off"), text: o.status_ru })))));
  document.querySelector("#staff tbody").replaceChildren(...directory.staff.map((s) =>
    el("tr", {}, el("td", {}, s.full_name, el("br"), el("span", { class: "muted", text: s.position })),
      el("td", { text: organisationNames[s.organisation] || s.organisation }),
      el("td", { text: s.topics.map((t) => topicNames[t] || t).join("; ") }),
      el("td", {}, el("span", { class: "tag " + (s.on_duty ? "ok" : "off"), text: s.duty_ru })))));
})();
