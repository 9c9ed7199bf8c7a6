/* minyi review application: keyboard shortcuts of the review queue.
   A  / Enter  accept the current item and advance     G  move to 总体意见
   O  move to 草案范围外     N  move to 非意见     P  article picker
   J / K  next / previous item     X  tick the current item for bulk accept */
(function () {
  "use strict";

  function items() { return Array.prototype.slice.call(document.querySelectorAll("#queue .qitem")); }
  function current() { return document.querySelector("#queue .qitem.current"); }

  function select(item) {
    if (!item) return;
    items().forEach(function (el) { el.classList.remove("current"); });
    item.classList.add("current");
    item.scrollIntoView({ block: "nearest" });
    var id = item.dataset.id, version = item.dataset.version;
    document.querySelectorAll("#qactions form").forEach(function (form) {
      // Only values change: htmx reads a boosted form's action once, when it loads.
      form.querySelectorAll(".cur-id").forEach(function (el) { el.value = id; });
      form.querySelectorAll(".cur-version").forEach(function (v) {
        v.value = version;
        if (v.name.indexOf("version_") === 0) v.name = "version_" + id;
      });
    });
  }

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("queue")) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    var key = event.key.toLowerCase(), all = items(), cur = current(), at = all.indexOf(cur);
    if (key === "a" || key === "enter") { submit(document.querySelector('#qactions form[data-key="a"]')); }
    else if (key === "g" || key === "o" || key === "n") { submit(document.querySelector('#qactions form[data-key="' + key + '"]')); }
    else if (key === "p") { var input = document.getElementById("picker-input"); if (input) input.focus(); }
    else if (key === "j") { select(all[Math.min(all.length - 1, at + 1)]); }
    else if (key === "k") { select(all[Math.max(0, at - 1)]); }
    else if (key === "x" && cur) { var box = cur.querySelector('input[type="checkbox"]'); if (box) box.checked = !box.checked; }
    else { return; }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest("#queue .qitem");
    if (item && event.target.tagName.toLowerCase() !== "input") select(item);
  });
})();
