// 备课篮 reordering by drag and drop or keyboard: progressive enhancement over the 上移/下移 buttons.
(function () {
  "use strict";
  var list = document.querySelector(".kit-items");
  if (!list || !window.fetch) return;
  var status = document.querySelector(".order-status");

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".kit-item")); }
  function renumber() { items().forEach(function (li, i) { li.querySelector(".pos").textContent = i + 1; }); }
  function save() {
    var ids = items().map(function (li) { return parseInt(li.dataset.itemId, 10); });
    renumber();
    fetch(list.dataset.orderUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": list.dataset.csrf },
      body: JSON.stringify({ items: ids })
    }).then(function (r) {
      if (status) status.textContent = r.ok ? "顺序已保存。" : "顺序保存失败，请刷新页面后重试。";
    }).catch(function () { if (status) status.textContent = "顺序保存失败，请检查网络后重试。"; });
  }

  var dragged = null;
  items().forEach(function (li) {
    var handle = li.querySelector(".drag-handle");
    handle.hidden = false;
    handle.draggable = true;  // the handle starts a drag: text fields inside the case stay selectable
    handle.addEventListener("dragstart", function (e) {
      dragged = li; li.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", li.dataset.itemId);
    });
    handle.addEventListener("dragend", function () {
      li.classList.remove("dragging");
      items().forEach(function (x) { x.classList.remove("drop-target"); });
    });
    li.addEventListener("dragover", function (e) {
      if (!dragged || dragged === li) return;
      e.preventDefault(); li.classList.add("drop-target");
    });
    li.addEventListener("dragleave", function () { li.classList.remove("drop-target"); });
    li.addEventListener("drop", function (e) {
      e.preventDefault(); li.classList.remove("drop-target");
      if (!dragged || dragged === li) return;
      var all = items();
      list.insertBefore(dragged, all.indexOf(dragged) < all.indexOf(li) ? li.nextSibling : li);
      dragged = null; save();
    });
    // Keyboard: focus the handle, ArrowUp / ArrowDown move the case, focus stays on it.
    handle.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
      e.preventDefault();
      var sibling = e.key === "ArrowUp" ? li.previousElementSibling : li.nextElementSibling;
      if (!sibling) return;
      list.insertBefore(li, e.key === "ArrowUp" ? sibling : sibling.nextSibling);
      handle.focus(); save();
      if (status) status.textContent = "已移到第 " + (items().indexOf(li) + 1) + " 位。";
    });
  });
})();
