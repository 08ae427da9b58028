// Small behaviours without inline handlers, so a Content-Security-Policy can forbid inline script.
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const all = event.target.closest("[data-check-all]");
  if (all) {
    document.querySelectorAll(all.dataset.checkAll).forEach((box) => { box.checked = all.checked; });
  }
  const menu = event.target.closest("[data-menu-toggle]");
  if (menu) {
    const open = document.documentElement.classList.toggle("menu-open");
    menu.setAttribute("aria-expanded", open ? "true" : "false");
  }
  const fill = event.target.closest("[data-fill-category]");
  if (fill) {
    const select = document.getElementById("id_category");
    if (select) select.value = fill.dataset.fillCategory;
  }
});
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
// A choice made in a linked select before HTMX was ready (a slow phone) still loads the list it governs:
// once HTMX is up, a select with a value whose target list is still empty fires its change again.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof htmx === "undefined") return;
  document.querySelectorAll("select[hx-get][hx-target]").forEach((select) => {
    const target = document.querySelector(select.getAttribute("hx-target"));
    if (select.value && target && !target.querySelector('option:not([value=""])')) htmx.trigger(select, "change");
  });
});
