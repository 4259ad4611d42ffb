/* workweave: the coding page. Select a passage of the document's text, then click a code: the
   selection's position is sent as UTF-16 code units from the start of the text (what the
   browser counts), with the code, an optional memo and the CSRF token. */
(function () {
  "use strict";
  var box = document.getElementById("qual-text");
  if (!box) return;
  var hint = document.getElementById("qual-hint");
  var memo = document.getElementById("qual-memo");
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".code-btn"));
  var chosen = null;
  var defaultHint = hint ? hint.textContent : "";

  function say(text, kind) {
    if (!hint) return;
    hint.textContent = text;
    hint.className = "small " + (kind || "muted");
  }

  function offsetOf(node, offset) {
    var r = document.createRange();
    r.setStart(box, 0);
    r.setEnd(node, offset);
    return r.toString().length;
  }

  /* The selection inside the text box as [start, end) in UTF-16 units, surrounding white space
     left out; null when nothing of the text is selected. */
  function selected() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var r = sel.getRangeAt(0);
    if (!r.intersectsNode(box)) return null;
    var text = box.textContent;
    var start = box.contains(r.startContainer) ? offsetOf(r.startContainer, r.startOffset) : 0;
    var end = box.contains(r.endContainer) ? offsetOf(r.endContainer, r.endOffset) : text.length;
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (end <= start) return null;
    return { start: start, end: end, text: text.slice(start, end) };
  }

  function update() {
    chosen = selected();
    buttons.forEach(function (b) { b.disabled = !chosen; });
    if (chosen) {
      var preview = chosen.text.length > 60 ? chosen.text.slice(0, 57) + "…" : chosen.text;
      say("Selected “" + preview + "” (" + chosen.start + "–" + chosen.end + "): choose a code.", "selected");
    } else {
      say(defaultHint, "muted");
    }
  }

  box.addEventListener("mouseup", function () { window.setTimeout(update, 0); });
  box.addEventListener("keyup", update);

  function apply(button) {
    if (!chosen) { say("Select a passage of the text first.", "warn"); return; }
    var body = { code: button.getAttribute("data-code"), start: chosen.start, end: chosen.end,
                 memo: memo ? memo.value : "" };
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(box.getAttribute("data-post"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": box.getAttribute("data-csrf") },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) {
        say("Not coded: " + (res.data.detail || "the server refused"), "warn");
        update();
        return;
      }
      say("Coded as " + res.data.coding.code_name + ".", "selected");
      box.setAttribute("data-last", res.data.coding.key);
      window.location.reload();
    }).catch(function () {
      say("Not coded: the server could not be reached.", "warn");
      update();
    });
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { apply(b); });
  });

  var coder = document.getElementById("coder-select");
  if (coder && coder.form) {
    coder.addEventListener("change", function () { coder.form.submit(); });
  }
  box.setAttribute("data-ready", "1");
})();
