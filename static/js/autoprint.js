// The print view opens the print dialog by itself only when the toolbar's Print link asked
// for it (?autoprint=1); a copied or bookmarked print URL just shows the page.
if (new URLSearchParams(window.location.search).get("autoprint") === "1") {
  window.addEventListener("load", () => window.print(), { once: true });
}
