// Смена пароля: POST /api/password. Сервер завершает все сеансы пользователя и
// выдаёт этому браузеру новый.
"use strict";

(async () => {
  await Console.start();
  const form = document.getElementById("password-form");
  const message = document.getElementById("password-message");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    if (form.new.value !== form.repeat.value) {
      Console.showMessage(message, "Новые пароли не совпадают", "error");
      return;
    }
    try {
      await Console.api("POST", "/api/password", {
        current_password: form.current.value,
        new_password: form.new.value,
      });
      form.reset();
      Console.showMessage(message, "Пароль изменён; другие сеансы завершены", "ok");
    } catch (failure) {
      Console.showMessage(message, failure.message, "error");
    }
  });
})();
