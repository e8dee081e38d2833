// Табло для зала контакт-центра: очередь, самое долгое ожидание (тикает каждую
// секунду), специалисты по состояниям и уровень обслуживания за сегодня.
// Обновляется по событиям очереди и раз в 15 секунд.
"use strict";

(async () => {
  await Console.start(["specialist", "admin"]);
  const { api, el, showMessage } = Console;
  const STATES = {
    ready: "готовы", on_call: "разговаривают", offered: "вызываются", wrap_up: "поствызывная работа",
    paused: "перерыв", signed_out: "не в сети",
  };
  const $ = (id) => document.getElementById(id);
  let board = null;
  let fetchedAt = 0;

  function wait(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function tick() {
    if (!board) return;
    if (!board.oldest_waiting_since) {
      $("wb-longest").textContent = "—";
      return;
    }
    const now = Date.parse(board.now) + (Date.now() - fetchedAt);
    $("wb-longest").textContent = wait((now - Date.parse(board.oldest_waiting_since)) / 1000);
  }

  async function load() {
    try {
      board = await api("GET", "/api/wallboard");
      fetchedAt = Date.now();
      $("wb-waiting").textContent = board.waiting;
      const today = board.today;
      $("wb-level").textContent = today && today.service_level !== null
        ? (today.service_level * 100).toFixed(0) + " %" : "—";
      $("wb-level-label").textContent = `ответ за ${board.service_level_seconds} с, сегодня`;
      $("wb-offered").textContent = today ? today.offered : 0;
      $("wb-abandoned").textContent = today
        ? today.abandoned_in_menu + today.abandoned_in_queue + today.abandoned_while_staff_rang : 0;
      $("wb-specialists").replaceChildren(...Object.entries(STATES).map(([state, title]) =>
        el("div", { class: "tile", "data-state": state },
          el("div", { class: "value", text: board.specialists[state] || 0 }),
          el("div", { class: "label", text: title }))));
      tick();
    } catch (failure) {
      showMessage($("wb-message"), failure.message, "error");
    }
  }

  Console.listen({ queue_changed: load, resync: load });
  setInterval(tick, 1000);
  setInterval(load, 15000);
  await load();
})();
