// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Query suggestions while typing (titles, keywords, law names).
  function setupSuggest(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list || !window.fetch) return;
    var timer = null, active = -1, items = [];
    function close() { list.hidden = true; list.innerHTML = ""; active = -1; input.setAttribute("aria-expanded", "false"); }
    // A topic, an article or a case opens directly; a word is searched for.
    function choose(item) {
      close();
      if (item.url) { window.location.href = item.url; return; }
      input.value = item.text; input.form.submit();
    }
    function render(data) {
      list.innerHTML = ""; items = data.suggestions || [];
      if (!items.length) { close(); return; }
      items.forEach(function (s, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option"); li.id = "suggestion-" + i;
        li.textContent = s.text;
        var kind = document.createElement("span"); kind.className = "kind"; kind.textContent = s.kind; li.appendChild(kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(s); });
        list.appendChild(li);
      });
      list.hidden = false; input.setAttribute("aria-expanded", "true");
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 1) { close(); return; }
      timer = setTimeout(function () {
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q)).then(function (r) { return r.ok ? r.json() : {}; })
          // Answers can arrive out of order: show only the one for what is typed now.
          .then(function (data) { if (q === input.value.trim()) render(data); }).catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      var options = list.querySelectorAll("li");
      if (list.hidden || !options.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
        options.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
        input.setAttribute("aria-activedescendant", options[active].id);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault(); choose(items[active]);
      } else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  // Print and share buttons on case pages.
  function setupActions() {
    document.querySelectorAll("[data-action=print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-action=share]").forEach(function (b) {
      b.addEventListener("click", function () {
        var status = document.querySelector(".share-status"), url = b.dataset.url;
        function done(msg) { if (status) status.textContent = msg; }
        if (navigator.share) { navigator.share({ title: document.title, url: url }).catch(function () {}); return; }
        if (navigator.clipboard) {
          navigator.clipboard.writeText(url).then(function () { done("链接已复制"); }, function () { done(url); });
        } else { done(url); }
      });
    });
  }

  // Kiosk: back to the home page after a period without touches or keys.
  function setupKiosk() {
    var body = document.body, seconds = parseInt(body.dataset.idleSeconds || "0", 10);
    if (!body.classList.contains("kiosk") || !seconds) return;
    var timer;
    function reset() {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.href = body.dataset.home; }, seconds * 1000);
    }
    ["pointerdown", "keydown", "scroll", "touchstart"].forEach(function (e) { window.addEventListener(e, reset, { passive: true }); });
    reset();
    // 回到顶部 appears once the reader has scrolled a screen down (always shown without JavaScript).
    var top = document.querySelector(".to-top");
    if (top) {
      body.classList.add("scroll-aware");
      var toggle = function () { top.classList.toggle("shown", window.scrollY > window.innerHeight / 2); };
      window.addEventListener("scroll", toggle, { passive: true });
      toggle();
    }
  }

  document.querySelectorAll("input[data-suggest]").forEach(setupSuggest);
  setupActions();
  setupKiosk();
})();
