/*
 * XXDocNum — client-side validation of identity document numbers.
 * Mirrors internal/identity (Go): same normalisation, rules and Chinese
 * messages; a Go test runs this file with node and compares the results.
 * Usage: XXDocNum.validate("resident_id", "11010519491231002x")
 *   → {ok: true, message: "", normalized: "11010519491231002X"}
 * Also: XXDocNum.normalize(s), XXDocNum.detect(s) → kind code or "",
 * XXDocNum.mask(s), XXDocNum.kinds → [{code, label}].
 */
(function (root) {
  "use strict";

  var MAX_INPUT_LEN = 256; // bytes of UTF-8, as in Go
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  var KINDS = [
    { code: "resident_id", label: "居民身份证", noun: "身份证号" },
    { code: "residence_permit", label: "港澳台居民居住证", noun: "居住证号码" },
    { code: "foreign_pr", label: "外国人永久居留身份证", noun: "永久居留身份证号码" },
    { code: "hkmo_pass", label: "港澳居民来往内地通行证", noun: "通行证号码" },
    { code: "tw_pass", label: "台湾居民来往大陆通行证", noun: "通行证号码" },
    { code: "passport", label: "护照", noun: "护照号码" }
  ];
  var NOUN = {};
  for (var i = 0; i < KINDS.length; i++) NOUN[KINDS[i].code] = KINDS[i].noun;

  var STRIP = /[\p{White_Space}\p{Cf}]/gu;

  function utf8Len(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  function normalize(s) {
    s = String(s == null ? "" : s);
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
      else if (c === 0x3000) out += " ";
      else out += s.charAt(i);
    }
    out = out.replace(STRIP, "");
    return out.replace(/[a-z]+/g, function (m) { return m.toUpperCase(); });
  }

  function runeCount(s) { return Array.from(s).length; }
  function allDigits(s) { return /^[0-9]*$/.test(s); }

  function checkChar(d17) {
    var s = 0;
    for (var i = 0; i < 17; i++) s += (d17.charCodeAt(i) - 48) * WEIGHTS[i];
    return CHECK.charAt(s % 11);
  }

  // birthDate returns [y, m, d] or null (not a real date, or year < 1900).
  function birthDate(n) {
    var ds = n.substring(6, 14);
    if (!/^[0-9]{8}$/.test(ds)) return null;
    var y = +ds.substring(0, 4), m = +ds.substring(4, 6), d = +ds.substring(6, 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1) return null;
    var dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if (d > dim[m - 1]) return null;
    return [y, m, d];
  }

  // todayChina returns today's date in UTC+8 as a comparable number yyyymmdd.
  function todayChina(now) {
    var t = new Date(now.getTime() + 8 * 3600 * 1000);
    return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  }

  function fail(msg) { return msg; }

  function checkGB11643(kind, n, now) {
    var noun = NOUN[kind];
    var len = runeCount(n);
    if (len !== 18) return fail(noun + "应为18位，当前为" + len + "位");
    if (!/^[0-9]{17}[0-9X]$/.test(n)) return fail(noun + "前17位应为数字，最后一位为数字或X");
    var d = birthDate(n);
    if (!d) return fail(noun + "中的出生日期（第7至14位）不是有效日期");
    if (d[0] * 10000 + d[1] * 100 + d[2] > todayChina(now)) return fail(noun + "中的出生日期晚于今天，请核对");
    if (checkChar(n.substring(0, 17)) !== n.charAt(17)) return fail(noun + "校验位不正确，请核对最后一位");
    return "";
  }

  function isPermitPrefix(n) { return /^(81|82|83)0000/.test(n); }

  var validators = {
    resident_id: function (n, now) {
      if (n.length === 15 && allDigits(n)) return "15位第一代身份证号已停用，请填写18位身份证号";
      var m = checkGB11643("resident_id", n, now);
      if (m) return m;
      if (isPermitPrefix(n)) return "该号码是港澳台居民居住证号码，请将证件类型选择为“港澳台居民居住证”";
      if (n.charAt(0) === "9") return "该号码是外国人永久居留身份证号码，请将证件类型选择为“外国人永久居留身份证”";
      return "";
    },
    residence_permit: function (n, now) {
      var m = checkGB11643("residence_permit", n, now);
      if (m) return m;
      if (!isPermitPrefix(n)) return "港澳台居民居住证号码应以810000、820000或830000开头";
      return "";
    },
    foreign_pr: function (n, now) {
      var len = runeCount(n);
      if (len === 18) {
        if (n.charAt(0) !== "9") return "18位的外国人永久居留身份证号码应以9开头";
        return checkGB11643("foreign_pr", n, now);
      }
      if (len === 15) {
        if (!/^[A-Z]{3}[0-9]{12}$/.test(n)) return "15位的外国人永久居留身份证号码应为3个字母加12位数字";
        return "";
      }
      return "外国人永久居留身份证号码应为18位（2023年版）或15位（2017年版）";
    },
    hkmo_pass: function (n) {
      if (utf8Len(n) !== 9 && utf8Len(n) !== 11) return "港澳居民来往内地通行证号码应为H或M加8位数字（或加10位数字）";
      if (!/^[HM][0-9]+$/.test(n)) return "港澳居民来往内地通行证号码应为H或M加8位数字（或加10位数字）";
      return "";
    },
    tw_pass: function (n) {
      if (utf8Len(n) !== 8 || !allDigits(n)) return "台湾居民来往大陆通行证号码应为8位数字";
      return "";
    },
    passport: function (n) {
      if (!/^[A-Z0-9]*$/.test(n)) return "护照号码只能包含英文字母和数字";
      if (n.length < 5 || n.length > 17) return "护照号码应为5至17位英文字母或数字";
      return "";
    }
  };

  function validate(kind, s, now) {
    now = now || new Date();
    if (!Object.prototype.hasOwnProperty.call(validators, kind)) {
      return { ok: false, message: "不支持的证件类型", normalized: "" };
    }
    var noun = NOUN[kind];
    s = String(s == null ? "" : s);
    if (utf8Len(s) > MAX_INPUT_LEN) return { ok: false, message: noun + "过长，请核对", normalized: "" };
    var n = normalize(s);
    if (n === "") return { ok: false, message: "请填写" + noun, normalized: "" };
    var msg = validators[kind](n, now);
    if (msg) return { ok: false, message: msg, normalized: "" };
    return { ok: true, message: "", normalized: n };
  }

  function detect(s) {
    s = String(s == null ? "" : s);
    if (utf8Len(s) > MAX_INPUT_LEN) return "";
    var n = normalize(s);
    if (/^[0-9]{17}[0-9X]$/.test(n)) {
      if (isPermitPrefix(n)) return "residence_permit";
      if (n.charAt(0) === "9") return "foreign_pr";
      return "resident_id";
    }
    if (/^[A-Z]{3}[0-9]{12}$/.test(n)) return "foreign_pr";
    if (/^[HM]([0-9]{8}|[0-9]{10})$/.test(n)) return "hkmo_pass";
    if (/^[0-9]{8}$/.test(n)) return "tw_pass";
    if (/^[A-Z0-9]{5,17}$/.test(n)) return "passport";
    return "";
  }

  function mask(s) {
    var r = Array.from(normalize(s));
    var keep = r.length <= 4 ? 0 : 4;
    return new Array(r.length - keep + 1).join("*") + r.slice(r.length - keep).join("");
  }

  var api = {
    kinds: KINDS.map(function (k) { return { code: k.code, label: k.label }; }),
    normalize: normalize,
    validate: validate,
    detect: detect,
    mask: mask
  };
  root.XXDocNum = api;
  if (typeof module === "object" && module && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
