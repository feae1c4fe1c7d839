// Casebook's own script: keyboard navigation, live updates, the composer's templates and its
// collision warning. Every page works without it; it only saves reloads and keystrokes.
"use strict";

(function () {
  const csrf = document.body.dataset.csrf || "";

  // ---- Keyboard: j/k move through the queue, Enter opens, / searches. ----
  function rows() {
    return Array.from(document.querySelectorAll("#queue-table tbody tr[data-href]"));
  }
  let current = -1;
  function select(index) {
    const all = rows();
    if (all.length === 0) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("selected", i === current));
    const link = all[current].querySelector("a");
    if (link) link.focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement || (target && target.isContentEditable);
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "/") {
      const search = document.getElementById("queue-search");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "j") {
      select(current + 1);
    } else if (event.key === "k") {
      select(current - 1);
    } else if (event.key === "Enter" && current >= 0) {
      const row = rows()[current];
      if (row && document.activeElement === document.body) window.location.href = row.dataset.href;
    }
  });

  // ---- Templates: the picked text goes where it belongs. ----
  const picker = document.getElementById("template-pick");
  if (picker) {
    picker.addEventListener("change", () => {
      const id = picker.value;
      const template = document.getElementById("tpl-" + id);
      if (!template) return;
      const text = template.content ? template.content.textContent : template.textContent;
      let field = document.getElementById("reply-text");
      const status = document.getElementById("status-to");
      if (id === "archive" || id === "resolution") {
        field = document.getElementById("status-summary") || field;
        const wanted = id === "archive" ? "archived" : "resolved";
        if (status && Array.from(status.options).some((o) => o.value === wanted)) status.value = wanted;
      }
      if (field) {
        field.value = field.value.trim() === "" ? text.trim() : field.value + "\n\n" + text.trim();
        field.focus();
      }
      picker.value = "";
    });
  }

  // ---- Collision warning: tell the others we are writing; show who else is. ----
  const collision = document.getElementById("collision");
  let collisionTimer = 0;
  function showOthers(names) {
    if (!collision) return;
    // A writer who stopped pinging has stopped writing: the warning fades after 35 s unless renewed.
    window.clearTimeout(collisionTimer);
    if (names && names.length > 0) collisionTimer = window.setTimeout(() => showOthers([]), 35000);
    if (!names || names.length === 0) { collision.hidden = true; collision.textContent = ""; return; }
    const template = collision.dataset.text || "{names}";
    collision.textContent = template.replace("{names}", names.join(", "));
    collision.hidden = false;
  }
  let lastPing = 0;
  document.querySelectorAll("textarea[data-composing]").forEach((area) => {
    area.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastPing < 10000) return;
      lastPing = now;
      fetch("/cases/" + encodeURIComponent(area.dataset.composing) + "/composing", {
        method: "POST",
        headers: { "x-csrf-token": csrf },
        credentials: "same-origin",
      }).then((r) => (r.ok ? r.json() : null)).then((body) => {
        if (body) showOthers(body.others);
      }).catch(() => {});
    });
  });

  // ---- Live updates: new entries refresh the timeline or the queue in place. ----
  const article = document.querySelector("article.case[data-case]");
  const queue = document.querySelector("#queue-table[data-live]");
  if (!window.EventSource || (!article && !queue)) return;
  const liveStatus = document.getElementById("live-status");
  let refreshing = false;
  let again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      if (article) {
        const fresh = page.getElementById("timeline");
        const old = document.getElementById("timeline");
        if (fresh && old) {
          const known = new Set(Array.from(old.children).map((li) => li.id));
          // Folded quotes a reader opened stay open.
          const open = new Set(Array.from(old.querySelectorAll("details[open]")).map((d) => d.closest("li").id));
          old.replaceChildren(...Array.from(fresh.children).map((li) => document.importNode(li, true)));
          old.querySelectorAll("li.entry").forEach((li) => {
            if (!known.has(li.id)) li.classList.add("fresh");
            if (open.has(li.id)) { const d = li.querySelector("details"); if (d) d.open = true; }
          });
        }
        for (const id of ["case-status", "case-owner", "case-title"]) {
          const a = page.getElementById(id); const b = document.getElementById(id);
          if (a && b) b.replaceWith(document.importNode(a, true));
        }
      } else if (queue) {
        const fresh = page.querySelector("#queue-table tbody");
        const old = queue.querySelector("tbody");
        if (fresh && old) {
          const checked = new Set(Array.from(old.querySelectorAll("input[type=checkbox]:checked")).map((c) => c.value));
          old.replaceWith(document.importNode(fresh, true));
          queue.querySelectorAll("input[type=checkbox]").forEach((c) => { if (checked.has(c.value)) c.checked = true; });
          if (current >= 0) select(current);
        }
        const tabs = page.querySelector("nav.tabs"); const oldTabs = document.querySelector("nav.tabs");
        if (tabs && oldTabs) oldTabs.replaceWith(document.importNode(tabs, true));
      }
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }
  const url = article ? "/events?case=" + encodeURIComponent(article.dataset.case) : "/events";
  const source = new EventSource(url);
  source.addEventListener("ready", () => {
    if (liveStatus) liveStatus.textContent = liveStatus.dataset.live || "";
    document.body.dataset.live = "ready";
  });
  source.addEventListener("entry", () => refresh());
  source.addEventListener("composing", (event) => {
    try { showOthers(JSON.parse(event.data).names); } catch (_) { /* a malformed event changes nothing */ }
  });
  source.onerror = () => {
    document.body.dataset.live = "reconnecting";
    if (liveStatus) liveStatus.textContent = liveStatus.dataset.offline || "";
  };
})();
