// Страница входа: уже вошедшего сразу отправляет на его страницу.
"use strict";

(async () => {
  try {
    const response = await fetch("/api/me", { credentials: "same-origin" });
    if (response.ok) {
      const me = await response.json();
      location.href = Console.homeFor(me.role);
      return;
    }
  } catch (_) { /* нет связи: остаёмся на странице входа */ }

  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const me = await Console.api("POST", "/api/login", {
        login: form.login.value,
        password: form.password.value,
      });
      location.href = Console.homeFor(me.role);
    } catch (failure) {
      Console.showMessage(error, failure.message, "error");
    }
  });
})();
