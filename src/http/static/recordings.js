// Записи разговоров (только администраторы): GET /api/recordings, новые сверху;
// прослушивание и скачивание — GET /api/calls/{звонок}/recording, каждое обращение
// записывается в журнал доступа (GET /api/recordings/access).
"use strict";

(async () => {
  await Console.start(["admin"]);
  const { api, el, formatTime, showMessage } = Console;

  const body = document.querySelector("#recordings tbody");
  const accessBody = document.querySelector("#access tbody");
  const empty = document.getElementById("recordings-empty");
  const more = document.getElementById("recordings-more");
  const message = document.getElementById("recordings-message");
  const player = document.getElementById("player");
  let oldest = null;

  function fileUrl(call, download) {
    return `/api/calls/${encodeURIComponent(call)}/recording` + (download ? "?download=1" : "");
  }

  async function loadAccess() {
    try {
      const entries = await api("GET", "/api/recordings/access?limit=50");
      accessBody.replaceChildren(...entries.map((entry) => el("tr", {},
        el("td", { text: formatTime(entry.accessed_at) }),
        el("td", { text: entry.console_user }),
        el("td", { text: entry.call_key }),
        el("td", { text: entry.address || "—" }))));
    } catch (failure) {
      showMessage(message, failure.message, "error");
    }
  }

  function row(recording) {
    const actions = el("td", {});
    if (recording.recording_removed_at) {
      actions.append(el("span", { class: "muted",
        text: `удалена ${formatTime(recording.recording_removed_at)} (срок хранения)` }));
    } else {
      const play = el("button", { type: "button", class: "secondary", text: "Прослушать" });
      play.addEventListener("click", () => {
        player.src = fileUrl(recording.call_key, false);
        player.classList.remove("hidden");
        player.play().catch(() => {});
        setTimeout(loadAccess, 1000);
      });
      const download = el("a", { href: fileUrl(recording.call_key, true), text: "Скачать" });
      download.addEventListener("click", () => setTimeout(loadAccess, 1000));
      actions.append(play, " ", download);
    }
    return el("tr", { "data-call": recording.call_key },
      el("td", { text: `${formatTime(recording.entered_at)} (${recording.call_key})` }),
      el("td", { text: recording.line }),
      el("td", { text: recording.answered_name || "—" }),
      el("td", { text: recording.recording_started_at ? formatTime(recording.recording_started_at) : "—" }),
      actions);
  }

  async function load() {
    const query = new URLSearchParams({ limit: "100" });
    if (oldest !== null) query.set("before", oldest);
    try {
      const recordings = await api("GET", "/api/recordings?" + query);
      for (const recording of recordings) {
        body.append(row(recording));
        oldest = recording.entered_at;
      }
      empty.classList.toggle("hidden", body.children.length > 0);
      more.classList.toggle("hidden", recordings.length < 100);
    } catch (failure) {
      showMessage(message, failure.message, "error");
    }
  }

  more.addEventListener("click", load);
  await Promise.all([load(), loadAccess()]);
})();
