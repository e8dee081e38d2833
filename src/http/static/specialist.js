// Страница специалиста: регистрация обращения для ответственной организации.
// Организация по умолчанию — ответственный орган выбранной темы.
"use strict";

(async () => {
  await Console.start(["specialist", "admin"]);
  const directory = await Console.api("GET", "/api/directory");
  const { el } = Console;

  const form = document.getElementById("appeal-form");
  const topic = document.getElementById("topic");
  const organisation = document.getElementById("organisation");
  const line = document.getElementById("line");
  const result = document.getElementById("appeal-result");

  topic.append(el("option", { value: "", text: "— выберите тему —" }));
  for (const t of directory.topics) {
    topic.append(el("option", { value: t.code, "data-agency": t.agency || "", text: t.name_ru }));
  }
  organisation.append(el("option", { value: "", text: "— выберите организацию —" }));
  for (const o of directory.organisations) {
    organisation.append(el("option", { value: o.code, text: o.name }));
  }
  line.append(el("option", { value: "", text: "—" }));
  for (const l of directory.lines) {
    line.append(el("option", { value: l.number, text: l.number + " — " + l.name }));
  }

  // Пока специалист сам не выбрал организацию, она следует за темой.
  let organisationChosen = false;
  organisation.addEventListener("change", () => { organisationChosen = true; });
  topic.addEventListener("change", () => {
    const agency = topic.selectedOptions[0].dataset.agency;
    if (!organisationChosen) organisation.value = agency || "";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const appeal = await Console.api("POST", "/api/appeals", {
        topic: topic.value || null,
        organisation: organisation.value || null,
        line: line.value || null,
        caller_number: form.caller_number.value || null,
        note: form.note.value,
        callback_requested: form.callback_requested.checked,
      });
      Console.showMessage(result, "Обращение № " + appeal.id + " зарегистрировано для организации «" +
        (appeal.organisation_name || appeal.organisation) + "».", "ok");
      form.reset();
      organisationChosen = false;
    } catch (failure) {
      Console.showMessage(result, failure.message, "error");
    }
  });
})();
