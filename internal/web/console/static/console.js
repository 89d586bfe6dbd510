// 肖像 staff consoles: confirmations, polling and the review keyboard.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var back = e.target.closest("[data-back]");
    if (back && history.length > 1) { e.preventDefault(); history.back(); }
    var all = e.target.closest("[data-check-all]");
    if (all) {
      document.querySelectorAll("input[data-clean]").forEach(function (c) { c.checked = all.checked; });
    }
  });
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
  var poll = document.querySelector("[data-poll]");
  if (poll) { setTimeout(function () { location.reload(); }, 2000); }

  // Review keyboard: A approve · 1–9 reject with reason N · R reject with the
  // ticked reasons · N or → next (skip) · Q back to the queue.
  var approve = document.getElementById("approve");
  var reject = document.getElementById("reject");
  var skip = document.getElementById("skip");
  if (!approve && !skip) { return; }
  var busy = false;
  function send(form) {
    if (!form || busy) { return; }
    busy = true;
    form.submit();
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type === "text"))) {
      if (e.key === "Escape") { t.blur(); }
      return;
    }
    var k = e.key.toLowerCase();
    if (k === "a" && approve) { e.preventDefault(); send(approve); return; }
    if ((k === "n" || k === "arrowright") && skip) { e.preventDefault(); send(skip); return; }
    if (k === "q") { e.preventDefault(); location.href = "/review"; return; }
    if (!reject) { return; }
    if (k === "r") {
      e.preventDefault();
      if (reject.querySelector("input[name=reason]:checked")) { send(reject); }
      else { var n = reject.querySelector("textarea"); if (n) { n.focus(); } }
      return;
    }
    var m = /^Digit([1-9])$/.exec(e.code || "");
    if (m) { k = m[1]; }
    if (/^[1-9]$/.test(k)) {
      var box = reject.querySelector("input[name=reason][data-key='" + k + "']");
      if (!box) { return; }
      e.preventDefault();
      if (e.shiftKey) { box.checked = !box.checked; return; }
      reject.querySelectorAll("input[name=reason]").forEach(function (c) { c.checked = false; });
      box.checked = true;
      send(reject);
    }
  });
})();
