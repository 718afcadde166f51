// Projection mode: one slide at a time; arrow keys, PageUp/PageDown (clickers), space, Home/End; F for full screen.
(function () {
  "use strict";
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
  if (!slides.length) return;
  var counter = document.querySelector(".counter"), button = document.querySelector(".fullscreen");
  var index = Math.min(Math.max(parseInt((location.hash || "#1").slice(1), 10) - 1 || 0, 0), slides.length - 1);
  document.body.classList.add("js");

  function show(i) {
    index = Math.min(Math.max(i, 0), slides.length - 1);
    slides.forEach(function (s, n) { s.classList.toggle("current", n === index); s.setAttribute("aria-hidden", n === index ? "false" : "true"); });
    slides[index].scrollTop = 0;
    if (counter) counter.textContent = (index + 1) + " / " + slides.length;
    history.replaceState(null, "", "#" + (index + 1));
  }
  function fullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen().catch(function () {}); }
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var next = ["ArrowRight", "ArrowDown", "PageDown", " ", "Enter", "n"], prev = ["ArrowLeft", "ArrowUp", "PageUp", "Backspace", "p"];
    if (next.indexOf(e.key) >= 0) { e.preventDefault(); show(index + 1); }
    else if (prev.indexOf(e.key) >= 0) { e.preventDefault(); show(index - 1); }
    else if (e.key === "Home") { e.preventDefault(); show(0); }
    else if (e.key === "End") { e.preventDefault(); show(slides.length - 1); }
    else if (e.key === "f" || e.key === "F") { fullscreen(); }
  });
  document.querySelector(".slides").addEventListener("click", function (e) {
    if (e.target.closest("a")) return;
    show(index + (e.clientX > window.innerWidth / 3 ? 1 : -1));
  });
  if (button) { button.hidden = false; button.addEventListener("click", fullscreen); }
  show(index);
})();
