// Страница специалиста: регистрация обращения для ответственной организации.
// Организация по умолчанию — ответственный орган выбранной темы.
"use strict";

// Очередь: ожидающие вызовы и состояния специалистов, обновляются по событию
// queue_changed; специалист меняет своё состояние кнопками.
const STATE_NAMES = {
  signed_out: "не на смене", ready: "готов", paused: "перерыв", offered: "звонит телефон",
  on_call: "разговор", wrap_up: "обработка вызова",
};
const PAUSE_REASONS = { requested: "по запросу", missed_offer: "не ответил на вызов" };

async function showQueue(me) {
  const { el } = Console;
  const queue = await Console.api("GET", "/api/queue");
  const waiting = document.querySelector("#waiting tbody");
  waiting.replaceChildren(...queue.waiting.map((w) => el("tr", { "data-call": w.call },
    el("td", { text: w.position }),
    el("td", { text: w.line }),
    el("td", { class: "nowrap", text: w.caller_number }),
    el("td", { text: w.topic || "—" }),
    el("td", { class: "nowrap", text: Console.formatTime(w.waiting_since) }),
    el("td", {}, w.being_offered ? el("span", { class: "tag warn", text: "звонит специалисту" }) : null),
  )));
  document.getElementById("waiting-empty").classList.toggle("hidden", queue.waiting.length > 0);
  const desks = document.querySelector("#desks tbody");
  desks.replaceChildren(...queue.specialists.map((d) => el("tr", { "data-specialist": d.id },
    el("td", { text: d.name }),
    el("td", {}, el("span", {
      class: "tag " + (d.state === "ready" ? "ok" : d.state === "signed_out" ? "off" : "warn"),
      text: STATE_NAMES[d.state] + (d.pause_reason ? " (" + PAUSE_REASONS[d.pause_reason] + ")" : ""),
    })),
    el("td", { text: d.call ? "на вызове" : "" }),
  )));
  const mine = queue.specialists.find((d) => d.id === me.specialist_id);
  document.getElementById("desk-state").textContent = STATE_NAMES[mine ? mine.state : "signed_out"];
  showMyCall(mine && mine.state === "on_call" ? mine : null);
}

// Панель текущего вызова: тема и ответственные на месте (в порядке политики
// маршрутизации), у каждого кнопка «Перевести»; без выбора — всем по порядку.
let myCall = null;
async function showMyCall(desk) {
  const panel = document.getElementById("my-call");
  if (!desk) {
    myCall = null;
    panel.classList.add("hidden");
    return;
  }
  panel.classList.remove("hidden");
  const details = desk.call_details || {};
  document.getElementById("my-call-info").textContent = "Линия " + (details.line || "—") +
    ", номер " + (details.caller_number || "—") + ", тема: " + (details.topic || "не выбрана");
  if (myCall === desk.call) return;
  myCall = desk.call;
  const topic = document.getElementById("transfer-topic");
  if (details.topic_code) topic.value = details.topic_code;
  await showTransferTargets();
}

async function showTransferTargets() {
  const { el } = Console;
  const topic = document.getElementById("transfer-topic").value;
  const rows = document.querySelector("#transfer-staff tbody");
  const reason = document.getElementById("transfer-reason");
  if (!topic) {
    rows.replaceChildren();
    reason.classList.add("hidden");
    return;
  }
  const decision = await Console.api("GET", "/api/route?line=122&topic=" + encodeURIComponent(topic));
  reason.textContent = decision.reason.ru;
  reason.classList.remove("hidden");
  const transfer = async (staffId, consult) => {
    const result = document.getElementById("transfer-result");
    try {
      await Console.api("POST", "/api/calls/" + encodeURIComponent(myCall) + "/transfer",
        { topic, staff_id: staffId, consult });
      Console.showMessage(result, consult
        ? "Звоним сотруднику: после ответа вы поговорите с ним, абонент слышит музыку."
        : "Перевод начат: абонент слышит музыку, вы на удержании. " +
          "Если никто не ответит, абонент вернётся к вам.", "ok");
      document.getElementById("consult-actions").classList.toggle("hidden", !consult);
    } catch (failure) {
      Console.showMessage(result, failure.message, "error");
    }
  };
  const all = el("tr", {}, el("td", { text: "" }), el("td", { text: "Всем по порядку" }), el("td", { text: "" }),
    el("td", {}, el("button", { type: "button", class: "transfer", "data-staff": "", text: "Перевести",
      onclick: () => transfer(null, false) })));
  rows.replaceChildren(...decision.candidates.map((c, i) => el("tr", {},
    el("td", { text: i + 1 }),
    el("td", {}, c.name + (c.position ? ", " + c.position : "") + " ",
      decision.busy_staff.includes(c.id)
        ? el("span", { class: "tag warn", text: "на вызове" })
        : el("span", { class: "tag ok", text: "свободен" })),
    el("td", { text: c.organisation_name }),
    el("td", {},
      el("button", { type: "button", class: "transfer secondary", "data-staff": c.id, text: "Перевести",
        onclick: () => transfer(c.id, false) }),
      " ",
      el("button", { type: "button", class: "consult secondary", "data-staff": c.id, text: "Консультация",
        onclick: () => transfer(c.id, true) })),
  )), ...(decision.candidates.length ? [all] : []));
}

// Завершение консультации: передать абонента сотруднику или вернуть себе.
async function endConsultation(action) {
  const result = document.getElementById("transfer-result");
  try {
    await Console.api("POST", "/api/calls/" + encodeURIComponent(myCall) + "/transfer/" + action, {});
    document.getElementById("consult-actions").classList.add("hidden");
    Console.showMessage(result, action === "complete"
      ? "Абонент соединён с сотрудником." : "Абонент снова с вами.", "ok");
  } catch (failure) {
    Console.showMessage(result, failure.message, "error");
  }
}

(async () => {
  const me = await Console.start(["specialist", "admin"]);
  const directory = await Console.api("GET", "/api/directory");
  const { el } = Console;

  const deskResult = document.getElementById("desk-result");
  const desk = document.getElementById("desk");
  if (me.role !== "specialist" || !me.specialist_id) desk.classList.add("hidden");
  for (const [id, state] of [["desk-ready", "ready"], ["desk-pause", "paused"], ["desk-out", "signed_out"]]) {
    document.getElementById(id).addEventListener("click", async () => {
      try {
        await Console.api("POST", "/api/desk", { state });
        Console.showMessage(deskResult, "", "ok");
        await showQueue(me);
      } catch (failure) {
        Console.showMessage(deskResult, failure.message, "error");
      }
    });
  }
  const transferTopic = document.getElementById("transfer-topic");
  transferTopic.append(el("option", { value: "", text: "— выберите тему —" }));
  for (const t of directory.topics) transferTopic.append(el("option", { value: t.code, text: t.name_ru }));
  transferTopic.addEventListener("change", showTransferTargets);
  document.getElementById("consult-complete").addEventListener("click", () => endConsultation("complete"));
  document.getElementById("consult-cancel").addEventListener("click", () => endConsultation("cancel"));
  await showQueue(me);
  Console.listen({ queue_changed: () => showQueue(me), resync: () => showQueue(me) });

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
