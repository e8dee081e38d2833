// Общее для всех страниц консоли: запросы к API, шапка с меню, выход,
// живые обновления (Server-Sent Events) и форматирование дат.
"use strict";

const Console = (() => {
  // Время контакт-центра: Иркутск (UTC+8, без перехода на летнее время).
  const ZONE = "Asia/Irkutsk";
  const ZONE_OFFSET = "+08:00";

  // Страницы по ролям: куда попадает пользователь после входа и что видит в меню.
  const PAGES = [
    { path: "/specialist", title: "Специалист", roles: ["specialist", "admin"] },
    { path: "/appeals", title: "Обращения", roles: ["specialist", "staff", "admin"] },
    { path: "/directory", title: "Справочник", roles: ["specialist", "staff", "admin"] },
    { path: "/reports", title: "Отчёты", roles: ["specialist", "staff", "admin"] },
    { path: "/wallboard", title: "Табло", roles: ["specialist", "admin"] },
    { path: "/audit", title: "Журнал изменений", roles: ["admin"] },
    { path: "/recordings", title: "Записи", roles: ["admin"] },
  ];

  const ROLE_NAMES = { specialist: "специалист", staff: "сотрудник", admin: "администратор" };

  // Запрос к API. Без сеанса (401) — на страницу входа; иначе ошибка с текстом сервера.
  async function api(method, path, body) {
    const options = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401 && path !== "/api/login") {
      location.href = "/login";
      throw new Error("Требуется вход");
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      // Сервер отвечает {error, message: "English / Russian", message_ru}.
      const text = data && (data.message_ru || data.message);
      throw new Error(text || "Ошибка " + response.status);
    }
    return data;
  }

  // Создаёт элемент; текст всегда через textContent, поэтому данные не становятся разметкой.
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  function homeFor(role) {
    return role === "staff" ? "/appeals" : "/specialist";
  }

  // Проверяет сеанс и роль, рисует шапку. Возвращает пользователя (GET /api/me).
  async function start(allowedRoles) {
    const me = await api("GET", "/api/me");
    if (allowedRoles && !allowedRoles.includes(me.role)) {
      location.href = homeFor(me.role);
      throw new Error("Страница недоступна для роли " + me.role);
    }
    const nav = el("nav");
    for (const page of PAGES.filter((p) => p.roles.includes(me.role))) {
      const current = location.pathname === page.path ? "current" : "";
      nav.append(el("a", { href: page.path, class: current, text: page.title }));
    }
    const who = me.full_name + " (" + (ROLE_NAMES[me.role] || me.role) +
      (me.organisation_name ? ", " + me.organisation_name : "") + ")";
    const password = el("a", { href: "/password", id: "password-link", text: "Сменить пароль" });
    const logout = el("button", { type: "button", id: "logout", text: "Выйти", onclick: signOut });
    document.querySelector("header.top").append(nav, el("span", { class: "who", id: "who", text: who }), password, logout);
    return me;
  }

  async function signOut() {
    try { await api("POST", "/api/logout"); } finally { location.href = "/login"; }
  }

  // Подписка на живые события; handlers: { appeal_created: fn, ... }.
  // Индикатор #live показывает, есть ли связь. EventSource переподключается сам.
  function listen(handlers) {
    const source = new EventSource("/api/events");
    const live = document.getElementById("live");
    const mark = (on) => {
      if (!live) return;
      live.className = "live " + (on ? "on" : "off");
      live.textContent = on ? "обновления в реальном времени" : "нет связи, переподключение…";
    };
    source.addEventListener("ready", () => mark(true));
    source.addEventListener("error", () => {
      mark(false);
      // Закрыт насовсем (сервер ответил ошибкой, например 401 после выхода на другом
      // устройстве или смены пароля): проверяем сеанс — api() без сеанса уводит на
      // страницу входа; с сеансом подписываемся заново.
      if (source.readyState === EventSource.CLOSED) {
        api("GET", "/api/me").then(() => setTimeout(() => listen(handlers), 3000), () => {});
      }
    });
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
    }
    return source;
  }

  function formatTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("ru-RU", {
      timeZone: ZONE, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  // Текущее время Иркутска в формате поля datetime-local (ГГГГ-ММ-ДДTчч:мм).
  function nowLocalInput() {
    const shifted = new Date(Date.now() + 8 * 3600 * 1000);
    return shifted.toISOString().slice(0, 16);
  }

  function showMessage(node, text, kind) {
    node.className = "message " + kind;
    node.textContent = text;
  }

  return { api, el, start, listen, formatTime, nowLocalInput, showMessage, homeFor, ZONE_OFFSET };
})();
