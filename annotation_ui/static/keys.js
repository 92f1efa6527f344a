// Keyboard shortcuts for the QA item page. Plain DOM, no framework: every action is an ordinary
// form post, so the page works without this file and shortcuts only click the same buttons.
(function () {
  "use strict";
  const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.isContentEditable);
  const click = (selector) => { const el = document.querySelector(selector); if (el) { el.click(); } return !!el; };
  const note = document.getElementById("note");
  const edit = document.getElementById("edit-text");

  function rejectWith(key) {
    const button = document.querySelector('#reject-form button[data-key="' + key + '"]');
    if (!button) { return; }
    if (button.dataset.needsNote && note && !note.value.trim()) { note.focus(); return; }  // "other" needs a note
    button.click();
  }

  document.addEventListener("keydown", (ev) => {
    const target = ev.target;
    if (target === edit && ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); edit.form.requestSubmit(); return; }
    if (target === note && ev.key === "Enter") { ev.preventDefault(); rejectWith("5"); return; }
    if (typing(target)) { if (ev.key === "Escape") { target.blur(); } return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    const key = ev.key.toLowerCase();
    if (key === "a") { click('#accept-form button[type="submit"]'); }
    else if (/^[1-5]$/.test(key)) { rejectWith(key); }
    else if (key === "e" && edit) { edit.focus(); edit.select(); }
    else if (key === "u") { click('#undo-form button[type="submit"]'); }
    else if (key === "j") { click("#next"); }
    else if (key === "k") { click("#prev"); }
    else if (key === "?") { const help = document.getElementById("help"); if (help) { help.open ? help.close() : help.showModal(); } }
    else { return; }
    ev.preventDefault();  // a handled key must not also type into the field it may have focused
  });
})();
