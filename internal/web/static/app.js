/* xiaoxiang — page behaviour. Vanilla JS, no inline scripts (strict CSP). Every page
 * works without JS except the live camera; JS adds instant feedback and uploads. */
(function () {
  "use strict";
  var main = document.querySelector("main.page");
  var csrf = main ? main.getAttribute("data-csrf") : "";

  /* Confirm dialogs: <form data-confirm="..."> */
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    var b = f.querySelector("button[type=submit], button:not([type])");
    if (b && !f.hasAttribute("data-no-lock")) {
      setTimeout(function () { b.disabled = true; }, 0);
    }
  });

  /* Consent: the submit button is enabled only when every required box is ticked. */
  document.querySelectorAll("form[data-consent]").forEach(function (f) {
    var boxes = f.querySelectorAll("input[type=checkbox][required]");
    var btn = f.querySelector("button[type=submit]");
    function sync() {
      var ok = true;
      boxes.forEach(function (b) { if (!b.checked) ok = false; });
      btn.disabled = !ok;
    }
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    sync();
  });

  /* Document number: instant feedback with XXDocNum (docnum.js, same rules as the server). */
  document.querySelectorAll("input[data-docnum]").forEach(function (input) {
    var kindSel = document.getElementById(input.getAttribute("data-kind-from"));
    var hint = document.getElementById(input.id + "-hint");
    var base = hint ? hint.textContent : "";
    function check(final) {
      if (!window.XXDocNum) return;
      var v = input.value;
      input.classList.remove("is-bad", "is-ok");
      if (hint) hint.classList.remove("is-bad", "is-ok");
      if (!v) { if (hint) hint.textContent = base; return; }
      var kind = kindSel ? kindSel.value : "resident_id";
      var r = window.XXDocNum.validate(kind, v);
      if (r.ok) {
        input.classList.add("is-ok");
        if (hint) { hint.textContent = "格式正确"; hint.classList.add("is-ok"); }
      } else if (final || window.XXDocNum.normalize(v).length >= 18 || r.message.indexOf("校验位") >= 0) {
        input.classList.add("is-bad");
        if (hint) { hint.textContent = r.message; hint.classList.add("is-bad"); }
      } else if (hint) {
        hint.textContent = base;
      }
    }
    input.addEventListener("input", function () { check(false); });
    input.addEventListener("blur", function () { check(true); });
    if (kindSel) kindSel.addEventListener("change", function () { check(true); });
    if (input.value) check(true);
  });

  /* Payment status polling: <div data-poll="/tasks/1/pay/status" data-next="/tasks/1"> */
  document.querySelectorAll("[data-poll]").forEach(function (el) {
    var url = el.getAttribute("data-poll");
    var tries = 0;
    function poll() {
      tries++;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (j.paid) { window.location.replace(el.getAttribute("data-next")); return; }
          if (j.failed) { window.location.replace(el.getAttribute("data-failed") || window.location.href); return; }
          if (tries < 90) setTimeout(poll, tries < 10 ? 1000 : 3000);
        })
        .catch(function () { if (tries < 90) setTimeout(poll, 3000); });
    }
    setTimeout(poll, 800);
  });

  /* WeChat JSAPI payment (in WeChat's browser): <button data-jsapi='{...}'>. */
  document.querySelectorAll("[data-jsapi]").forEach(function (btn) {
    btn.addEventListener("click", function (e) {
      if (typeof window.WeixinJSBridge === "undefined") return; // the link's href (simulator sheet) is used instead
      e.preventDefault();
      var params = JSON.parse(btn.getAttribute("data-jsapi"));
      window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function () {
        // The result the client reports is not proof of payment: go to the polling page.
        window.location.href = btn.getAttribute("data-after");
      });
    });
  });

  /* Photo: downscale to ≤ maxSide (canvas → JPEG) and upload. */
  function downscale(source, sw, sh, maxSide, mirror) {
    var scale = Math.min(1, maxSide / Math.max(sw, sh));
    var w = Math.round(sw * scale), h = Math.round(sh * scale);
    var c = document.createElement("canvas");
    c.width = w; c.height = h;
    var g = c.getContext("2d");
    g.drawImage(source, 0, 0, w, h);
    return new Promise(function (resolve) { c.toBlob(resolve, "image/jpeg", 0.92); });
  }

  function upload(form, blob, source) {
    var status = form.querySelector("[data-busy]") || document.querySelector("[data-busy]");
    if (status) { status.classList.remove("hidden"); status.textContent = "正在上传并检测照片，请稍候…"; }
    var fd = new FormData();
    fd.append("photo", blob, "photo.jpg");
    fd.append("source", source);
    return fetch(form.action, {
      method: "POST", body: fd, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (res) {
      if (res.ok && res.j.next) { window.location.href = res.j.next; return; }
      if (status) { status.textContent = (res.j && res.j.message) || "上传失败，请重试。"; }
    }).catch(function () {
      if (status) status.textContent = "网络异常，上传失败，请检查网络后重试。";
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var maxSide = parseInt(form.getAttribute("data-max-side") || "2048", 10);
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) return;
        var source = input.getAttribute("data-source") || "camera";
        var url = URL.createObjectURL(file);
        var img = new Image();
        img.onload = function () {
          downscale(img, img.naturalWidth, img.naturalHeight, maxSide).then(function (blob) {
            URL.revokeObjectURL(url);
            upload(form, blob, source);
          });
        };
        img.onerror = function () {
          // Formats the browser cannot draw (e.g. HEIC): send the file as is; the server decodes it.
          URL.revokeObjectURL(url);
          upload(form, file, source);
        };
        img.src = url;
      });
    });
  });

  /* Live camera with a head-and-shoulders guide. */
  var cam = document.querySelector("[data-camera]");
  if (cam) {
    var video = cam.querySelector("video");
    var msg = cam.querySelector(".camera-msg");
    var shoot = document.getElementById("shoot");
    var form = document.getElementById("upload-form");
    var stream = null;
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 1920 }, height: { ideal: 2560 } }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          return video.play();
        })
        .then(function () {
          msg.classList.add("hidden");
          shoot.classList.remove("hidden");
        })
        .catch(function () {
          msg.textContent = "无法打开摄像头：请在弹窗中选择“允许”，或使用下方按钮拍照/选择照片。";
        });
    } else {
      msg.textContent = "当前浏览器不支持页面内拍摄，请使用下方按钮拍照。";
    }
    if (shoot) shoot.addEventListener("click", function () {
      if (!stream) return;
      shoot.disabled = true;
      // The preview is mirrored for comfort; the photo itself is not (mirroring is a forbidden edit).
      downscale(video, video.videoWidth, video.videoHeight, parseInt(form.getAttribute("data-max-side") || "2048", 10))
        .then(function (blob) {
          stream.getTracks().forEach(function (t) { t.stop(); });
          return upload(form, blob, "camera");
        })
        .then(function () { shoot.disabled = false; });
    });
  }
})();
