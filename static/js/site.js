// Progressive enhancements. Every page works without this file.

// A cached page is the same for every reader, so its comment form carries no signed timestamp
// (newsroom/spamtraps.py). Ask for one when the reader starts writing; if they are quicker than
// the answer, send the form once it has come. Without this script the server shows the form
// again, the text kept, with a timestamp in it.
const stamps = new WeakMap();

function stampForm(form) {
  const field = form.querySelector('input[name="rendered_at"]');
  if (!field || field.value) {
    return Promise.resolve();
  }
  if (!stamps.has(form)) {
    const request = fetch(form.dataset.stampUrl, {credentials: "same-origin", cache: "no-store"})
      .then((response) => (response.ok ? response.json() : {}))
      .then((data) => {
        if (data.rendered_at) {
          field.value = data.rendered_at;
        }
      })
      .catch(() => {})
      .finally(() => {
        form.dataset.stampTried = "1"; // no second wait: the server asks again if need be
      });
    stamps.set(form, request);
  }
  return stamps.get(form);
}

document.addEventListener("focusin", (event) => {
  const form = event.target.closest && event.target.closest("form[data-stamp-url]");
  if (form) {
    stampForm(form);
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-stamp-url]")) {
    return;
  }
  const field = form.querySelector('input[name="rendered_at"]');
  if (field && !field.value && !form.dataset.stampTried) {
    event.preventDefault();
    const submitter = event.submitter;
    stampForm(form).then(() => form.requestSubmit(submitter || undefined));
  }
});

// A form shown again with errors: take the reader (and their screen reader) to what went wrong.
const errorSummary = document.querySelector("[data-error-summary]");
if (errorSummary) {
  errorSummary.focus();
}
