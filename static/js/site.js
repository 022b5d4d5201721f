// Progressive enhancements. Every page works without this file.
document.addEventListener("click", (event) => {
  const printLink = event.target.closest("[data-print]");
  if (printLink) {
    event.preventDefault();
    window.print();
  }
});
