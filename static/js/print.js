// The print view's only script. The Print button needs it, so it stays hidden without it; the
// print dialog opens by itself only when the toolbar's Print link asked for it (?autoprint=1),
// never for a copied or bookmarked print URL.
const printButton = document.querySelector("button[data-print]");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}
if (document.body.hasAttribute("data-autoprint")) {
  window.addEventListener("load", () => window.print(), { once: true });
}
