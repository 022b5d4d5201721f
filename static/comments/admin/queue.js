// The moderation queue: one-click decisions without reloading the page, and keyboard shortcuts.
// Without this file every row's buttons still work as plain form posts.
// The admin loads it in <head>: start once the queue is parsed.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const table = document.getElementById("result_list");
  const form = document.getElementById("changelist-form");
  if (!table || !form || !table.tBodies.length) return;
  const announce = document.getElementById("queue-announce");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]");
  const KEYS = { a: "approve", r: "reject", s: "spam" };
  let current = null;

  const rows = () => Array.from(table.tBodies[0].rows);
  // Decided rows, and rows another moderator is reviewing, are out of the next-item order.
  const isOpen = (row) =>
    !row.classList.contains("queue-decided") && !row.querySelector("[data-claimed-by]");

  function say(message, isError) {
    if (!announce) return;
    announce.textContent = message;
    announce.classList.toggle("is-error", Boolean(isError));
  }

  // Keys move focus and scroll to the row; a click or tap only marks it, so nothing moves
  // under the pointer between press and release.
  function setCurrent(row, byKeyboard) {
    if (current) {
      current.classList.remove("queue-current");
      current.removeAttribute("aria-current");
    }
    current = row;
    if (!row) return;
    row.classList.add("queue-current");
    row.setAttribute("aria-current", "true");
    if (!byKeyboard) return;
    if (!row.hasAttribute("tabindex")) row.tabIndex = -1;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    let index = current ? all.indexOf(current) : step > 0 ? -1 : all.length;
    for (index += step; index >= 0 && index < all.length; index += step) {
      if (isOpen(all[index])) return setCurrent(all[index], true);
    }
    if (!current || !isOpen(current)) say("No more comments on this page.");
  }

  function markDecided(row, data) {
    row.classList.add("queue-decided");
    const status = row.querySelector("td.field-status");
    if (status && data.status_label) status.textContent = data.status_label;
    const actions = row.querySelector(".queue-actions");
    if (actions) {
      const outcome = document.createElement("span");
      outcome.className = "queue-outcome";
      outcome.textContent = data.status_label || "Done";
      actions.replaceWith(outcome);
    }
  }

  async function decide(button) {
    const row = button.closest("tr");
    if (button.value === "ban" && !window.confirm(
      "Ban this author? Their email address and IP are blocked and every comment of theirs is rejected."
    )) return;
    const body = new FormData();
    body.append("decision", button.value);
    const buttons = row.querySelectorAll(".queue-actions button");
    buttons.forEach((each) => { each.disabled = true; });
    let response;
    try {
      response = await fetch(button.formAction, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      });
    } catch (error) {
      buttons.forEach((each) => { each.disabled = false; });
      say("The server could not be reached; nothing changed. Try again.", true);
      return;
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = { ok: false, message: "The server answered " + response.status + "; nothing changed." };
    }
    say(data.message, !data.ok);
    if (data.ok || response.status === 409) {
      markDecided(row, data);
      if (row === current || !current) move(1);
    } else {
      buttons.forEach((each) => { each.disabled = false; });
    }
  }

  table.addEventListener("click", (event) => {
    const button = event.target.closest(".queue-actions button[name=decision]");
    if (!button) return;
    event.preventDefault();
    setCurrent(button.closest("tr"));
    decide(button);
  });

  table.addEventListener("focusin", (event) => {
    const row = event.target.closest("tbody tr");
    if (row && row !== current && isOpen(row)) setCurrent(row);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    if (key === "j" || key === "k") {
      event.preventDefault();
      move(key === "j" ? 1 : -1);
    } else if (KEYS[key] && current) {
      const button = current.querySelector('.queue-actions button[value="' + KEYS[key] + '"]');
      if (button) {
        event.preventDefault();
        decide(button);
      }
    } else if (key === "o" && current) {
      const link = current.querySelector(".field-excerpt a");
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    }
  });

  const help = document.getElementById("queue-keys");
  if (help) help.hidden = false;
});
