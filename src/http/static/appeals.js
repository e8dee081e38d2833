// Обращения: список для своей организации (сотрудник) или всех (специалист, администратор),
// отметка о выполнении и живое обновление по событиям сервера.
"use strict";

(async () => {
  const me = await Console.start();
  const { el } = Console;
  const body = document.querySelector("#appeals tbody");
  const empty = document.getElementById("appeals-empty");
  const message = document.getElementById("appeals-message");
  const lastColumn = document.getElementById("last-column");
  let status = "new";

  // Отмечать выполнение может сотрудник ответственной организации или администратор.
  const mayComplete = (appeal) =>
    me.role === "admin" || (me.role === "staff" && me.organisation === appeal.organisation);

  function caller(appeal) {
    const cell = el("td", { class: "nowrap" }, appeal.caller_number || "—");
    if (appeal.callback_requested) cell.append(el("br"), el("span", { class: "tag warn", text: "перезвонить" }));
    return cell;
  }

  function action(appeal) {
    if (appeal.status === "done") {
      return el("td", {}, "Выполнено " + Console.formatTime(appeal.done_at),
        el("br"), el("span", { class: "muted", text: (appeal.done_by_name || "") + (appeal.done_note ? ": " + appeal.done_note : "") }));
    }
    if (!mayComplete(appeal)) return el("td", { class: "muted", text: "ожидает" });
    const note = el("input", { type: "text", placeholder: "Комментарий (необязательно)", "aria-label": "Комментарий" });
    const button = el("button", { type: "button", class: "done", text: "Отметить выполненным" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await Console.api("POST", "/api/appeals/" + appeal.id + "/done", { note: note.value || null });
        Console.showMessage(message, "Обращение № " + appeal.id + " отмечено выполненным.", "ok");
        await load();
      } catch (failure) {
        button.disabled = false;
        Console.showMessage(message, failure.message, "error");
      }
    });
    return el("td", {}, note, el("div", { class: "actions" }, button));
  }

  function row(appeal) {
    const where = el("td", {}, appeal.topic_name || appeal.topic || "без темы", el("br"),
      el("span", { class: "muted", text: appeal.organisation_name || appeal.organisation }));
    return el("tr", { "data-id": appeal.id },
      el("td", { text: appeal.id }),
      el("td", { class: "nowrap" }, Console.formatTime(appeal.created_at), el("br"),
        el("span", { class: "muted", text: appeal.line ? "линия " + appeal.line : "" })),
      where,
      caller(appeal),
      el("td", { class: "note", text: appeal.note }),
      action(appeal));
  }

  async function load() {
    const appeals = await Console.api("GET", "/api/appeals?status=" + status);
    body.replaceChildren(...appeals.map(row));
    empty.classList.toggle("hidden", appeals.length > 0);
    lastColumn.textContent = status === "new" ? "Действие" : "Выполнено";
    document.getElementById("show-new").classList.toggle("secondary", status !== "new");
    document.getElementById("show-done").classList.toggle("secondary", status !== "done");
  }

  document.getElementById("show-new").addEventListener("click", () => { status = "new"; load(); });
  document.getElementById("show-done").addEventListener("click", () => { status = "done"; load(); });

  // Сервер присылает только события тех организаций, чьи обращения видит пользователь;
  // на каждое — перечитываем список.
  Console.listen({
    ready: load,
    appeal_created: load,
    appeal_done: load,
    appeal_changed: load,
    resync: load,
  });
  await load();
})();
